// Compose mode of the agent (`birdctl agent --compose-endpoints`): the node container plays the
// orchestrator's part for its own endpoints, as a CNI runtime does before calling a plugin. Once a
// second it looks for the endpoint containers in its PID namespace (endpoint-processes.ts), names
// each one's network namespace as the topology's `netns` (netns-binding.ts) and, for a VM, makes
// the tap and starts the guest's DHCPv6 client (vm-guest.ts). The endpoint programmer does the
// rest exactly as for any container or VM; a changed binding asks it for a pass at once.
import { readdirSync } from 'node:fs';
import type { Runner, RunningProcess } from '../exec.ts';
import { processName } from '../proc.ts';
import type { Logger } from '../agent/logger.ts';
import type { Endpoint, Topology } from '../topology/index.ts';
import { findEndpointProcesses } from './endpoint-processes.ts';
import { bindNetns, boundInode, unbindNetns } from './netns-binding.ts';
import { ensureTap, guestNetns, nodeServes, startGuestDhcp } from './vm-guest.ts';

export interface AttacherOptions {
  runner: Runner;
  nodeName: string;
  logger: Logger;
  /** the agent's last good topology (undefined before the first load) */
  topology: () => Topology | undefined;
  /** asks the endpoint programmer for a full pass */
  onChange: () => void;
  intervalMs: number;
  /** lease, pid and log files of the guests' DHCPv6 clients */
  stateDir: string;
}

interface Guest {
  inode: number;
  dhcp?: RunningProcess;
}

/** The namespace name an endpoint of this node is bound under, or undefined when none is needed. */
function bindingName(e: Endpoint): string | undefined {
  if (e.kind === 'vm') return guestNetns(e);
  return e.netns;
}

function dnsmasqRunning(): boolean {
  return readdirSync('/proc').some((pid) => /^\d+$/.test(pid) && processName(Number(pid)) === 'dnsmasq');
}

export class ComposeAttacher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** names bound by this process: the only ones it ever unbinds */
  private readonly bound = new Set<string>();
  /** VM guests by the name their namespace is bound under */
  private readonly guests = new Map<string, Guest>();

  constructor(private readonly options: AttacherOptions) {}

  start(): void {
    const tick = () => {
      this.running = this.pass()
        .catch((error) => this.options.logger.error('compose attach pass failed', { error }))
        .finally(() => {
          this.running = undefined;
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    for (const guest of this.guests.values()) guest.dhcp?.kill('SIGTERM');
  }

  /** One look at the processes; public for tests. */
  async pass(): Promise<void> {
    const topology = this.options.topology();
    if (topology === undefined) return;
    const mine = topology.endpoints.filter((e) => e.node === this.options.nodeName && bindingName(e) !== undefined);
    const claims = findEndpointProcesses(new Set(mine.map((e) => e.name)));
    let changed = false;
    const wantedNames = new Set<string>();
    for (const endpoint of mine) {
      const name = bindingName(endpoint)!;
      wantedNames.add(name);
      try {
        changed = (await this.attach(endpoint, name, claims.get(endpoint.name) ?? [])) || changed;
      } catch (error) {
        this.options.logger.warn('endpoint not attached; retrying', { endpoint: endpoint.name, error });
      }
    }
    // Endpoints that left the topology (or this node): their names go, their namespaces with them.
    for (const name of [...this.bound].filter((n) => !wantedNames.has(n))) {
      await this.release(name);
      changed = true;
    }
    if (changed) this.options.onChange();
  }

  private async release(name: string): Promise<void> {
    await unbindNetns(this.options.runner, name);
    this.bound.delete(name);
    this.guests.get(name)?.dhcp?.kill('SIGTERM');
    this.guests.delete(name);
  }

  /** Returns true when the binding changed. */
  private async attach(endpoint: Endpoint, name: string, processes: { pid: number; netnsInode: number }[]): Promise<boolean> {
    const { runner, logger } = this.options;
    const inodes = new Set(processes.map((p) => p.netnsInode));
    if (inodes.size !== 1) {
      if (inodes.size > 1) logger.warn('several network namespaces claim one endpoint; attaching none', { endpoint: endpoint.name, namespaces: inodes.size });
      if (!this.bound.has(name)) return false;
      logger.info('endpoint container gone; its namespace name released', { endpoint: endpoint.name, netns: name });
      await this.release(name);
      return true;
    }
    const [inode] = inodes;
    let changed = false;
    const current = boundInode(name);
    if (current !== inode) {
      if (this.bound.has(name) || current !== undefined) await unbindNetns(runner, name);
      await bindNetns(runner, name, processes[0]!.pid);
      this.bound.add(name);
      logger.info('endpoint container attached', { endpoint: endpoint.name, netns: name, pid: processes[0]!.pid });
      changed = true;
    }
    if (endpoint.kind === 'vm') changed = (await this.attachGuest(endpoint, name, inode!)) || changed;
    return changed;
  }

  private async attachGuest(vm: Endpoint, name: string, inode: number): Promise<boolean> {
    const { runner, logger } = this.options;
    const previous = this.guests.get(name);
    const fresh = previous === undefined || previous.inode !== inode;
    if (fresh) previous?.dhcp?.kill('SIGTERM');
    const guest: Guest = fresh ? { inode } : previous;
    this.guests.set(name, guest);
    const tap = await ensureTap(runner, vm, fresh);
    if (tap === 'foreign') {
      logger.warn('the VM tap name is taken by an interface this agent did not make', { endpoint: vm.name, interface: vm.interface });
      return false;
    }
    if (tap === 'created') logger.info('VM tap made', { endpoint: vm.name, interface: vm.interface });
    if (guest.dhcp === undefined && (await nodeServes(runner, vm, dnsmasqRunning()))) {
      const dhcp = startGuestDhcp(runner, vm, this.options.stateDir);
      guest.dhcp = dhcp;
      // A client that dies is started again on a later pass.
      void dhcp.exited.then(() => {
        if (guest.dhcp === dhcp) guest.dhcp = undefined;
      });
      logger.info('VM guest DHCPv6 client started', { endpoint: vm.name, pid: dhcp.pid });
    }
    return tap === 'created';
  }
}
