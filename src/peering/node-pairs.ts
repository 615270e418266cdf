// Which nodes of the cluster run a BGP session with each other: the node-to-node mesh joins
// every pair of nodes that are not route reflector clients, a client peers only with the
// reflectors of its cluster, and reflectors always peer with each other; and which nodes an
// explicit peer is bound to. The renderer writes these sessions (sessions.ts in this folder);
// the topology checks use the same rules to refuse a topology that would leave a node without any.
import type { NodeSpec, Peer, Topology } from '../topology/model.ts';

export type NodePeering = 'node-to-node mesh' | 'route reflector' | 'route reflector client';

type Roles = Pick<NodeSpec, 'routeReflector' | 'routeReflectorClient'>;

/** The kind of session between two nodes, seen from `self`, or undefined when they do not peer. */
export function nodePeering(topology: Pick<Topology, 'cluster'>, self: Roles, other: Roles): NodePeering | undefined {
  const selfClient = self.routeReflectorClient?.clusterId;
  const otherClient = other.routeReflectorClient?.clusterId;
  if (selfClient !== undefined) return other.routeReflector?.clusterId === selfClient ? 'route reflector' : undefined;
  if (otherClient !== undefined) return self.routeReflector?.clusterId === otherClient ? 'route reflector client' : undefined;
  // Neither is a client: the mesh joins them, and reflectors always peer with each other.
  if (topology.cluster.nodeToNodeMesh) return 'node-to-node mesh';
  return self.routeReflector && other.routeReflector ? 'route reflector' : undefined;
}

function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/**
 * The nodes that nodePeering pairs with no other node, in their order. Counted per role rather
 * than tried pair by pair, so a cluster of many thousand nodes is checked in linear time; the
 * tests hold it to the pairwise rule for every mix of roles.
 */
export function nodesWithoutNodeSessions<N extends Roles>(topology: Pick<Topology, 'cluster'> & { nodes: readonly N[] }): N[] {
  const { nodes } = topology;
  const mesh = topology.cluster.nodeToNodeMesh;
  const reflectorsOf = countBy(nodes, (n) => n.routeReflector?.clusterId);
  const clientsOf = countBy(nodes, (n) => n.routeReflectorClient?.clusterId);
  const nonClients = nodes.filter((n) => n.routeReflectorClient === undefined);
  const nonClientReflectors = nonClients.filter((n) => n.routeReflector !== undefined).length;
  return nodes.filter((n) => {
    const client = n.routeReflectorClient?.clusterId;
    if (client !== undefined) {
      // A reflector of its cluster other than itself.
      return (reflectorsOf.get(client) ?? 0) - (n.routeReflector?.clusterId === client ? 1 : 0) === 0;
    }
    const reflector = n.routeReflector?.clusterId;
    if (reflector !== undefined && clientsOf.has(reflector)) return false;
    if (mesh && nonClients.length > 1) return false;
    return !(reflector !== undefined && nonClientReflectors > 1);
  });
}

/** Whether `self` runs a session with this explicit peer: a peer without `node` peers with every node. */
export function peersWith(peer: Pick<Peer, 'node'>, self: Pick<NodeSpec, 'name'>): boolean {
  return peer.node === undefined || peer.node === self.name;
}
