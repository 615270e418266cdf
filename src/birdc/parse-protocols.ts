// `show protocols` and `show protocols all`. Real BIRD 1.6.8 replies
// (fixtures/bird-1.6.8/r1-show-protocols.txt and r1-show-protocols-all.txt):
//
//   2002-name     proto    table    state  since       info
//   1002-device1  Device   master   up     07:54:00
//    direct1  Direct   master   up     07:54:00
//    r2       BGP      master   up     07:54:04    Established
//   0000
//
// and with `all`, every row is its own 1002 block followed by a 1006 block of details:
//
//   1002-r2       BGP      master   up     07:54:04    Established
//   1006-  Preference:     100
//      Input filter:   ACCEPT
//      Output filter:  (unnamed)
//      Routes:         0 imported, 1 exported, 0 preferred
//      Route change stats:     received   rejected   filtered    ignored   accepted
//        Import updates:              0          0          0          0          0
//        Import withdraws:            0          0        ---          0          0
//        Export updates:             21          0          1        ---         20
//        Export withdraws:           19        ---        ---        ---         19
//      BGP state:          Established
//        Neighbor address: fd00:ec::2
//        Neighbor AS:      65000
//        Neighbor ID:      10.255.0.2
//        Neighbor caps:    refresh enhanced-refresh restart-aware llgr-aware AS4
//        Session:          internal AS4
//        Source address:   fd00:ec::1
//        Hold timer:       151/240
//        Keepalive timer:  19/80
//
//   0000
//
// A BGP session that is not up prints, instead of Neighbor ID..Keepalive timer, some of
// `Error wait: 3/5`, `Connect delay: 1/1`, `Restart timer: 90/-` and `Last error: Socket: Connection refused`.
//
// Strict framing, tolerant values: a code, block or heading this parser does not know is an error,
// but a value in another format (a `since` in another `timeformat`, a row or detail line indented
// more, a number or timer spelt otherwise, a field this BIRD leaves out) is null, with one warning
// per kind in the ParseWarnings the caller passes (fixtures monthday-*, isolong-*, defaultfmt-*).
import { SINCE_PATTERN, parseBirdTime } from './bird-time.ts';
import { ParseWarnings, quote, UnreadableValue } from './parse-warnings.ts';
import type { DetailsParser, ProtocolBlocksCache, WarningSink } from './protocol-blocks-cache.ts';
import { PROTOCOL_STATES, isBgpState, splitLastError, type BgpState, type LastError, type ProtocolState } from './protocol-states.ts';
import { unexpectedReply, type Reply, type ReplyBlock } from './reply.ts';

export interface ProtocolRow {
  name: string;
  /** `BGP`, `Kernel`, `Device`, `Direct`, `Static`, ... */
  proto: string;
  table: string;
  state: ProtocolState;
  /** epoch seconds of the last state change (see parseBirdTime for a bare date); null in an unknown format */
  since: number | null;
  /** as printed */
  sinceText: string;
  /** the info column, trimmed: `Established`, `Active        Socket: Connection refused`, '' */
  info: string;
}

/** One row of the route change statistics; null where BIRD prints `---`. */
export interface RouteChangeStats {
  received: number | null;
  rejected: number | null;
  filtered: number | null;
  ignored: number | null;
  accepted: number | null;
}

export interface Timer {
  remaining: number;
  /** null where BIRD prints `-` */
  total: number | null;
}

export interface BgpDetails {
  state: BgpState;
  /** null when BIRD printed none */
  neighborAddress: string | null;
  /** the `%eth0` of a link-local neighbour */
  neighborInterface: string | null;
  /** null when BIRD printed none or printed it unreadably */
  neighborAs: number | null;
  neighborId: string | null;
  neighborCaps: string[];
  /** `internal` or `external`, from `Session:` */
  sessionType: 'internal' | 'external' | null;
  /** the rest of `Session:`: `multihop`, `route-reflector`, `AS4`, ... */
  sessionFlags: string[];
  sourceAddress: string | null;
  holdTimer: Timer | null;
  keepaliveTimer: Timer | null;
  errorWait: Timer | null;
  connectDelay: Timer | null;
  restartTimer: Timer | null;
  gracefulRestartActive: boolean;
  lastError: LastError | null;
}

export interface ProtocolDetails extends ProtocolRow {
  description: string | null;
  preference: number | null;
  inputFilter: string | null;
  outputFilter: string | null;
  /** absent while the protocol is down */
  /** `preferred` is null for a pipe, which prints no such count */
  routes: { imported: number; filtered: number | null; exported: number; preferred: number | null } | null;
  importUpdates: RouteChangeStats | null;
  importWithdraws: RouteChangeStats | null;
  exportUpdates: RouteChangeStats | null;
  exportWithdraws: RouteChangeStats | null;
  /** for protocols of type BGP */
  bgp: BgpDetails | null;
  /** detail lines this parser has no field for (limits, router id, other protocols' info), by key */
  extra: Record<string, string>;
}

const HEADING = 'name proto table state since info';
const ROW = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S.*?)?\s*$/;
const SINCE_AND_INFO = new RegExp(String.raw`^(${SINCE_PATTERN})(?:\s+(.*))?$`);
const STATS_HEADING = 'received rejected filtered ignored accepted';
const DETAIL_KEY = /^[A-Za-z][A-Za-z ]*$/;
/** The statistics heading as BIRD 1.6.8 spaces it (proto_show_stats in nest/proto.c); other spacing is compared word by word. */
const STATS_HEADING_AS_PRINTED = 'received   rejected   filtered    ignored   accepted';

/** `show protocols`: one row per protocol. */
export function parseShowProtocols(reply: Reply, referenceSeconds: number, warnings?: ParseWarnings): ProtocolRow[] {
  const parser = new ProtocolsParser(referenceSeconds, false, warnings);
  for (const block of reply.blocks) parser.block(block);
  return parser.finish(reply);
}

/** `show protocols all`: rows with their details. */
export function parseShowProtocolsAll(reply: Reply, referenceSeconds: number, warnings?: ParseWarnings): ProtocolDetails[] {
  const parser = new ProtocolsParser(referenceSeconds, true, warnings);
  for (const block of reply.blocks) parser.block(block);
  return parser.finish(reply);
}

/**
 * The parser fed one block at a time, as the client receives them (BirdClient.command's onBlock),
 * so a large reply is parsed while BIRD is still writing it instead of after the last byte.
 */
export class ProtocolsParser<All extends boolean = true> {
  private readonly what: string;
  private readonly rows: ProtocolRow[] = [];
  private readonly details: ProtocolDetails[] = [];
  private seenHeading = false;

  constructor(
    private readonly referenceSeconds: number,
    private readonly all: All,
    /** where values this parser cannot read are said; default: a collector nobody reads */
    private readonly warnings: ParseWarnings = new ParseWarnings(),
    /** detail blocks remembered from the previous reply of the same BIRD (a poller's); none by default */
    private readonly cache?: ProtocolBlocksCache,
  ) {
    this.what = all ? '`show protocols all`' : '`show protocols`';
    cache?.begin();
  }

  block(block: ReplyBlock): void {
    const what = this.what;
    if (!this.seenHeading) {
      const headingText = block.lines.join(' ').trim().replace(/\s+/g, ' ');
      if (block.code !== 2002 || headingText !== HEADING) {
        throw unexpectedReply(what, `heading ${block.code} ${JSON.stringify(headingText)}, expected 2002 ${JSON.stringify(HEADING)}`);
      }
      this.seenHeading = true;
      return;
    }
    if (block.code === 1002) {
      this.checkDetailsComplete();
      for (const line of block.lines) {
        this.rows.push(this.cache === undefined || !this.all ? parseRow(line, this.referenceSeconds, what, this.warnings) : this.cache.row(line, this.referenceSeconds, this.warnings, this.parseRowOf));
      }
    } else if (block.code === 1006 && this.all) {
      const row = this.rows[this.details.length];
      if (row === undefined || this.details.length !== this.rows.length - 1) throw unexpectedReply(what, 'a detail block without its protocol row');
      this.details.push(this.cache === undefined ? parseDetails(row, block.lines, this.warnings) : this.cache.details(row, block.lines, this.warnings, DETAILS_PARSER));
    } else {
      throw unexpectedReply(what, `code ${block.code} ${JSON.stringify(block.lines[0])}`);
    }
  }

  /** Checks the end of the reply; call after every block was given to block(). */
  finish(reply: Reply): All extends true ? ProtocolDetails[] : ProtocolRow[] {
    if (reply.code !== 0) throw unexpectedReply(this.what, `final code ${reply.code} ${JSON.stringify(reply.text)}`);
    if (!this.seenHeading) throw unexpectedReply(this.what, 'no heading');
    this.checkDetailsComplete();
    this.cache?.end();
    return (this.all ? this.details : this.rows) as All extends true ? ProtocolDetails[] : ProtocolRow[];
  }

  /** parseRow of this reply, for the cache (which places `since` by the same reference and warns where told). */
  private readonly parseRowOf = (line: string, warnings: WarningSink): ProtocolRow => parseRow(line, this.referenceSeconds, this.what, warnings);

  private checkDetailsComplete(): void {
    if (this.all && this.details.length !== this.rows.length) {
      throw unexpectedReply(this.what, `protocol ${this.rows[this.details.length]!.name} has no detail block`);
    }
  }
}

function parseRow(line: string, referenceSeconds: number, what: string, warnings: WarningSink): ProtocolRow {
  const m = ROW.exec(line);
  if (m === null || m[5] === undefined) throw unexpectedReply(what, `row ${JSON.stringify(line)}`);
  const state = m[4]!;
  if (!(PROTOCOL_STATES as readonly string[]).includes(state)) throw unexpectedReply(what, `protocol state ${JSON.stringify(state)} in ${JSON.stringify(line)}`);
  const [sinceText, info] = splitSince(m[5], m[2]!);
  const since = parseBirdTime(sinceText, referenceSeconds);
  if (since === null) warnings.add('since', `${what}: \`since\` ${quote(sinceText)} (protocol ${quote(m[1]!)}) is in a time format bird6-controller cannot read; shown as null (timeformat protocol "%s" or iso long reads)`);
  return { name: m[1]!, proto: m[2]!, table: m[3]!, state: state as ProtocolState, since, sinceText, info };
}

/**
 * The `since` and info columns. A known time format is matched whole (`iso long` has a space in
 * it). An unknown one ends where a BGP row's info starts, at its BGP state (`Dec01 10:28  Established`),
 * or else after its first word.
 */
function splitSince(rest: string, proto: string): [string, string] {
  const known = SINCE_AND_INFO.exec(rest);
  if (known !== null) return [known[1]!, (known[2] ?? '').trim()];
  // Each word with where it ends, so the info is cut at the position of the last `since` word and
  // not at the first place its text occurs (`Dec 10 10`: the last `10` is also the second word).
  const words = [...rest.matchAll(/\S+/g)].map((m) => ({ text: m[0], end: m.index + m[0].length }));
  const state = proto === 'BGP' ? words.findIndex((w, i) => i > 0 && isBgpState(w.text)) : -1;
  const end = state > 0 ? state : 1;
  const sinceText = words.slice(0, end).map((w) => w.text).join(' ');
  return [sinceText, rest.slice(words[end - 1]!.end).trim()];
}

function detailsWhat(name: string): string {
  return `\`show protocols all\` (${name})`;
}

function parseDetails(row: ProtocolRow, lines: string[], warnings: WarningSink): ProtocolDetails {
  const what = detailsWhat(row.name);
  // Fields listed one by one, not `...row`: spreading into a literal this size made the parse of
  // 1,000 protocols twice as slow (measured by the monitor-poll benchmark).
  const details: ProtocolDetails = {
    name: row.name,
    proto: row.proto,
    table: row.table,
    state: row.state,
    since: row.since,
    sinceText: row.sinceText,
    info: row.info,
    description: null,
    preference: null,
    inputFilter: null,
    outputFilter: null,
    routes: null,
    importUpdates: null,
    importWithdraws: null,
    exportUpdates: null,
    exportWithdraws: null,
    bgp: null,
    extra: {},
  };
  const bgp: Partial<BgpDetails> & { neighborCaps: string[]; sessionFlags: string[] } = {
    neighborCaps: [],
    sessionFlags: [],
    gracefulRestartActive: false,
  };
  for (const line of lines) {
    // `  Key:   value`, split by position: one slice each for key and value, where trimming the line,
    // its key and its value and a regex test per line were a third of the cost of 14,000 detail
    // lines (the monitor-poll benchmark).
    const start = skipSpaces(line, 0);
    const end = endOfText(line, start);
    if (start === end) continue;
    const colon = line.indexOf(':', start);
    if (colon < 0 && line.slice(start, end) === 'Neighbor graceful restart active') {
      bgp.gracefulRestartActive = true;
      continue;
    }
    const key = colon < 0 ? '' : line.slice(start, endOfText(line, start, colon));
    const value = colon < 0 ? '' : line.slice(skipSpaces(line, colon + 1), end);
    try {
      switch (key) {
        case 'Description':
          details.description = value;
          break;
        case 'Preference':
          details.preference = integer(value, line);
          break;
        case 'Input filter':
          details.inputFilter = value;
          break;
        case 'Output filter':
          details.outputFilter = value;
          break;
        case 'Routes':
          details.routes = parseRoutes(value, line);
          break;
        case 'Route change stats':
          if (value !== STATS_HEADING_AS_PRINTED && value.replace(/\s+/g, ' ') !== STATS_HEADING) throw unexpectedReply(what, `statistics heading ${JSON.stringify(value)}`);
          break;
        case 'Import updates':
          details.importUpdates = parseStats(value, line);
          break;
        case 'Import withdraws':
          details.importWithdraws = parseStats(value, line);
          break;
        case 'Export updates':
          details.exportUpdates = parseStats(value, line);
          break;
        case 'Export withdraws':
          details.exportWithdraws = parseStats(value, line);
          break;
        case 'BGP state':
          if (!isBgpState(value)) throw unexpectedReply(what, `BGP state ${JSON.stringify(value)}`);
          bgp.state = value;
          break;
        case 'Neighbor address': {
          const percent = value.indexOf('%');
          bgp.neighborAddress = percent < 0 ? value : value.slice(0, percent);
          bgp.neighborInterface = percent < 0 ? null : value.slice(percent + 1);
          break;
        }
        case 'Neighbor AS':
          bgp.neighborAs = integer(value, line);
          break;
        case 'Neighbor ID':
          bgp.neighborId = value;
          break;
        case 'Neighbor caps':
          bgp.neighborCaps = value.split(/\s+/).filter(Boolean);
          break;
        case 'Session': {
          const [type, ...flags] = value.split(/\s+/).filter(Boolean);
          if (type !== 'internal' && type !== 'external') throw new UnreadableValue(`session type in ${quote(line.trim())}`);
          bgp.sessionType = type;
          bgp.sessionFlags = flags;
          break;
        }
        case 'Source address':
          bgp.sourceAddress = value;
          break;
        case 'Hold timer':
          bgp.holdTimer = parseTimer(value, line);
          break;
        case 'Keepalive timer':
          bgp.keepaliveTimer = parseTimer(value, line);
          break;
        case 'Error wait':
          bgp.errorWait = parseTimer(value, line);
          break;
        case 'Connect delay':
          bgp.connectDelay = parseTimer(value, line);
          break;
        case 'Restart timer':
          bgp.restartTimer = parseTimer(value, line);
          break;
        case 'Last error':
          bgp.lastError = splitLastError(value);
          break;
        default:
          // Checked only here, past the known keys: a regex per line was a twentieth of the parse.
          if (DETAIL_KEY.test(key)) details.extra[key] = value;
          else warnings.add('detail line', `${what}: detail line ${quote(line.slice(start, end))} is not \`Key: value\`; left out`);
      }
    } catch (error) {
      if (!(error instanceof UnreadableValue)) throw error;
      warnings.add(key, `${what}: ${error.message}; shown as null`);
    }
  }
  if (row.proto === 'BGP') {
    // The row's info column carries the BGP state too (bgp_get_status): a detail block without the
    // `BGP state:` line still has one, and a row whose info names none is not a BGP row at all.
    const state = bgp.state ?? splitBgpInfo(row).bgpState;
    for (const [field, label] of [['neighborAddress', 'Neighbor address'], ['neighborAs', 'Neighbor AS']] as const) {
      if (bgp[field] === undefined) warnings.add(label, `${what}: no \`${label}:\` line; shown as null`);
    }
    details.bgp = {
      state,
      neighborAddress: bgp.neighborAddress ?? null,
      neighborInterface: bgp.neighborInterface ?? null,
      neighborAs: bgp.neighborAs ?? null,
      neighborId: bgp.neighborId ?? null,
      neighborCaps: bgp.neighborCaps,
      sessionType: bgp.sessionType ?? null,
      sessionFlags: bgp.sessionFlags,
      sourceAddress: bgp.sourceAddress ?? null,
      holdTimer: bgp.holdTimer ?? null,
      keepaliveTimer: bgp.keepaliveTimer ?? null,
      errorWait: bgp.errorWait ?? null,
      connectDelay: bgp.connectDelay ?? null,
      restartTimer: bgp.restartTimer ?? null,
      gracefulRestartActive: bgp.gracefulRestartActive ?? false,
      lastError: bgp.lastError ?? null,
    };
  } else if (bgp.state !== undefined) {
    throw unexpectedReply(what, `BGP details on a ${row.proto} protocol`);
  }
  return details;
}

/**
 * The detail lines an established session changes at every poll: its hold and keepalive timers
 * count down each second (`Hold timer:       151/240` above). A block that differs from the one a
 * value was parsed from only in these lines is that value with the timers read again.
 */
const HOLD_TIMER = 'Hold timer';
const KEEPALIVE_TIMER = 'Keepalive timer';

/** Which countdown timer the key of a line is (its text from `start` to `colon`, spaces after it left out, as parseDetails splits keys); null for another key. */
function countdownField(line: string, start: number, colon: number): 'holdTimer' | 'keepaliveTimer' | null {
  const length = endOfText(line, start, colon) - start;
  if (length === HOLD_TIMER.length && line.startsWith(HOLD_TIMER, start)) return 'holdTimer';
  if (length === KEEPALIVE_TIMER.length && line.startsWith(KEEPALIVE_TIMER, start)) return 'keepaliveTimer';
  return null;
}

/** The colon after the key of a hold or keepalive timer line; -1 for another line. */
function countdownColon(line: string): number {
  const start = skipSpaces(line, 0);
  const colon = line.indexOf(':', start);
  return colon < 0 || countdownField(line, start, colon) === null ? -1 : colon;
}

/**
 * Whether two lines at the same place of a block are the same countdown timer: the same text up to
 * and with the colon, a hold or keepalive timer's. Compared character by character: this runs for
 * two lines of every established session's block at every poll, where slicing the keys cost.
 */
function sameCountdownTimer(before: string, after: string): boolean {
  const colon = countdownColon(before);
  if (colon < 0 || after.length <= colon) return false;
  for (let i = 0; i <= colon; i += 1) if (before.charCodeAt(i) !== after.charCodeAt(i)) return false;
  return true;
}

/**
 * `value` with its countdown timers read from `lines[at]` (lines sameCountdownTimer said are such
 * timers), as parseDetails reads them, an unreadable one null with the same warning; null for a
 * value without BGP details. A fresh shallow copy: a value handed out before is never changed
 * (callers keep them, see peers.ts).
 */
function withCountdownTimers(value: ProtocolDetails, lines: readonly string[], at: readonly number[], warnings: WarningSink): ProtocolDetails | null {
  // Timer lines in a block that is not a BGP protocol's are no BGP timers: parsed whole.
  const bgp = value.bgp;
  if (bgp === null) return null;
  let holdTimer = bgp.holdTimer;
  let keepaliveTimer = bgp.keepaliveTimer;
  for (const i of at) {
    const line = lines[i]!;
    const start = skipSpaces(line, 0);
    const colon = line.indexOf(':', start);
    const field = countdownField(line, start, colon);
    let timer = plainTimer(line, colon + 1);
    if (timer === null) {
      try {
        timer = parseTimer(line.slice(skipSpaces(line, colon + 1), endOfText(line, start)), line);
      } catch (error) {
        if (!(error instanceof UnreadableValue)) throw error;
        warnings.add(field === 'holdTimer' ? HOLD_TIMER : KEEPALIVE_TIMER, `${detailsWhat(value.name)}: ${error.message}; shown as null`);
      }
    }
    if (field === 'holdTimer') holdTimer = timer;
    else keepaliveTimer = timer;
  }
  return withTimers(value, bgp, holdTimer, keepaliveTimer);
}

/**
 * The timer after `from` in `line` as BIRD prints it (`   151/240`, spaces around it), read in
 * place; null for anything else (a `-` total, a sign, a long number, any other character), which
 * parseTimer reads or warns of. Reads what parseTimer reads from the same text: it ran for two lines
 * of each of 1,000 established blocks at every poll, where its slice and regex match were most of
 * the reuse of a block whose timers counted down (the monitor-poll benchmark).
 */
function plainTimer(line: string, from: number): Timer | null {
  let i = skipSpaces(line, from);
  const remaining = digitsAt(line, i);
  if (remaining < 0) return null;
  i = endOfDigits(line, i);
  if (line.charCodeAt(i) !== SLASH) return null;
  const total = digitsAt(line, i + 1);
  if (total < 0) return null;
  i = endOfDigits(line, i + 1);
  if (skipSpaces(line, i) !== line.length) return null;
  return { remaining, total };
}

const SLASH = 0x2f;
const DIGIT_0 = 0x30;
/** Digits read by hand at most: below 2^53, so the sum is what Number() of the text gives. */
const MAX_PLAIN_DIGITS = 15;

/** The number of the ASCII digits at `from` (1 to MAX_PLAIN_DIGITS of them), or -1. */
function digitsAt(text: string, from: number): number {
  let n = 0;
  let i = from;
  for (; i < text.length && i - from <= MAX_PLAIN_DIGITS; i += 1) {
    const digit = text.charCodeAt(i) - DIGIT_0;
    if (!(digit >= 0 && digit <= 9)) break;
    n = n * 10 + digit;
  }
  return i === from || i - from > MAX_PLAIN_DIGITS ? -1 : n;
}

function endOfDigits(text: string, from: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) - DIGIT_0 >= 0 && text.charCodeAt(i) - DIGIT_0 <= 9) i += 1;
  return i;
}

/**
 * A fresh copy of `value` and its BGP details with the two timers, the fields listed one by one
 * (as in parseDetails): spreading them cost as much as reading the timers.
 */
function withTimers(value: ProtocolDetails, bgp: BgpDetails, holdTimer: Timer | null, keepaliveTimer: Timer | null): ProtocolDetails {
  return {
    name: value.name,
    proto: value.proto,
    table: value.table,
    state: value.state,
    since: value.since,
    sinceText: value.sinceText,
    info: value.info,
    description: value.description,
    preference: value.preference,
    inputFilter: value.inputFilter,
    outputFilter: value.outputFilter,
    routes: value.routes,
    importUpdates: value.importUpdates,
    importWithdraws: value.importWithdraws,
    exportUpdates: value.exportUpdates,
    exportWithdraws: value.exportWithdraws,
    bgp: {
      state: bgp.state,
      neighborAddress: bgp.neighborAddress,
      neighborInterface: bgp.neighborInterface,
      neighborAs: bgp.neighborAs,
      neighborId: bgp.neighborId,
      neighborCaps: bgp.neighborCaps,
      sessionType: bgp.sessionType,
      sessionFlags: bgp.sessionFlags,
      sourceAddress: bgp.sourceAddress,
      holdTimer,
      keepaliveTimer,
      errorWait: bgp.errorWait,
      connectDelay: bgp.connectDelay,
      restartTimer: bgp.restartTimer,
      gracefulRestartActive: bgp.gracefulRestartActive,
      lastError: bgp.lastError,
    },
    extra: value.extra,
  };
}

/** Where the value of a hold or keepalive timer line starts: just past its colon; -1 for another line. */
function countdownValueStart(line: string): number {
  const colon = countdownColon(line);
  return colon < 0 ? -1 : colon + 1;
}

const DETAILS_PARSER: DetailsParser = { parse: parseDetails, sameCountdownTimer, countdownValueStart, withCountdownTimers };

/** Whitespace as String.prototype.trim and `\s` see it; BIRD prints spaces, so that case goes first. */
function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code > 0x7f && /\s/.test(String.fromCharCode(code)));
}

/** The index of the first non-space character of `text` at or after `from` (its length if none). */
function skipSpaces(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i += 1;
  return i;
}

/** The end of `text` before `to` without its trailing spaces, not before `start`. */
function endOfText(text: string, start: number, to = text.length): number {
  let end = to;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end -= 1;
  return end;
}

function integer(text: string, line: string): number {
  if (!/^\d+$/.test(text)) throw new UnreadableValue(`not a number in ${quote(line.trim())}`);
  return Number(text);
}

function parseRoutes(value: string, line: string): NonNullable<ProtocolDetails['routes']> {
  const m = /^(\d+) imported, (?:(\d+) filtered, )?(\d+) exported(?:, (\d+) preferred)?$/.exec(value);
  if (m === null) throw new UnreadableValue(`routes line ${quote(line.trim())}`);
  return { imported: Number(m[1]), filtered: m[2] === undefined ? null : Number(m[2]), exported: Number(m[3]), preferred: m[4] === undefined ? null : Number(m[4]) };
}

const STATS_ROW = /^(\d+|---)\s+(\d+|---)\s+(\d+|---)\s+(\d+|---)\s+(\d+|---)$/;

function cell(text: string): number | null {
  return text === '---' ? null : Number(text);
}

function parseStats(value: string, line: string): RouteChangeStats {
  const m = STATS_ROW.exec(value);
  if (m === null) throw new UnreadableValue(`statistics row ${quote(line.trim())}`);
  return { received: cell(m[1]!), rejected: cell(m[2]!), filtered: cell(m[3]!), ignored: cell(m[4]!), accepted: cell(m[5]!) };
}

function parseTimer(value: string, line: string): Timer {
  const m = /^(-?\d+)\/(\d+|-)$/.exec(value);
  if (m === null) throw new UnreadableValue(`timer ${quote(line.trim())}`);
  return { remaining: Number(m[1]), total: m[2] === '-' ? null : Number(m[2]) };
}

/**
 * The info column of a BGP row, split: `Active        Socket: Connection refused` ->
 * {bgpState: 'Active', lastError: {Socket, Connection refused}}. A down protocol prints only the
 * error (BIRD's bgp_get_status), so its state is `Down`.
 */
export function splitBgpInfo(row: Pick<ProtocolRow, 'state' | 'info'>): { bgpState: BgpState; lastError: LastError | null } {
  if (row.state === 'down') return { bgpState: 'Down', lastError: splitLastError(row.info) };
  const m = /^(\S+)\s*(.*)$/.exec(row.info);
  if (m === null || !isBgpState(m[1]!)) throw unexpectedReply('`show protocols`', `BGP info ${JSON.stringify(row.info)}`);
  return { bgpState: m[1] as BgpState, lastError: splitLastError(m[2]!) };
}
