// What a lab of a topology consists of, as names and paths only (pure, so it is unit-tested
// without root): one namespace per node on a bridge in a switch namespace, a namespace per VM
// endpoint, the container endpoints' own namespaces, and a directory per node for its agent.
import { join } from 'node:path';
import { BirdctlError } from '../errors.ts';
import type { Endpoint, Topology } from '../topology/index.ts';
import { formatPrefix } from '../topology/ipv6.ts';
import { NODE_PREFIX_LENGTH, nodeSubnet } from './subnet.ts';

export interface LabOptions {
  /** Namespace prefix: nodes are `<prefix>-<node>`; the lab's own namespaces are `<prefix>--…`. */
  prefix: string;
  /** state.json, node directories, logs, pid and lease files */
  stateDir: string;
}

export interface NodePlan {
  name: string;
  netns: string;
  /** `<address>/64` on eth0 */
  cidr: string;
  address: string;
  /** the bridge port in the switch namespace that leads to this node's eth0 */
  switchPort: string;
  dir: string;
  config: string;
  socket: string;
  /** bird6 -P writes it next to the config (agent contract) */
  birdPidFile: string;
  agentLog: string;
}

export interface ContainerPlan {
  name: string;
  node: string;
  /** the endpoint's own `netns` field: the agent wires the veth into it by that name */
  netns: string;
}

export interface VmPlan {
  name: string;
  node: string;
  /** the "VM": a namespace whose eth0 is the far end of the tap's stand-in */
  netns: string;
  /** the host end, in the node namespace, named as the endpoint's interface (stand-in for the tap) */
  tap: string;
  mac: string;
  addresses: string[];
  dir: string;
  dhclientPidFile: string;
  dhclientLeaseFile: string;
  dhclientLog: string;
  /** bind-mounted over /etc/resolv.conf by `ip netns exec`, so dhclient-script cannot touch the host's */
  resolvConf: string;
}

export interface LabPlan {
  prefix: string;
  stateDir: string;
  switchNetns: string;
  bridge: string;
  subnet: string;
  nodes: NodePlan[];
  containers: ContainerPlan[];
  vms: VmPlan[];
}

const PREFIX = /^[a-z][a-z0-9]{0,7}$/;

export function validatePrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) {
    throw new BirdctlError('USAGE', `lab prefix ${JSON.stringify(prefix)} is not 1-8 lower-case letters and digits starting with a letter`, {
      hint: 'use for example --prefix b6lab',
    });
  }
}

/** A container endpoint's part of the lab; its netns must be set (planLab refuses one without). */
export function containerPlan(e: Endpoint): ContainerPlan {
  return { name: e.name, node: e.node, netns: e.netns! };
}

/** Where a VM's namespace and files are, from its name alone (what `lab down` and removal need). */
export function vmPaths(options: LabOptions, name: string): Pick<VmPlan, 'netns' | 'dir' | 'dhclientPidFile' | 'dhclientLeaseFile' | 'dhclientLog' | 'resolvConf'> {
  const dir = join(options.stateDir, 'vms', name);
  const netns = `${options.prefix}--vm-${name}`;
  return {
    netns,
    dir,
    dhclientPidFile: join(dir, 'dhclient.pid'),
    dhclientLeaseFile: join(dir, 'dhclient6.leases'),
    dhclientLog: join(dir, 'dhclient.log'),
    resolvConf: join('/etc/netns', netns, 'resolv.conf'),
  };
}

/** A VM endpoint's part of the lab: its namespace, tap stand-in and dhclient's files. */
export function vmPlan(e: Endpoint, options: LabOptions): VmPlan {
  return { name: e.name, node: e.node, tap: e.interface, mac: e.mac!, addresses: e.addresses, ...vmPaths(options, e.name) };
}

export function planLab(topology: Topology, options: LabOptions): LabPlan {
  validatePrefix(options.prefix);
  const subnet = nodeSubnet(topology);
  const bare = topology.endpoints.filter((e) => e.kind === 'container' && e.netns === undefined);
  if (bare.length > 0) {
    throw new BirdctlError('TOPOLOGY_INVALID', `${topology.source}: the lab needs a netns for every container endpoint`, {
      problems: bare.map((e) => ({
        path: `endpoints[${topology.endpoints.indexOf(e)}].netns`,
        message: `container endpoint ${JSON.stringify(e.name)} has no netns, so nothing in the lab would create its veth`,
        hint: `add netns: ${e.name} (the agent then creates and wires the container's veth itself)`,
      })),
    });
  }
  const nodes = topology.nodes.map((node, i): NodePlan => {
    const dir = join(options.stateDir, 'nodes', node.name);
    return {
      name: node.name,
      netns: `${options.prefix}-${node.name}`,
      cidr: `${node.address}/${NODE_PREFIX_LENGTH}`,
      address: node.address,
      switchPort: `p${i}`,
      dir,
      config: join(dir, 'bird6.conf'),
      socket: join(dir, 'bird6.ctl'),
      birdPidFile: join(dir, 'bird6.pid'),
      agentLog: join(dir, 'agent.log'),
    };
  });
  const containers = topology.endpoints.filter((e) => e.kind === 'container').map(containerPlan);
  const vms = topology.endpoints.filter((e) => e.kind === 'vm').map((e) => vmPlan(e, options));
  return {
    prefix: options.prefix,
    stateDir: options.stateDir,
    switchNetns: `${options.prefix}--switch`,
    bridge: 'br0',
    subnet: formatPrefix(subnet),
    nodes,
    containers,
    vms,
  };
}
