// Per-host production mode for real: three lab hosts (network namespaces on one bridge, each
// with its own dockerd inside, test/support/docker-hosts.ts), each running `docker-compose up -d`
// with ITS file from `birdctl compose FILE --host NODE`. The test plays the hosts' container
// runtime: it names each endpoint's network namespace in /run/netns (from the root mount
// namespace, as a runtime would), and the node's agent, on host networking, wires it as on a bare
// host. Sessions must come up, and endpoints ping each other across hosts over BIRD-learnt routes.
// One endpoint's namespace is made only once the sessions are up: it reaches the running container
// through the rshared /run/netns mount, and the agent wires it at its next resync. Teardown (also in afterAll, whatever failed) must leave no
// dkh namespace, link, mount or engine behind.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { processRunner, type RunResult } from '../../src/exec.ts';
import { HOST_NETNS_DIR, hostComposeYaml } from '../../src/lab/compose-host.ts';
import { CONTAINER_PATHS } from '../../src/lab/compose.ts';
import { loadTopology, type Topology } from '../../src/topology/index.ts';
import { namespacesWithPrefix, startDockerHosts, type DockerHosts, type LabHost } from '../support/docker-hosts.ts';
import { describeIntegration } from '../support/integration.ts';

const PREFIX = 'dkh';
const NODES = ['node1', 'node2', 'node3'];
const address = (i: number) => `fd00:dd::${i + 1}`;
/** One container endpoint per node; ep3's namespace appears only after node3's container runs. */
const ENDPOINTS = NODES.map((node, i) => ({ name: `ep${i + 1}`, node, netns: `${PREFIX}-ep${i + 1}`, address: `fd00:10::${i + 1}` }));
const LATE = ENDPOINTS[2]!;

describeIntegration('per-host compose files on three Docker hosts', { root: true, binaries: ['dockerd', 'docker', 'docker-compose', 'nsenter', 'unshare'] }, () => {
  let lab: DockerHosts | undefined;
  let topology: Topology;
  const timings: Record<string, number> = {};
  let tornDown = false;
  /** When `docker-compose up` was run on the hosts. */
  let upStarted = 0;

  const project = (h: LabHost) => `${PREFIX}${process.pid}${h.name}`;
  const compose = (h: LabHost, args: string[], timeoutMs = 120_000): Promise<RunResult> =>
    processRunner.run('docker-compose', ['-p', project(h), '--project-directory', h.dir, '-f', join(h.dir, 'compose.yaml'), ...args], { env: h.env, timeoutMs });
  async function mustCompose(h: LabHost, args: string[]): Promise<string> {
    const result = await compose(h, args);
    if (result.exitCode !== 0) throw new Error(`docker-compose ${args.join(' ')} on ${h.name} failed (exit ${result.exitCode}):\n${result.stderr.slice(-2000)}`);
    return result.stdout;
  }
  const status = (h: LabHost) => compose(h, ['exec', '-T', h.name, 'birdctl', 'status', '--socket', CONTAINER_PATHS.socket], 30_000);
  const addNetns = (netns: string) => execFileSync('ip', ['netns', 'add', netns]);
  const ping = (from: string, to: string) => processRunner.run('ip', ['netns', 'exec', from, 'ping', '-6', '-c1', '-W1', to], { timeoutMs: 10_000 });

  async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Pings until every pair answers or the deadline passes; returns the pairs that never did. */
  async function unanswered(pairs: Array<[string, string]>, timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let left = pairs;
    for (;;) {
      const ok = await Promise.all(left.map(async ([from, to]) => (await ping(from, to)).exitCode === 0));
      left = left.filter((_, i) => !ok[i]);
      if (left.length === 0 || Date.now() > deadline) return left.map(([from, to]) => `${from} -> ${to}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async function teardown(): Promise<void> {
    if (tornDown) return;
    tornDown = true;
    try {
      if (lab !== undefined) {
        const t = performance.now();
        await Promise.all(lab.hosts.map((h) => compose(h, ['down', '--volumes', '--timeout', '5'])));
        timings.composeDown = performance.now() - t;
      }
    } finally {
      for (const e of ENDPOINTS) await processRunner.run('ip', ['netns', 'del', e.netns]);
      if (lab !== undefined) Object.assign(timings, Object.fromEntries(Object.entries(await lab.stop()).map(([k, v]) => [`down.${k}`, v])));
    }
  }

  beforeAll(async () => {
    const t0 = performance.now();
    lab = await startDockerHosts({ prefix: PREFIX, hosts: NODES.map((name, i) => ({ name, address: address(i) })) });
    Object.assign(timings, lab.timings);
    const doc = {
      apiVersion: 'bird6-controller/v1',
      cluster: { name: 'dkh', asNumber: 64512, nodeToNodeMesh: true, bgp: { holdTime: 6, keepaliveTime: 2, connectRetryTime: 1, gracefulRestart: true } },
      ipPools: [{ cidr: 'fd00:10::/48' }],
      nodes: NODES.map((name, i) => ({ name, address: address(i) })),
      endpoints: ENDPOINTS.map((e) => ({ name: e.name, node: e.node, kind: 'container', addresses: [e.address], interface: `cali-${e.name}`, netns: e.netns })),
    };
    for (const h of lab.hosts) {
      mkdirSync(join(h.dir, 'topology'));
      writeFileSync(join(h.dir, 'topology', 'cluster.yaml'), stringify(doc));
    }
    topology = await loadTopology(join(lab.hosts[0]!.dir, 'topology', 'cluster.yaml'));
    for (const h of lab.hosts) writeFileSync(join(h.dir, 'compose.yaml'), hostComposeYaml(topology, { topologyFile: 'topology/cluster.yaml', composeDir: h.dir, node: h.name }));
    for (const e of ENDPOINTS.filter((e) => e !== LATE)) addNetns(e.netns);

    let t = (upStarted = performance.now());
    await Promise.all(lab.hosts.map((h) => mustCompose(h, ['up', '-d'])));
    timings.composeUp = performance.now() - t;
    t = performance.now();
    await until('every session Established on every host', async () => ((await Promise.all(lab!.hosts.map(status))).every((r) => r.exitCode === 0) ? true : undefined), 90_000).catch(async (error) => {
      const logs = await Promise.all(lab!.hosts.map(async (h) => `${h.name}:\n${(await compose(h, ['logs', '--no-color', '--tail', '15'])).stdout}`));
      throw new Error(`${(error as Error).message}\n${logs.join('\n')}`);
    });
    timings.sessionsEstablished = performance.now() - t;
    timings.bringUp = performance.now() - t0;
  }, 400_000);

  afterAll(async () => {
    await teardown();
    console.log(`per-host compose timings: ${Object.entries(timings).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`).join(', ')}`);
  }, 120_000);

  it('each host runs its own node on host networking, bird6 in the same container, sessions to both other nodes Established', async () => {
    const results = await Promise.all(lab!.hosts.map(status));
    for (const [i, h] of lab!.hosts.entries()) {
      const result = results[i]!;
      expect(result.exitCode, result.stdout).toBe(0);
      // Host networking: the container's bird6 listens from the lab host's own address.
      for (const other of lab!.hosts.filter((o) => o !== h)) expect(result.stdout).toContain(other.address);
      // The agent programs the lab host's kernel: the endpoints made before the start are routed there.
      const routes = execFileSync('ip', ['-n', h.netns, '-6', 'route', 'show'], { encoding: 'utf8' });
      for (const e of ENDPOINTS.filter((e) => e !== LATE)) expect(routes).toContain(e.address);
    }
  });

  it('a namespace the runtime names after the node container started appears inside it (rshared /run/netns)', async () => {
    const h = lab!.hosts.find((x) => x.name === LATE.node)!;
    addNetns(LATE.netns);
    const t = performance.now();
    await until('the late namespace inside the container', async () => ((await mustCompose(h, ['exec', '-T', h.name, 'ls', HOST_NETNS_DIR])).split('\n').includes(LATE.netns) ? true : undefined), 5000);
    timings.lateNetnsVisible = performance.now() - t;
  });

  it('endpoints (namespaces the test made as the runtime, one after the container started) ping every endpoint on the other hosts', async () => {
    const pairs = ENDPOINTS.flatMap((from) => ENDPOINTS.filter((to) => to.node !== from.node).map((to) => [from.netns, to.address] as [string, string]));
    const t = performance.now();
    // The late namespace is wired at the agent's next full resync (every 30 s by default).
    expect(await unanswered(pairs, 40_000)).toEqual([]);
    timings.pingsAnswered = performance.now() - t;
    const rtts = await Promise.all(pairs.map(async ([from, to]) => Number(/time=([\d.]+)/.exec((await ping(from, to)).stdout)?.[1])));
    console.log(`per-host compose ping rtt ms: ${rtts.map((r) => r.toFixed(3)).join(' ')}`);
  }, 60_000);

  it('Docker reports every node healthy: its healthcheck (status --ready) works on host networking', async () => {
    const health = async (h: LabHost) => (await h.must(['inspect', '-f', '{{.State.Health.Status}}', (await mustCompose(h, ['ps', '-q', h.name])).trim()])).trim();
    // The first check runs one interval (10 s) after the start; the sessions are up by then.
    await until('every node healthy', async () => ((await Promise.all(lab!.hosts.map(health))).every((s) => s === 'healthy') ? true : undefined), 30_000);
    timings.healthySinceUp = performance.now() - upStarted;
  }, 40_000);

  it('a re-created node container keeps its ownership record (bird6-state): it still wires, and removes, what the old one made', async () => {
    const h = lab!.hosts[0]!;
    const own = ENDPOINTS.find((e) => e.node === h.name)!;
    const record = () => mustCompose(h, ['exec', '-T', h.name, 'cat', `${CONTAINER_PATHS.configDir}/endpoints-owned.json`]);
    expect(await record()).toContain(`cali-${own.name}`);
    const before = (await mustCompose(h, ['ps', '-q', h.name])).trim();
    let t = performance.now();
    await mustCompose(h, ['up', '-d', '--force-recreate']);
    expect((await mustCompose(h, ['ps', '-q', h.name])).trim()).not.toBe(before);
    const from = ENDPOINTS.filter((e) => e.node !== h.name).map((e) => [e.netns, own.address] as [string, string]);
    expect(await unanswered(from, 30_000)).toEqual([]);
    timings.routedAgainAfterRecreate = performance.now() - t;
    expect(await record()).toContain(`cali-${own.name}`);
    // The proof that matters: the endpoint leaves the topology and the new agent removes the veth
    // the old container made (without the record it would leave it in place, never guessing).
    const file = join(h.dir, 'topology', 'cluster.yaml');
    const doc = parse(readFileSync(file, 'utf8')) as { endpoints: Array<{ name: string }> };
    doc.endpoints = doc.endpoints.filter((e) => e.name !== own.name);
    writeFileSync(file, stringify(doc));
    t = performance.now();
    const linkGone = () => !execFileSync('ip', ['-n', h.netns, '-o', 'link', 'show'], { encoding: 'utf8' }).includes(`cali-${own.name}`);
    await until(`cali-${own.name} removed from ${h.name}`, async () => (linkGone() ? true : undefined), 15_000);
    timings.removedAfterRecreate = performance.now() - t;
  }, 90_000);

  it('teardown leaves no dkh namespace, link, mount or engine process', async () => {
    await teardown();
    expect(namespacesWithPrefix(PREFIX)).toEqual([]);
    expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).not.toMatch(/dkh/);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toMatch(/\/dkh-/);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toMatch(/\/dkh-[^ ]*\/engine/);
  }, 120_000);
});
