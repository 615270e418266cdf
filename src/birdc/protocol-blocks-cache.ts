// What the parse of each protocol's `show protocols all` detail block gave last time, for a caller
// that reads the same BIRD again and again (the session monitor). Most of 1,000 detail blocks are
// the same text from one poll to the next, so a block whose lines and protocol row both equal the
// remembered ones gives the remembered value again instead of being parsed: the same object, not a
// copy. The values are treated as read-only everywhere (peers.ts keeps them without copying too).
//
// An established session's block is never the same text twice: its `Hold timer:` and `Keepalive
// timer:` lines count down each second. Lines are therefore compared but for those two (same
// place, same field): a block whose only differences are there gives a fresh shallow copy of the
// remembered value with those timers read from the new lines (nothing else parsed), and the
// remembered value and lines stay as they were, to compare the next reply with.
//
// The protocol row (`show protocols all` prints each in a 1002 block before its details) is reused
// the same way: the remembered row when the protocol at the same place of the last reply had the
// same line, unless its `since` is a bare clock time and the reply's reference moved (it is placed
// on the day of each reply's own reference). Compared by place, a string compare per row, as a
// lookup of the row by its text cost as much as parsing it.
//
// Bounded: one entry per protocol of the last reply, keyed by name (and listed in the reply's
// order); a protocol the reply that just ended did not list is dropped. A line the framer cut out
// of a reply is, in V8, a slice that keeps the whole decoded chunk (up to 64 KiB) it came from
// alive, and so does every value parsed out of it: values kept from different polls would keep as
// many chunks. So a row is parsed from a copy of its line (a string of its own), and an entry keeps
// a reply's own detail lines only until the next reply (to compare with); once a block is seen
// unchanged, it is copied into a string of its own and parsed once more from that copy (detached),
// and that value is the one reused. The cache holds about one reply's text plus its unchanged blocks' copies, however old.
// A block that changed otherwise is left alone for a few polls (MAX_PAUSE), so blocks that change at
// every poll (their route counters, say) cost about what a plain parse does.
//
// Warnings: a reused block says again the warnings its parse said (recorded with the entry),
// so a poll's warnings are the same whether its blocks were parsed or reused.
import { placedByReference } from './bird-time.ts';
import type { ParseWarnings } from './parse-warnings.ts';
import type { ProtocolDetails, ProtocolRow } from './parse-protocols.ts';

/** Where a parse says what it could not read; ParseWarnings is one. */
export type WarningSink = Pick<ParseWarnings, 'add'>;

/** What the cache needs of the detail block parser (parse-protocols.ts gives it). */
export interface DetailsParser {
  /** The whole block. */
  parse(row: ProtocolRow, lines: string[], warnings: WarningSink): ProtocolDetails;
  /** Whether two lines at the same place of a block are the same hold or keepalive timer field (the lines that count down). */
  sameCountdownTimer(before: string, after: string): boolean;
  /** Where the value of such a timer line starts (past its key and colon: what may change); -1 for another line. */
  countdownValueStart(line: string): number;
  /** A fresh copy of `value` with the timers of `lines[at]` read again; null when the block must be parsed whole. */
  withCountdownTimers(value: ProtocolDetails, lines: readonly string[], at: readonly number[], warnings: WarningSink): ProtocolDetails | null;
}

interface Entry {
  /**
   * The block as last seen: the lines the reply gave when first seen or after a pause (a block that
   * changes at every poll is never copied); once seen unchanged, lines of a string of its own
   * (detached); none during a pause.
   */
  lines: string[];
  /** the detached lines joined by newlines, to compare a block with in one go; null while the lines are a reply's own */
  text: string | null;
  /**
   * `text` cut around the values of its countdown timer lines (at `timerAt`), once a block was seen
   * to differ from it there only: the next block is compared piece by piece (matchesAround).
   */
  around: string[] | null;
  timerAt: readonly number[];
  /** parsed from the detached lines once seen unchanged (see above); null until then */
  value: ProtocolDetails | null;
  /** kind, message, kind, message, ...; null when the parse said nothing */
  warnings: string[] | null;
  /** the reply that last listed it */
  generation: number;
  /** polls it is parsed without being compared or kept, after it changed (see MAX_PAUSE) */
  paused: number;
  /** how long the last pause was: doubled at each change, 0 once it is seen unchanged */
  pause: number;
  /** the protocol row's line as last parsed, a string of its own (detached); null until then */
  rowLine: string | null;
  /** parsed from rowLine */
  row: ProtocolRow | null;
  /** the reference its `since` was placed with (see row()) */
  rowReference: number;
  /** what the row's parse said, as `warnings` above */
  rowWarnings: string[] | null;
}

/** A row parsed from its own line since the last detail block, for details() to remember. */
interface ParsedRow {
  line: string;
  row: ProtocolRow;
  reference: number;
  warnings: string[] | null;
}

/**
 * A block that changed (other than its countdown timers) is left alone (parsed, neither compared nor
 * kept) for a pause that doubles at each change, up to this many polls. Keeping and comparing the
 * lines of 1,000 blocks that change at every poll cost more than parsing them (the monitor-poll
 * benchmark, every block changed: old-to-new pointers and lines kept past a scavenge); paused, such a block is compared about once in ten polls, and
 * one that stops changing is reused again within about ten.
 */
const MAX_PAUSE = 8;
const NO_LINES: string[] = [];

export class ProtocolBlocksCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private listed = 0;
  /** The entries in the order the last reply listed them, and this reply's so far (see row()). */
  private order: Entry[] = [];
  private nextOrder: Entry[] = [];
  private rowsSeen = 0;
  private parsedRow: ParsedRow | null = null;
  /** Detail blocks reused since the current reply started (for tests). */
  reused = 0;

  /** How many protocols are remembered. */
  get size(): number {
    return this.entries.size;
  }

  /** A new reply starts: one at a time per cache. */
  begin(): void {
    this.generation += 1;
    this.listed = 0;
    this.reused = 0;
    // A reply that failed half-way leaves a shorter order: it is only where to look first.
    if (this.nextOrder.length > 0) this.order = this.nextOrder;
    this.nextOrder = [];
    this.rowsSeen = 0;
    this.parsedRow = null;
  }

  /**
   * The protocol row of `line`: the remembered one when the protocol at the same place of the last
   * reply had this very line (and its \`since\` reads the same at `referenceSeconds`), else parsed by
   * `parse` from a copy of its own (kept by the details() that follows). Looked up by place, not by
   * name: a name is only known once the row is parsed, and the regex matches of 1,000 rows were a
   * tenth of a poll (the monitor-poll benchmark).
   */
  row(line: string, referenceSeconds: number, warnings: WarningSink, parse: (line: string, warnings: WarningSink) => ProtocolRow): ProtocolRow {
    const known = this.order[this.rowsSeen];
    this.rowsSeen += 1;
    if (known !== undefined && known.row !== null && known.rowLine === line && (known.rowReference === referenceSeconds || !placedByReference(known.row.sinceText))) {
      replay(known.rowWarnings, warnings);
      return known.row;
    }
    const own = detached([line]).text;
    const recorder = new RecordingSink(warnings);
    const row = parse(own, recorder);
    this.parsedRow = { line: own, row, reference: referenceSeconds, warnings: recorder.said };
    return row;
  }

  /**
   * The details of `row` from its detail block `lines`: remembered when both are as last time, the
   * remembered ones with new timers when only the countdown timer lines differ, else parsed.
   */
  details(row: ProtocolRow, lines: string[], warnings: WarningSink, parser: DetailsParser): ProtocolDetails {
    const parsed = this.parsedRow !== null && this.parsedRow.row === row ? this.parsedRow : null;
    this.parsedRow = null;
    const known = this.entries.get(row.name);
    if (known === undefined) {
      this.listed += 1;
      const entry: Entry = { lines, text: null, around: null, timerAt: SAME, value: null, warnings: null, generation: this.generation, paused: 0, pause: 0, rowLine: null, row: null, rowReference: 0, rowWarnings: null };
      remember(entry, parsed);
      this.nextOrder.push(entry);
      this.entries.set(row.name, entry);
      return parser.parse(row, lines, warnings);
    }
    remember(known, parsed);
    this.nextOrder.push(known);
    if (known.generation !== this.generation) this.listed += 1;
    known.generation = this.generation;
    if (known.paused > 0) {
      known.paused -= 1;
      if (known.paused === 0) keep(known, lines, null);
      return parser.parse(row, lines, warnings);
    }
    const timers = countdownTimersSince(known, lines, parser);
    if (timers === null) {
      // Updated in place: a changed block costs no new entry, no copy and keeps nothing parsed.
      known.pause = known.pause === 0 ? 1 : Math.min(known.pause * 2, MAX_PAUSE);
      known.paused = known.pause;
      keep(known, NO_LINES, null);
      known.value = null;
      return parser.parse(row, lines, warnings);
    }
    known.pause = 0;
    if (known.value !== null && sameRow(known.value, row)) {
      if (timers.length === 0) {
        this.reused += 1;
        replay(known.warnings, warnings);
        return known.value;
      }
      // The remembered value keeps the timers of the lines it was parsed from (compared with the
      // next reply again): a block that counts down never stops being reused. A block whose parse
      // said anything is parsed whole, so that its warnings come in the order of a parse.
      const timed = known.warnings === null ? parser.withCountdownTimers(known.value, lines, timers, warnings) : null;
      if (timed !== null) {
        this.reused += 1;
        return timed;
      }
      return parser.parse(row, lines, warnings);
    }
    if (known.value === null || timers.length > 0) {
      const own = detached(lines);
      keep(known, own.lines, own.text);
    }
    const recorder = new RecordingSink(warnings);
    known.value = parser.parse(row, known.lines, recorder);
    known.warnings = recorder.said;
    return known.value;
  }

  /** The reply has ended well: protocols it did not list are forgotten. */
  end(): void {
    this.order = this.nextOrder;
    this.nextOrder = [];
    if (this.listed === this.entries.size) return;
    for (const [name, entry] of this.entries) if (entry.generation !== this.generation) this.entries.delete(name);
  }
}

/** The row parsed from its own line for this entry's protocol, remembered for the next reply. */
function remember(entry: Entry, parsed: ParsedRow | null): void {
  if (parsed === null) return;
  entry.rowLine = parsed.line;
  entry.row = parsed.row;
  entry.rowReference = parsed.reference;
  entry.rowWarnings = parsed.warnings;
}

/**
 * The same lines as strings of their own, slices of one new string (Array.prototype.join writes a
 * new flat string when it joins two or more: hence the empty last element), not of the reply's
 * chunks; and that string but for its last newline, the lines joined.
 */
function detached(lines: readonly string[]): { lines: string[]; text: string } {
  const own = [...lines, ''].join('\n');
  return { lines: own.split('\n', lines.length), text: own.slice(0, -1) };
}

function keep(entry: Entry, lines: string[], text: string | null): void {
  entry.lines = lines;
  entry.text = text;
  entry.around = null;
  entry.timerAt = SAME;
}

/**
 * countdownTimersOnly of the entry's lines and `lines`, the whole block compared in one go where it
 * can be: joined, it is the entry's text (the same block) or that text but for the values of the
 * timer lines where it differed last time (an established session's block at every poll). A string
 * compare per line was most of reusing 1,000 blocks (the monitor-poll benchmark): each is a call
 * into the runtime, where a whole block is one. Lines never hold a newline (the framer cuts them at
 * newlines), so joined blocks are equal exactly when their lines are.
 */
function countdownTimersSince(known: Entry, lines: readonly string[], parser: DetailsParser): readonly number[] | null {
  if (known.text !== null && known.lines.length === lines.length) {
    const text = lines.join('\n');
    if (text === known.text) return SAME;
    if (known.around !== null && matchesAround(text, known.around)) return known.timerAt;
  }
  const timers = countdownTimersOnly(known.lines, lines, parser);
  if (timers !== null && timers.length > 0 && known.text !== null) {
    known.around = cutAround(known.lines, known.text, timers, parser);
    known.timerAt = timers;
  }
  return timers;
}

/**
 * `text` (the lines joined) cut at the start of each timer line's value and at the end of that line:
 * the pieces a block must have, in order, with anything but a newline between two of them.
 */
function cutAround(lines: readonly string[], text: string, timers: readonly number[], parser: DetailsParser): string[] | null {
  const pieces: string[] = [];
  let lineStart = 0;
  let pieceStart = 0;
  let next = 0;
  for (let i = 0; i < lines.length && next < timers.length; i += 1) {
    if (i === timers[next]) {
      const value = parser.countdownValueStart(lines[i]!);
      if (value < 0) return null;
      pieces.push(text.slice(pieceStart, lineStart + value));
      pieceStart = lineStart + lines[i]!.length;
      next += 1;
    }
    lineStart += lines[i]!.length + 1;
  }
  pieces.push(text.slice(pieceStart));
  return pieces;
}

/**
 * Whether `text` is the pieces of cutAround with a value of no newline after each but the last.
 * A slice and a string compare per piece, not startsWith: that compared character by character
 * and was slower than comparing every line.
 */
function matchesAround(text: string, pieces: readonly string[]): boolean {
  let at = 0;
  for (let k = 0; k < pieces.length; k += 1) {
    if (k > 0) {
      const newline = text.indexOf('\n', at);
      at = newline < 0 ? text.length : newline;
    }
    const piece = pieces[k]!;
    if (text.slice(at, at + piece.length) !== piece) return false;
    at += piece.length;
  }
  return at === text.length;
}

const SAME: readonly number[] = [];

/**
 * Where `b` differs from `a` when only countdown timer lines differ (none: the same lines), null
 * when the blocks differ otherwise (another line, or as many lines).
 */
function countdownTimersOnly(a: readonly string[], b: readonly string[], parser: DetailsParser): readonly number[] | null {
  if (a.length !== b.length) return null;
  let timers: number[] | undefined;
  for (let i = 0; i < a.length; i += 1) {
    if (a[i] === b[i]) continue;
    if (!parser.sameCountdownTimer(a[i]!, b[i]!)) return null;
    (timers ??= []).push(i);
  }
  return timers ?? SAME;
}

/** Passes every warning on and keeps it, to say again when the value is reused. */
class RecordingSink implements WarningSink {
  /** kind, message, kind, message, ...; null while nothing was said */
  said: string[] | null = null;

  constructor(private readonly warnings: WarningSink) {}

  add(kind: string, message: string): void {
    (this.said ??= []).push(kind, message);
    this.warnings.add(kind, message);
  }
}

function replay(said: string[] | null, warnings: WarningSink): void {
  if (said !== null) for (let i = 0; i < said.length; i += 2) warnings.add(said[i]!, said[i + 1]!);
}

function sameRow(a: ProtocolRow, b: ProtocolRow): boolean {
  return a.proto === b.proto && a.table === b.table && a.state === b.state && a.since === b.since && a.sinceText === b.sinceText && a.info === b.info;
}
