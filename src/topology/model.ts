// The validated, resolved topology that every other module reads. Derived values (router IDs,
// interface names) are filled in here once, so the renderer, the endpoint programmer and the lab
// can never disagree about them.
import type { TopologyInput } from './schema.ts';

export type ClusterConfig = TopologyInput['cluster'];
export type IpPool = TopologyInput['ipPools'][number];
export type Peer = TopologyInput['peers'][number];
export type NodeSpec = TopologyInput['nodes'][number] & { routerId: string };
export type Endpoint = TopologyInput['endpoints'][number] & { interface: string };

export interface Topology {
  /** Where it was read from, for messages; `<inline>` when built in memory. */
  source: string;
  apiVersion: TopologyInput['apiVersion'];
  cluster: ClusterConfig;
  ipPools: IpPool[];
  nodes: NodeSpec[];
  peers: Peer[];
  endpoints: Endpoint[];
}

export function findNode(topology: Topology, nodeName: string): NodeSpec | undefined {
  return topology.nodes.find((n) => n.name === nodeName);
}

export function nodeAsNumber(topology: Topology, node: NodeSpec): number {
  return node.asNumber ?? topology.cluster.asNumber;
}
