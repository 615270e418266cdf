// The shared /64 of a cluster's nodes. The lab puts every node on one bridge and the compose
// deployment on one Docker network, so both need the nodes' addresses in a single /64.
import { BirdctlError } from '../errors.ts';
import { formatIPv6, formatPrefix, parseIPv6, prefixMask, type Prefix } from '../topology/ipv6.ts';
import type { Topology } from '../topology/index.ts';

export const NODE_PREFIX_LENGTH = 64;

/** The /64 every node address falls in; a TOPOLOGY_INVALID error naming the odd ones out otherwise. */
export function nodeSubnet(topology: Topology): Prefix {
  const mask = prefixMask(NODE_PREFIX_LENGTH);
  const first = topology.nodes[0]!;
  const network = parseIPv6(first.address)! & mask;
  const outside = topology.nodes.filter((n) => (parseIPv6(n.address)! & mask) !== network);
  if (outside.length > 0) {
    const subnet = formatPrefix({ network, length: NODE_PREFIX_LENGTH });
    throw new BirdctlError('TOPOLOGY_INVALID', `${topology.source}: the nodes' addresses are not in one /64`, {
      problems: outside.map((n) => ({
        path: `nodes[${topology.nodes.indexOf(n)}].address`,
        message: `${JSON.stringify(n.address)} is outside ${subnet} (the /64 of ${first.name}'s address ${first.address})`,
        hint: 'the lab and the compose deployment put every node on one shared segment: give every node an address in the same /64',
      })),
    });
  }
  return { network, length: NODE_PREFIX_LENGTH };
}

/**
 * An address of the subnet that no node or peer of the topology uses, counting down from the top
 * of the /64 (Docker would otherwise take the subnet's `::1` for its gateway, which is often a node).
 */
export function freeGatewayAddress(topology: Topology, subnet: Prefix): string {
  const used = new Set([...topology.nodes, ...topology.peers].map((x) => parseIPv6(x.address)!));
  let candidate = subnet.network | ((1n << BigInt(128 - subnet.length)) - 2n);
  while (used.has(candidate)) candidate -= 1n;
  return formatIPv6(candidate);
}
