// The one keyed desired-against-actual diff behind every table the programmer manages (routes,
// neighbour and proxy entries, addresses, sysctls), after Calico Felix's deltatracker: objects are
// matched by key; a desired object that is missing is added, one that differs is replaced, and an
// actual object nobody wants is deleted only when the table's ownership proof says it is ours.
// Everything else is foreign and left exactly as it is.
import type { Change, ChangeKind, Operation } from './dataplane.ts';
import type { Claim, Ledger, LedgerTable } from './ledger.ts';
import type { Owner } from './owner.ts';

/** How one table is keyed, compared, written and proven ours. */
export interface TableSpec<T> {
  /** The ledger table holding its claims; undefined when ownership is proven another way. */
  ledgerTable?: LedgerTable;
  key(o: T): string;
  /** The actual object already is the desired one. */
  satisfies(actual: T, desired: T): boolean;
  put(desired: T): Operation;
  /** What undoes an object of ours; undefined when there is nothing left to undo. */
  remove(actual: T, note: string | undefined): Operation | undefined;
  /** Proof beyond the ledger that an actual object is the programmer's (routes: pool and protocol). */
  owned?(actual: T): boolean;
  /** The claim note for a desired object written over `actual` (sysctls keep what was there). */
  note?(desired: T, actual: T | undefined, previous: string | undefined): string;
}

export interface Wanted<T> {
  value: T;
  owner: Owner;
}

/** Collects the changes of a plan and counts the objects already right. */
export class PlanBuilder {
  readonly changes: Change[] = [];
  /** Claims to drop without a change: their object is gone, or there is nothing to undo. */
  readonly releases: Array<{ table: LedgerTable; key: string }> = [];
  unchanged = 0;

  constructor(readonly ledger: Ledger) {}

  add(kind: ChangeKind, owner: Owner, operation: Operation, claim?: Claim): void {
    this.changes.push(claim === undefined ? { kind, owner, operation } : { kind, owner, operation, claim });
  }
}

export interface TableContext<T> {
  /** Keys left exactly as they are (a pending endpoint's, or on a link being deleted). */
  keep(key: string, actual: T): boolean;
  /** Who a deletion is charged to: an endpoint still present, or the leftovers of one gone. */
  ownerOf(actual: T): Owner;
}

/** Plans one table: adds, replacements, and deletions of what is provably ours. */
export function planTable<T>(plan: PlanBuilder, spec: TableSpec<T>, wanted: readonly Wanted<T>[], actual: readonly T[], context: TableContext<T>): void {
  // Each object's key is built once and the same string used for every lookup after: a key built
  // anew is a new string to hash each time, and a table holds 10,000 of them (issue 13).
  const desired = new Map<string, Wanted<T>>();
  for (const w of wanted) {
    const key = spec.key(w.value);
    if (!desired.has(key)) desired.set(key, w);
  }
  const claim = (key: string, w: Wanted<T>, a: T | undefined): Claim | undefined => {
    if (spec.ledgerTable === undefined) return undefined;
    const previous = plan.ledger.note(spec.ledgerTable, key);
    return { table: spec.ledgerTable, key, note: spec.note?.(w.value, a, previous) ?? '' };
  };
  const ours = (key: string, a: T) => (spec.owned?.(a) ?? true) && (spec.ledgerTable === undefined || plan.ledger.has(spec.ledgerTable, key));

  for (const a of actual) {
    const key = spec.key(a);
    if (context.keep(key, a)) continue;
    const w = desired.get(key);
    if (w !== undefined) {
      // Matched, and out of the map: a second actual object under the key is a duplicate, ours to
      // delete as any unwanted one; what stays in the map at the end is missing.
      desired.delete(key);
      if (spec.satisfies(a, w.value)) plan.unchanged += 1;
      else plan.add('replace', w.owner, spec.put(w.value), claim(key, w, a));
    } else if (ours(key, a)) {
      const note = spec.ledgerTable === undefined ? undefined : plan.ledger.note(spec.ledgerTable, key);
      const operation = spec.remove(a, note);
      const release = spec.ledgerTable === undefined ? undefined : { table: spec.ledgerTable, key, note: note ?? '' };
      if (operation !== undefined) plan.add('delete', context.ownerOf(a), operation, release);
      else if (release !== undefined) plan.releases.push({ table: release.table, key });
    }
  }
  // forEach, not for-of over entries: no [key, value] array per entry (10,000 per table from empty).
  desired.forEach((w, key) => plan.add('add', w.owner, spec.put(w.value), claim(key, w, undefined)));
}
