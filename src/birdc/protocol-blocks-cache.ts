// What the parse of each protocol's `show protocols all` detail block gave last time, for a caller
// that reads the same BIRD again and again (the session monitor). Most of 1,000 detail blocks are
// the same text from one poll to the next, so a block whose lines and protocol row both equal the
// remembered ones gives the remembered value again instead of being parsed: the same object, not a
// copy. The values are treated as read-only everywhere (peers.ts keeps them without copying too).
//
// Bounded: one entry per protocol of the last reply, keyed by name; a protocol that has gone is
// dropped when the reply that no longer lists it ends. An entry keeps the lines of the latest reply
// (replaced at every hit), so the cache never holds more text than one reply.
//
// Warnings: a reused block says again the warnings its parse said (recorded with the entry), so a
// poll's warnings are the same whether its blocks were parsed or reused.
import type { ParseWarnings } from './parse-warnings.ts';
import type { ProtocolDetails, ProtocolRow } from './parse-protocols.ts';

/** Where a parse says what it could not read; ParseWarnings is one. */
export type WarningSink = Pick<ParseWarnings, 'add'>;

export type ParseDetails = (row: ProtocolRow, lines: string[], warnings: WarningSink) => ProtocolDetails;

interface Entry {
  lines: string[];
  details: ProtocolDetails;
  /** kind, message, kind, message, ...; null when the parse said nothing */
  warnings: string[] | null;
  /** the reply that last listed this protocol */
  generation: number;
}

export class ProtocolBlocksCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private listed = 0;
  /** Blocks reused from the start of the current reply (for tests and the benchmark). */
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
  }

  /** The details of `row` from its detail block `lines`: remembered when both are as last time, else parsed. */
  details(row: ProtocolRow, lines: string[], warnings: WarningSink, parse: ParseDetails): ProtocolDetails {
    const known = this.entries.get(row.name);
    if (known === undefined || known.generation !== this.generation) this.listed += 1;
    if (known !== undefined && sameRow(known.details, row) && sameLines(known.lines, lines)) {
      known.lines = lines;
      known.generation = this.generation;
      this.reused += 1;
      const said = known.warnings;
      if (said !== null) for (let i = 0; i < said.length; i += 2) warnings.add(said[i]!, said[i + 1]!);
      return known.details;
    }
    let said: string[] | null = null;
    const details = parse(row, lines, {
      add(kind, message) {
        (said ??= []).push(kind, message);
        warnings.add(kind, message);
      },
    });
    this.entries.set(row.name, { lines, details, warnings: said, generation: this.generation });
    return details;
  }

  /** The reply has ended well: protocols it did not list are forgotten. */
  end(): void {
    if (this.listed === this.entries.size) return;
    for (const [name, entry] of this.entries) if (entry.generation !== this.generation) this.entries.delete(name);
  }
}

function sameRow(a: ProtocolRow, b: ProtocolRow): boolean {
  return a.proto === b.proto && a.table === b.table && a.state === b.state && a.since === b.since && a.sinceText === b.sinceText && a.info === b.info;
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
