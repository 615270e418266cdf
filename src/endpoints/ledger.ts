// The programmer's record of the kernel objects it created: its proof of ownership. The kernel
// marks only routes (the protocol number); neighbour and proxy entries, addresses and sysctls carry
// no mark, and a link alias can be copied by anyone. So the programmer deletes a neighbour, proxy
// or address, restores a sysctl, or deletes a link only when this record says it made it (for a
// link: with the alias it gave it). Calico's Felix keeps desired against dataplane state in memory
// (its deltatracker); this record is kept on disk too, so ownership survives a restart.
//
// The record is written ahead: a claim is saved before the change that creates the object, and
// dropped again when the change fails, so a crash in between can only leave a claim for an object
// that does not exist (pruned on the next pass), never an object of ours without a claim.
// A lost record makes the programmer leave its old objects in place: it never guesses.
import { constants, type BigIntStats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.ts';
import { BirdctlError } from '../errors.ts';
import { isProgrammerSysctlKey } from './sysctl-keys.ts';

/** The kinds of object the record tracks; routes are proven by their protocol number instead. */
export const LEDGER_TABLES = ['link', 'neighbour', 'proxy', 'link-address', 'container-address', 'sysctl'] as const;
export type LedgerTable = (typeof LEDGER_TABLES)[number];

/**
 * One claim: the key of an object of one table, and a note: for a link the alias it was given,
 * for a sysctl the value it had before the programmer first set it, otherwise empty.
 */
export interface Claim {
  table: LedgerTable;
  key: string;
  note: string;
}

/** The record of one node's programmer: claims by table and key. */
export class Ledger {
  private readonly tables = new Map<LedgerTable, Map<string, string>>(LEDGER_TABLES.map((t) => [t, new Map()]));
  /** Counts the changes that altered a claim: a store skips saving a record it already holds. */
  private changes = 0;

  get revision(): number {
    return this.changes;
  }

  /** The note of a claim, or undefined when the object is not claimed. */
  note(table: LedgerTable, key: string): string | undefined {
    return this.tables.get(table)!.get(key);
  }

  has(table: LedgerTable, key: string): boolean {
    return this.tables.get(table)!.has(key);
  }

  keys(table: LedgerTable): string[] {
    return [...this.tables.get(table)!.keys()];
  }

  claim(c: Claim): void {
    const table = this.tables.get(c.table)!;
    if (table.get(c.key) === c.note) return;
    table.set(c.key, c.note);
    this.changes += 1;
  }

  release(table: LedgerTable, key: string): void {
    if (this.tables.get(table)!.delete(key)) this.changes += 1;
  }

  /** An independent copy: the tables' Maps copied, not a JSON round trip (10,000 claims: 30 ms). */
  clone(): Ledger {
    const copy = new Ledger();
    for (const [table, entries] of this.tables) copy.tables.set(table, new Map(entries));
    return copy;
  }

  /**
   * The text of `JSON.stringify({ version: 1, tables }, null, 1)`, keys sorted by the default order
   * (UTF-16 code units, as `<` compares strings), written out directly: an object of 10,000 keys
   * built for JSON.stringify to walk cost as much again as the text (issue 13, written ahead of
   * every apply). Each key and note still goes through JSON.stringify, so the escaping is its own.
   */
  serialise(): string {
    const parts: string[] = [];
    for (const t of LEDGER_TABLES) {
      const entries = this.tables.get(t)!;
      const keys = [...entries.keys()].sort();
      const lines = keys.map((key) => `   ${JSON.stringify(key)}: ${JSON.stringify(entries.get(key)!)}`);
      parts.push(lines.length === 0 ? `  ${JSON.stringify(t)}: {}` : `  ${JSON.stringify(t)}: {\n${lines.join(',\n')}\n  }`);
    }
    return `{\n "version": 1,\n "tables": {\n${parts.join(',\n')}\n }\n}\n`;
  }

  static fromJSON(value: unknown, source: string): Ledger {
    const bad = (why: string) =>
      new BirdctlError('DATAPLANE', `ownership record ${source} is not valid: ${why}`, {
        hint: 'move it away to start a fresh record; objects recorded in it are then left in place, never deleted',
      });
    if (typeof value !== 'object' || value === null || (value as { version?: unknown }).version !== 1) throw bad('expected {"version": 1, "tables": {...}}');
    const tables = (value as { tables?: unknown }).tables;
    if (typeof tables !== 'object' || tables === null) throw bad('no tables');
    const ledger = new Ledger();
    for (const table of LEDGER_TABLES) {
      const entries = (tables as Record<string, unknown>)[table] ?? {};
      if (typeof entries !== 'object' || entries === null) throw bad(`table ${table} is not an object`);
      // Straight into the table's Map, without an entries array or a Claim per claim (a record of
      // 10,000 endpoints holds 20,000, read before every pass's diff).
      const claims = ledger.tables.get(table)!;
      for (const key of Object.keys(entries)) {
        const note = (entries as Record<string, unknown>)[key];
        if (typeof note !== 'string') throw bad(`${table} ${JSON.stringify(key).slice(0, 80)} has no string note`);
        // A claimed sysctl is read and written back by key: a key it never sets is not its claim.
        if (table === 'sysctl' && !isProgrammerSysctlKey(key)) throw bad(`sysctl key ${JSON.stringify(key).slice(0, 80)} is not one the endpoint programmer sets`);
        claims.set(key, note);
      }
    }
    return ledger;
  }
}

/** Where the record lives between passes. */
export interface LedgerStore {
  load(): Promise<Ledger>;
  save(ledger: Ledger): Promise<void>;
}

/** A record kept in memory: unit tests, and one-shot runs that want no file. */
export class MemoryLedgerStore implements LedgerStore {
  private saved = new Ledger();
  /** As FileLedgerStore's: a ledger unchanged since it was loaded or saved is not copied again. */
  private held: { ledger: Ledger; revision: number } | undefined;

  async load(): Promise<Ledger> {
    const ledger = this.saved.clone();
    this.held = { ledger, revision: ledger.revision };
    return ledger;
  }

  async save(ledger: Ledger): Promise<void> {
    if (this.held?.ledger === ledger && this.held.revision === ledger.revision) return;
    this.saved = ledger.clone();
    this.held = { ledger, revision: ledger.revision };
  }
}

/**
 * Upper bound on the record file: about 40 claims of under 120 bytes per endpoint for 15,000
 * endpoints is 72 MB; a larger file is not one this programmer wrote.
 */
const MAX_LEDGER_BYTES = 128 * 1024 * 1024;

/** Where the agent keeps its record: beside the bird6.conf it writes, so plan reads the same one. */
export function recordBesideConfig(configPath: string): string {
  return join(dirname(configPath), 'endpoints-owned.json');
}

/** Device, inode, size, modification and change times: any write or replacement changes it. */
function stampOf(s: BigIntStats): string {
  return `${s.dev} ${s.ino} ${s.size} ${s.mtimeNs} ${s.ctimeNs}`;
}

/** The record as a JSON file, replaced atomically (src/atomic-write.ts) on every change. */
export class FileLedgerStore implements LedgerStore {
  private lastSaved: string | undefined;
  /** The ledger last loaded or saved, and its revision then: unchanged since, it is not serialised again. */
  private held: { ledger: Ledger; revision: number } | undefined;
  /** The file's identity when this store last read or wrote it (stamp()). */
  private heldStamp: string | undefined;

  constructor(readonly path: string) {}

  /** The file's stampOf(), or undefined when there is none. */
  private async stamp(): Promise<string | undefined> {
    try {
      return stampOf(await stat(this.path, { bigint: true }));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async load(): Promise<Ledger> {
    // Every pass starts here, before its read of the kernel: a record unchanged since this store
    // held it (neither a pass that did not save nor another writer, `birdctl endpoints apply`,
    // changed it) is handed back after one stat instead of read and parsed again.
    if (this.held !== undefined && this.held.ledger.revision === this.held.revision && this.heldStamp !== undefined && (await this.stamp()) === this.heldStamp) {
      return this.held.ledger;
    }
    this.heldStamp = undefined;
    let text: string;
    let stamp: string;
    try {
      // O_NONBLOCK: opening a FIFO put in its place must not wait for a writer.
      const handle = await open(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        // Checked on the open file, so a FIFO or /dev/zero in its place is refused, not read.
        const info = await handle.stat({ bigint: true });
        if (!info.isFile() || info.size > BigInt(MAX_LEDGER_BYTES)) {
          throw new BirdctlError('DATAPLANE', `ownership record ${this.path} is not a regular file of at most ${MAX_LEDGER_BYTES} bytes`);
        }
        stamp = stampOf(info);
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Ledger();
      throw error;
    }
    // What a machine crash can leave of a save that was not flushed (see save()): the name, with
    // no data or zeros. It holds no claims, like a missing file, and no object it spoke of
    // outlived the crash.
    if (/^\0*$/.test(text)) {
      this.held = undefined;
      this.lastSaved = undefined;
      return new Ledger();
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const ledger = Ledger.fromJSON(json, this.path);
    // The file as read, not re-serialised: a record this store wrote is byte for byte what it
    // would write again, and one written otherwise is rewritten once on the next change.
    this.lastSaved = text;
    this.held = { ledger, revision: ledger.revision };
    this.heldStamp = stamp;
    return ledger;
  }

  async save(ledger: Ledger): Promise<void> {
    if (this.held?.ledger === ledger && this.held.revision === ledger.revision) return;
    const text = ledger.serialise();
    if (text !== this.lastSaved) {
      // Not flushed to disk (no fsync, which cost up to 60 ms in front of every apply on a
      // loaded host). The record is written ahead of the objects for a crash of the process: the
      // renamed file is in the page cache, so the next process reads it at once. A crash of the
      // machine takes every object the record speaks of along (links, addresses, routes,
      // neighbour and proxy entries, namespaces and sysctls live in the running kernel only), so
      // whatever part of the record survives it, no object of ours is left unclaimed: stale
      // claims are dropped as dead by the first pass, and an empty file reads as no claims (load).
      await writeFileAtomic(this.path, text, { durable: false });
      this.lastSaved = text;
      this.heldStamp = await this.stamp();
    }
    this.held = { ledger, revision: ledger.revision };
  }
}
