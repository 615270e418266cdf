// One reconcile pass: find the uplink, build the desired state, read the actual state, diff,
// apply, and summarise. Every pass is a full resync (nothing is remembered between passes), so a
// pass after a failure or after someone changed the kernel by hand repairs whatever is off.
import { requireNode, type Topology } from '../topology/index.ts';
import type { ChangeKind, Dataplane } from './dataplane.ts';
import { desiredState, readScope } from './desired.ts';
import { diff, type EndpointNote } from './diff.ts';

export interface ReconcileOptions {
  dataplane: Dataplane;
  topology: Topology;
  nodeName: string;
  /** The interface for proxy NDP entries; default: the one carrying the node's address. */
  uplink?: string;
}

export interface EndpointFailure {
  endpoint: string;
  reasons: string[];
}

export interface ReconcileSummary {
  node: string;
  endpoints: number;
  uplink: string | undefined;
  added: number;
  replaced: number;
  removed: number;
  unchanged: number;
  pending: EndpointNote[];
  failed: EndpointFailure[];
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileSummary> {
  const { dataplane, topology, nodeName } = options;
  const node = requireNode(topology, nodeName);
  const uplink = options.uplink ?? (await dataplane.interfaceWithAddress(node.address));
  const desired = desiredState(topology, nodeName, uplink === undefined ? {} : { uplink });
  const actual = await dataplane.read(readScope(desired));
  const plan = diff(desired, actual);
  const failures = await dataplane.apply(plan.changes);

  const failedChanges = new Set(failures.map((f) => f.change));
  const count = (kind: ChangeKind) => plan.changes.filter((c) => c.kind === kind && !failedChanges.has(c)).length;
  const failed = new Map<string, string[]>();
  for (const b of plan.blocked) failed.set(b.endpoint, [b.reason]);
  for (const f of failures) failed.set(f.change.owner, [...(failed.get(f.change.owner) ?? []), f.reason]);
  return {
    node: nodeName,
    endpoints: desired.endpoints.length,
    uplink,
    added: count('add'),
    replaced: count('replace'),
    removed: count('delete'),
    unchanged: plan.unchanged,
    pending: plan.pending,
    failed: [...failed].map(([endpoint, reasons]) => ({ endpoint, reasons })),
  };
}

/** True when the pass changed nothing in the kernel and nothing is left to do. */
export function isNoop(s: ReconcileSummary): boolean {
  return s.added + s.replaced + s.removed === 0 && s.failed.length === 0;
}

export function formatSummary(s: ReconcileSummary): string {
  const lines = [`node ${s.node}: ${s.endpoints} endpoint${s.endpoints === 1 ? '' : 's'}`];
  if (s.uplink === undefined) lines.push('uplink: none carries the node address, so no proxy NDP entries are programmed');
  else lines.push(`uplink: ${s.uplink}`);
  if (isNoop(s)) lines.push(`nothing to change: ${s.unchanged} objects already as desired`);
  else lines.push(`added ${s.added}, replaced ${s.replaced}, removed ${s.removed}, unchanged ${s.unchanged}`);
  for (const p of s.pending) lines.push(`pending ${p.endpoint}: ${p.reason}`);
  for (const f of s.failed) for (const reason of f.reasons) lines.push(`failed ${f.endpoint}: ${reason}`);
  return `${lines.join('\n')}\n`;
}
