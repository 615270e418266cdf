// What a template may print: every value placed inside the config goes through one of these,
// and each refuses anything able to change the file's structure. The topology schema already
// refuses such values; these are the second wall. Templates call them as filters
// (environment.ts); code that writes config text itself (bgp-protocols.ts) calls them directly.
import { parsePrefix, formatPrefix } from '../topology/ipv6.ts';
import { parseIPv4 } from '../topology/ipv4.ts';

function refuse(kind: string, value: unknown): never {
  throw new Error(`refusing to render ${JSON.stringify(value)} as ${kind}`);
}

/** How many accepted values each filter remembers; past it, it starts again (the agent runs for months). */
const REMEMBERED_VALUES = 10_000;

/**
 * `check` answering from memory for a string it accepted before. A full mesh of N nodes prints
 * the same N protocol names, descriptions and addresses in every node's file, N*(N-1) times in
 * all, and a regular expression test per value was most of the time spent writing a session
 * block (bgp-protocols.ts); a lookup is cheaper than the test. A refused value is never remembered,
 * so it is refused every time; the answer for an accepted one depends on the value alone.
 */
function remembering(check: (value: unknown) => string): (value: unknown) => string {
  const accepted = new Map<string, string>();
  return (value) => {
    if (typeof value !== 'string') return check(value);
    let printed = accepted.get(value);
    if (printed === undefined) {
      printed = check(value);
      if (accepted.size >= REMEMBERED_VALUES) accepted.clear();
      accepted.set(value, printed);
    }
    return printed;
  };
}

/** A BIRD/dnsmasq double-quoted string: printable ASCII without quote or backslash. */
export const quoted = remembering((value) => {
  if (typeof value !== 'string' || !/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(value)) refuse('a quoted string', value);
  return `"${value}"`;
});

/** A BIRD symbol (protocol, filter or template name). */
export const symbol = remembering((value) => {
  if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(value)) refuse('a BIRD symbol', value);
  return value;
});

/**
 * Addresses in the context are canonical already (the schema made them so); this wall only has
 * to guarantee that the text cannot break out of its place, and hex digits and colons cannot.
 */
export const ipv6 = remembering((value) =>
  typeof value === 'string' && /^[0-9a-f:]{2,39}$/.test(value) ? value : refuse('an IPv6 address', value),
);

export function ipv6Prefix(value: unknown): string {
  const parsed = typeof value === 'string' ? parsePrefix(value) : undefined;
  return parsed && !parsed.hostBitsSet ? formatPrefix(parsed) : refuse('an IPv6 prefix', value);
}

export function ipv4(value: unknown): string {
  return typeof value === 'string' && parseIPv4(value) !== undefined ? value : refuse('a dotted quad', value);
}

export function integer(value: unknown): string {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : refuse('an integer', value);
}
