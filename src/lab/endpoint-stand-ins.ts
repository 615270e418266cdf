// The lab's stand-ins for what an orchestrator and a hypervisor make for an endpoint: a container's
// namespace (the agent then wires its veth into it by name, as a CNI plugin would), and a VM's
// namespace with the tap's stand-in and the guest's dhclient. Each object is recorded in state.json
// the moment it exists, and only what state.json records is ever removed.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Runner } from '../exec.ts';
import { must, namespaceInode, pidsInNamespace, processNetnsInode, terminate } from './host.ts';
import { isAlive, processName } from '../proc.ts';
import { hostRoutes } from './observe.ts';
import type { ContainerPlan, VmPlan } from './plan.ts';
import type { LabEndpointRecord, StateRecorder } from './state.ts';

export const NO_DAD = ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'];

export async function addNamespace(runner: Runner, recorder: StateRecorder, netns: string, sysctls: string[]): Promise<void> {
  await must(runner, 'ip', ['netns', 'add', netns]);
  recorder.update((s) => s.namespaces.push(netns));
  // Before any link exists: addresses on links created later skip DAD, which bird6 needs.
  await must(runner, 'sysctl', ['-qw', ...sysctls], { netns });
  await must(runner, 'ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
}

const namedNamespaceExists = (netns: string) => existsSync(`/run/netns/${netns}`);

/**
 * Containers' namespaces, in the order given: 'created', or 'existing' for one that already exists
 * and is not the lab's (made by hand, as before the lab did this), used as it is and never removed:
 * only its endpoint is recorded, for `lab exec`, all such in one write of state.json. The new ones
 * are made side by side, since each is a few processes whose start-up is most of the wait and they
 * touch nothing of each other; each is recorded as it is made. When one fails, the others still
 * finish and are recorded, then the first failure is thrown (the orchestrator retries the pass).
 */
export async function addContainers(
  runner: Runner,
  recorder: StateRecorder,
  containers: readonly ContainerPlan[],
  namespaceExists: (netns: string) => boolean = namedNamespaceExists,
): Promise<Array<'created' | 'existing'>> {
  const made = containers.map((c) => (namespaceExists(c.netns) && !recorder.state.namespaces.includes(c.netns) ? 'existing' : 'created'));
  const record = (c: ContainerPlan) => ({ name: c.name, node: c.node, kind: 'container' as const, netns: c.netns });
  const existing = containers.filter((_, i) => made[i] === 'existing');
  if (existing.length > 0) recorder.update((s) => s.endpoints.push(...existing.map(record)));
  const outcomes = await Promise.allSettled(
    containers
      .filter((_, i) => made[i] === 'created')
      .map(async (c) => {
        await addNamespace(runner, recorder, c.netns, NO_DAD);
        recorder.update((s) => s.endpoints.push(record(c)));
      }),
  );
  // Each was recorded as soon as it existed (a crash loses none); put their endpoints and their
  // namespaces back in the topology's order, so state.json and what is shown from it do not depend
  // on which namespace was first.
  const byName = new Map(containers.map((c, i) => [c.name, i]));
  const byNetns = new Map(containers.map((c, i) => [c.netns, i]));
  recorder.update((s) => {
    s.endpoints = inGivenOrder(s.endpoints, (e) => byName.get(e.name));
    s.namespaces = inGivenOrder(s.namespaces, (ns) => byNetns.get(ns));
  });
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return made;
}

/** `list` with the items `position` places moved to its end, in that order; the others as they were. */
function inGivenOrder<T>(list: readonly T[], position: (item: T) => number | undefined): T[] {
  const placed = list.filter((item) => position(item) !== undefined).sort((a, b) => position(a)! - position(b)!);
  return [...list.filter((item) => position(item) === undefined), ...placed];
}

/**
 * The "VM" namespace and the tap's stand-in: a veth whose host end carries the endpoint's interface
 * name in the node namespace and whose VM end has its MAC. dhclient comes later (startDhclient).
 */
export async function addVm(runner: Runner, recorder: StateRecorder, vm: VmPlan, nodeNetns: string): Promise<void> {
  if (!recorder.state.dirs.includes(vm.dir)) {
    mkdirSync(vm.dir, { recursive: true });
    recorder.update((s) => s.dirs.push(vm.dir));
  }
  await addNamespace(runner, recorder, vm.netns, NO_DAD);
  mkdirSync(dirname(vm.resolvConf), { recursive: true });
  recorder.update((s) => s.files.push(vm.resolvConf, dirname(vm.resolvConf)));
  writeFileSync(vm.resolvConf, '');
  await must(runner, 'ip', ['-n', nodeNetns, 'link', 'add', vm.tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm.netns]);
  await must(runner, 'ip', ['-n', vm.netns, 'link', 'set', 'eth0', 'address', vm.mac]);
  await must(runner, 'ip', ['-n', vm.netns, 'link', 'set', 'eth0', 'up']);
  await must(runner, 'ip', ['-n', nodeNetns, 'link', 'set', vm.tap, 'up']);
  recorder.update((s) => s.endpoints.push({ name: vm.name, node: vm.node, kind: 'vm', netns: vm.netns, tap: vm.tap, mac: vm.mac }));
}

export const dhclientRole = (vm: string) => `dhclient ${vm}`;

/** The guest's DHCPv6 client, in the foreground so the PID the Runner reports is dhclient's own. */
export function startDhclient(runner: Runner, recorder: StateRecorder, vm: VmPlan): void {
  const child = runner.start('dhclient', ['-6', '-d', '-v', '-pf', vm.dhclientPidFile, '-lf', vm.dhclientLeaseFile, 'eth0'], {
    netns: vm.netns,
    detached: true,
    logFile: vm.dhclientLog,
  });
  recorder.update((s) => {
    s.processes.push({ role: dhclientRole(vm.name), pid: child.pid, netns: vm.netns });
    s.pidFiles.push(vm.dhclientPidFile);
  });
}

/**
 * The node is ready to answer the VM: its dnsmasq runs and the agent has programmed the tap (its
 * route is in the node's kernel, so the tap carries the address dnsmasq ties the DHCP range to).
 * Earlier, dhclient's first solicits go unheard and it backs off for seconds.
 */
export async function vmServed(runner: Runner, nodeNetns: string, vm: Pick<VmPlan, 'addresses'>): Promise<boolean> {
  const pids = await pidsInNamespace(runner, nodeNetns);
  if (!pids.some((pid) => processName(pid) === 'dnsmasq')) return false;
  const routes = await hostRoutes(runner, nodeNetns);
  return vm.addresses.every((a) => routes.has(a));
}

/**
 * Stops every process in one of the lab's namespaces and deletes it. Every process there is the
 * lab's (dhclient, or what `lab exec` started); a recorded PID only counts while /proc shows it in
 * that namespace, so a PID recycled since is never signalled.
 */
async function deleteOwnNamespace(runner: Runner, recorder: StateRecorder, netns: string, sleep: (ms: number) => Promise<void>): Promise<void> {
  const inode = namespaceInode(netns);
  const recorded = recorder.state.processes.filter((p) => p.netns === netns).map((p) => p.pid);
  const pids = new Set([...recorded.filter((pid) => inode !== undefined && isAlive(pid) && processNetnsInode(pid) === inode), ...(await pidsInNamespace(runner, netns))]);
  await terminate(runner, [...pids], 3000, sleep);
  if (inode !== undefined) await must(runner, 'ip', ['netns', 'del', netns]);
  recorder.update((s) => {
    s.namespaces = s.namespaces.filter((ns) => ns !== netns);
    s.processes = s.processes.filter((p) => p.netns !== netns);
  });
}

/** A namespace of the lab's that nothing claims (left by a crash before its endpoint was recorded): removed with its processes. */
export async function removeDebris(runner: Runner, recorder: StateRecorder, netns: string, sleep: (ms: number) => Promise<void>): Promise<void> {
  await deleteOwnNamespace(runner, recorder, netns, sleep);
  rmSync(`/etc/netns/${netns}`, { recursive: true, force: true });
  recorder.update((s) => (s.files = s.files.filter((f) => f !== `/etc/netns/${netns}` && !f.startsWith(`/etc/netns/${netns}/`))));
}

/**
 * Undoes one endpoint's stand-in: its processes and namespace if the lab made it (deleting a VM's
 * namespace deletes the tap's stand-in with it), a VM's files, then its record.
 */
export async function removeEndpoint(
  runner: Runner,
  recorder: StateRecorder,
  record: LabEndpointRecord,
  vmFiles: Pick<VmPlan, 'dir' | 'resolvConf' | 'dhclientPidFile'> | undefined,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  if (recorder.state.namespaces.includes(record.netns)) await deleteOwnNamespace(runner, recorder, record.netns, sleep);
  if (vmFiles !== undefined) {
    const files = [vmFiles.resolvConf, dirname(vmFiles.resolvConf)];
    for (const file of files) if (recorder.state.files.includes(file)) rmSync(file, { recursive: true, force: true });
    if (recorder.state.dirs.includes(vmFiles.dir)) rmSync(vmFiles.dir, { recursive: true, force: true });
    recorder.update((s) => {
      s.files = s.files.filter((f) => !files.includes(f));
      s.dirs = s.dirs.filter((d) => d !== vmFiles.dir);
      s.pidFiles = s.pidFiles.filter((f) => f !== vmFiles.dhclientPidFile);
    });
  }
  recorder.update((s) => (s.endpoints = s.endpoints.filter((e) => e.name !== record.name)));
}
