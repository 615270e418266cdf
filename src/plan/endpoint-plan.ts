// What an endpoints apply would do on this node, without doing it: the first half of a reconcile
// pass (planPass in src/endpoints/reconcile.ts: desired state, the real kernel read through the
// dataplane, the ownership record read, never written, and the diff), described. Only the read
// half of the Dataplane and the load half of the LedgerStore are taken, so this module cannot
// change anything.
import { describeOperation, type ChangeKind } from '../endpoints/dataplane.ts';
import type { EndpointNote } from '../endpoints/diff.ts';
import { ownerLabel } from '../endpoints/owner.ts';
import { planPass, type PlanPassOptions } from '../endpoints/reconcile.ts';

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

export async function planEndpoints(options: PlanPassOptions): Promise<EndpointPlan> {
  const { uplink, plan } = await planPass(options);
  return {
    uplink,
    changes: plan.changes.map((c) => ({ kind: c.kind, owner: ownerLabel(c.owner), object: describeOperation(c.operation) })),
    unchanged: plan.unchanged,
    pending: plan.pending,
    blocked: plan.blocked,
  };
}
