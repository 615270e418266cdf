// What an endpoints apply would do on this node, without doing it: the desired state, the real
// kernel read through the dataplane, the ownership record read (never written) and the same pure
// diff the reconciler applies (src/endpoints/reconcile.ts). Only the read half of the Dataplane
// and the load half of the LedgerStore are taken, so this module cannot change anything.
import type { Dataplane } from '../endpoints/dataplane.ts';
import { describeOperation, type ChangeKind } from '../endpoints/dataplane.ts';
import { desiredState, readScope } from '../endpoints/desired.ts';
import { diff, type EndpointNote } from '../endpoints/diff.ts';
import type { LedgerStore } from '../endpoints/ledger.ts';
import { ownerLabel } from '../endpoints/owner.ts';
import { requireNode, type Topology } from '../topology/index.ts';

export interface EndpointObjectChange {
  kind: ChangeKind;
  /** `web-1`, `node`, `leftover of web-0`: whom the object is for */
  owner: string;
  /** `route fd00:10::10/128 dev cali-web-1` */
  object: string;
}

export interface EndpointPlan {
  uplink: string | undefined;
  changes: EndpointObjectChange[];
  unchanged: number;
  pending: EndpointNote[];
  blocked: EndpointNote[];
}

export interface EndpointPlanOptions {
  dataplane: Pick<Dataplane, 'interfaceWithAddress' | 'read'>;
  ledger: Pick<LedgerStore, 'load'>;
  topology: Topology;
  nodeName: string;
}

export async function planEndpoints(options: EndpointPlanOptions): Promise<EndpointPlan> {
  const { dataplane, topology, nodeName } = options;
  const node = requireNode(topology, nodeName);
  const uplink = await dataplane.interfaceWithAddress(node.address);
  const desired = desiredState(topology, nodeName, uplink === undefined ? {} : { uplink, nodeInterface: uplink });
  const ledger = await options.ledger.load();
  const plan = diff(desired, await dataplane.read(readScope(desired, ledger)), ledger);
  return {
    uplink,
    changes: plan.changes.map((c) => ({ kind: c.kind, owner: ownerLabel(c.owner), object: describeOperation(c.operation) })),
    unchanged: plan.unchanged,
    pending: plan.pending,
    blocked: plan.blocked,
  };
}
