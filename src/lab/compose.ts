// The compose deployment of a topology on one Docker host: one service per node, each running
// `birdctl agent --compose-endpoints` with bird6 under its supervision, all on one IPv6 network that
// carries the nodes' addresses; and one service per endpoint, a container with no Docker network
// of its own that its node's agent wires (compose-node/attacher.ts). Built as a plain object and
// serialised by the `yaml` package, so no topology value is ever spliced into YAML text.
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Document } from 'yaml';
import { ENDPOINT_ENV } from '../compose-node/endpoint-processes.ts';
import { BirdctlError } from '../errors.ts';
import type { Endpoint, Topology } from '../topology/index.ts';
import { formatPrefix } from '../topology/ipv6.ts';
import { freeGatewayAddress, nodeSubnet } from './subnet.ts';

/** Where things live inside the image (see Dockerfile). */
export const CONTAINER_PATHS = {
  topologyDir: '/etc/birdctl/topology',
  /** bird6.conf's directory, where the agent also keeps its ownership record (endpoints/ledger.ts). */
  configDir: '/etc/bird',
  config: '/etc/bird/bird6.conf',
  socket: '/run/bird/bird6.ctl',
} as const;

/** The one network every node service joins. */
export const NETWORK_NAME = 'fabric';
export const IMAGE = 'bird6-controller:latest';

export interface ComposeOptions {
  /** The topology file as the user named it; mounted into every service. */
  topologyFile: string;
  /** The directory the compose file will be used from; relative mount paths are relative to it. */
  composeDir: string;
}

/** A bind-mount source as compose expects it: `.` or `./x` for a path below composeDir, else as resolved. */
export function mountSource(file: string, composeDir: string): string {
  const absolute = resolve(composeDir, file);
  const rel = relative(composeDir, absolute);
  if (rel === '') return '.';
  if (isAbsolute(rel)) return absolute;
  return rel.startsWith('..') ? rel.split(sep).join('/') : `./${rel.split(sep).join('/')}`;
}

/** Docker turns IPv6 off on interfaces made after a container starts; the agent's veths need it on. */
const IPV6_ON = { 'net.ipv6.conf.all.disable_ipv6': 0, 'net.ipv6.conf.default.disable_ipv6': 0 };
export const NO_DAD = { 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0 };
/** The node's only network interface, the uplink (Docker names a container's first network eth0). */
const UPLINK = 'eth0';

/**
 * A node container's capabilities, each with its reason. Every node layout (this one-host file,
 * the per-host file of compose-host.ts, a Swarm stack) needs all three: the agent programs routes
 * and proxy NDP, dnsmasq sends RAs, and the agent makes /proc/sys/net writable in its own mount
 * namespace and names or enters endpoint namespaces (compose-node/writable-net-sysctls.ts).
 */
const NODE_CAPABILITIES = [
  { cap: 'NET_ADMIN', why: 'routes, veths, addresses, proxy NDP; bird6 installs routes' },
  { cap: 'NET_RAW', why: 'dnsmasq sends Router Advertisements' },
  { cap: 'SYS_ADMIN', why: 'to enter an endpoint\'s network namespace (and, in compose mode, name it in /run/netns with a bind mount), and to make /proc/sys/net writable in the node\'s own mount namespace: Docker mounts /proc/sys read-only' },
] as const;

/** The capabilities as header lines, one per capability with its reason (a layout's own file header). */
export function nodeCapabilityLines(): string[] {
  return NODE_CAPABILITIES.map((c) => `  ${c.cap}: ${c.why}`);
}

/** A fresh list each call: a shared object would come out of the serialiser as a YAML alias. */
export function nodeCapAdd(): string[] {
  return NODE_CAPABILITIES.map((c) => c.cap);
}

/** The node's kernel settings a one-network container gets from Docker: forwarding, DAD off, IPv6 on, proxy NDP on its uplink. */
function nodeSysctls(uplink: string): Record<string, number> {
  return { 'net.ipv6.conf.all.forwarding': 1, ...NO_DAD, ...IPV6_ON, [`net.ipv6.conf.${uplink}.proxy_ndp`]: 1 };
}

/**
 * The agent's command line in a node container: bird6 supervised, its files where the image keeps
 * them. nodeName unset: the agent takes it from BIRDCTL_NODE (the Swarm stack, compose-swarm.ts).
 */
export function nodeAgentCommand(nodeName: string | undefined, topologyFile: string, uplink: string | undefined, extra: readonly string[] = []): string[] {
  return [
    'birdctl', 'agent', topologyFile,
    ...(nodeName === undefined ? [] : ['--node', nodeName]),
    '--config', CONTAINER_PATHS.config,
    '--socket', CONTAINER_PATHS.socket,
    // Unset: the agent takes the interface that carries the node's address.
    ...(uplink === undefined ? [] : ['--uplink', uplink]),
    '--bird',
    ...extra,
  ];
}

/** The node's healthcheck: ready means bird6 answers and, once it has peers, one session is Established. */
export function nodeHealthcheck(): Record<string, unknown> {
  return {
    // Ready: bird6 answers and, once it has peers, one session is Established (status --ready).
    // A birdctl run costs node's start-up (seconds on a busy host): hence not more often.
    test: ['CMD', 'birdctl', 'status', '--ready', '--socket', CONTAINER_PATHS.socket],
    interval: '10s',
    timeout: '10s',
    retries: 3,
    start_period: '30s',
  };
}

/** The topology's directory as a read-only bind mount, and the path of the file inside it. */
export function topologyMount(topologyFile: string, composeDir: string): { volume: Record<string, unknown>; file: string } {
  // The topology's directory, not the file, is mounted: an edit that replaces the file (most
  // editors, `git checkout`) would leave a single-file mount on the old inode.
  return {
    volume: { type: 'bind', source: mountSource(dirname(topologyFile), composeDir), target: CONTAINER_PATHS.topologyDir, read_only: true },
    file: `${CONTAINER_PATHS.topologyDir}/${basename(topologyFile)}`,
  };
}

/** A serialised compose document with `lines` as its header comment. */
export function withHeader(object: Record<string, unknown>, lines: readonly string[]): string {
  const doc = new Document(object);
  doc.commentBefore = lines.map((line) => (line === '' ? '' : ` ${line}`)).join('\n');
  return doc.toString({ lineWidth: 0 });
}

/**
 * Why each privilege is there. YAML written by a serialiser carries no comments on its values, so
 * this goes in the file's header (and README, Deployment).
 */
const PRIVILEGES = [
  'Nodes: NET_ADMIN (routes, veths, addresses, proxy NDP; bird6 installs routes), NET_RAW (dnsmasq',
  'sends Router Advertisements), SYS_ADMIN (to enter an endpoint container\'s network namespace, to',
  'name it in /run/netns with a bind mount, and to make /proc/sys/net writable in the node\'s own',
  'mount namespace: Docker mounts /proc/sys read-only); no privileged mode. sysctls: forwarding,',
  'DAD off, IPv6 on for interfaces made later, proxy NDP on the uplink. /run is a tmpfs so no',
  'namespace name outlives a restart. Endpoints: no Docker network (the node wires eth0 the way a',
  'CNI plugin does), only NET_RAW (ping), no new privileges; they join their node\'s PID namespace,',
  'which is how the node finds their network namespace (their processes carry the endpoint name in',
  `${ENDPOINT_ENV}) and also means an endpoint can see the node's processes: a one-host demo and CI`,
  'layout, not a production one.',
];

/** The endpoints the compose cluster can wire, each a service: containers with a netns, and VMs. */
function deployable(e: Endpoint): boolean {
  return e.kind === 'vm' || e.netns !== undefined;
}

function endpointService(endpoint: Endpoint): Record<string, unknown> {
  return {
    image: IMAGE,
    depends_on: [endpoint.node],
    network_mode: 'none',
    pid: `service:${endpoint.node}`,
    restart: 'unless-stopped',
    // The stand-in workload pings: iputils' ping needs a raw socket; nothing else is granted.
    cap_drop: ['ALL'],
    cap_add: ['NET_RAW'],
    security_opt: ['no-new-privileges:true'],
    environment: { [ENDPOINT_ENV]: endpoint.name },
    // Before the node makes eth0 in here: IPv6 on, and no DAD holding its address tentative.
    sysctls: { ...IPV6_ON, ...NO_DAD },
    // The workload stand-in: a container that only has to exist (and answer ping).
    command: ['sleep', 'infinity'],
  };
}

/** Service names are shared by nodes and endpoints: one name for both would be one service. */
function checkServiceNames(topology: Topology): void {
  const nodes = new Set(topology.nodes.map((n) => n.name));
  const clashes = topology.endpoints.filter((e) => nodes.has(e.name));
  if (clashes.length === 0) return;
  throw new BirdctlError('TOPOLOGY_INVALID', `${topology.source}: endpoints named like nodes cannot be compose services`, {
    problems: clashes.map((e) => ({
      path: `endpoints[${topology.endpoints.indexOf(e)}].name`,
      message: `${JSON.stringify(e.name)} is also a node's name`,
      hint: 'the compose file has one service per node and per endpoint: rename the endpoint',
    })),
  });
}

export function composeObject(topology: Topology, options: ComposeOptions): Record<string, unknown> {
  const subnet = nodeSubnet(topology);
  checkServiceNames(topology);
  const services: Record<string, unknown> = {};
  for (const node of topology.nodes) {
    // One per service, for the same reason as nodeCapAdd().
    const mount = topologyMount(options.topologyFile, options.composeDir);
    services[node.name] = {
      build: { context: '.', dockerfile: 'Dockerfile' },
      image: IMAGE,
      hostname: node.name,
      // tini as PID 1 reaps bird6 and dnsmasq once the agent has detached them.
      init: true,
      restart: 'unless-stopped',
      cap_add: nodeCapAdd(),
      sysctls: nodeSysctls(UPLINK),
      tmpfs: ['/run'],
      networks: { [NETWORK_NAME]: { ipv6_address: node.address } },
      volumes: [mount.volume],
      command: nodeAgentCommand(node.name, mount.file, UPLINK, ['--compose-endpoints']),
      healthcheck: nodeHealthcheck(),
    };
  }
  for (const endpoint of topology.endpoints.filter(deployable)) services[endpoint.name] = endpointService(endpoint);
  return {
    version: '2.4',
    services,
    networks: {
      [NETWORK_NAME]: {
        driver: 'bridge',
        enable_ipv6: true,
        ipam: { config: [{ subnet: formatPrefix(subnet), gateway: freeGatewayAddress(topology, subnet) }] },
      },
    },
  };
}

/** The compose file's text, headed by how to regenerate it, the privileges and what is left out. */
export function composeYaml(topology: Topology, options: ComposeOptions): string {
  const skipped = topology.endpoints.filter((e) => !deployable(e)).map((e) => e.name);
  const header = [
    `Generated by: birdctl compose ${mountSource(options.topologyFile, options.composeDir)}`,
    'Do not edit by hand; regenerate it when the topology changes.',
    'One Docker host: docker-compose up -d (README, Deployment).',
    '',
    ...PRIVILEGES,
    ...(skipped.length === 0 ? [] : ['', `Not deployed (container endpoints without a netns are wired by someone else): ${skipped.join(', ')}`]),
  ];
  return withHeader(composeObject(topology, options), header);
}
