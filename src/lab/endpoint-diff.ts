// What the lab must do so that its stand-ins for the topology's endpoints (a container's namespace,
// a VM's namespace and tap) match the file, as a diff of the file against state.json. Pure: the
// orchestrator (orchestrator.ts) carries it out. Only what state.json records is ever removed.
import type { Endpoint, Topology } from '../topology/index.ts';
import { containerPlan, vmPlan, type ContainerPlan, type LabOptions, type VmPlan } from './plan.ts';
import type { LabEndpointRecord, LabState } from './state.ts';

export interface LabEndpointDiff {
  /**
   * Namespaces the lab made (in state.json) that neither a node, the switch nor a recorded
   * endpoint claims: left by a crash between making one and recording its endpoint. Removed first.
   */
  debris: string[];
  /** recorded endpoints that left the file or changed (a changed one is also in the adds) */
  remove: LabEndpointRecord[];
  addContainers: ContainerPlan[];
  addVms: VmPlan[];
  /** endpoints of the file the lab cannot stand in for, with why (the agent reports them pending) */
  skipped: Array<{ endpoint: string; reason: string }>;
}

/** The record an endpoint of the file would have once the lab has made its stand-in. */
export function endpointRecord(e: Endpoint, options: LabOptions): LabEndpointRecord {
  if (e.kind === 'container') return { name: e.name, node: e.node, kind: 'container', netns: e.netns! };
  return { name: e.name, node: e.node, kind: 'vm', netns: vmPlan(e, options).netns, tap: e.interface, mac: e.mac! };
}

function sameRecord(a: LabEndpointRecord, b: LabEndpointRecord): boolean {
  return a.name === b.name && a.node === b.node && a.kind === b.kind && a.netns === b.netns && a.tap === b.tap && a.mac === b.mac;
}

/** Why the lab cannot make this endpoint's stand-in, or undefined when it can. */
function unsupported(e: Endpoint, state: LabState, reserved: ReadonlySet<string>): string | undefined {
  if (!state.nodes.some((n) => n.name === e.node)) {
    return `node ${e.node} is not one of the lab's nodes (the lab adds no nodes while it runs: lab down, then lab up)`;
  }
  if (e.kind === 'container' && e.netns === undefined) return 'a container endpoint needs a netns for the lab to create';
  if (e.kind === 'container' && reserved.has(e.netns!)) return `netns ${e.netns} is one of the lab's own node or switch namespaces`;
  if (e.kind === 'vm' && e.mac === undefined) return 'a VM endpoint needs a mac for its tap';
  return undefined;
}

export function diffLabEndpoints(topology: Topology, state: LabState, options: LabOptions): LabEndpointDiff {
  const reserved = new Set([`${options.prefix}--switch`, ...state.nodes.map((n) => n.netns)]);
  const skipped: LabEndpointDiff['skipped'] = [];
  const wanted = new Map<string, { endpoint: Endpoint; record: LabEndpointRecord }>();
  const netnsTaken = new Set<string>();
  for (const e of topology.endpoints) {
    const reason = unsupported(e, state, reserved);
    if (reason !== undefined) {
      skipped.push({ endpoint: e.name, reason });
      continue;
    }
    const record = endpointRecord(e, options);
    // The topology's checks keep netns names apart; this only guards the lab's own invariant.
    if (netnsTaken.has(record.netns)) {
      skipped.push({ endpoint: e.name, reason: `netns ${record.netns} is already another endpoint's` });
      continue;
    }
    netnsTaken.add(record.netns);
    wanted.set(e.name, { endpoint: e, record });
  }

  const remove = state.endpoints.filter((r) => {
    const w = wanted.get(r.name);
    return w === undefined || !sameRecord(w.record, r);
  });
  const kept = new Set(state.endpoints.filter((r) => !remove.includes(r)).map((r) => r.name));
  const adds = [...wanted.values()].filter((w) => !kept.has(w.endpoint.name)).map((w) => w.endpoint);

  const claimed = new Set([...reserved, ...state.endpoints.map((r) => r.netns)]);
  return {
    debris: state.namespaces.filter((ns) => !claimed.has(ns)),
    remove,
    addContainers: adds.filter((e) => e.kind === 'container').map(containerPlan),
    addVms: adds.filter((e) => e.kind === 'vm').map((e) => vmPlan(e, options)),
    skipped,
  };
}

export function isEmptyDiff(d: LabEndpointDiff): boolean {
  return d.debris.length + d.remove.length + d.addContainers.length + d.addVms.length === 0;
}
