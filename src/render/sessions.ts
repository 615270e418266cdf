// Who peers with whom. From the topology and one node, the BGP sessions that node must run:
// the node-to-node mesh, route-reflector sessions and explicit peers. Pure and independent of the
// template, so the rules can be tested without reading configuration text.
import { compareIPv6Groups, parseIPv6Groups } from '../topology/ipv6.ts';
import { nodeAsNumber, type NodeSpec, type Topology } from '../topology/index.ts';
import { nodePeering } from '../topology/peering.ts';
import { protocolName, type PeerType } from '../birdc/protocol-names.ts';

export interface BgpSession {
  /** BIRD protocol name, from protocolName() so `birdctl status` can reverse it */
  protocol: string;
  peerType: PeerType;
  /** the other end's name (node or peer) */
  peerName: string;
  /** `node2 (node-to-node mesh)`: BIRD's description of the protocol */
  description: string;
  /** a router outside the cluster (an explicit peer), as opposed to another node */
  external: boolean;
  neighborAddress: string;
  neighborAs: number;
  localAs: number;
  /** wait for the other side to connect; exactly one side of each node pair is passive */
  passive: boolean;
  port: number | undefined;
  password: string | undefined;
  /** undefined: directly connected */
  multihop: number | undefined;
  /** only for explicit peers; iBGP keeps BIRD's default (own address for local routes, reflected routes unchanged) */
  nextHop: 'self' | 'keep' | undefined;
  /** this node reflects routes to the neighbour */
  rrClient: boolean;
  rrClusterId: string | undefined;
}

function nodeSessions(topology: Topology, self: NodeSpec): BgpSession[] {
  const selfGroups = parseIPv6Groups(self.address)!;
  const sessions: BgpSession[] = [];
  for (const other of topology.nodes) {
    if (other.name === self.name) continue;
    const peerType = nodePeering(topology, self, other);
    if (peerType === undefined) continue;
    sessions.push({
      protocol: protocolName(peerType, other.address),
      peerType,
      peerName: other.name,
      description: `${other.name} (${peerType})`,
      external: false,
      neighborAddress: other.address,
      neighborAs: nodeAsNumber(topology, other),
      localAs: nodeAsNumber(topology, self),
      // The numerically higher address waits, the lower one connects: no connection collisions.
      passive: compareIPv6Groups(selfGroups, parseIPv6Groups(other.address)!) > 0,
      port: undefined,
      password: topology.cluster.bgp.password,
      multihop: undefined,
      nextHop: undefined,
      rrClient: peerType === 'route reflector client',
      rrClusterId: peerType === 'route reflector client' ? self.routeReflector!.clusterId : undefined,
    });
  }
  return sessions;
}

function explicitSessions(topology: Topology, self: NodeSpec): BgpSession[] {
  return topology.peers
    .filter((peer) => peer.node === undefined || peer.node === self.name)
    .map((peer) => {
      const peerType: PeerType = peer.node === undefined ? 'global' : 'node specific';
      return {
        protocol: protocolName(peerType, peer.address),
        peerType,
        peerName: peer.name,
        description: `${peer.name} (${peerType})`,
        external: true,
        neighborAddress: peer.address,
        neighborAs: peer.asNumber,
        localAs: nodeAsNumber(topology, self),
        passive: peer.passive ?? false,
        port: peer.port,
        password: peer.password,
        multihop: peer.multihop,
        nextHop: peer.nextHop,
        rrClient: false,
        rrClusterId: undefined,
      };
    });
}

/** Every BGP session of `self`, ordered by protocol name so the rendered file is stable. */
export function sessionsOf(topology: Topology, self: NodeSpec): BgpSession[] {
  return [...nodeSessions(topology, self), ...explicitSessions(topology, self)].sort((a, b) =>
    a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0,
  );
}
