// BIRD protocol names for BGP sessions. Sessions (sessions.ts) are named with protocolName() and
// the status side reverses it with parseProtocolName(): one function pair, so `birdctl status`
// can always tell which peer and which kind of peer a protocol stands for.
import { canonicalIPv6 } from '../topology/ipv6.ts';

const PEER_TYPES = ['node-to-node mesh', 'route reflector', 'route reflector client', 'global', 'node specific'] as const;
export type PeerType = (typeof PEER_TYPES)[number];

const PREFIX_BY_TYPE: Record<PeerType, string> = {
  'node-to-node mesh': 'Mesh',
  'route reflector': 'RR',
  'route reflector client': 'RRClient',
  global: 'Global',
  'node specific': 'Node',
};
const TYPE_BY_PREFIX = new Map(Object.entries(PREFIX_BY_TYPE).map(([type, prefix]) => [prefix, type as PeerType]));

/** `Mesh_fd00_ec__2` for a mesh peer at fd00:ec::2: a valid BIRD symbol, reversible. */
export function protocolName(peerType: PeerType, peerAddress: string): string {
  const canonical = canonicalIPv6(peerAddress);
  if (canonical === undefined) throw new TypeError(`not an IPv6 address: ${peerAddress}`);
  return `${PREFIX_BY_TYPE[peerType]}_${canonical.replaceAll(':', '_')}`;
}

/** The peer behind a protocol name, or undefined for a protocol that does not follow the scheme. */
export function parseProtocolName(name: string): { peerType: PeerType; peerAddress: string } | undefined {
  const separator = name.indexOf('_');
  if (separator < 0) return undefined;
  const peerType = TYPE_BY_PREFIX.get(name.slice(0, separator));
  const peerAddress = canonicalIPv6(name.slice(separator + 1).replaceAll('_', ':'));
  if (peerType === undefined || peerAddress === undefined) return undefined;
  // Only names this module could have produced: `Mesh_FD00__2` or a non-canonical spelling is foreign.
  return protocolName(peerType, peerAddress) === name ? { peerType, peerAddress } : undefined;
}
