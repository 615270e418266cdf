// The lab's namespaces, links, state file, lock, exec and down, with a stand-in agent (`sleep` in
// each node namespace) so these run in seconds without BGP. The real agents are covered by the
// end-to-end tests. Prefix `blt` and a temporary state dir: never collides with a running lab.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import type { CommandContext } from '../../src/cli/command.ts';
import { processRunner } from '../../src/exec.ts';
import { labDown } from '../../src/lab/down.ts';
import { isAlive } from '../../src/proc.ts';
import { readState } from '../../src/lab/state.ts';
import { buildLab, type AgentLauncher } from '../../src/lab/up.ts';
import { describeIntegration } from '../support/integration.ts';
import { namespacesWithPrefix } from '../lab/lab-driver.ts';
import { topologyCopy } from '../lab/topology-copy.ts';

const PREFIX = 'blt';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const sleeper: AgentLauncher = {
  start: (node) => processRunner.start('sleep', ['600'], { netns: node.netns, detached: true }),
};

const netnsList = () => namespacesWithPrefix(PREFIX);

function inNs(netns: string, ...argv: string[]): string {
  return execFileSync('ip', ['netns', 'exec', netns, ...argv], { encoding: 'utf8' });
}

function context(): CommandContext {
  return { runner: processRunner, env: {}, now: () => new Date(), write: () => {}, signal: new AbortController().signal };
}

describeIntegration('lab plumbing', { root: true, netns: true, binaries: ['ip', 'sysctl', 'kill'] }, () => {
  const work = mkdtempSync(join(tmpdir(), 'blt-'));
  const stateDir = join(work, 'state');
  const topologyFile = topologyCopy('example.yaml', work, PREFIX);
  const deps = { runner: processRunner, launcher: sleeper, now: () => new Date(), sleep };
  const down = () => labDown({ stateDir, prefix: PREFIX }, { runner: processRunner, sleep });

  beforeAll(async () => {
    await down();
  });
  afterAll(async () => {
    await down();
    rmSync(work, { recursive: true, force: true });
  });

  describe('a built lab', () => {
    let agents: number[] = [];
    beforeAll(async () => {
      const lab = await buildLab({ topologyFile, prefix: PREFIX, stateDir }, deps);
      agents = [...lab.agents.values()].map((a) => a.pid);
    });

    it('has a namespace per node, the switch, each container and the VM, all recorded in state.json', () => {
      const expected = ['blt--switch', 'blt-node1', 'blt-node2', 'blt-node3', 'blt-web-1', 'blt-db-1', 'blt--vm-vm-1'];
      expect(netnsList().sort()).toEqual([...expected].sort());
      const state = readState(stateDir)!;
      expect(state.namespaces).toEqual(expected);
      expect(state.processes.map((p) => [p.role, p.pid])).toEqual(agents.map((pid, i) => [`agent node${i + 1}`, pid]));
      expect(state.endpoints).toEqual([
        { name: 'web-1', node: 'node1', kind: 'container', netns: 'blt-web-1' },
        { name: 'db-1', node: 'node2', kind: 'container', netns: 'blt-db-1' },
        { name: 'vm-1', node: 'node3', kind: 'vm', netns: 'blt--vm-vm-1', tap: 'tap-vm-1', mac: '02:00:00:00:00:30' },
      ]);
      expect(state.topologyFile).toBe(topologyFile);
    });

    it('puts every node on the bridge with its /64 on eth0, forwarding on and DAD off', () => {
      for (const [i, ns] of ['blt-node1', 'blt-node2', 'blt-node3'].entries()) {
        expect(inNs(ns, 'ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global')).toContain(`fd00:ec::${i + 1}/64`);
        expect(inNs(ns, 'sysctl', '-n', 'net.ipv6.conf.all.forwarding', 'net.ipv6.conf.all.accept_dad', 'net.ipv6.conf.default.accept_dad')).toBe('1\n0\n0\n');
      }
      expect(inNs('blt-node1', 'ping', '-6', '-c', '1', '-W', '2', 'fd00:ec::3')).toContain('1 received');
    });

    it("gives the VM namespace an eth0 with the endpoint's MAC, its peer named as the tap in the node namespace", () => {
      expect(inNs('blt--vm-vm-1', 'ip', '-o', 'link', 'show', 'dev', 'eth0')).toMatch(/state UP .*link\/ether 02:00:00:00:00:30/);
      expect(inNs('blt-node3', 'ip', '-o', 'link', 'show', 'dev', 'tap-vm-1')).toContain('tap-vm-1@');
      expect(readFileSync('/etc/netns/blt--vm-vm-1/resolv.conf', 'utf8')).toBe('');
    });

    it('refuses a second lab up with exit 1, naming the running lab, and changes nothing', async () => {
      const before = readFileSync(join(stateDir, 'state.json'), 'utf8');
      await expect(buildLab({ topologyFile, prefix: PREFIX, stateDir }, deps)).rejects.toMatchObject({ code: 'LAB_RUNNING', exitCode: 1 });
      expect(readFileSync(join(stateDir, 'state.json'), 'utf8')).toBe(before);
      expect(agents.every(isAlive)).toBe(true);
    });

    it('lab exec runs an argument array in a node or an endpoint namespace and passes its exit code through', async () => {
      const ctx = context();
      const node = await runCli(['lab', 'exec', 'node2', '--state-dir', stateDir, '--', 'ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global'], ctx);
      expect(node).toMatchObject({ exitCode: 0, output: expect.stringContaining('fd00:ec::2/64') });
      const vm = await runCli(['lab', 'exec', 'vm-1', '--state-dir', stateDir, '--', 'ip', '-o', 'link', 'show', 'dev', 'eth0'], ctx);
      expect(vm.output).toContain('02:00:00:00:00:30');
      expect(await runCli(['lab', 'exec', 'web-1', '--state-dir', stateDir, '--', process.execPath, '-e', 'process.exit(7)'], ctx)).toMatchObject({ exitCode: 7 });
      await expect(runCli(['lab', 'exec', 'nosuch', '--state-dir', stateDir, '--', 'true'], ctx)).rejects.toMatchObject({ code: 'LAB_NOT_RUNNING', hint: expect.stringContaining('node1') });
    });

    it('lab down stops every process by PID, spares a stranger whose PID sits in a pid file, removes namespaces and files; a second down finds nothing', async () => {
      const stranger = spawn('sleep', ['600'], { stdio: 'ignore' });
      writeFileSync(join(stateDir, 'nodes', 'node1', 'bird6.pid'), `${stranger.pid}\n`);
      try {
        const report = await down();
        expect(report.processes).toBe(3);
        expect(agents.some(isAlive)).toBe(false);
        expect(isAlive(stranger.pid!)).toBe(true);
        expect(netnsList()).toEqual([]);
        expect(existsSync(stateDir)).toBe(false);
        expect(existsSync('/etc/netns/blt--vm-vm-1')).toBe(false);
        expect(await down()).toEqual({ processes: 0, namespaces: [], files: 0 });
      } finally {
        stranger.kill();
      }
    });
  });

  it('lab down after a crash that lost state.json sweeps the prefix namespaces and the processes in them', async () => {
    const lab = await buildLab({ topologyFile, prefix: PREFIX, stateDir }, deps);
    const agents = [...lab.agents.values()].map((a) => a.pid);
    rmSync(join(stateDir, 'state.json'));
    const report = await down();
    expect(report.namespaces.sort()).toEqual(['blt--switch', 'blt--vm-vm-1', 'blt-db-1', 'blt-node1', 'blt-node2', 'blt-node3', 'blt-web-1']);
    expect(agents.some(isAlive)).toBe(false);
    expect(netnsList()).toEqual([]);
    expect(existsSync('/etc/netns/blt--vm-vm-1')).toBe(false);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('lab up refuses an invalid topology before creating anything (exit 2)', async () => {
    const split = topologyCopy('example.yaml', work, PREFIX, (doc) => {
      (doc.nodes as Array<{ address: string }>)[2]!.address = 'fd00:ed::3';
    });
    await expect(buildLab({ topologyFile: split, prefix: PREFIX, stateDir }, deps)).rejects.toMatchObject({ code: 'TOPOLOGY_INVALID', exitCode: 2 });
    expect(existsSync(join(stateDir, 'state.json'))).toBe(false);
    expect(netnsList()).toEqual([]);
  });
});
