// The Swarm stack of `birdctl compose FILE --swarm` for real: three Docker engines, each in a lab
// host of its own (a network namespace with its own UTS hostname = its topology node's name,
// test/support/docker-hosts.ts), joined into one swarm over their IPv6 addresses; the project
// image loaded into each; `docker stack deploy`. Then: every node's sessions Established (checked
// with `birdctl status` inside each task), endpoints (namespaces this test creates, as the
// host's runtime would) ping across hosts, a topology change deployed as a new config version
// reaches every node with never two nodes down at once, and `docker stack rm` leaves no service,
// config or task container. Torn down in afterAll whatever failed: swarm left, engines stopped by
// PID, namespaces removed (the support's stop()).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { processRunner } from '../../src/exec.ts';
import { CONTAINER_PATHS } from '../../src/lab/compose.ts';
import { STATE_VOLUME } from '../../src/lab/compose-host.ts';
import { SWARM_SERVICE, swarmStackYaml, topologyConfigName } from '../../src/lab/compose-swarm.ts';
import { parseTopologyText, type Topology } from '../../src/topology/index.ts';
import { startDockerHosts, type DockerHosts, type LabHost } from '../support/docker-hosts.ts';
import { describeIntegration } from '../support/integration.ts';

const PREFIX = 'dks';
const STACK = 'dks';
const SERVICE = `${STACK}_${SWARM_SERVICE}`;
const HOSTS = [
  { name: 'n1', address: 'fd00:d5::1' },
  { name: 'n2', address: 'fd00:d5::2' },
  { name: 'n3', address: 'fd00:d5::3' },
];
/** One container endpoint per host; the change adds a fourth, on n1. */
const endpoint = (i: number, node: string) => ({
  name: `e${i}`,
  node,
  kind: 'container',
  addresses: [`fd00:d6::${i}`],
  interface: `cali-e${i}`,
  netns: `${PREFIX}-e${i}`,
});

function topologyText(holdTime: number, endpoints: Array<ReturnType<typeof endpoint>>): string {
  return stringify({
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'swarm', asNumber: 64512, nodeToNodeMesh: true, bgp: { holdTime, keepaliveTime: holdTime / 3, connectRetryTime: 1, gracefulRestart: true } },
    ipPools: [{ cidr: 'fd00:d6::/48' }],
    nodes: HOSTS.map((h) => ({ name: h.name, address: h.address })),
    endpoints,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describeIntegration('Swarm stack across three Docker engines', { root: true, binaries: ['dockerd', 'docker', 'nsenter', 'unshare'] }, () => {
  let lab: DockerHosts | undefined;
  let dir: string | undefined;
  const timings: Record<string, number> = {};
  const endpoints = HOSTS.map((h, i) => endpoint(i + 1, h.name));
  let topology: Topology;
  const host = (name: string) => lab!.hosts.find((h) => h.name === name)!;
  const manager = () => host('n1');

  /** The id of the host's running task container, if any. */
  async function task(h: LabHost): Promise<string | undefined> {
    const ids = await h.run(['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${SERVICE}`, '--filter', 'status=running'], 10_000);
    return ids.stdout.split('\n').find(Boolean);
  }

  async function inTask(h: LabHost, args: string[]): Promise<{ exitCode: number; stdout: string }> {
    const id = await task(h);
    if (id === undefined) return { exitCode: -1, stdout: 'no running task' };
    return h.run(['exec', id, ...args], 30_000);
  }

  const established = (h: LabHost) => inTask(h, ['birdctl', 'status', '--socket', CONTAINER_PATHS.socket]);
  /** Whether the host runs a healthy task; a string (the error) when its engine did not answer. */
  async function healthy(h: LabHost): Promise<boolean | string> {
    const result = await h.run(['ps', '--filter', `label=com.docker.swarm.service.name=${SERVICE}`, '--format', '{{.Status}}'], 20_000);
    if (result.exitCode !== 0) return `${h.name}: exit ${result.exitCode} ${result.stderr.slice(0, 200)}`;
    return result.stdout.includes('(healthy)');
  }

  /** Waits until every host passes `check`; returns how long it took, or throws naming the hosts that did not. */
  async function everyHost(what: string, check: (h: LabHost) => Promise<boolean>, timeoutMs: number): Promise<number> {
    const t = performance.now();
    let left = lab!.hosts;
    for (;;) {
      const ok = await Promise.all(left.map(check));
      left = left.filter((_, i) => !ok[i]);
      if (left.length === 0) return performance.now() - t;
      if (performance.now() - t > timeoutMs) {
        const logs = await manager().run(['service', 'ps', '--no-trunc', SERVICE]);
        throw new Error(`${what}: not on ${left.map((h) => h.name).join(', ')} after ${seconds(timeoutMs)}\n${logs.stdout}${logs.stderr}`);
      }
      await sleep(500);
    }
  }

  async function unanswered(pairs: Array<[string, string]>, timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let left = pairs;
    for (;;) {
      const ok = await Promise.all(left.map(async ([from, to]) => (await processRunner.run('ping', ['-6', '-c1', '-W2', to], { netns: from, timeoutMs: 10_000 })).exitCode === 0));
      left = left.filter((_, i) => !ok[i]);
      if (left.length === 0 || Date.now() > deadline) return left.map(([from, to]) => `${from} -> ${to}`);
      await sleep(500);
    }
  }

  const crossHostPairs = () =>
    endpoints.flatMap((from) => endpoints.filter((to) => to.node !== from.node).map((to) => [from.netns, to.addresses[0]!] as [string, string]));

  async function deploy(text: string): Promise<void> {
    writeFileSync(join(dir!, 'topology.yaml'), text);
    topology = parseTopologyText(text, 'topology.yaml');
    writeFileSync(join(dir!, 'stack.yaml'), swarmStackYaml(topology, { topologyFile: 'topology.yaml', composeDir: dir!, topologyText: text }));
    await manager().must(['stack', 'deploy', '--resolve-image', 'never', '-c', join(dir!, 'stack.yaml'), STACK], 60_000);
  }

  beforeAll(async () => {
    const t0 = performance.now();
    dir = mkdtempSync(join(tmpdir(), `${PREFIX}-stack-`));
    lab = await startDockerHosts({ prefix: PREFIX, hosts: HOSTS, hostname: true });
    Object.assign(timings, lab.timings);
    let t = performance.now();
    const [first, ...others] = lab.hosts;
    await first!.must(['swarm', 'init', '--advertise-addr', first!.address]);
    const token = (await first!.must(['swarm', 'join-token', '-q', 'worker'])).trim();
    for (const h of others) await h.must(['swarm', 'join', '--token', token, `[${first!.address}]:2377`]);
    timings.swarmFormed = performance.now() - t;
    // The endpoints' namespaces, made as a host's container runtime makes them: in the root
    // mount namespace, so they reach the engines' mount namespaces and the tasks' /run/netns.
    for (const e of endpoints) await processRunner.run('ip', ['netns', 'add', e.netns]);
    t = performance.now();
    await deploy(topologyText(6, endpoints));
    timings.stackDeployed = performance.now() - t;
    timings.established = await everyHost('every session Established', async (h) => (await established(h)).exitCode === 0, 120_000);
    // Healthy is what Swarm waits for (a task with a healthcheck is running only then).
    timings.healthy = await everyHost('every task healthy', async (h) => (await healthy(h)) === true, 60_000) + timings.established;
    timings.bringUp = performance.now() - t0;
  }, 15 * 60_000);

  afterAll(async () => {
    try {
      if (lab !== undefined) {
        for (const h of [...lab.hosts].reverse()) await h.run(['swarm', 'leave', '--force'], 30_000);
        Object.assign(timings, await lab.stop());
      }
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      console.log(`swarm timings: ${Object.entries(timings).map(([k, ms]) => `${k} ${seconds(ms)}`).join(', ')}`);
    }
  }, 180_000);

  it('each host runs one task, named by its hostname, with every session Established', async () => {
    for (const h of lab!.hosts) {
      const status = await established(h);
      expect(status.exitCode, `${h.name}: ${status.stdout}`).toBe(0);
      expect((await inTask(h, ['printenv', 'BIRDCTL_NODE'])).stdout.trim()).toBe(h.name);
      const peers = HOSTS.filter((o) => o.name !== h.name).map((o) => o.address);
      for (const peer of peers) expect(status.stdout).toContain(peer);
    }
  }, 60_000);

  it('endpoints on different hosts ping each other over BIRD-learnt routes', async () => {
    const t = performance.now();
    expect(await unanswered(crossHostPairs(), 60_000)).toEqual([]);
    timings.endpointsPing = performance.now() - t;
  }, 120_000);

  it('a topology change deployed as a new config version reaches every node, one node at a time', async () => {
    const added = endpoint(4, 'n1');
    await processRunner.run('ip', ['netns', 'add', added.netns]);
    endpoints.push(added);
    const text = topologyText(9, endpoints);
    const t = performance.now();
    // Sampled while the update runs: which hosts have a healthy task (a sample in which an
    // engine did not answer is dropped: it says nothing about the tasks).
    let sampling = true;
    const samples: string[] = [];
    const engineErrors: string[] = [];
    let fewestHealthy = HOSTS.length;
    // And whether every host's kernel still routes to every other host's endpoints: a task
    // replaced for the change keeps its routes announced by graceful restart (no flap).
    const routeGaps: string[] = [];
    const before = endpoints.filter((e) => e !== added);
    const checkRoutes = async (at: string) => {
      for (const h of lab!.hosts) {
        const others = before.filter((e) => e.node !== h.name);
        const shown = await Promise.all(others.map((e) => processRunner.run('ip', ['-6', 'route', 'show', `${e.addresses[0]!}/128`], { netns: h.netns })));
        others.forEach((e, i) => {
          if (shown[i]!.stdout.trim() === '') routeGaps.push(`${at}: ${h.name} has no route to ${e.name}`);
        });
      }
    };
    const sampler = (async () => {
      while (sampling) {
        await checkRoutes(seconds(performance.now() - t));
        const states = await Promise.all(lab!.hosts.map(healthy));
        const errors = states.filter((s): s is string => typeof s === 'string');
        if (errors.length === 0) {
          const up = lab!.hosts.filter((_, i) => states[i] === true).map((h) => h.name);
          fewestHealthy = Math.min(fewestHealthy, up.length);
          samples.push(`${seconds(performance.now() - t)}: ${up.join(' ')}`);
        } else {
          engineErrors.push(...errors);
        }
        await sleep(300);
      }
    })();
    try {
      await deploy(text);
      const rendered = async (h: LabHost) => (await inTask(h, ['grep', '-c', 'hold time 9;', CONTAINER_PATHS.config])).exitCode === 0;
      timings.changeRendered = await everyHost('the new config version rendered', rendered, 150_000);
      await everyHost('every session Established after the update', async (h) => (await established(h)).exitCode === 0, 60_000);
      const state = async () => (await manager().must(['service', 'inspect', '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}', SERVICE])).trim();
      while ((await state()) === 'updating' && performance.now() - t < 200_000) await sleep(500);
      expect(await state()).toBe('completed');
      timings.rollout = performance.now() - t;
    } finally {
      sampling = false;
      await sampler;
    }
    // For the closing note: when each node went down and came back, as sampled.
    const changes = samples.filter((line, i) => i === 0 || line.split(': ')[1] !== samples[i - 1]!.split(': ')[1]);
    console.log(`rollout: ${samples.length} samples, healthy hosts ${changes.join(' | ')}`);
    expect(samples.length, engineErrors.slice(0, 5).join('\n')).toBeGreaterThan(10);
    expect(fewestHealthy, samples.join('\n')).toBeGreaterThanOrEqual(HOSTS.length - 1);
    expect(routeGaps.slice(0, 10)).toEqual([]);
    const configs = (await manager().must(['service', 'inspect', '--format', '{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}} {{end}}', SERVICE])).trim();
    expect(configs).toBe(`${STACK}_${topologyConfigName(text)}`);
    expect(await unanswered(endpoints.filter((e) => e.node !== 'n1').map((e) => [e.netns, added.addresses[0]!] as [string, string]), 60_000)).toEqual([]);
  }, 300_000);

  it('a stack file left stale after an edit is refused: nothing rolls out half-known', async () => {
    writeFileSync(join(dir!, 'topology.yaml'), `${topologyText(9, endpoints)}# edited after generating\n`);
    const result = await manager().run(['stack', 'deploy', '--resolve-image', 'never', '-c', join(dir!, 'stack.yaml'), STACK]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/only updates to Labels are allowed/);
  }, 60_000);

  it('docker stack rm leaves no service, no config and no task container on any host', async () => {
    const t = performance.now();
    await manager().must(['stack', 'rm', STACK]);
    const leftovers = async (h: LabHost) => (await h.must(['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${STACK}`])).trim();
    await everyHost('task containers removed', async (h) => (await leftovers(h)) === '', 60_000);
    timings.stackRemoved = performance.now() - t;
    expect((await manager().must(['service', 'ls', '-q'])).trim()).toBe('');
    expect((await manager().must(['config', 'ls', '-q'])).trim()).toBe('');
    // By design the per-host state volume (bird6.conf, ownership record) outlives the stack.
    for (const h of lab!.hosts) await h.must(['volume', 'rm', `${STACK}_${STATE_VOLUME}`]);
  }, 120_000);
});
