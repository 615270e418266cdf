// Random valid topologies for property-style tests, from a seeded PRNG so a failure names a seed
// that reproduces it.
import { formatIPv6 } from '../../src/topology/ipv6.ts';

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The same address written in one of several legal spellings (case, leading zeros, no `::`). */
function spell(value: bigint, random: () => number): string {
  const text = formatIPv6(value);
  const style = Math.floor(random() * 3);
  if (style === 0) return text;
  if (style === 1) return text.toUpperCase();
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16).padStart(4, '0'));
  return groups.join(':');
}

export function randomTopology(seed: number): Record<string, unknown> {
  const random = prng(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const nodeNet = 0xfd00_00ec_0000_0000_0000_0000_0000_0000n;
  const poolCount = int(1, 3);
  const pools = Array.from({ length: poolCount }, (_, i) => 0xfd00_0010n + BigInt(i)).map((p) => ({ prefix: p << 80n }));
  const nodeCount = int(1, 7);
  const useReflectors = nodeCount >= 3 && random() < 0.5;
  const reflectors = useReflectors ? int(1, 2) : 0;
  const nodes = Array.from({ length: nodeCount }, (_, i) => {
    const node: Record<string, unknown> = { name: `n${i}-${int(0, 99)}`, address: spell(nodeNet + BigInt(int(1, 60000) * 8 + i), random) };
    if (random() < 0.3) node.routerId = `10.${i}.${int(0, 255)}.${int(1, 254)}`;
    if (!useReflectors && random() < 0.2) node.asNumber = int(64512, 65534);
    if (i < reflectors) node.routeReflector = { clusterId: '1.0.0.1' };
    else if (useReflectors) node.routeReflectorClient = { clusterId: '1.0.0.1' };
    return node;
  });
  const peers = Array.from({ length: int(0, 3) }, (_, i) => {
    const peer: Record<string, unknown> = {
      name: `peer-${i}`,
      address: spell(0xfd00_00ed_0000_0000_0000_0000_0000_0000n + BigInt(i + 1), random),
      asNumber: pick([65001, 65002, 4200000001, 64512]),
    };
    if (random() < 0.5) peer.node = (pick(nodes) as { name: string }).name;
    if (random() < 0.3) peer.port = int(1024, 65535);
    if (random() < 0.3) peer.password = `pw-${int(0, 9999)}!#`;
    if (random() < 0.3) peer.passive = random() < 0.5;
    if (random() < 0.3) peer.multihop = int(1, 8);
    if (random() < 0.5) peer.nextHop = pick(['self', 'keep']);
    return peer;
  });
  const endpoints = Array.from({ length: int(0, 6) }, (_, i) => {
    const kind = pick(['container', 'vm'] as const);
    const pool = pick(pools).prefix;
    const endpoint: Record<string, unknown> = {
      name: `ep-${i}`,
      node: (pick(nodes) as { name: string }).name,
      kind,
      addresses: Array.from({ length: int(1, 3) }, (_, j) => spell(pool + BigInt(i * 16 + j + 1), random)),
    };
    if (kind === 'vm') endpoint.mac = `02:00:00:00:${i.toString(16).padStart(2, '0')}:01`;
    if (random() < 0.5) endpoint.interface = `${kind === 'vm' ? 'tap' : 'veth'}-${i}`;
    return endpoint;
  });
  return {
    apiVersion: 'bird6-controller/v1',
    cluster: {
      name: `c${seed}`,
      asNumber: pick([64512, 65000, 4200000000]),
      nodeToNodeMesh: useReflectors ? random() < 0.3 : true,
      bgp: {
        holdTime: pick([3, 6, 9, 90]),
        keepaliveTime: 1,
        gracefulRestart: random() < 0.7,
        ...(random() < 0.3 ? { password: `mesh_${seed}` } : {}),
      },
    },
    ipPools: pools.map((p) => ({ cidr: `${formatIPv6(p.prefix)}/48` })),
    nodes,
    peers,
    endpoints,
  };
}
