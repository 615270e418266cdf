// One stream event as the bytes sent to every client, never larger than a limit. Events carry text
// from outside (a topology error quoting a bad value, BIRD's answer to `configure`); a client must
// not receive, and the server must not hold once per client, a message as big as that text.
import type { StreamEvent } from './source.ts';

/** Appended where a string was cut; says how long it was. */
function cutMarker(totalChars: number): string {
  return `… [cut: ${totalChars} characters in all]`;
}

/** Objects nested deeper than this are not looked into (events are a few levels deep). */
const MAX_DEPTH = 16;

/**
 * `{"type":...,"seq":N,...details}` as UTF-8, at most `maxBytes` long: first every string longer
 * than the limit is cut (so a 50 MB report is never serialised whole), then, if the message is
 * still too big, every string is cut to an eighth of it; if even that does not fit (a huge array),
 * the event is sent as `{type, seq, at, truncated: true}`. Throws when the event is not
 * serialisable (a BigInt, a cycle).
 */
export function eventMessage(event: StreamEvent, seq: number, maxBytes: number): Buffer {
  // `type` first, then `seq`, then the event's own fields.
  const { type, ...details } = event;
  const whole = { type, seq, ...details };
  for (const maxChars of [maxBytes, Math.floor(maxBytes / 8)]) {
    const message = Buffer.from(JSON.stringify(cut(whole, maxChars, 0)));
    if (message.length <= maxBytes) return message;
  }
  return Buffer.from(JSON.stringify({ type, seq, at: event.at, truncated: true }));
}

function cut(value: unknown, maxChars: number, depth: number): unknown {
  if (typeof value === 'string') {
    if (value.length <= maxChars) return value;
    const marker = cutMarker(value.length);
    return value.slice(0, Math.max(0, maxChars - marker.length)) + marker;
  }
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => cut(item, maxChars, depth + 1));
  // A value with its own JSON form (a Date) is left to it.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cut(item, maxChars, depth + 1)]));
}
