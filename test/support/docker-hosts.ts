// Several "lab hosts" on one machine, each with its own Docker engine: for the per-host compose
// test and the Swarm test. A lab host is a network namespace on a shared bridge (one IPv6 /64)
// whose dockerd runs inside it, so a container with host networking lives in that namespace.
//
// Each engine is started with `nsenter --net=/run/netns/HOST` into a persistent mount namespace
// of its own (and a UTS namespace, so Swarm can see the topology node name as the hostname):
//  - not `ip netns exec`, which remounts /sys and hides the cgroup v1 mounts dockerd needs;
//  - private directories bind-mounted over /etc/docker and /var/lib/docker, because dockerd 20.10
//    writes its identity key and Swarm's load-balancer files there whatever its roots say;
//  - propagation `slave`, then /run/netns made shared again inside: namespaces the test adds in
//    the root mount namespace (`ip netns add`) still reach the engine and, through an rshared
//    bind mount, its containers, while nothing the engine mounts leaks back to the root.
// The namespaces are bound to files (unshare --mount=FILE) so every step is one argument array,
// and teardown can tell exactly which processes are the engine's: those in its mount or network
// namespace. No registry is reachable, so the image is built on the root engine
// (.ci/docker-engine, via docker.ts) and streamed `docker save | docker load` into each engine.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processRunner, type RunResult } from '../../src/exec.ts';
import { startDockerEngine, type DockerEngine } from './docker.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** What the Dockerfile copies (see .dockerignore): the build context stays small. */
const BUILD_CONTEXT: readonly string[] = ['Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', 'tsconfig.json', 'src', 'scripts', 'bird-templates', 'topology/example.yaml'];
/** The tag the project's compose files name (src/lab/compose.ts IMAGE). */
export const PROJECT_IMAGE = 'bird6-controller:latest';
/** dockerd 20.10's paths outside its data and exec roots (see the header). */
const PRIVATE_DIRS = { etc: '/etc/docker', lib: '/var/lib/docker' } as const;

export interface LabHostSpec {
  /** Short name (also the hostname when asked): letters, digits, dashes. */
  name: string;
  /** The host's IPv6 address on the shared /64 (without a prefix length). */
  address: string;
}

export interface DockerHostsOptions {
  /** The test file's unique prefix: namespaces `PREFIX-NAME`, state dir `$TMPDIR/PREFIX-*`. */
  prefix: string;
  hosts: LabHostSpec[];
  /** Give each engine its own UTS namespace with hostname = the host's name (Swarm needs it). */
  hostname?: boolean;
  /** Build the project image on the root engine and load it into every host engine (default true). */
  image?: boolean;
}

export interface LabHost {
  name: string;
  address: string;
  /** The network namespace's name in /run/netns. */
  netns: string;
  /** DOCKER_HOST for docker and docker-compose on this host. */
  env: Record<string, string>;
  /** This host's private scratch directory (compose files, topology...). */
  dir: string;
  /** `docker ARGS` against this host's engine. */
  run(args: string[], timeoutMs?: number): Promise<RunResult>;
  /** Like run, throwing with stderr's tail on a non-zero exit. */
  must(args: string[], timeoutMs?: number): Promise<string>;
}

export interface DockerHosts {
  hosts: LabHost[];
  /** Milliseconds per bring-up step. */
  timings: Record<string, number>;
  /** Tears everything down (safe to call twice, also after a failed start); returns its timings. */
  stop(): Promise<Record<string, number>>;
}

interface Engine {
  host: LabHost;
  state: string;
  mntFile: string;
  utsFile?: string;
}

const NAME_RE = /^[a-z][a-z0-9-]{0,10}$/;

async function must(file: string, args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<string> {
  const result = await processRunner.run(file, args, { env: options.env, timeoutMs: options.timeoutMs ?? 30_000 });
  if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} failed (exit ${result.exitCode}):\n${result.stderr.slice(-2000)}`);
  return result.stdout;
}

/** The inode of a namespace file (nsfs): how a process's namespace is recognised as ours. */
function nsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** PIDs of the processes in any of these namespaces (mnt or net, by inode). */
function processesIn(namespaces: { mnt?: number; net?: number }): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const mnt = nsInode(`/proc/${entry}/ns/mnt`);
    const net = nsInode(`/proc/${entry}/ns/net`);
    if ((namespaces.mnt !== undefined && mnt === namespaces.mnt) || (namespaces.net !== undefined && net === namespaces.net)) pids.push(Number(entry));
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killAndWait(pids: number[], signal: NodeJS.Signals, waitMs: number): Promise<number[]> {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + waitMs;
  let left = pids.filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = left.filter(alive);
  }
  return left;
}

function mountedAt(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => line.split(' ')[4] === path);
}

async function umountIfMounted(path: string): Promise<void> {
  if (mountedAt(path)) await must('umount', ['-l', path]);
}

/** Netns names in /run/netns that start with `prefix-`. */
export function namespacesWithPrefix(prefix: string): string[] {
  if (!existsSync('/run/netns')) return [];
  return readdirSync('/run/netns').filter((n) => n.startsWith(`${prefix}-`));
}

/** Everything an earlier run of the same prefix left behind (a crash before its cleanup). */
async function removeLeftovers(prefix: string): Promise<void> {
  for (const dir of readdirSync(tmpdir()).filter((d) => d.startsWith(`${prefix}-`))) {
    const base = join(tmpdir(), dir);
    if (!existsSync(join(base, 'docker-hosts.json'))) continue;
    // The file is an earlier run's, read back from a shared directory: only names this file could
    // have written reach a path or a namespace name.
    const listed: unknown = JSON.parse(readFileSync(join(base, 'docker-hosts.json'), 'utf8'));
    const names = Array.isArray(listed) ? listed.filter((n): n is string => typeof n === 'string' && NAME_RE.test(n)) : [];
    await teardown(prefix, base, names.map((name) => ({ state: join(base, name, 'engine'), netns: `${prefix}-${name}` })), undefined);
  }
  for (const netns of namespacesWithPrefix(prefix)) await processRunner.run('ip', ['netns', 'del', netns]);
}

/**
 * Stops one engine by what provably belongs to it: containers through its API, then dockerd by
 * the PID in its pid file, then whatever still runs in its mount namespace (containerd, shims) or
 * its network namespace (host-network containers), then the namespace files.
 */
async function stopEngine(state: string, netns: string): Promise<void> {
  const sock = join(state, 'docker.sock');
  const env = { DOCKER_HOST: `unix://${sock}` };
  if (existsSync(sock)) {
    const ids = await processRunner.run('docker', ['ps', '-aq'], { env, timeoutMs: 10_000 });
    const list = ids.exitCode === 0 ? ids.stdout.split('\n').filter(Boolean) : [];
    if (list.length > 0) await processRunner.run('docker', ['rm', '-f', ...list], { env, timeoutMs: 60_000 });
  }
  const mnt = nsInode(join(state, 'ns', 'mnt'));
  const net = nsInode(`/run/netns/${netns}`);
  const pidFile = join(state, 'dockerd.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    // Only if that PID is still in our mount namespace (a stale file must not name someone else).
    if (pid > 0 && mnt !== undefined && nsInode(`/proc/${pid}/ns/mnt`) === mnt) {
      const left = await killAndWait([pid], 'SIGTERM', 20_000);
      await killAndWait(left, 'SIGKILL', 5000);
    }
  }
  if (mnt !== undefined || net !== undefined) {
    const rest = processesIn({ mnt, net });
    const left = await killAndWait(rest, 'SIGTERM', 5000);
    await killAndWait(left, 'SIGKILL', 5000);
  }
  for (const file of ['mnt', 'uts']) await umountIfMounted(join(state, 'ns', file));
  await umountIfMounted(join(state, 'ns'));
}

async function teardown(prefix: string, base: string, engines: Array<{ state: string; netns: string }>, timings: Record<string, number> | undefined): Promise<void> {
  let t = performance.now();
  await Promise.all(engines.map((e) => stopEngine(e.state, e.netns)));
  if (timings) timings.enginesStopped = performance.now() - t;
  t = performance.now();
  for (const netns of namespacesWithPrefix(prefix)) await processRunner.run('ip', ['netns', 'del', netns]);
  // The engines' data roots hold an unpacked image each (tens of thousands of files): one rm per
  // engine, in parallel, is much faster than one recursive rmSync over them all.
  await Promise.all(engines.map((e) => processRunner.run('rm', ['-rf', '--one-file-system', e.state], { timeoutMs: 120_000 })));
  rmSync(base, { recursive: true, force: true });
  if (timings) timings.namespacesAndFilesRemoved = performance.now() - t;
}

/**
 * Builds the project image on the root engine, tagged as the project image (so the next build,
 * this file's or another's, starts from its cache, as CI's one build per run needs) and under a
 * tag of this run's own, which is what gets saved: another checkout's build may move the
 * project tag meanwhile.
 */
async function buildImage(root: DockerEngine, prefix: string, base: string): Promise<string> {
  const context = join(base, 'image-context');
  mkdirSync(context);
  copyBuildContext(context);
  const tag = `bird6-controller:${prefix}-${process.pid}`;
  await must('docker', ['build', '-q', '-t', tag, '-t', PROJECT_IMAGE, context], { env: root.env, timeoutMs: 600_000 });
  rmSync(context, { recursive: true, force: true });
  return tag;
}

/** Copies into `dir` what the image's build reads of the repository (BUILD_CONTEXT). */
export function copyBuildContext(dir: string): void {
  for (const entry of BUILD_CONTEXT) cpSync(join(REPO, entry), join(dir, entry), { recursive: true });
}

/** One `docker save` streamed into every host's `docker load` (argument arrays, no shell); then tagged as the project image. */
async function loadImage(root: DockerEngine, tag: string, hosts: LabHost[]): Promise<void> {
  const exited = (child: ChildProcess, what: string) =>
    new Promise<void>((resolve, reject) => {
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-2000)));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code}): ${stderr}`))));
    });
  const save = spawn('docker', ['save', tag], { env: { ...process.env, ...root.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const loads = hosts.map((h) => spawn('docker', ['load', '-q'], { env: { ...process.env, ...h.env }, stdio: ['pipe', 'ignore', 'pipe'] }));
  for (const load of loads) save.stdout!.pipe(load.stdin!);
  await Promise.all([exited(save, 'docker save'), ...loads.map((l, i) => exited(l, `docker load on ${hosts[i]!.name}`))]);
  await Promise.all(hosts.map((h) => h.must(['tag', tag, PROJECT_IMAGE])));
}

async function waitForEngine(host: LabHost, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    // A dockerd still starting can take the connection and not answer yet: the probe times out
    // (the runner rejects), and that is "not up yet", like a refused connection, until the deadline.
    const answered = await host.run(['version', '--format', '{{.Server.Version}}'], 5000).then((r) => r.exitCode === 0, () => false);
    if (answered) return;
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      throw new Error(`dockerd on ${host.name} did not come up:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startDockerHosts(options: DockerHostsOptions): Promise<DockerHosts> {
  const { prefix } = options;
  if (!/^[a-z0-9]{2,6}$/.test(prefix)) throw new Error(`bad prefix ${prefix}`);
  for (const h of options.hosts) if (!NAME_RE.test(h.name)) throw new Error(`bad lab host name ${h.name}`);
  await removeLeftovers(prefix);
  const base = mkdtempSync(join(tmpdir(), `${prefix}-`));
  writeFileSync(join(base, 'docker-hosts.json'), JSON.stringify(options.hosts.map((h) => h.name)));
  const timings: Record<string, number> = {};
  const engines: Engine[] = [];
  let root: DockerEngine | undefined;
  let tag: string | undefined;
  let stopped = false;
  const stop = async (): Promise<Record<string, number>> => {
    if (stopped) return {};
    stopped = true;
    const down: Record<string, number> = {};
    const t = performance.now();
    try {
      await teardown(prefix, base, options.hosts.map((h) => ({ state: join(base, h.name, 'engine'), netns: `${prefix}-${h.name}` })), down);
    } finally {
      if (tag !== undefined && root !== undefined) await processRunner.run('docker', ['image', 'rm', '--no-prune', tag], { env: root.env, timeoutMs: 60_000 });
      await root?.stop();
    }
    down.teardown = performance.now() - t;
    return down;
  };

  try {
    let t = performance.now();
    // The segment: a bridge in a namespace of its own, one veth per host (eth0 inside).
    const sw = `${prefix}-sw`;
    await must('ip', ['netns', 'add', sw]);
    await must('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await must('ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
    for (const [i, spec] of options.hosts.entries()) {
      const netns = `${prefix}-${spec.name}`;
      await must('ip', ['netns', 'add', netns]);
      // A router host as an operator would prepare it: forwarding on, DAD off (bird6 needs the
      // link-local address at once), loopback up.
      for (const key of ['all', 'default']) {
        await must('ip', ['netns', 'exec', netns, 'sysctl', '-qw', `net.ipv6.conf.${key}.forwarding=1`, `net.ipv6.conf.${key}.accept_dad=0`]);
      }
      await must('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      await must('ip', ['-n', sw, 'link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      await must('ip', ['-n', sw, 'link', 'set', `p${i}`, 'master', 'br0', 'up']);
      await must('ip', ['-n', netns, '-6', 'addr', 'add', `${spec.address}/64`, 'dev', 'eth0', 'nodad']);
      await must('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
      const dir = join(base, spec.name);
      const state = join(dir, 'engine');
      mkdirSync(state, { recursive: true });
      const env = { DOCKER_HOST: `unix://${join(state, 'docker.sock')}` };
      const host: LabHost = {
        name: spec.name,
        address: spec.address,
        netns,
        env,
        dir,
        run: (args, timeoutMs = 60_000) => processRunner.run('docker', args, { env, timeoutMs }),
        must: (args, timeoutMs) => must('docker', args, { env, timeoutMs }),
      };
      engines.push({ host, state, mntFile: join(state, 'ns', 'mnt'), utsFile: options.hostname ? join(state, 'ns', 'uts') : undefined });
    }
    timings.namespaces = performance.now() - t;

    t = performance.now();
    // Mount points for the private directories; left in place (empty, like a docker.io install's).
    for (const dir of Object.values(PRIVATE_DIRS)) mkdirSync(dir, { recursive: true });
    await Promise.all(engines.map((e) => startEngine(e, options.hosts.find((h) => h.name === e.host.name)!)));
    timings.enginesReady = performance.now() - t;

    if (options.image !== false) {
      t = performance.now();
      root = await startDockerEngine();
      timings.rootEngineUp = performance.now() - t;
      t = performance.now();
      tag = await buildImage(root, prefix, base);
      timings.imageBuild = performance.now() - t;
      t = performance.now();
      await loadImage(root, tag, engines.map((e) => e.host));
      timings.imageSaveLoad = performance.now() - t;
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { hosts: engines.map((e) => e.host), timings, stop };
}

/** The engine's namespaces (bound to files), its private directories mounted inside, then dockerd in them. */
async function startEngine(engine: Engine, spec: LabHostSpec): Promise<void> {
  const { state, host } = engine;
  const ns = join(state, 'ns');
  mkdirSync(ns);
  // A namespace file may only be bound on a mount that does not propagate into that namespace.
  await must('mount', ['--bind', ns, ns]);
  await must('mount', ['--make-private', ns]);
  for (const file of [engine.mntFile, engine.utsFile]) if (file !== undefined) closeSync(openSync(file, 'w'));
  await must('unshare', [`--mount=${engine.mntFile}`, ...(engine.utsFile ? [`--uts=${engine.utsFile}`] : []), '--propagation', 'slave', 'true']);
  const inside = (args: string[]) => must('nsenter', [`--mount=${engine.mntFile}`, '--', ...args]);
  for (const [key, target] of Object.entries(PRIVATE_DIRS)) {
    const source = join(state, key);
    mkdirSync(source);
    await inside(['mount', '--bind', source, target]);
  }
  // Docker accepts an rshared bind mount only from a shared mount; a slave one made shared again
  // still receives the root namespace's new netns bindings.
  await inside(['mount', '--make-shared', '/run/netns']);
  if (engine.utsFile !== undefined) await must('nsenter', [`--uts=${engine.utsFile}`, '--', 'hostname', spec.name]);
  const logFile = join(state, 'dockerd.log');
  const log = openSync(logFile, 'a');
  // nsenter execs dockerd (no PID namespace asked), so the child's PID is dockerd's.
  const child = spawn(
    'nsenter',
    [
      `--mount=${engine.mntFile}`, ...(engine.utsFile ? [`--uts=${engine.utsFile}`] : []), `--net=/run/netns/${host.netns}`, '--',
      'dockerd',
      '--data-root', join(state, 'data'),
      '--exec-root', join(state, 'exec'),
      '--pidfile', join(state, 'dockerd.pid'),
      '--host', host.env.DOCKER_HOST!,
      '--storage-driver', 'overlay2',
    ],
    // Swarm: never ask a registry for a service's image (none is reachable here).
    { env: { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' }, stdio: ['ignore', log, log], detached: true },
  );
  closeSync(log);
  child.unref();
  await waitForEngine(host, child, logFile);
}
