// dnsmasq configuration for a node's VM endpoints (pure). Per VM interface: Router
// Advertisements without SLAAC and without the on-link flag, so the VM's only route is a default
// route to the host's link-local address on its tap, and stateful DHCPv6 that hands each VM
// exactly its topology addresses, reserved by MAC. Every value comes from validated topology
// fields (interface names, canonical addresses, MACs), none of which can hold a newline or comma.
import { requireNode, type Endpoint, type Topology } from '../topology/index.ts';
import { subnetRouterAddresses } from './desired.ts';

export interface DnsmasqFiles {
  /** The main configuration; changing it needs a restart (dnsmasq re-reads only host files on SIGHUP). */
  config: string;
  /** `dhcp-host` reservations, one VM a line; re-read on SIGHUP when `hostsFile` is used. */
  hosts: string;
}

export interface DnsmasqOptions {
  leaseFile: string;
  /** Keep reservations in this file (reloadable with SIGHUP) instead of inline in the config. */
  hostsFile?: string;
  /** Seconds between unsolicited RAs; dnsmasq answers router solicitations at once regardless. */
  raIntervalSeconds?: number;
  /** Router lifetime in RAs: how long a VM keeps its default route without hearing from the host. */
  routerLifetimeSeconds?: number;
}

/** `MAC,[addr],[addr]` for dnsmasq's dhcp-host (IPv6 addresses in brackets). */
function reservation(e: Endpoint): string {
  return `${e.mac},${e.addresses.map((a) => `[${a}]`).join(',')}`;
}

/** The VM endpoints of a node; a node without any needs no dnsmasq. */
export function vmEndpoints(topology: Topology, nodeName: string): Endpoint[] {
  requireNode(topology, nodeName);
  return topology.endpoints.filter((e) => e.node === nodeName && e.kind === 'vm');
}

/** The node's dnsmasq files, or undefined when the node has no VM endpoints. */
export function renderDnsmasq(topology: Topology, nodeName: string, options: DnsmasqOptions): DnsmasqFiles | undefined {
  const vms = vmEndpoints(topology, nodeName);
  if (vms.length === 0) return undefined;
  const interval = options.raIntervalSeconds ?? 5;
  const lifetime = options.routerLifetimeSeconds ?? 1800;
  // One static range per /64 holding a VM address; dnsmasq ties a range to the interfaces that
  // carry an address in it, which is why each tap gets its /64's subnet-router address.
  const networks = [...new Set(vms.flatMap((e) => subnetRouterAddresses(e.addresses)))];
  const hosts = vms.map((e) => `${reservation(e)}\n`).join('');
  const lines = [
    `# dnsmasq for the VM endpoints of node ${nodeName}, rendered by bird6-controller from ${topology.source}.`,
    '# Router Advertisements (no SLAAC, no on-link flag) and stateful DHCPv6 only: no DNS, no DHCPv4.',
    'port=0',
    // Taps appear and disappear with their VMs; bind-dynamic picks them up without a restart.
    'bind-dynamic',
    ...vms.map((e) => `interface=${e.interface}`),
    'enable-ra',
    ...vms.map((e) => `ra-param=${e.interface},${interval},${lifetime}`),
    // static: only reserved addresses are handed out; off-link: the prefix goes out without the
    // L flag; no `slaac`: without the A flag, so VMs build no address of their own.
    ...networks.map((n) => `dhcp-range=${n.replace('/64', '')},static,off-link,64,1h`),
    ...(options.hostsFile === undefined ? vms.map((e) => `dhcp-host=${reservation(e)}`) : [`dhcp-hostsfile=${options.hostsFile}`]),
    'dhcp-authoritative',
    `dhcp-leasefile=${options.leaseFile}`,
    'log-dhcp',
  ];
  return { config: `${lines.join('\n')}\n`, hosts };
}
