// Desired state: a pure function of the topology, the node's name and the node's uplink. It lists
// every kernel object the node must carry for its endpoints (DESIGN.md §1 item 3) and nothing else.
import { requireNode, type Endpoint, type Topology } from '../topology/index.ts';
import { formatIPv6, parseIPv6, prefixMask } from '../topology/ipv6.ts';
import type { Ledger } from './ledger.ts';
import { GATEWAY_LINK_LOCAL, type DesiredEndpoint, type DesiredState, type ReadScope, type Sysctl } from './model.ts';
import { FORWARDING_KEY, interfaceSysctlKey } from './sysctl-keys.ts';

/**
 * Host side of one endpoint interface, as Calico's CNI plugin and Felix set it: no RAs accepted
 * from the endpoint (the host is the router), no DAD (a point-to-point link has nobody to collide
 * with, and DAD would hold the host end's addresses tentative for a second), proxy NDP on.
 */
function endpointSysctls(ifname: string): Sysctl[] {
  return [
    { key: interfaceSysctlKey(ifname, 'accept_ra'), value: '0' },
    { key: interfaceSysctlKey(ifname, 'accept_dad'), value: '0' },
    { key: interfaceSysctlKey(ifname, 'proxy_ndp'), value: '1' },
  ];
}

/**
 * The subnet-router anycast address (RFC 4291 2.6.1, reserved for routers, so no endpoint holds
 * it) of each /64 a VM's addresses fall in, as `prefix::/64`. dnsmasq serves DHCPv6 and sends RAs
 * on an interface only for ranges inside a prefix configured on it, and a tap has only a
 * link-local address; this gives the tap the VM's /64 without a route for it (`noprefixroute`),
 * so the /128 routes stay the only way to the endpoints.
 */
export function subnetRouterAddresses(addresses: readonly string[]): string[] {
  const networks = addresses.map((a) => formatIPv6(parseIPv6(a)! & prefixMask(64)));
  return [...new Set(networks)].map((n) => `${n}/64`);
}

function hostAddresses(e: Endpoint): string[] {
  if (e.kind === 'vm') return subnetRouterAddresses(e.addresses);
  // The container's default gateway lives on the host end of the veth we create.
  return e.netns === undefined ? [] : [`${GATEWAY_LINK_LOCAL}/64`];
}

function desiredEndpoint(e: Endpoint, uplink: string | undefined): DesiredEndpoint {
  return {
    name: e.name,
    kind: e.kind,
    interface: e.interface,
    addresses: e.addresses,
    routes: e.addresses.map((dst) => ({ dst, dev: e.interface })),
    // A VM's MAC is always known; a container's only when the topology gives one. A permanent
    // entry spares the first packet a neighbour solicitation and survives the endpoint being quiet.
    neighbours: e.mac === undefined ? [] : e.addresses.map((dst) => ({ dst, dev: e.interface, lladdr: e.mac! })),
    // The host answers for its endpoints on the uplink, so a neighbour on the uplink's segment that
    // treats the pool as on-link (a router without BGP, a static route) still reaches them.
    proxies: uplink === undefined ? [] : e.addresses.map((dst) => ({ dst, dev: uplink })),
    sysctls: endpointSysctls(e.interface),
    hostAddresses: hostAddresses(e),
    ...(e.netns === undefined ? {} : { container: { netns: e.netns, addresses: e.addresses, gateway: GATEWAY_LINK_LOCAL } }),
  };
}

export interface DesiredOptions {
  /** The interface for proxy NDP entries. Undefined: none. */
  uplink?: string;
  /** The interface carrying the node's address, if any. */
  nodeInterface?: string;
}

/** The node's own sysctls, beside its endpoints': forwarding, and proxy NDP on the uplink. */
export function nodeSysctls(uplink: string | undefined): Sysctl[] {
  const sysctls: Sysctl[] = [{ key: FORWARDING_KEY, value: '1' }];
  if (uplink !== undefined) sysctls.push({ key: interfaceSysctlKey(uplink, 'proxy_ndp'), value: '1' });
  return sysctls;
}

export function desiredState(topology: Topology, nodeName: string, options: DesiredOptions = {}): DesiredState {
  const node = requireNode(topology, nodeName);
  return {
    node: nodeName,
    nodeAddress: node.address,
    ...(options.nodeInterface === undefined ? {} : { nodeInterface: options.nodeInterface }),
    ...(options.uplink === undefined ? {} : { uplink: options.uplink }),
    pools: topology.ipPools.map((p) => p.cidr),
    sysctls: nodeSysctls(options.uplink),
    endpoints: topology.endpoints.filter((e) => e.node === nodeName).map((e) => desiredEndpoint(e, options.uplink)),
  };
}

/**
 * What the dataplane must read to compare against this desired state: its sysctls and container
 * namespaces, and those the ledger holds claims in (to undo or prune them). With `settled` (the
 * endpoints whose container side the last pass programmed as they still are), only the other
 * endpoints' namespaces are looked inside; the rest are only checked to exist (unreadNamespaces).
 */
export function readScope(desired: DesiredState, ledger: Ledger, settled?: ReadonlySet<string>): ReadScope {
  const claimedNamespaces = ledger.keys('container-address').map((k) => k.split(' ')[0]!);
  const sysctlKeys = [...new Set([...desired.sysctls, ...desired.endpoints.flatMap((e) => e.sysctls)].map((s) => s.key).concat(ledger.keys('sysctl')))];
  const namespaces = [...new Set([...desired.endpoints.flatMap((e) => (e.container ? [e.container.netns] : [])), ...claimedNamespaces])];
  // The topology's addresses are canonical (src/topology/schema.ts).
  const canonicalAddresses = new Set<string>();
  for (const e of desired.endpoints) for (const a of e.addresses) canonicalAddresses.add(a);
  if (settled === undefined) return { sysctlKeys, containerNamespaces: namespaces, canonicalAddresses };
  const changed = new Set(desired.endpoints.flatMap((e) => (e.container !== undefined && !settled.has(e.name) ? [e.container.netns] : [])));
  return { sysctlKeys, containerNamespaces: namespaces.filter((ns) => changed.has(ns)), unreadNamespaces: namespaces.filter((ns) => !changed.has(ns)), canonicalAddresses };
}
