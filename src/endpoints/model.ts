// The objects the endpoint programmer manages in the kernel, as plain data. Desired state is built
// from the topology, actual state is read from the kernel; both use these shapes so the diff can
// compare them field by field.

/** Name of the container end of every veth the programmer creates, as CNI plugins do. */
export const CONTAINER_INTERFACE = 'eth0';

/**
 * The link-local address every host end of a container veth carries, and the container's default
 * gateway. A fixed address (Calico uses 169.254.1.1 for IPv4 the same way) means the container's
 * route is known before the host end exists, does not have to be read back after the link comes
 * up, and stays valid when the veth is recreated; link-local addresses are scoped to their link,
 * so the same fe80::1 on every host end never collides.
 */
export const GATEWAY_LINK_LOCAL = 'fe80::1';

/**
 * Link alias (`ip link set IF alias ...`) marking a veth as created by the programmer for one
 * endpoint. Anyone can set an alias, so it is only half the proof: a link is ours when the
 * programmer's record (ledger.ts) also lists it with that very alias.
 */
export const OWNED_LINK_ALIAS_PREFIX = 'bird6-controller:';

/** `ip -6 route replace DST/128 dev DEV proto 80 scope link` */
export interface Route {
  dst: string;
  dev: string;
}

/** `ip -6 neigh replace DST lladdr MAC dev DEV nud permanent` */
export interface Neighbour {
  dst: string;
  dev: string;
  lladdr: string;
}

/** `ip -6 neigh replace proxy DST dev DEV`: the host answers neighbour solicitations for DST on DEV. */
export interface Proxy {
  dst: string;
  dev: string;
}

/** A sysctl of the host namespace, by its dotted key (`net.ipv6.conf.all.forwarding`). */
export interface Sysctl {
  key: string;
  value: string;
}

/** What the container side of a veth must look like: addresses on eth0 and the default route. */
export interface ContainerSide {
  netns: string;
  /** Addresses assigned by the controller to eth0, each a /128. */
  addresses: string[];
  gateway: string;
}

export interface DesiredEndpoint {
  name: string;
  kind: 'container' | 'vm';
  interface: string;
  addresses: string[];
  routes: Route[];
  neighbours: Neighbour[];
  proxies: Proxy[];
  sysctls: Sysctl[];
  /** Addresses (`addr/len`) the host end of the interface carries; see desired.ts. */
  hostAddresses: string[];
  /** Present when the programmer wires the veth itself (container endpoint with `netns`). */
  container?: ContainerSide;
}

export interface DesiredState {
  node: string;
  /** The node's own address, and the interface carrying it: never an endpoint's interface. */
  nodeAddress: string;
  nodeInterface?: string;
  /** Where proxy NDP entries go (the node interface unless told otherwise). */
  uplink?: string;
  /** The IP pools (canonical CIDRs): the programmer's routes are only ever inside them. */
  pools: string[];
  /** Host-wide sysctls, owned by no endpoint. */
  sysctls: Sysctl[];
  endpoints: DesiredEndpoint[];
}

export interface ActualLink {
  name: string;
  /** Administratively up (IFF_UP). */
  up: boolean;
  alias?: string;
  /** IPv6 addresses with their prefix length, e.g. `fe80::1/64`. */
  addresses: string[];
}

export interface ActualContainer {
  /** eth0 inside the namespace, absent when there is none. */
  link?: { up: boolean; addresses: string[] };
  /** Gateway of the default route via eth0, if any. */
  defaultGateway?: string;
}

export interface ActualNeighbour extends Neighbour {
  permanent: boolean;
}

export interface ActualState {
  links: Map<string, ActualLink>;
  /** Routes with the controller's protocol number only; foreign routes are never read. */
  routes: Route[];
  neighbours: ActualNeighbour[];
  proxies: Proxy[];
  /** Values of the sysctls that were asked for; a key without a value is absent (no such interface). */
  sysctls: Map<string, string>;
  namespaces: Set<string>;
  /**
   * The inside of each namespace of ReadScope.containerNamespaces that exists. An existing
   * namespace without an entry was not read: its inside is unknown, never empty (diff.ts).
   */
  containers: Map<string, ActualContainer>;
}

/** What a read must cover beyond the host's tables: sysctl keys and container namespaces. */
export interface ReadScope {
  sysctlKeys: string[];
  /**
   * Keys that depend on the host's links (the uplink's, found by the link carrying the node
   * address), read beside sysctlKeys: in the same round when the host tables are in before the
   * sysctls are read (a read started ahead, IpDataplane.startHostRead), after them otherwise.
   */
  linkSysctlKeys?: (links: ActualState['links']) => readonly string[];
  /** Namespaces to look inside: eth0, its addresses, the default route. */
  containerNamespaces: string[];
  /** Namespaces whose existence matters but whose inside the caller does not need read. */
  unreadNamespaces?: string[];
  /**
   * Addresses known to be in canonical form (the endpoints', from the topology): an address of
   * the kernel's spelt as one of them is taken as it is rather than canonicalised again (10,000
   * routes and 10,000 proxy entries on a large host, issue 13). Any other spelling still is.
   */
  canonicalAddresses?: ReadonlySet<string>;
}

export function emptyActualState(): ActualState {
  return {
    links: new Map(),
    routes: [],
    neighbours: [],
    proxies: [],
    sysctls: new Map(),
    namespaces: new Set(),
    containers: new Map(),
  };
}
