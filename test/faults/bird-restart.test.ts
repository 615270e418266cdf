// Faults of bird6 itself under a two-node lab (real agents with --bird, real bird6, one container
// endpoint per node): kill -9 bird6 while endpoints ping each other every 10 ms (the agent restarts
// it; graceful restart recovery must keep every route, so no ping is lost), SIGSTOP bird6 (the agent
// must not start a second one on its socket), and `lab down` returning only once bird6 has gone.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { processRunner } from '../../src/exec.ts';
import { readState } from '../../src/lab/state.ts';
import { pidsInNamespace } from '../../src/lab/host.ts';
import { isAlive, processName, readPidFile } from '../../src/proc.ts';
import { birdctlAgentLauncher, type UpReport } from '../../src/lab/up.ts';
import { describeIntegration } from '../support/integration.ts';
import { LabBed } from '../support/lab-bed.ts';
import { signalPid, timeUntil } from '../lab/lab-driver.ts';
import { twoNodeExampleCopy } from '../lab/topology-copy.ts';

const PREFIX = 'fbird';
const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `ping -i 0.01`: how many of `count` echo requests, one every 10 ms, went unanswered. */
async function pingLoss(netns: string, address: string, count: number): Promise<{ sent: number; received: number }> {
  // -W 1: a reply later than a second counts as lost; ping exits 1 when any was lost.
  const { stdout } = await run('ip', ['netns', 'exec', netns, 'ping', '-6', '-n', '-q', '-i', '0.01', '-W', '1', '-c', String(count), address]).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  const m = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  if (m === null) throw new Error(`no ping summary in ${JSON.stringify(stdout)}`);
  return { sent: Number(m[1]), received: Number(m[2]) };
}

async function birdPids(netns: string): Promise<number[]> {
  return (await pidsInNamespace(processRunner, netns)).filter((pid) => processName(pid) === 'bird6');
}

describeIntegration('faults: bird6 killed, stopped, and lab down', { root: true, netns: true, binaries: ['bird6', 'ip', 'ping', 'kill'] }, () => {
  const lab = new LabBed(PREFIX, twoNodeExampleCopy);
  const { stateDir, file } = lab;
  let report: UpReport;
  const node = (name: string) => report.plan.nodes.find((n) => n.name === name)!;
  const endpoint = (name: string) => report.topology.endpoints.find((e) => e.name === name)!;

  beforeAll(async () => {
    report = await lab.up(20_000);
  }, 30_000);
  afterAll(() => lab.remove(), 20_000);

  it('loses no ping every 10 ms across a kill -9 of bird6 and its restart by the agent', async () => {
    const web = endpoint('web-1');
    const db = endpoint('db-1');
    const node1 = node('node1');
    const killed = readPidFile(node1.birdPidFile)!;
    expect(processName(killed)).toBe('bird6');
    const pinging = pingLoss(web.netns!, db.addresses[0]!, 500);
    await sleep(500);
    // node1's bird6 holds the route to db-1 that BGP learnt from node2.
    await signalPid(killed, 'KILL');
    await timeUntil('the agent to start a new bird6', async () => {
      const pid = readPidFile(node1.birdPidFile);
      return pid !== undefined && pid !== killed && isAlive(pid);
    }, 5000);
    const { sent, received } = await pinging;
    console.info(`bird6 kill -9 under 10 ms pings: ${sent - received} of ${sent} lost`);
    expect(sent).toBe(500);
    expect(sent - received).toBe(0);
  }, 20_000);

  it('starts no second bird6 beside an adopted bird6 that is SIGSTOPped, and logs why', async () => {
    const node2 = node('node2');
    const bird = readPidFile(node2.birdPidFile)!;
    expect(await birdPids(node2.netns)).toEqual([bird]);
    // A new agent adopts the running bird6 (it is not the agent's child any more). SIGKILL leaves
    // bird6 running; on SIGTERM the agent would shut it down.
    const agent = readState(stateDir)!.processes.find((p) => p.role === 'agent node2')!;
    await signalPid(agent.pid, 'KILL');
    await timeUntil('agent node2 to exit', async () => !isAlive(agent.pid), 5000);
    const log = () => readFileSync(node2.agentLog, 'utf8');
    const before = log().length;
    // Not in state.json: stopped below, so lab down never races it (it would restart the bird6 lab down stops).
    const adopter = birdctlAgentLauncher(processRunner).start(node2, file);
    await timeUntil('the new agent to adopt bird6', async () => log().slice(before).includes('adopted the running bird6'), 10_000, 100);
    // Its monitor's first poll follows at once; that baseline must see bird6 up, or no daemonDown
    // (and so no supervisor probe) would ever follow.
    await sleep(2000);
    await signalPid(bird, 'STOP');
    try {
      // The monitor sees it down after a poll timeout; the supervisor's probe then times out too.
      const noticed = async () => /alive but not answering/.test(log().slice(before)) || (await birdPids(node2.netns)).length > 1;
      await timeUntil('the agent to notice the stopped bird6 (or to start a second one)', noticed, 15_000, 100).catch((error: Error) => {
        throw new Error(`${error.message}; agent log:\n${log().slice(before).split('\n').slice(-15).join('\n')}`);
      });
      await sleep(1500);
      expect(await birdPids(node2.netns)).toEqual([bird]);
    } finally {
      await signalPid(bird, 'CONT');
      // SIGKILL: the last test needs this bird6 still running (SIGTERM would shut it down).
      adopter.kill('SIGKILL');
      await timeUntil('the adopting agent to exit', async () => !isAlive(adopter.pid), 5000);
    }
  }, 35_000);

  it('lab down returns only once every bird6 of the lab has left the process table (zombies reaped too)', async () => {
    const birds = report.plan.nodes.map((n) => readPidFile(n.birdPidFile)!);
    expect(birds.every((pid) => processName(pid) === 'bird6')).toBe(true);
    const result = await lab.down();
    expect(birds.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
    expect(result.lingering).toBeUndefined();
  }, 20_000);
});
