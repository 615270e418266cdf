// What stopping a node's agent does to the other nodes, with real agents (`--bird`) and real bird6
// in a two-node lab, one container endpoint per node: by default SIGTERM shuts bird6 down, node2
// gets a Cease and drops node1's endpoint route at once (not after the 120 s graceful-restart time
// a vanished bird6 gets), and a new agent brings it back; with --keep-routes-on-stop bird6 keeps
// running, node2 keeps the route throughout, and the next agent adopts bird6. SIGTERM to bird6
// itself (the agent's fallback) gives a Cease as `down` does. Then `lab down`
// still stops everything, the agents' own shutdown of bird6 included.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BirdClient } from '../../src/birdc/client.ts';
import { processRunner, type RunningProcess } from '../../src/exec.ts';
import { isAlive, processName, readPidFile } from '../../src/proc.ts';
import { hostRoutes } from '../../src/lab/observe.ts';
import type { NodePlan } from '../../src/lab/plan.ts';
import { birdctlAgentLauncher, type AgentLauncher, type UpReport } from '../../src/lab/up.ts';
import { describeIntegration } from '../support/integration.ts';
import { LabBed } from '../support/lab-bed.ts';
import { pings, timeUntil } from '../lab/lab-driver.ts';
import { twoNodeExampleCopy } from '../lab/topology-copy.ts';

const PREFIX = 'stop';
const BIRDCTL = fileURLToPath(new URL('../../src/cli/birdctl.mjs', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describeIntegration('stop: a stopped node withdraws its routes, unless told to keep them', { root: true, netns: true, binaries: ['bird6', 'ip', 'ping', 'kill'] }, () => {
  const lab = new LabBed(PREFIX, twoNodeExampleCopy);
  const { file } = lab;
  // Every agent of this file, the lab's and the ones started here, by node: the newest last.
  const agents = new Map<string, RunningProcess[]>();
  const launcher: AgentLauncher = {
    start(node, topologyFile) {
      const agent = birdctlAgentLauncher(processRunner).start(node, topologyFile);
      agents.set(node.name, [...(agents.get(node.name) ?? []), agent]);
      return agent;
    },
  };
  /** The lab's agent command line plus `extra`, detached, logging to the node's agent log. */
  const startAgent = (node: NodePlan, extra: string[] = []): RunningProcess => {
    const agent = processRunner.start(process.execPath, [BIRDCTL, 'agent', file, '--node', node.name, '--config', node.config, '--socket', node.socket, '--bird', ...extra], {
      netns: node.netns,
      detached: true,
      logFile: node.agentLog,
    });
    agents.set(node.name, [...(agents.get(node.name) ?? []), agent]);
    return agent;
  };
  let report: UpReport;
  const node = (name: string) => report.plan.nodes.find((n) => n.name === name)!;
  const address = (endpoint: string) => report.topology.endpoints.find((e) => e.name === endpoint)!.addresses[0]!;
  const routeIn = async (n: NodePlan, dst: string) => (await hostRoutes(processRunner, n.netns)).has(dst);
  const agentLog = (n: NodePlan) => readFileSync(n.agentLog, 'utf8');
  /** `show protocols all` of a node's bird6: the BGP sessions with their last error. */
  const protocolsAll = async (n: NodePlan): Promise<string> => {
    const client = new BirdClient({ socketPath: n.socket, reconnect: false, connectTimeoutMs: 1000, commandTimeoutMs: 2000 });
    try {
      return (await client.command('show protocols all')).blocks.flatMap((b) => b.lines).join('\n');
    } finally {
      await client.close();
    }
  };
  const holdTimeMs = () => (report.topology.cluster.bgp?.holdTime ?? 6) * 1000;

  beforeAll(async () => {
    report = await lab.up(20_000, launcher);
  }, 30_000);
  afterAll(async () => {
    // The agents started here are not in the lab's state: stop them by PID before lab down.
    for (const agent of [...agents.values()].flat()) if (isAlive(agent.pid)) agent.kill('SIGKILL');
    await lab.remove();
  }, 20_000);

  it("stop: SIGTERM to node1's agent shuts its bird6 down; node2 gets a Cease and drops web-1's route within the hold time; web-1 keeps its route on node1", async () => {
    const [node1, node2] = [node('node1'), node('node2')];
    const web = address('web-1');
    expect(await routeIn(node2, web)).toBe(true);
    const bird = readPidFile(node1.birdPidFile)!;
    expect(processName(bird)).toBe('bird6');
    const agent = agents.get('node1')!.at(-1)!;
    agent.kill('SIGTERM');
    const withdrawnMs = await timeUntil("web-1's route to leave node2's kernel", async () => !(await routeIn(node2, web)), holdTimeMs() + 3000, 10);
    console.info(`stop: web-1's route left node2 ${withdrawnMs.toFixed(0)} ms after SIGTERM to node1's agent (hold time ${holdTimeMs()} ms)`);
    expect(withdrawnMs).toBeLessThan(holdTimeMs());
    // A Cease, not the hold timer: node2's bird6 says why the session went down.
    expect(await protocolsAll(node2)).toMatch(/Last error:\s+Received: Administrative shutdown/);
    expect(await agent.exited).toBe(0);
    expect(isAlive(bird)).toBe(false);
    expect(agentLog(node1)).toMatch(/"msg":"bird6 shut down".*"method":"down"/);
    // The endpoint still lives on node1: the controller's /128 for it stays in node1's kernel, and
    // so does the route bird6 had put there for db-1 (`persist`, bird-templates/kernel.njk).
    expect(await routeIn(node1, web)).toBe(true);
    expect(await routeIn(node1, address('db-1'))).toBe(true);
  }, 20_000);

  it("stop: a new agent on node1 brings web-1's route back to node2 within 10 s of its start", async () => {
    const [node1, node2] = [node('node1'), node('node2')];
    const web = address('web-1');
    // Started with --keep-routes-on-stop for the next test; the flag changes nothing at start.
    const logFrom = agentLog(node1).length;
    const spawnedAt = Date.now();
    startAgent(node1, ['--keep-routes-on-stop']);
    const restoredMs = await timeUntil("web-1's route back in node2's kernel", () => routeIn(node2, web), 15_000, 10);
    console.info(`stop: web-1's route back in node2 ${restoredMs.toFixed(0)} ms after node1's agent started`);
    expect(restoredMs).toBeLessThanOrEqual(10_000);
    // Where the time goes, from the agent's own log: its process start, bird6's start, the session.
    const lines = agentLog(node1).slice(logFrom).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { time: string; msg: string });
    const at = (msg: string) => `${Date.parse(lines.find((l) => l.msg === msg)?.time ?? 'NaN') - spawnedAt} ms`;
    console.info(`stop: restart breakdown: agent starting ${at('agent starting')}, bird6 started ${at('started bird6')}, session up ${at('BGP session established')}`);
    expect(await pings(node2.netns, web, 2)).toBe(true);
  }, 20_000);

  it('stop: with --keep-routes-on-stop SIGTERM leaves bird6 running, node2 keeps the route the whole time, and a new agent adopts that bird6', async () => {
    const [node1, node2] = [node('node1'), node('node2')];
    const web = address('web-1');
    const bird = readPidFile(node1.birdPidFile)!;
    expect(processName(bird)).toBe('bird6');
    let watching = true;
    let looks = 0;
    let missing = 0;
    const watcher = (async () => {
      for (; watching; looks += 1) {
        if (!(await routeIn(node2, web))) missing += 1;
        await sleep(10);
      }
    })();
    try {
      await sleep(300);
      const keeper = agents.get('node1')!.at(-1)!;
      keeper.kill('SIGTERM');
      expect(await keeper.exited).toBe(0);
      expect(isAlive(bird)).toBe(true);
      const before = agentLog(node1).length;
      startAgent(node1);
      await timeUntil('the new agent to adopt bird6', async () => agentLog(node1).slice(before).includes('adopted the running bird6'), 10_000, 50);
      // Longer than a hold time: a session the stop had broken would have shown by now.
      await sleep(holdTimeMs() + 1000);
    } finally {
      watching = false;
      await watcher;
    }
    console.info(`stop: --keep-routes-on-stop: web-1's route missing from node2 in ${missing} of ${looks} looks across the agent's stop and adoption`);
    expect(looks).toBeGreaterThan(100);
    expect(missing).toBe(0);
    expect(readPidFile(node1.birdPidFile)).toBe(bird);
    expect(await protocolsAll(node2)).not.toMatch(/Administrative shutdown/);
  }, 30_000);

  it("stop: SIGTERM to bird6 itself (the agent's fallback when its socket refuses `down`) gives the peers a Cease too", async () => {
    const [node1, node2] = [node('node1'), node('node2')];
    const db = address('db-1');
    const bird = readPidFile(node2.birdPidFile)!;
    expect(await routeIn(node1, db)).toBe(true);
    process.kill(bird, 'SIGTERM');
    const withdrawnMs = await timeUntil("db-1's route to leave node1's kernel", async () => !(await routeIn(node1, db)), holdTimeMs() + 3000, 10);
    console.info(`stop: SIGTERM to bird6: db-1's route left node1 ${withdrawnMs.toFixed(0)} ms later`);
    expect(withdrawnMs).toBeLessThan(holdTimeMs());
    expect(await protocolsAll(node1)).toMatch(/Last error:\s+Received: Administrative shutdown/);
    // node2's agent restarts its bird6; both routes come back before the next test.
    await timeUntil('db-1 back in node1 and web-1 back in node2', async () => (await routeIn(node1, db)) && (await routeIn(node2, address('web-1'))), 15_000, 50);
  }, 25_000);

  it('stop: the adopting agent, stopped by default, shuts the adopted bird6 down over its socket and node2 withdraws the route', async () => {
    const [node1, node2] = [node('node1'), node('node2')];
    const web = address('web-1');
    const bird = readPidFile(node1.birdPidFile)!;
    const adopter = agents.get('node1')!.at(-1)!;
    adopter.kill('SIGTERM');
    const withdrawnMs = await timeUntil("web-1's route to leave node2's kernel", async () => !(await routeIn(node2, web)), holdTimeMs() + 3000, 10);
    console.info(`stop: adopted bird6: web-1's route left node2 ${withdrawnMs.toFixed(0)} ms after SIGTERM`);
    expect(withdrawnMs).toBeLessThan(holdTimeMs());
    expect(await adopter.exited).toBe(0);
    expect(isAlive(bird)).toBe(false);
  }, 20_000);

  it('stop: lab down with an agent that now shuts its bird6 down itself stays fast and leaves no bird6', async () => {
    const node2 = node('node2');
    const bird = readPidFile(node2.birdPidFile)!;
    expect(processName(bird)).toBe('bird6');
    // lab down deletes the agent's log: read it through a descriptor opened before.
    const log = openSync(node2.agentLog, 'r');
    try {
      const started = performance.now();
      const result = await lab.down();
      const elapsedMs = performance.now() - started;
      console.info(`stop: lab down took ${elapsedMs.toFixed(0)} ms`);
      expect(isAlive(bird)).toBe(false);
      expect(result.lingering).toBeUndefined();
      // The agent itself shut bird6 down, well before lab down's SIGKILL deadline for agents (5 s).
      expect(readFileSync(log, 'utf8')).toMatch(/"msg":"bird6 shut down".*"method":"down"/);
      expect(elapsedMs).toBeLessThan(5000);
    } finally {
      closeSync(log);
    }
  }, 20_000);
});
