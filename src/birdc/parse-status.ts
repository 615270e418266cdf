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
import { parseBirdTime } from './bird-time.ts';
import { unexpectedReply, type Reply } from './reply.ts';

export interface BirdStatus {
  version: string;
  routerId: string;
  /** epoch seconds */
  serverTime: number;
  lastReboot: number;
  lastReconfiguration: number;
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

/** `nowSeconds` places times BIRD printed without a date (a `timeformat base` of `%T`). */
export function parseShowStatus(reply: Reply, nowSeconds: number): BirdStatus {
  const what = '`show status`';
  if (reply.code !== 13 && reply.code !== 24) throw unexpectedReply(what, `final code ${reply.code} ${JSON.stringify(reply.text)}`);
  let version: string | undefined;
  let gracefulRestart = reply.code === 24;
  const found: Partial<Record<keyof typeof FIELDS, string>> = {};
  for (const block of reply.blocks) {
    switch (block.code) {
      case 1000: {
        const m = /^BIRD (\S+)$/.exec(block.lines[0] ?? '');
        if (m === null) throw unexpectedReply(what, `version line ${JSON.stringify(block.lines[0])}`);
        version = m[1];
        break;
      }
      case 1011:
        for (const line of block.lines) {
          const key = (Object.keys(FIELDS) as (keyof typeof FIELDS)[]).find((k) => FIELDS[k].test(line));
          if (key === undefined) throw unexpectedReply(what, `line ${JSON.stringify(line)}`);
          found[key] = FIELDS[key].exec(line)![1]!;
        }
        break;
      case 24:
        gracefulRestart = true;
        break;
      default:
        throw unexpectedReply(what, `code ${block.code} ${JSON.stringify(block.lines[0])}`);
    }
  }
  const { routerId, serverTime, lastReboot, lastReconfiguration } = found;
  if (version === undefined || routerId === undefined || serverTime === undefined || lastReboot === undefined || lastReconfiguration === undefined) {
    throw unexpectedReply(what, 'a field is missing (version, router id, server time, last reboot or last reconfiguration)');
  }
  const server = parseBirdTime(serverTime, nowSeconds);
  return {
    version,
    routerId,
    serverTime: server,
    lastReboot: parseBirdTime(lastReboot, server),
    lastReconfiguration: parseBirdTime(lastReconfiguration, server),
    gracefulRestart,
    message: reply.code === 13 ? reply.text : 'Graceful restart recovery in progress',
  };
}
