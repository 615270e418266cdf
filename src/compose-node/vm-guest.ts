// The hypervisor's part for a simulated VM in the one-host compose cluster, as `birdctl lab` plays
// it (lab/up.ts): the VM is a container (its network namespace is the guest's), its tap is a veth
// whose host end carries the endpoint's interface name in the node and whose guest end is eth0
// with the VM's MAC, and the guest's DHCPv6 client runs in its namespace. The endpoint programmer
// then treats the tap like any VM's: route, neighbour entry, dnsmasq answering the DHCPv6 client.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner, RunningProcess } from '../exec.ts';
import type { Endpoint } from '../topology/index.ts';
import { canonicalIPv6 } from '../topology/ipv6.ts';
import { mustRun } from './run.ts';

/** Alias of the taps made here: not the programmer's own prefix, so it never deletes them. */
const TAP_ALIAS_PREFIX = 'bird6-compose-vm:';
const GUEST_INTERFACE = 'eth0';

/** The name the VM container's network namespace is bound under in this node. */
export function guestNetns(endpoint: Endpoint): string {
  return `vm.${endpoint.name}`;
}

interface JsonLink {
  ifalias?: string;
}

/** The alias of a link in this namespace; null when the link does not exist. */
async function linkAlias(runner: Runner, ifname: string): Promise<string | undefined | null> {
  const result = await runner.run('ip', ['-json', 'link', 'show', 'dev', ifname]);
  if (result.exitCode !== 0) return null;
  const [link] = JSON.parse(result.stdout || '[]') as JsonLink[];
  return link?.ifalias;
}

export type TapState = 'created' | 'present' | 'foreign';

/**
 * Makes the tap of `vm` into the guest namespace unless one of ours is there. `fresh`: the guest
 * namespace was (re)bound since the tap was made, so an existing tap of ours leads to the old one.
 */
export async function ensureTap(runner: Runner, vm: Endpoint, fresh: boolean): Promise<TapState> {
  const alias = await linkAlias(runner, vm.interface);
  if (alias !== null && alias !== `${TAP_ALIAS_PREFIX}${vm.name}`) return 'foreign';
  if (alias !== null && !fresh) return 'present';
  if (alias !== null) await mustRun(runner, 'ip', ['link', 'del', vm.interface]);
  const netns = guestNetns(vm);
  await mustRun(runner, 'ip', ['link', 'add', vm.interface, 'type', 'veth', 'peer', 'name', GUEST_INTERFACE, 'netns', netns]);
  await mustRun(runner, 'ip', ['link', 'set', vm.interface, 'alias', `${TAP_ALIAS_PREFIX}${vm.name}`]);
  await mustRun(runner, 'ip', ['-n', netns, 'link', 'set', GUEST_INTERFACE, 'address', vm.mac!]);
  await mustRun(runner, 'ip', ['-n', netns, 'link', 'set', GUEST_INTERFACE, 'up']);
  await mustRun(runner, 'ip', ['link', 'set', vm.interface, 'up']);
  return 'created';
}

/**
 * The node can answer the guest: the programmer has routed every VM address through the tap (so
 * the tap carries the prefix dnsmasq ties its range to) and a dnsmasq runs. Started earlier, the
 * client's first solicits go unheard and it backs off for seconds.
 */
export async function nodeServes(runner: Runner, vm: Endpoint, dnsmasqRunning: boolean): Promise<boolean> {
  if (!dnsmasqRunning) return false;
  const result = await runner.run('ip', ['-6', '-json', 'route', 'show', 'dev', vm.interface]);
  if (result.exitCode !== 0) return false;
  const routed = new Set((JSON.parse(result.stdout || '[]') as Array<{ dst: string }>).map((r) => canonicalIPv6(r.dst) ?? r.dst));
  return vm.addresses.every((a) => routed.has(canonicalIPv6(a) ?? a));
}

/** The guest's DHCPv6 client in the foreground, so the PID the Runner reports is dhclient's own. */
export function startGuestDhcp(runner: Runner, vm: Endpoint, stateDir: string): RunningProcess {
  const netns = guestNetns(vm);
  const dir = join(stateDir, vm.name);
  mkdirSync(dir, { recursive: true });
  // `ip netns exec` binds /etc/netns/NAME/resolv.conf over /etc/resolv.conf: dhclient-script then
  // writes the guest's copy, never the node container's.
  mkdirSync(`/etc/netns/${netns}`, { recursive: true });
  writeFileSync(`/etc/netns/${netns}/resolv.conf`, '', { flag: 'a' });
  // -D LL: a DUID from the MAC alone. The default DUID-LLT carries the time it was made, so a
  // restarted guest (its lease file is gone with the node's /run) would be a new client, and
  // dnsmasq, which keeps the VM's address leased to the old DUID, would offer it nothing.
  return runner.start('dhclient', ['-6', '-D', 'LL', '-d', '-v', '-pf', join(dir, 'dhclient.pid'), '-lf', join(dir, 'dhclient.leases'), GUEST_INTERFACE], {
    netns,
    logFile: join(dir, 'dhclient.log'),
  });
}
