// Layer two of validation: rules that need the whole topology (duplicates, overlaps, references).
// Each rule is a small function returning Problems with the exact path of the offending field,
// the value it holds and a hint; all rules run, so the user sees every mistake at once.
import type { Problem } from '../errors.ts';
import { quote as q } from './excerpt.ts';
import { suggestKey } from './hints.ts';
import { formatIPv6, formatPrefix, groupsMatcher, isSubnetRouterAnycast, parseIPv6, parseIPv6Groups, parsePrefix, prefixesOverlap, type Prefix } from './ipv6.ts';
import type { Endpoint, Topology } from './model.ts';
import { parsedAddressGroups } from './schema.ts';
import { nodesWithoutNodeSessions, peersWith } from '../peering/node-pairs.ts';
import { externalPolicy, timersFor } from '../peering/policy.ts';

type Rule = (t: Topology) => Problem[];

/** Reports every later occurrence of a key already seen, pointing back at the first one. */
function duplicates<T>(
  items: readonly T[],
  keyOf: (item: T, index: number) => Array<{ key: string; path: string; value: string }>,
  describe: (value: string, firstPath: string) => Omit<Problem, 'path'>,
): Problem[] {
  const first = new Map<string, string>();
  const problems: Problem[] = [];
  items.forEach((item, index) => {
    for (const { key, path, value } of keyOf(item, index)) {
      const seen = first.get(key);
      if (seen === undefined) first.set(key, path);
      else problems.push({ path, ...describe(value, seen) });
    }
  });
  return problems;
}

const duplicateNames: Rule = (t) =>
  (['nodes', 'peers', 'endpoints'] as const).flatMap((list) =>
    duplicates(
      t[list] as ReadonlyArray<{ name: string }>,
      (item, i) => [{ key: item.name, path: `${list}[${i}].name`, value: item.name }],
      (value, firstPath) => ({
        message: `name ${q(value)} is already used by ${firstPath.replace(/\.name$/, '')}`,
        hint: `give every entry of ${list} its own name`,
      }),
    ),
  );

/** A list of addresses the rules compare, and where its first one stands in the order of all. */
interface AddressList {
  addresses: readonly string[];
  pathOf: (index: number) => string;
  start: number;
}

/** Node, peer and endpoint addresses in one order: nodes, then peers, then each endpoint's list. */
function addressLists(t: Topology): AddressList[] {
  const lists = [
    ...t.nodes.map((n, i) => ({ addresses: [n.address], pathOf: () => `nodes[${i}].address` })),
    ...t.peers.map((p, i) => ({ addresses: [p.address], pathOf: () => `peers[${i}].address` })),
    ...t.endpoints.map((e, i) => ({ addresses: e.addresses, pathOf: (j: number) => `endpoints[${i}].addresses[${j}]` })),
  ];
  let start = 0;
  return lists.map((list) => {
    const placed = { ...list, start };
    start += list.addresses.length;
    return placed;
  });
}

/** The path of the address at `place` in the order of addressLists. */
function pathAtPlace(lists: readonly AddressList[], place: number): string {
  let low = 0;
  let high = lists.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (lists[middle]!.start <= place) low = middle;
    else high = middle - 1;
  }
  return lists[low]!.pathOf(place - lists[low]!.start);
}

/**
 * Node, peer and endpoint addresses share one space: two objects with one address cannot both be
 * routed. The first place of an address is kept as a number and a path is written only for a
 * duplicate: a large topology has tens of thousands of addresses and few duplicates (issue 13).
 */
const duplicateAddresses: Rule = (t) => {
  const lists = addressLists(t);
  const first = new Map<string, number>();
  const problems: Problem[] = [];
  for (const list of lists) {
    for (let j = 0; j < list.addresses.length; j += 1) {
      const address = list.addresses[j]!;
      const seen = first.get(address);
      if (seen === undefined) first.set(address, list.start + j);
      else problems.push({
        path: list.pathOf(j),
        message: `address ${q(address)} is already used by ${pathAtPlace(lists, seen)}`,
        hint: 'addresses are compared in canonical form (fd00::1 equals fd00:0::0001); every node, peer and endpoint address must be unique',
      });
    }
  }
  return problems;
};

const duplicateRouterIds: Rule = (t) =>
  duplicates(
    t.nodes,
    (n, i) => (n.routerId === undefined ? [] : [{ key: n.routerId, path: `nodes[${i}].routerId`, value: n.routerId }]),
    (value, firstPath) => ({
      message: `router ID ${q(value)} is already used by ${firstPath.replace(/\.routerId$/, '')}`,
      hint: 'router IDs must be unique in the cluster; remove routerId to have one derived',
    }),
  );

/** The pools, each with a matcher that tests an address's groups without a BigInt (ipv6.ts). */
function pools(t: Topology): Array<{ prefix: Prefix; contains: (groups: readonly number[]) => boolean; path: string; text: string }> {
  return t.ipPools.map((p, i) => {
    const prefix = parsePrefix(p.cidr)!;
    return { prefix, contains: groupsMatcher(prefix), path: `ipPools[${i}].cidr`, text: p.cidr };
  });
}

const overlappingPools: Rule = (t) => {
  const list = pools(t);
  return list.flatMap((pool, i) =>
    list.slice(0, i).flatMap((earlier) =>
      prefixesOverlap(pool.prefix, earlier.prefix)
        ? [{ path: pool.path, message: `pool ${q(pool.text)} overlaps ${earlier.path} (${q(earlier.text)})`, hint: 'IP pools must not overlap; merge them or split the range' }]
        : [],
    ),
  );
};

/**
 * An endpoint's address groups, which two rules compare as numbers: those the schema parsed the
 * addresses to (parsedAddressGroups; a large topology has tens of thousands, issue 13), parsed
 * here only for a list the schema did not return. The schema has made every address valid.
 */
function addressGroupsOf(e: Endpoint): readonly (readonly number[])[] {
  return parsedAddressGroups(e.addresses) ?? e.addresses.map((a) => parseIPv6Groups(a)!);
}

const endpointsInPools: Rule = (t) => {
  const list = pools(t);
  const inAPool = (address: readonly number[]) => {
    for (let k = 0; k < list.length; k += 1) if (list[k]!.contains(address)) return true;
    return false;
  };
  const problems: Problem[] = [];
  // Loops, not flatMap: no array per address for the tens of thousands that are fine (issue 13).
  for (let i = 0; i < t.endpoints.length; i += 1) {
    const e = t.endpoints[i]!;
    const groups = addressGroupsOf(e);
    for (let j = 0; j < e.addresses.length; j += 1) {
      if (inAPool(groups[j]!)) continue;
      problems.push({
        path: `endpoints[${i}].addresses[${j}]`,
        message: `address ${q(e.addresses[j]!)} of endpoint ${q(e.name)} is outside every IP pool`,
        hint: list.length === 0 ? 'add an ipPools entry that contains it' : `use an address inside ${list.map((p) => p.text).join(', ')} or add a pool`,
      });
    }
  }
  return problems;
};

/** A node address inside a pool would be treated as an endpoint route by the kernel filter. */
const nodesOutsidePools: Rule = (t) => {
  const list = pools(t);
  return t.nodes.flatMap((n, i) => {
    const groups = parseIPv6Groups(n.address)!;
    const pool = list.find((p) => p.contains(groups));
    return pool === undefined
      ? []
      : [{ path: `nodes[${i}].address`, message: `node address ${q(n.address)} lies inside the endpoint pool ${q(pool.text)}`, hint: 'node addresses belong to the hosts\' network, not to an IP pool' }];
  });
};

const knownNodeReferences: Rule = (t) => {
  const names = new Set(t.nodes.map((n) => n.name));
  const refs = [
    ...t.peers.map((p, i) => ({ node: p.node, path: `peers[${i}].node` })),
    ...t.endpoints.map((e, i) => ({ node: e.node, path: `endpoints[${i}].node` })),
  ];
  return refs.flatMap(({ node, path }) =>
    node === undefined || names.has(node)
      ? []
      : [{ path, message: `node ${q(node)} is not defined`, hint: unknownNodeHint(node, [...names]) }],
  );
};

/** A did-you-mean when a name is close; otherwise a few names, not all thousand of a large cluster. */
function unknownNodeHint(node: string, names: string[]): string {
  const near = suggestKey(node, names);
  if (near !== undefined) return `did you mean ${q(near)}?`;
  const shown = names.slice(0, 10).join(', ');
  return names.length > 10 ? `use one of the names under nodes, such as ${shown}` : `use one of: ${shown}`;
}

/**
 * Host interfaces an endpoint must never claim: the programmer would put endpoint routes on them,
 * and (for containers with a netns) move them into the container.
 */
const HOST_INTERFACES = new Set(['lo', 'eth0']);

const noHostInterfaces: Rule = (t) =>
  t.endpoints.flatMap((e, i) =>
    HOST_INTERFACES.has(e.interface)
      ? [{ path: `endpoints[${i}].interface`, message: `interface ${q(e.interface)} of endpoint ${q(e.name)} is a host interface`, hint: 'name the endpoint\'s own veth or tap (cali-..., tap-...), or remove interface to have one derived' }]
      : [],
  );

const uniqueInterfacesPerNode: Rule = (t) =>
  duplicates(
    t.endpoints,
    (e, i) => [{ key: `${e.node}/${e.interface}`, path: `endpoints[${i}].interface`, value: e.interface }],
    (value, firstPath) => ({
      message: `interface ${q(value)} is already used on the same node by ${firstPath.replace(/\.interface$/, '')}`,
      hint: 'each endpoint on a node needs its own interface; remove interface to have one derived',
    }),
  );

/** A namespace belongs to its host: the same name on two nodes is two namespaces. */
const uniqueNetnsPerNode: Rule = (t) =>
  duplicates(
    t.endpoints,
    (e, i) => (e.netns === undefined ? [] : [{ key: `${e.node}/${e.netns}`, path: `endpoints[${i}].netns`, value: e.netns }]),
    (value, firstPath) => ({
      message: `netns ${q(value)} is already used on the same node by ${firstPath.replace(/\.netns$/, '')}`,
      hint: 'each container has its own network namespace: the programmer moves one veth and sets one address list per namespace',
    }),
  );

/** Cluster-wide, not per node: a VM keeps its MAC when it moves to another host. The schema lower-cases MACs. */
const uniqueMacs: Rule = (t) =>
  duplicates(
    t.endpoints,
    (e, i) => (e.mac === undefined ? [] : [{ key: e.mac, path: `endpoints[${i}].mac`, value: e.mac }]),
    (value, firstPath) => ({
      message: `MAC ${q(value)} is already used by ${firstPath.replace(/\.mac$/, '')}`,
      hint: 'every VM needs its own MAC: its DHCPv6 reservation and neighbour entry are keyed by it',
    }),
  );

const noSubnetRouterAnycast: Rule = (t) => {
  const problems: Problem[] = [];
  for (let i = 0; i < t.endpoints.length; i += 1) {
    const e = t.endpoints[i]!;
    const groups = addressGroupsOf(e);
    for (let j = 0; j < e.addresses.length; j += 1) {
      if (!isSubnetRouterAnycast(groups[j]!)) continue;
      const a = e.addresses[j]!;
      const value = parseIPv6(a)!;
      problems.push({
        path: `endpoints[${i}].addresses[${j}]`,
        message: `address ${q(a)} of endpoint ${q(e.name)} is the subnet-router anycast address of ${formatPrefix({ network: value, length: 64 })}`,
        hint: `every router on a /64 answers the address whose last 64 bits are zero (RFC 4291 section 2.6.1); use another, such as ${formatIPv6(value + 1n)}`,
      });
    }
  }
  return problems;
};

const vmMacs: Rule = (t) =>
  t.endpoints.flatMap((e, i) => {
    if (e.mac !== undefined) {
      const firstOctet = parseInt(e.mac.slice(0, 2), 16);
      if (firstOctet & 1) return [{ path: `endpoints[${i}].mac`, message: `MAC ${q(e.mac)} is a multicast address`, hint: 'the lowest bit of the first octet must be 0; locally administered unicast MACs start with 02' }];
      if (/^(00:){5}00$/.test(e.mac)) return [{ path: `endpoints[${i}].mac`, message: `MAC ${q(e.mac)} is all zeros`, hint: 'use the MAC the hypervisor gives the VM, for example 02:00:00:00:00:10' }];
      return [];
    }
    return e.kind === 'vm'
      ? [{ path: `endpoints[${i}].mac`, message: `VM endpoint ${q(e.name)} has no mac`, hint: 'a VM\'s MAC is needed for its DHCPv6 reservation and neighbour entry' }]
      : [];
  });

const netnsOnlyForContainers: Rule = (t) =>
  t.endpoints.flatMap((e, i) =>
    e.netns !== undefined && e.kind !== 'container'
      ? [{ path: `endpoints[${i}].netns`, message: `VM endpoint ${q(e.name)} cannot have a netns`, hint: 'netns is for container endpoints; a VM\'s tap interface belongs to its hypervisor' }]
      : [],
  );

const routeReflectorRoles: Rule = (t) => {
  const reflectorClusters = new Set(t.nodes.flatMap((n) => (n.routeReflector ? [n.routeReflector.clusterId] : [])));
  return t.nodes.flatMap((n, i) => {
    if (n.routeReflector && n.routeReflectorClient)
      return [{ path: `nodes[${i}].routeReflectorClient`, message: `node ${q(n.name)} is both a route reflector and a route reflector client`, hint: 'keep one of routeReflector and routeReflectorClient' }];
    if (n.routeReflectorClient && !reflectorClusters.has(n.routeReflectorClient.clusterId))
      return [{ path: `nodes[${i}].routeReflectorClient.clusterId`, message: `route reflector cluster ${q(n.routeReflectorClient.clusterId)} has clients but no reflector`, hint: 'give at least one node routeReflector with this clusterId' }];
    return [];
  });
};

/** Route reflection is iBGP only: bird6 refuses `rr client` on a session between different ASes. */
const routeReflectionWithinOneAs: Rule = (t) => {
  const asOf = (n: Topology['nodes'][number]) => n.asNumber ?? t.cluster.asNumber;
  return t.nodes.flatMap((n, i) => {
    const clusterId = n.routeReflectorClient?.clusterId;
    const reflector = t.nodes.find((r) => clusterId !== undefined && r.routeReflector?.clusterId === clusterId && asOf(r) !== asOf(n));
    return reflector === undefined
      ? []
      : [{ path: `nodes[${i}].asNumber`, message: `route reflector client ${q(n.name)} is in AS ${asOf(n)} but its reflector ${q(reflector.name)} is in AS ${asOf(reflector)}`, hint: 'a route reflector and its clients must share one AS number' }];
  });
};

/**
 * Without the mesh, a node that is neither a route reflector with a partner nor a client has no
 * session with any other node (src/peering/node-pairs.ts). A node bound to an explicit peer (a ToR router) is
 * fine: its routes reach the cluster through that router, as in an AS-per-rack design. With the
 * mesh on, every node that is not a client meshes with the others and every client's reflector
 * is among them, so only clients without a reflector are left alone, and routeReflectorRoles
 * reports those.
 */
const everyNodeHasASession: Rule = (t) => {
  if (t.cluster.nodeToNodeMesh || t.nodes.length < 2) return [];
  const alone = nodesWithoutNodeSessions(t).filter(
    (n) => n.routeReflectorClient === undefined && !t.peers.some((p) => peersWith(p, n)),
  );
  if (alone.length === 0) return [];
  const SHOWN = 5;
  const names = alone.slice(0, SHOWN).map((n) => q(n.name));
  const listed =
    alone.length > SHOWN ? `${names.join(', ')} and ${alone.length - SHOWN} more` : names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0];
  return [{
    path: 'cluster.nodeToNodeMesh',
    message: `with nodeToNodeMesh false, ${alone.length > 1 ? 'nodes' : 'node'} ${listed} would have no BGP session at all`,
    hint: 'without the node-to-node mesh, nodes peer only with route reflectors: give them routeReflectorClient with the clusterId of a node that has routeReflector, make them reflectors, bind a peer (a ToR router) to them, or set nodeToNodeMesh: true (a cluster of one node needs no session)',
  }];
};

const timers: Rule = (t) =>
  t.cluster.bgp.keepaliveTime < t.cluster.bgp.holdTime
    ? []
    : [{ path: 'cluster.bgp.keepaliveTime', message: `keepalive time ${t.cluster.bgp.keepaliveTime} must be shorter than hold time ${t.cluster.bgp.holdTime}`, hint: 'keepalive is usually a third of the hold time' }];

const peerTimers: Rule = (t) =>
  t.peers.flatMap((p, i) => {
    if (p.holdTime === undefined && p.keepaliveTime === undefined) return [];
    const { holdTime, keepaliveTime } = timersFor(t.cluster, p);
    return keepaliveTime < holdTime
      ? []
      : [{ path: `peers[${i}].${p.keepaliveTime === undefined ? 'holdTime' : 'keepaliveTime'}`, message: `keepalive time ${keepaliveTime} of peer ${q(p.name)} must be shorter than its hold time ${holdTime}`, hint: 'keepalive is usually a third of the hold time; a peer without its own holdTime or keepaliveTime uses the one under cluster.bgp' }];
  });

/**
 * Settings that can only act on routes a session carries: an import limit on a peer nothing is
 * imported from, communities for a peer that is sent nothing. Reported where the setting is
 * written, so a cluster-wide default that some peer cannot use is reported once, at cluster.bgp.
 */
const policyFieldsThatDoNothing: Rule = (t) => {
  const problems = new Map<string, Problem>();
  t.peers.forEach((p, i) => {
    const policy = externalPolicy(t.cluster, p);
    const at = (field: 'importLimit' | 'communities') => (p[field] !== undefined ? `peers[${i}].${field}` : `cluster.bgp.${field}`);
    if (policy.import === 'none' && policy.importLimit !== undefined && !problems.has(at('importLimit')))
      problems.set(at('importLimit'), { path: at('importLimit'), message: `peer ${q(p.name)} has an import limit but imports nothing (import: none)`, hint: 'remove importLimit, or import default or all from this peer' });
    if (policy.export === 'none' && policy.communities.length > 0 && !problems.has(at('communities')))
      problems.set(at('communities'), { path: at('communities'), message: `peer ${q(p.name)} has communities but is sent nothing (export: none)`, hint: 'remove communities, or export pools or endpoints to this peer' });
  });
  return [...problems.values()];
};

/** With the peer's own AS as the local one the session would be internal: no longer the eBGP session the field exists for. */
const localAsOtherThanPeers: Rule = (t) =>
  t.peers.flatMap((p, i) =>
    p.localAsNumber === undefined || p.localAsNumber !== p.asNumber
      ? []
      : [{ path: `peers[${i}].localAsNumber`, message: `localAsNumber ${p.localAsNumber} equals the AS of peer ${q(p.name)}`, hint: 'localAsNumber gives an eBGP session another local AS; for an internal session remove it (the node\'s AS is used)' }],
  );

const gracefulRestartTime: Rule = (t) =>
  t.cluster.bgp.gracefulRestartTime !== undefined && !t.cluster.bgp.gracefulRestart
    ? [{ path: 'cluster.bgp.gracefulRestartTime', message: 'gracefulRestartTime is set but gracefulRestart is false', hint: 'remove gracefulRestartTime or set gracefulRestart: true' }]
    : [];

/**
 * `searches` names the parts a rule concludes from an absence in ("no such node", "outside every
 * pool"): such a rule is only sound when those parts are complete. The other rules find something
 * present (a duplicate, an overlap) and hold for any subset of the topology. A rule that reads
 * the cluster's settings lists 'cluster' too: when the cluster did not parse, load.ts hands the
 * rules a stand-in.
 */
const RULES: ReadonlyArray<{ rule: Rule; searches?: readonly string[] }> = [
  { rule: duplicateNames },
  { rule: duplicateAddresses },
  { rule: duplicateRouterIds },
  { rule: overlappingPools },
  { rule: endpointsInPools, searches: ['ipPools'] },
  { rule: nodesOutsidePools },
  { rule: knownNodeReferences, searches: ['nodes'] },
  { rule: uniqueInterfacesPerNode },
  { rule: noHostInterfaces },
  { rule: uniqueNetnsPerNode },
  { rule: noSubnetRouterAnycast },
  { rule: vmMacs },
  { rule: uniqueMacs },
  { rule: netnsOnlyForContainers },
  { rule: routeReflectorRoles, searches: ['nodes'] },
  { rule: routeReflectionWithinOneAs, searches: ['nodes', 'cluster'] },
  { rule: everyNodeHasASession, searches: ['nodes', 'peers', 'cluster'] },
  { rule: timers, searches: ['cluster'] },
  { rule: peerTimers, searches: ['cluster'] },
  { rule: policyFieldsThatDoNothing, searches: ['cluster'] },
  { rule: localAsOtherThanPeers },
  { rule: gracefulRestartTime, searches: ['cluster'] },
];

/** `incomplete` names the top-level parts that lost entries to schema errors (see load.ts). */
export function checkTopology(topology: Topology, incomplete: ReadonlySet<string> = new Set()): Problem[] {
  return RULES.filter(({ searches = [] }) => !searches.some((part) => incomplete.has(part))).flatMap(({ rule }) => rule(topology));
}
