// Who peers with whom, and with which options. From the topology and one node, the BGP sessions
// that node must run: the node-to-node mesh, route-reflector sessions and explicit peers. Pure
// and independent of any template, so the renderer, the lab and the tests read one answer.
import { compareIPv6Groups, parseIPv6Groups } from '../topology/ipv6.ts';
import { nodeAsNumber, type NodeSpec, type Peer, type Topology } from '../topology/index.ts';
import { nodePeering, peersWith } from './node-pairs.ts';
import { bfdFor, externalPolicy, timersFor, type ExternalPolicy } from './policy.ts';
import { protocolName, type PeerType } from './protocol-names.ts';

/**
 * How the neighbour is reached. Node sessions are always multihop with next hops resolved through
 * the host's own routes: nodes on one segment still get direct next hops (the connected subnet
 * resolves them), nodes on different subnets of a routed fabric peer through their routers.
 * An explicit peer is directly connected unless its `multihop` says how many hops away it is.
 */
export type Reach = { kind: 'direct' } | { kind: 'multihop'; ttl: number | undefined };

export interface BgpSession {
  /** BIRD protocol name, from protocolName() so `birdctl status` can reverse it */
  protocol: string;
  peerType: PeerType;
  /** the other end's name (node or peer) */
  peerName: string;
  /** `node2 (node-to-node mesh)`: BIRD's description of the protocol */
  description: string;
  neighborAddress: string;
  neighborAs: number;
  localAs: number;
  /** wait for the other side to connect; exactly one side of each node pair is passive */
  passive: boolean;
  port: number | undefined;
  password: string | undefined;
  reach: Reach;
  /** the session's own hold and keepalive times; undefined: the cluster's */
  timers: { holdTime: number; keepaliveTime: number } | undefined;
  bfd: boolean;
  /** set when this node reflects routes to the neighbour */
  rrClusterId: string | undefined;
  /** set for a router outside the cluster (an explicit peer), as opposed to another node */
  external: ExternalPolicy | undefined;
}

/** The fields every session has, whatever the kind of neighbour. */
function baseSession(topology: Topology, self: NodeSpec, peerType: PeerType, name: string, address: string, protocol = protocolName(peerType, address)): BgpSession {
  return {
    protocol,
    peerType,
    peerName: name,
    description: `${name} (${peerType})`,
    neighborAddress: address,
    neighborAs: topology.cluster.asNumber,
    localAs: nodeAsNumber(topology, self),
    passive: false,
    port: undefined,
    password: undefined,
    reach: { kind: 'multihop', ttl: undefined },
    timers: undefined,
    bfd: bfdFor(topology.cluster, undefined),
    rrClusterId: undefined,
    external: undefined,
  };
}

/**
 * What the other nodes' sessions need of a node's address, parsed once per node instead of once
 * per pair: a full mesh of N nodes has N*(N-1) sessions, and parsing and naming an address was
 * most of the cost of one. Kept beside the node object (dropped with it); the address is compared
 * so a node object changed in place is parsed again, never answered stale.
 */
interface ParsedAddress {
  address: string;
  groups: number[];
  protocols: Map<PeerType, string>;
}
const parsedAddresses = new WeakMap<NodeSpec, ParsedAddress>();

function parsedAddress(node: NodeSpec): ParsedAddress {
  let parsed = parsedAddresses.get(node);
  if (parsed === undefined || parsed.address !== node.address) {
    parsed = { address: node.address, groups: parseIPv6Groups(node.address)!, protocols: new Map() };
    parsedAddresses.set(node, parsed);
  }
  return parsed;
}

function nodeProtocolName(parsed: ParsedAddress, peerType: PeerType): string {
  let name = parsed.protocols.get(peerType);
  if (name === undefined) parsed.protocols.set(peerType, (name = protocolName(peerType, parsed.address)));
  return name;
}

function nodeSessions(topology: Topology, self: NodeSpec): BgpSession[] {
  const selfGroups = parsedAddress(self).groups;
  // A loop filling fresh objects rather than flatMap and spreads: this runs once per pair of nodes.
  const sessions: BgpSession[] = [];
  for (const other of topology.nodes) {
    const peerType = other.name === self.name ? undefined : nodePeering(topology, self, other);
    if (peerType === undefined) continue;
    const otherAddress = parsedAddress(other);
    const session = baseSession(topology, self, peerType, other.name, other.address, nodeProtocolName(otherAddress, peerType));
    session.neighborAs = nodeAsNumber(topology, other);
    // The numerically higher address waits, the lower one connects: no connection collisions.
    session.passive = compareIPv6Groups(selfGroups, otherAddress.groups) > 0;
    session.password = topology.cluster.bgp.password;
    session.rrClusterId = peerType === 'route reflector client' ? self.routeReflector!.clusterId : undefined;
    sessions.push(session);
  }
  return sessions;
}

function explicitSession(topology: Topology, self: NodeSpec, peer: Peer): BgpSession {
  const peerType: PeerType = peer.node === undefined ? 'global' : 'node specific';
  const overridesTimers = peer.holdTime !== undefined || peer.keepaliveTime !== undefined;
  return {
    ...baseSession(topology, self, peerType, peer.name, peer.address),
    neighborAs: peer.asNumber,
    localAs: peer.localAsNumber ?? nodeAsNumber(topology, self),
    passive: peer.passive ?? false,
    port: peer.port,
    password: peer.password,
    reach: peer.multihop === undefined ? { kind: 'direct' } : { kind: 'multihop', ttl: peer.multihop },
    timers: overridesTimers ? timersFor(topology.cluster, peer) : undefined,
    bfd: bfdFor(topology.cluster, peer),
    external: externalPolicy(topology.cluster, peer),
  };
}

/** Every BGP session of `self`, ordered by protocol name so the rendered file is stable. */
export function sessionsOf(topology: Topology, self: NodeSpec): BgpSession[] {
  const explicit = topology.peers.filter((peer) => peersWith(peer, self)).map((peer) => explicitSession(topology, self, peer));
  return [...nodeSessions(topology, self), ...explicit].sort((a, b) => (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0));
}
