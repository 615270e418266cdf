// `show status`. A real BIRD 1.6.8 reply (fixtures/bird-1.6.8/r1-show-status.txt):
//
//   1000-BIRD 1.6.8
//   1011-Router ID is 10.255.0.1
//    Current server time is 2026-11-26 07:55:05
//    Last reboot on 2026-11-26 07:54:00
//    Last reconfiguration on 2026-11-26 07:54:40
//   0013 Daemon is up and running
//
// While graceful-restart recovery runs BIRD adds `0024 Graceful restart recovery in progress`
// (as a `0024-` block before the final 0013 line); the final text is also `Reconfiguration in
// progress` or `Shutdown in progress` at those times.
//
// Strict framing, tolerant values (as in parse-protocols.ts): the codes stay strict; a line of the
// 1011 block this parser does not know, a field this BIRD does not print and a time in a format
// parseBirdTime cannot read (fixtures monthday-show-status.txt) are null with one warning each.
import { parseBirdTime } from './bird-time.ts';
import { ParseWarnings, quote } from './parse-warnings.ts';
import { unexpectedReply, type Reply } from './reply.ts';

export interface BirdStatus {
  /** null when the 1000 line does not read `BIRD VERSION` */
  version: string | null;
  routerId: string | null;
  /** epoch seconds; null when BIRD did not print it or printed it in an unknown format */
  serverTime: number | null;
  lastReboot: number | null;
  lastReconfiguration: number | null;
  gracefulRestart: boolean;
  /** the final line: `Daemon is up and running`, `Reconfiguration in progress`, ... */
  message: string;
}

const FIELDS = {
  routerId: /^Router ID is (\S+)$/,
  serverTime: /^Current server time is (.+)$/,
  lastReboot: /^Last reboot on (.+)$/,
  lastReconfiguration: /^Last reconfiguration on (.+)$/,
} as const;
type Field = keyof typeof FIELDS;
const LABELS: Record<Field, string> = { routerId: 'Router ID', serverTime: 'Current server time', lastReboot: 'Last reboot', lastReconfiguration: 'Last reconfiguration' };

/** `nowSeconds` places times BIRD printed without a date (a `timeformat base` of `%T`). */
export function parseShowStatus(reply: Reply, nowSeconds: number, warnings: ParseWarnings = new ParseWarnings()): BirdStatus {
  const what = '`show status`';
  if (reply.code !== 13 && reply.code !== 24) throw unexpectedReply(what, `final code ${reply.code} ${JSON.stringify(reply.text)}`);
  let version: string | null = null;
  let gracefulRestart = reply.code === 24;
  const found: Partial<Record<Field, string>> = {};
  for (const block of reply.blocks) {
    switch (block.code) {
      case 1000: {
        const m = /^BIRD (\S+)$/.exec((block.lines[0] ?? '').trim());
        if (m === null) warnings.add('version', `${what}: version line ${quote(block.lines[0] ?? '')} is not \`BIRD VERSION\`; shown as null`);
        else version = m[1]!;
        break;
      }
      case 1011:
        for (const raw of block.lines) {
          const line = raw.trim();
          const key = (Object.keys(FIELDS) as Field[]).find((k) => FIELDS[k].test(line));
          if (key === undefined) warnings.add('line', `${what}: line ${quote(line)} is not one bird6-controller knows; left out`);
          else found[key] = FIELDS[key].exec(line)![1]!;
        }
        break;
      case 24:
        gracefulRestart = true;
        break;
      default:
        throw unexpectedReply(what, `code ${block.code} ${JSON.stringify(block.lines[0])}`);
    }
  }
  if (version === null && !reply.blocks.some((b) => b.code === 1000)) warnings.add('version', `${what}: no version line (1000); shown as null`);
  for (const field of Object.keys(FIELDS) as Field[]) {
    if (found[field] === undefined) warnings.add(field, `${what}: no \`${LABELS[field]}\` line; shown as null`);
  }
  const time = (field: Exclude<Field, 'routerId'>, reference: number): number | null => {
    const text = found[field];
    if (text === undefined) return null;
    const seconds = parseBirdTime(text, reference);
    if (seconds === null) warnings.add(field, `${what}: ${LABELS[field]} ${quote(text)} is in a time format bird6-controller cannot read; shown as null`);
    return seconds;
  };
  const server = time('serverTime', nowSeconds);
  return {
    version,
    routerId: found.routerId ?? null,
    serverTime: server,
    lastReboot: time('lastReboot', server ?? nowSeconds),
    lastReconfiguration: time('lastReconfiguration', server ?? nowSeconds),
    gracefulRestart,
    message: reply.code === 13 ? reply.text : 'Graceful restart recovery in progress',
  };
}
