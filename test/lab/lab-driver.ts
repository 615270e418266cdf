// Helpers for tests and benchmarks that drive a running lab from outside, as an operator or an
// orchestrator would: edit the topology file, make a container's namespace, look at kernels, ping.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';

const run = promisify(execFile);

export interface TopologyDoc {
  nodes: Array<{ name: string; address: string }>;
  endpoints: Array<{ name: string; node: string; kind: string; addresses: string[]; netns?: string; interface?: string; mac?: string }>;
  [key: string]: unknown;
}

/** Rewrites the topology file the agents watch, atomically (write beside, rename over). */
export function editTopology(file: string, edit: (doc: TopologyDoc) => void): void {
  const doc = parse(readFileSync(file, 'utf8')) as TopologyDoc;
  edit(doc);
  writeFileSync(`${file}.new`, stringify(doc));
  renameSync(`${file}.new`, file);
}

/** The orchestrator's part of a new container: its namespace, DAD off, loopback up. */
export async function addContainerNamespace(netns: string): Promise<void> {
  await run('ip', ['netns', 'add', netns]);
  await run('ip', ['netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
  await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
}

/** The namespaces named `<prefix>-…` (`ip netns list` prints `name (id: 3)` or just `name`). */
export function namespacesWithPrefix(prefix: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${prefix}-`));
}

/** /128 destinations in a namespace's main table. */
export async function hostRoutes(netns: string): Promise<Set<string>> {
  const { stdout } = await run('ip', ['-n', netns, '-json', '-6', 'route', 'show']);
  return new Set((JSON.parse(stdout || '[]') as Array<{ dst: string }>).map((r) => r.dst).filter((d) => !d.includes('/')));
}

/** One echo request from a namespace; true when it was answered within timeoutS. */
export async function pings(netns: string, address: string, timeoutS = 1): Promise<boolean> {
  try {
    await run('ip', ['netns', 'exec', netns, 'ping', '-6', '-n', '-q', '-c', '1', '-W', String(timeoutS), address]);
    return true;
  } catch {
    return false;
  }
}

export async function signalPid(pid: number, signal: 'STOP' | 'CONT' | 'TERM' | 'KILL'): Promise<void> {
  await run('kill', [`-${signal}`, String(pid)]);
}

/** Polls every intervalMs until check() is true; returns the ms it took, or throws after timeoutMs. */
export async function timeUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
