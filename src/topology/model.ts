// The validated, resolved topology that every other module reads. Derived values (router IDs,
// interface names) are filled in here once, so the renderer, the endpoint programmer and the lab
// can never disagree about them.
import { BirdctlError } from '../errors.ts';
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

/** The node, or the NODE_UNKNOWN error every command gives for a name the topology lacks. */
export function requireNode(topology: Topology, nodeName: string): NodeSpec {
  const node = findNode(topology, nodeName);
  if (node !== undefined) return node;
  throw new BirdctlError('NODE_UNKNOWN', `node ${JSON.stringify(nodeName)} is not in ${topology.source}`, {
    hint: `use one of: ${topology.nodes.map((n) => n.name).join(', ')}`,
  });
}

export function nodeAsNumber(topology: Topology, node: NodeSpec): number {
  return node.asNumber ?? topology.cluster.asNumber;
}
