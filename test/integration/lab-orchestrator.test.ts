// The lab as the orchestrator of topology edits, driven through the CLI as a user drives it:
// `lab up` leaves an orchestrator running; a container and a VM added to the file get their
// namespaces (and the VM its tap and dhclient) from the lab and answer pings from another host's
// endpoint; removed, their namespaces go and their routes leave every kernel; a namespace the lab
// did not make is used but never removed; `lab status --json` shows where each route is; `lab down`
// leaves no namespace and no process. Prefix `labo` and a temporary state dir of its own.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/command.ts';
import { runCli } from '../../src/cli/main.ts';
import { processRunner } from '../../src/exec.ts';
import { labDown } from '../../src/lab/down.ts';
import { isAlive, readPidFile } from '../../src/proc.ts';
import { isOrchestratorOf } from '../../src/lab/orchestrator-process.ts';
import { readState } from '../../src/lab/state.ts';
import { describeIntegration } from '../support/integration.ts';
import { addContainerNamespace, editTopology, hostRoutes, namespacesWithPrefix, pings, timeUntil } from '../lab/lab-driver.ts';
import { smallestLab } from '../lab/topology-copy.ts';

const PREFIX = 'labo';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const netnsList = () => namespacesWithPrefix(PREFIX);

function context(): CommandContext {
  return { runner: processRunner, env: {}, now: () => new Date(), write: () => {}, signal: new AbortController().signal };
}

const CONTAINER = { name: 'new-c', node: 'node2', kind: 'container', addresses: ['fd00:10::41'], interface: 'cali-new-c', netns: `${PREFIX}-new-c` };
const VM = { name: 'new-vm', node: 'node2', kind: 'vm', addresses: ['fd00:10::42'], interface: 'tap-new-vm', mac: '02:00:00:00:00:42' };
const HAND = { name: 'hand-1', node: 'node2', kind: 'container', addresses: ['fd00:10::43'], interface: 'cali-hand-1', netns: `${PREFIX}-hand` };

describeIntegration('lab orchestrator', { root: true, netns: true, binaries: ['bird6', 'ip', 'ping', 'dnsmasq', 'dhclient', 'kill'] }, () => {
  // Two hosts, one container on node1.
  const { work, stateDir, file } = smallestLab(PREFIX);
  const lab = (...argv: string[]) => runCli(['lab', ...argv, '--prefix', PREFIX, '--state-dir', stateDir], context());
  const down = () => labDown({ stateDir, prefix: PREFIX }, { runner: processRunner, sleep });
  const nodes = [`${PREFIX}-node1`, `${PREFIX}-node2`];
  const everywhere = async (address: string, present: boolean) => (await Promise.all(nodes.map(async (ns) => (await hostRoutes(ns)).has(address) === present))).every(Boolean);
  const from = `${PREFIX}-web-1`;

  beforeAll(async () => {
    await down();
    const up = await lab('up', file, '--timeout', '30');
    expect(up.exitCode).toBe(0);
  }, 45_000);
  afterAll(async () => {
    await down();
    // lab down sweeps it by its prefix; this only covers a run that failed before it was made.
    if (existsSync(`/run/netns/${HAND.netns}`)) execFileSync('ip', ['netns', 'del', HAND.netns]);
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('lab up leaves an orchestrator running, recorded with its pid file in the state dir', () => {
    const state = readState(stateDir)!;
    expect(state.orchestrator).toMatchObject({ pidFile: join(stateDir, 'orchestrator.pid') });
    expect(readPidFile(state.orchestrator!.pidFile)).toBe(state.orchestrator!.pid);
    expect(isAlive(state.orchestrator!.pid) && isOrchestratorOf(state.orchestrator!.pid, stateDir)).toBe(true);
  });

  it('a container and a VM added to the file get their namespaces from the lab and answer pings from the other host', async () => {
    editTopology(file, (doc) => doc.endpoints.push(CONTAINER, VM));
    const container = await timeUntil(`${CONTAINER.addresses[0]} answering from ${from}`, () => pings(from, CONTAINER.addresses[0]!, 0.2), 10_000);
    const vm = await timeUntil(`${VM.addresses[0]} answering from ${from}`, () => pings(from, VM.addresses[0]!, 0.2), 20_000);
    // eslint-disable-next-line no-console -- the figures for BENCHMARKS.md
    console.log(`edit to ping: container ${Math.round(container)} ms, VM ${Math.round(vm)} ms after the container`);
    expect(netnsList()).toEqual(expect.arrayContaining([CONTAINER.netns, `${PREFIX}--vm-${VM.name}`]));
    const state = readState(stateDir)!;
    expect(state.namespaces).toEqual(expect.arrayContaining([CONTAINER.netns, `${PREFIX}--vm-${VM.name}`]));
    expect(state.processes.filter((p) => p.role === `dhclient ${VM.name}`).map((p) => isAlive(p.pid))).toEqual([true]);
  }, 35_000);

  it('lab status --json shows each endpoint programmed on its own node via its interface and learnt through BGP on the other', async () => {
    const result = await lab('status', '--json');
    expect(result.exitCode).toBe(0);
    const status = JSON.parse(result.output) as { nodes: Array<{ name: string; sessions: Array<{ bgpState: string }> }>; endpoints: Array<{ name: string; state: string; everywhere: boolean; routes: unknown[] }> };
    expect(status.nodes.map((n) => [n.name, n.sessions.map((s) => s.bgpState)])).toEqual([['node1', ['Established']], ['node2', ['Established']]]);
    const byName = new Map(status.endpoints.map((e) => [e.name, e]));
    expect([...byName.keys()]).toEqual(['web-1', CONTAINER.name, VM.name]);
    expect(byName.get(CONTAINER.name)).toMatchObject({
      state: 'programmed',
      everywhere: true,
      netns: CONTAINER.netns,
      routes: [
        { node: 'node1', address: CONTAINER.addresses[0], via: 'bgp', dev: 'eth0', gateway: 'fd00:ec::2' },
        { node: 'node2', address: CONTAINER.addresses[0], via: 'interface', dev: CONTAINER.interface },
      ],
    });
    expect(byName.get(VM.name)).toMatchObject({ state: 'programmed', everywhere: true });
    const text = await lab('status');
    expect(text.output).toMatch(/new-c\s+container\s+node2\s+fd00:10::41\s+programmed\s+on node2 via cali-new-c; via BGP on node1/);
  });

  it('removed from the file, the container loses its namespace and its route leaves every kernel; the VM its namespace, dhclient and files', async () => {
    editTopology(file, (doc) => (doc.endpoints = doc.endpoints.filter((e) => e.name !== CONTAINER.name)));
    await timeUntil(`${CONTAINER.netns} deleted`, async () => !netnsList().includes(CONTAINER.netns), 10_000);
    await timeUntil(`${CONTAINER.addresses[0]} gone from every kernel`, () => everywhere(CONTAINER.addresses[0]!, false), 10_000);
    expect(readState(stateDir)!.endpoints.map((e) => e.name)).not.toContain(CONTAINER.name);

    const dhclient = readState(stateDir)!.processes.find((p) => p.role === `dhclient ${VM.name}`)!.pid;
    editTopology(file, (doc) => (doc.endpoints = doc.endpoints.filter((e) => e.name !== VM.name)));
    await timeUntil(`${VM.name}'s namespace deleted`, async () => !netnsList().includes(`${PREFIX}--vm-${VM.name}`), 10_000);
    await timeUntil(`${VM.addresses[0]} gone from every kernel`, () => everywhere(VM.addresses[0]!, false), 10_000);
    expect(isAlive(dhclient)).toBe(false);
    expect(existsSync(`/etc/netns/${PREFIX}--vm-${VM.name}`)).toBe(false);
    expect(existsSync(join(stateDir, 'vms', VM.name))).toBe(false);
    expect(await pings(from, `${CONTAINER.addresses[0]}`, 0.3)).toBe(false);
  }, 30_000);

  it("a container namespace the lab did not make is used as it is, and left in place when its endpoint leaves", async () => {
    await addContainerNamespace(HAND.netns);
    editTopology(file, (doc) => doc.endpoints.push(HAND));
    await timeUntil(`${HAND.addresses[0]} answering from ${from}`, () => pings(from, HAND.addresses[0]!, 0.2), 10_000);
    expect(readState(stateDir)!.namespaces).not.toContain(HAND.netns);
    editTopology(file, (doc) => (doc.endpoints = doc.endpoints.filter((e) => e.name !== HAND.name)));
    await timeUntil(`${HAND.addresses[0]} gone from every kernel`, () => everywhere(HAND.addresses[0]!, false), 10_000);
    await timeUntil(`${HAND.name} out of the lab's record`, async () => !readState(stateDir)!.endpoints.some((e) => e.name === HAND.name), 5000);
    expect(netnsList()).toContain(HAND.netns);
  }, 30_000);

  it('lab down stops the orchestrator, the agents and every process of the pid files, and leaves no namespace', async () => {
    const state = readState(stateDir)!;
    const pids = [state.orchestrator!.pid, ...state.processes.map((p) => p.pid), ...state.pidFiles.map(readPidFile).filter((p): p is number => p !== undefined)];
    expect(pids.length).toBeGreaterThanOrEqual(5); // the orchestrator, 2 agents, 2 bird6
    expect(pids.every(isAlive)).toBe(true);
    const result = await lab('down');
    expect(result.exitCode).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(netnsList()).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    await expect(lab('status')).rejects.toMatchObject({ code: 'LAB_NOT_RUNNING', exitCode: 1 });
  }, 30_000);
});
