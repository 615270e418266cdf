// Test hosts in network namespaces. Each test file makes one NetnsTestbed with its own prefix, so
// parallel files never collide; cleanup() kills the processes it started by PID and deletes the
// namespaces it made, and is safe to call twice (use it in afterAll so it runs when assertions fail).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NodeLink {
  /** namespace of the host */
  netns: string;
  /** interface name inside that namespace */
  ifname: string;
  /** address with prefix length, e.g. fd00:ec::1/64 */
  cidr: string;
}

export class NetnsTestbed {
  readonly prefix: string;
  readonly dir: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(prefix: string) {
    if (!/^[a-z0-9-]{1,12}$/.test(prefix)) throw new Error(`bad testbed prefix ${prefix}`);
    this.prefix = prefix;
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    this.removeLeftovers();
  }

  /** Namespaces left by an earlier run of the same file that crashed before its cleanup. */
  private removeLeftovers(): void {
    const listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const line of listed.split('\n')) {
      const name = line.split(' ')[0];
      if (name && name.startsWith(`${this.prefix}-`)) execFileSync('ip', ['netns', 'del', name]);
    }
  }

  /** Runs a command to completion in a namespace (or the root one when netns is undefined). */
  run(netns: string | undefined, file: string, args: string[], input?: string): string {
    const argv = netns === undefined ? [file, ...args] : ['ip', 'netns', 'exec', netns, file, ...args];
    return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** A new namespace with IPv6 forwarding on and DAD off (bird6 flaps without link-local addresses). */
  addNamespace(name: string): string {
    const netns = `${this.prefix}-${name}`;
    execFileSync('ip', ['netns', 'add', netns]);
    this.namespaces.push(netns);
    for (const key of ['all', 'default']) {
      this.run(netns, 'sysctl', ['-qw', `net.ipv6.conf.${key}.accept_dad=0`]);
      this.run(netns, 'sysctl', ['-qw', `net.ipv6.conf.${key}.forwarding=1`]);
    }
    this.run(netns, 'ip', ['link', 'set', 'lo', 'up']);
    return netns;
  }

  /**
   * Hosts on one L2 segment: a bridge in its own namespace and one veth per host, named `eth0`
   * inside the host's namespace, carrying the given address.
   */
  connect(hosts: NodeLink[], segment = 'sw'): string {
    const sw = this.addNamespace(segment);
    this.run(sw, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    this.run(sw, 'ip', ['link', 'set', 'br0', 'up']);
    hosts.forEach((host, i) => {
      const port = `p${i}`;
      this.run(sw, 'ip', ['link', 'add', port, 'type', 'veth', 'peer', 'name', host.ifname, 'netns', host.netns]);
      this.run(sw, 'ip', ['link', 'set', port, 'master', 'br0', 'up']);
      this.run(host.netns, 'ip', ['-6', 'addr', 'add', host.cidr, 'dev', host.ifname, 'nodad']);
      this.run(host.netns, 'ip', ['link', 'set', host.ifname, 'up']);
    });
    return sw;
  }

  /**
   * Puts the test process itself (the root namespace) on a segment made by connect(), through a
   * veth named `ifname`, so tests can reach servers listening on node addresses. The veth goes
   * away with the segment's namespace in cleanup().
   */
  attachRoot(segment: string, ifname: string, cidr: string): void {
    if (ifname.length > 15) throw new Error(`interface name ${ifname} is too long`);
    this.run(segment, 'ip', ['link', 'add', `r-${ifname}`.slice(0, 15), 'type', 'veth', 'peer', 'name', ifname, 'netns', '1']);
    this.run(segment, 'ip', ['link', 'set', `r-${ifname}`.slice(0, 15), 'master', 'br0', 'up']);
    this.run(undefined, 'ip', ['-6', 'addr', 'add', cidr, 'dev', ifname, 'nodad']);
    this.run(undefined, 'ip', ['link', 'set', ifname, 'up']);
  }

  /** Starts a long-running process in a namespace; it is killed by PID in cleanup(). */
  start(netns: string | undefined, file: string, args: string[], logName?: string): ChildProcess {
    const argv = netns === undefined ? [file, ...args] : ['ip', 'netns', 'exec', netns, file, ...args];
    const log = logName === undefined ? 'ignore' : 'pipe';
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', log, log] });
    this.children.push(child);
    return child;
  }

  /** Starts bird6 in the foreground (so its PID is ours) with a control socket in the testbed dir. */
  startBird(netns: string, configFile: string, name: string): { child: ChildProcess; socket: string } {
    const socket = join(this.dir, `${name}.ctl`);
    const child = this.start(netns, 'bird6', ['-f', '-c', configFile, '-s', socket]);
    return { child, socket };
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.children.splice(0).map((child) => stop(child)));
    for (const netns of this.namespaces.splice(0).reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Kills the bird6 whose pid file is `pidFile` (an agent started it detached and leaves it running
 * by design). Returns false when there was none.
 */
export function killByPidFile(pidFile: string, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (!existsSync(pidFile)) return false;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), signal);
    return true;
  } catch {
    return false; // already gone
  }
}

/** `signal` (SIGTERM unless told), then SIGKILL after a second; resolves when the process has exited. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
  await exited;
  clearTimeout(timer);
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
