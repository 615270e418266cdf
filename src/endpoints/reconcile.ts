// One reconcile pass: read the programmer's record of what it made and the actual state, find the
// uplink, build the desired state, diff, apply, and summarise. Every pass resyncs the host
// namespace in full (only ownership is remembered between passes), so a pass after a failure or
// after someone changed the kernel by hand repairs whatever is off there; a pass given settled
// endpoints leaves their container namespaces to the next full pass (ReconcileOptions).
import { INTERFACE_RE, requireNode, type Topology } from '../topology/index.ts';
import { parseIPv6 } from '../topology/ipv6.ts';
import type { Change, ChangeKind, Dataplane } from './dataplane.ts';
import { desiredState, nodeSysctls, readScope } from './desired.ts';
import { diff, type EndpointNote, type Plan } from './diff.ts';
import type { Ledger, LedgerStore } from './ledger.ts';
import type { ActualState, DesiredState, ReadScope } from './model.ts';
import { ownerKey, ownerLabel, type Owner } from './owner.ts';

export interface ReconcileOptions {
  dataplane: Dataplane;
  topology: Topology;
  nodeName: string;
  /** The programmer's record of the objects it made: its only proof of owning most of them. */
  ledger: LedgerStore;
  /** The interface for proxy NDP entries; default: the one carrying the node's address. */
  uplink?: string;
  /**
   * Endpoints whose container side the caller knows the last pass programmed as the topology
   * still has them (a topology-change pass, endpoint-loop.ts): their namespaces are not looked
   * inside, and whatever is in them is left as it is. Absent: a full pass reads every one.
   */
  settledEndpoints?: ReadonlySet<string>;
}

/** What planning a pass needs: only the read half of the dataplane and the load half of the record. */
export interface PlanPassOptions extends Omit<ReconcileOptions, 'dataplane' | 'ledger'> {
  dataplane: Pick<Dataplane, 'read'>;
  ledger: Pick<LedgerStore, 'load'>;
}

export interface PassPlan {
  uplink: string | undefined;
  /** the interface carrying the node address when its name ruled it out as the uplink */
  unusableUplink?: string;
  desired: DesiredState;
  /** The record as loaded; the pass updates it as it applies. */
  ledger: Ledger;
  plan: Plan;
}

/** The host link carrying this address, with whatever prefix length, or undefined. */
function linkWithAddress(links: ActualState['links'], address: string): string | undefined {
  const wanted = parseIPv6(address);
  return [...links.values()].find((l) => l.addresses.some((a) => parseIPv6(a.split('/')[0]!) === wanted))?.name;
}

/**
 * The first half of every pass, changing nothing: load the record, read the kernel, find the
 * uplink, build the desired state and diff. `birdctl plan` (src/plan/endpoint-plan.ts) stops
 * here, so what it shows is what a pass would do.
 */
export async function planPass(options: PlanPassOptions): Promise<PassPlan> {
  const { dataplane, topology, nodeName } = options;
  const node = requireNode(topology, nodeName);
  const ledger = await options.ledger.load();
  // The node's interface (the default uplink) is found in the host read rather than by a process
  // of its own before it. A kernel name outside the topology's interface rule (Linux allows
  // `_uplink`) is never taken as the uplink: its proxy_ndp claim would make the next load refuse
  // the ownership record (ledger.ts), and the name would reach sysctl's argv unchecked. The
  // summary says why.
  const uplinkOf = (links: ActualState['links']) => {
    const nodeInterface = linkWithAddress(links, node.address);
    const uplink = options.uplink ?? (nodeInterface !== undefined && INTERFACE_RE.test(nodeInterface) ? nodeInterface : undefined);
    return { nodeInterface, uplink };
  };
  const firstGuess = desiredState(topology, nodeName, options.uplink === undefined ? {} : { uplink: options.uplink });
  const scope: ReadScope = {
    ...readScope(firstGuess, ledger, options.settledEndpoints),
    // The uplink's proxy_ndp, which the record claims from the first pass on: its value before
    // the first write is what a claim keeps (diff.ts), so it is read, not assumed.
    linkSysctlKeys: (links) => nodeSysctls(uplinkOf(links).uplink).map((s) => s.key),
  };
  const actual = await dataplane.read(scope);
  const { nodeInterface, uplink } = uplinkOf(actual.links);
  const desired = desiredState(topology, nodeName, { ...(uplink === undefined ? {} : { uplink }), ...(nodeInterface === undefined ? {} : { nodeInterface }) });
  const plan = diff(desired, actual, ledger);
  const unusable = options.uplink === undefined && uplink === undefined && nodeInterface !== undefined ? { unusableUplink: nodeInterface } : {};
  return { uplink, ...unusable, desired, ledger, plan };
}

export interface OwnerFailure {
  owner: Owner;
  reasons: string[];
}

export interface ReconcileSummary {
  node: string;
  endpoints: number;
  uplink: string | undefined;
  /** as PassPlan.unusableUplink */
  unusableUplink?: string;
  added: number;
  replaced: number;
  removed: number;
  unchanged: number;
  pending: EndpointNote[];
  /** Blocked endpoints and owners with failed changes. */
  failed: OwnerFailure[];
}

/**
 * Writes the claims of a plan's creations before they are applied (so a crash cannot leave an
 * object of ours unclaimed), and returns a function that settles the record after the apply:
 * a failed or skipped creation gets its claim back as it was, a done deletion loses it.
 */
function claimAhead(ledger: Ledger, changes: readonly Change[]): (notDone: ReadonlySet<Change>) => void {
  // The creations and the notes they overwrite, taken before any is written (two changes may
  // share a key); side by side in arrays rather than a Map keyed by change (20,000 from empty).
  const creations: Change[] = [];
  const before: Array<string | undefined> = [];
  for (const c of changes) {
    if (c.claim === undefined || c.kind === 'delete') continue;
    creations.push(c);
    before.push(ledger.note(c.claim.table, c.claim.key));
  }
  for (const c of creations) ledger.claim(c.claim!);
  return (notDone) => {
    // In the plan's order, as the changes were made; `creations` is in the same order.
    let i = 0;
    for (const c of changes) {
      if (c.claim === undefined) continue;
      const { table, key } = c.claim;
      if (c.kind === 'delete') {
        if (!notDone.has(c)) ledger.release(table, key);
        continue;
      }
      const note = before[i];
      i += 1;
      if (!notDone.has(c)) continue;
      if (note === undefined) ledger.release(table, key);
      else ledger.claim({ table, key, note });
    }
  };
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileSummary> {
  const { uplink, unusableUplink, desired, ledger, plan } = await planPass(options);
  for (const r of plan.releases) ledger.release(r.table, r.key);
  const settle = claimAhead(ledger, plan.changes);
  await options.ledger.save(ledger);
  const outcome = await options.dataplane.apply(plan.changes);
  const notDone = new Set([...outcome.failures.map((f) => f.change), ...outcome.skipped]);
  settle(notDone);
  await options.ledger.save(ledger);

  // Counted in one loop over the changes (20,000 from empty), not one filter per kind.
  const done: Record<ChangeKind, number> = { add: 0, replace: 0, delete: 0 };
  for (const c of plan.changes) if (notDone.size === 0 || !notDone.has(c)) done[c.kind] += 1;
  const failed = new Map<string, OwnerFailure>();
  const charge = (owner: Owner, reason: string) => {
    const entry = failed.get(ownerKey(owner)) ?? { owner, reasons: [] };
    entry.reasons.push(reason);
    failed.set(ownerKey(owner), entry);
  };
  for (const b of plan.blocked) charge({ kind: 'endpoint', name: b.endpoint }, b.reason);
  for (const f of outcome.failures) charge(f.change.owner, f.reason);
  return {
    node: options.nodeName,
    endpoints: desired.endpoints.length,
    uplink,
    ...(unusableUplink === undefined ? {} : { unusableUplink }),
    added: done.add,
    replaced: done.replace,
    removed: done.delete,
    unchanged: plan.unchanged,
    pending: plan.pending,
    failed: [...failed.values()],
  };
}

/** True when the pass changed nothing in the kernel and nothing is left to do. */
export function isNoop(s: ReconcileSummary): boolean {
  return s.added + s.replaced + s.removed === 0 && s.failed.length === 0;
}

/** The failure of one endpoint, if any. */
export function endpointFailure(s: ReconcileSummary, endpoint: string): OwnerFailure | undefined {
  return s.failed.find((f) => f.owner.kind === 'endpoint' && f.owner.name === endpoint);
}

export function formatSummary(s: ReconcileSummary): string {
  const lines = [`node ${s.node}: ${s.endpoints} endpoint${s.endpoints === 1 ? '' : 's'}`];
  if (s.unusableUplink !== undefined) {
    lines.push(`uplink: the node address is on ${JSON.stringify(s.unusableUplink)}, a name outside the interface rule (pass --uplink, or rename it), so no proxy NDP entries are programmed`);
  } else if (s.uplink === undefined) lines.push('uplink: none carries the node address, so no proxy NDP entries are programmed');
  else lines.push(`uplink: ${s.uplink}`);
  if (isNoop(s)) lines.push(`nothing to change: ${s.unchanged} objects already as desired`);
  else lines.push(`added ${s.added}, replaced ${s.replaced}, removed ${s.removed}, unchanged ${s.unchanged}`);
  for (const p of s.pending) lines.push(`pending ${p.endpoint}: ${p.reason}`);
  for (const f of s.failed) for (const reason of f.reasons) lines.push(`failed ${ownerLabel(f.owner)}: ${reason}`);
  return `${lines.join('\n')}\n`;
}
