// The one-host compose cluster for real: a private Docker engine (.ci/docker-engine), the project
// image built from this checkout, `docker-compose up -d` with what `birdctl compose` prints for the
// example topology, then pings over BIRD-learnt routes: from every node to every endpoint of the
// other nodes, and between every pair of endpoints on different nodes (containers and the VM,
// which takes its address from its node's dnsmasq by DHCPv6). Torn down in afterAll, whatever
// failed: `docker-compose down`, the scratch project, and this file's hold on the engine (which
// stops with the last holder, if a holder started it).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { processRunner, type RunResult } from '../../src/exec.ts';
import { composeYaml } from '../../src/lab/compose.ts';
import { loadTopology, type Topology } from '../../src/topology/index.ts';
import { copyBuildContext } from '../support/docker-hosts.ts';
import { startDockerEngine, type DockerEngine } from '../support/docker.ts';
import { describeIntegration } from '../support/integration.ts';

const PROJECT = `dkc${process.pid}`;
const TOPOLOGY = 'topology/example.yaml';

describeIntegration('compose cluster on one Docker engine', { root: true, binaries: ['dockerd', 'docker', 'docker-compose'] }, () => {
  let engine: DockerEngine | undefined;
  let dir: string | undefined;
  let topology: Topology;
  const timings: Record<string, number> = {};

  async function compose(args: string[], timeoutMs = 120_000): Promise<RunResult> {
    return processRunner.run('docker-compose', ['-p', PROJECT, '--project-directory', dir!, '-f', join(dir!, 'compose.yaml'), ...args], { env: engine!.env, timeoutMs });
  }

  async function mustCompose(args: string[], timeoutMs?: number): Promise<string> {
    const result = await compose(args, timeoutMs);
    if (result.exitCode !== 0) throw new Error(`docker-compose ${args.join(' ')} failed (exit ${result.exitCode}):\n${result.stderr.slice(-2000)}`);
    return result.stdout;
  }

  async function health(service: string): Promise<string> {
    const id = (await mustCompose(['ps', '-q', service])).trim();
    const result = await processRunner.run('docker', ['inspect', '-f', '{{.State.Health.Status}}', id], { env: engine!.env });
    return result.stdout.trim();
  }

  const ping = async (service: string, address: string) => (await compose(['exec', '-T', service, 'ping', '-6', '-c1', '-W2', address], 30_000)).exitCode === 0;

  /** Pings until each pair answers or the deadline passes (routes and the VM's lease may trail health); returns those that never did. */
  async function unanswered(pairs: Array<[string, string]>, deadline: number): Promise<string[]> {
    let left = pairs;
    for (;;) {
      const results = await Promise.all(left.map(async ([from, to]) => ((await ping(from, to)) ? undefined : `${from} -> ${to}`)));
      left = left.filter((_, i) => results[i] !== undefined);
      if (left.length === 0 || Date.now() > deadline) return left.map(([from, to]) => `${from} -> ${to}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  beforeAll(async () => {
    const t0 = performance.now();
    engine = await startDockerEngine();
    timings.engineUp = engine.upMs;
    dir = mkdtempSync(join(tmpdir(), 'dkc-'));
    // Only what the Dockerfile copies, the example topology with it: the build context stays small.
    copyBuildContext(dir);
    topology = await loadTopology(join(dir, TOPOLOGY));
    writeFileSync(join(dir, 'compose.yaml'), composeYaml(topology, { topologyFile: TOPOLOGY, composeDir: dir }));

    let t = performance.now();
    await mustCompose(['build', '-q'], 600_000);
    timings.imageBuild = performance.now() - t;
    t = performance.now();
    await mustCompose(['up', '-d']);
    timings.composeUp = performance.now() - t;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const states = await Promise.all(topology.nodes.map((n) => health(n.name)));
      if (states.every((s) => s === 'healthy')) break;
      if (Date.now() > deadline) throw new Error(`nodes not healthy after 120 s: ${states.join(', ')}\n${(await compose(['logs', '--no-color', '--tail', '20'])).stdout}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    timings.healthy = performance.now() - t;
    timings.total = performance.now() - t0;
  }, 20 * 60_000);

  afterAll(async () => {
    const report = Object.entries(timings).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`).join(', ');
    console.log(`compose cluster timings: ${report}`);
    try {
      if (dir !== undefined && engine !== undefined) {
        const t = performance.now();
        await compose(['down', '--remove-orphans', '--timeout', '5']);
        console.log(`docker-compose down ${((performance.now() - t) / 1000).toFixed(1)} s`);
      }
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      await engine?.stop();
    }
  }, 180_000);

  it('from inside every node container, every endpoint address of the other nodes answers', async () => {
    const pairs = topology.nodes.flatMap((n) => topology.endpoints.filter((e) => e.node !== n.name).flatMap((e) => e.addresses.map((a) => [n.name, a] as [string, string])));
    const t = performance.now();
    expect(await unanswered(pairs, Date.now() + 60_000)).toEqual([]);
    timings.nodesReachEndpoints = performance.now() - t;
  }, 180_000);

  const endpointPairs = () =>
    topology.endpoints.flatMap((from) => topology.endpoints.filter((to) => to.node !== from.node).flatMap((to) => to.addresses.map((a) => [from.name, a] as [string, string])));

  it('every endpoint (containers and the VM) pings every endpoint on the other nodes', async () => {
    expect(endpointPairs().length).toBeGreaterThan(0);
    expect(await unanswered(endpointPairs(), Date.now() + 60_000)).toEqual([]);
  }, 180_000);

  it('after restarts (a container endpoint: a new namespace; a node: a fresh /run and a new guest) everything is wired again', async () => {
    const db = topology.endpoints.find((e) => e.kind === 'container')!;
    const vm = topology.endpoints.find((e) => e.kind === 'vm')!;
    await mustCompose(['restart', '-t', '2', db.name]);
    await mustCompose(['restart', '-t', '2', vm.node]);
    // The node's restart ends its PID namespace and so its endpoints; Docker 20.10's restart
    // manager tries them once, before the node runs again, and gives up. `up -d` starts them.
    await mustCompose(['up', '-d']);
    const t = performance.now();
    expect(await unanswered(endpointPairs(), Date.now() + 90_000)).toEqual([]);
    timings.rewiredAfterRestarts = performance.now() - t;
  }, 240_000);
});
