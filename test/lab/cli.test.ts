// birdctl lab's argument handling and the answers it gives without a lab.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/command.ts';
import { runCli } from '../../src/cli/main.ts';
import { planLab } from '../../src/lab/plan.ts';
import { formatUpSummary } from '../../src/lab/up.ts';
import { loadTopology } from '../../src/topology/index.ts';
import { FakeRunner } from '../support/fake-runner.ts';
import { EXAMPLE_TOPOLOGIES } from '../support/examples.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'lab-cli-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

function context(runner = new FakeRunner()): CommandContext {
  return { runner, env: {}, now: () => new Date(), write: () => {}, signal: new AbortController().signal };
}

describe('birdctl lab', () => {
  it.each([
    [[], 'expected up, status, exec, down or orchestrate'],
    [['sideways'], 'unknown subcommand "sideways"'],
    [['exec', 'node1', 'ip', 'a'], 'expected NAME -- CMD'],
    [['exec', 'node1', '--'], 'expected NAME -- CMD'],
    [['up', 'a.yaml', 'b.yaml'], 'at most one topology FILE'],
    [['up', '--timeout', 'soon'], '--timeout "soon"'],
    [['down', '--prefix', 'Bad-Prefix'], 'lab prefix "Bad-Prefix"'],
  ])('refuses %j with a usage error (exit 2)', async (argv, message) => {
    await expect(runCli(['lab', ...argv], context())).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining(message) });
  });

  it('status and exec without a lab fail with exit 1 and say how to start one', async () => {
    for (const argv of [['status'], ['exec', 'node1', '--', 'true']]) {
      await expect(runCli(['lab', ...argv, '--state-dir', stateDir], context())).rejects.toMatchObject({ code: 'LAB_NOT_RUNNING', exitCode: 1, hint: 'start one with birdctl lab up' });
    }
  });

  it('down with nothing to remove succeeds and says so, having only listed namespaces', async () => {
    const runner = new FakeRunner(() => ({ stdout: 'other-ns (id: 1)\nblzother\nxblz-1\n' }));
    const result = await runCli(['lab', 'down', '--prefix', 'blz', '--state-dir', stateDir], context(runner));
    expect(result).toEqual({ output: 'no lab to remove\n', exitCode: 0 });
    expect(runner.runs.map((r) => [r.file, ...r.args])).toEqual([['ip', 'netns', 'list']]);
  });

  it("the summary lists nodes, sessions, endpoints, the timeline and a ping between two hosts' endpoints", async () => {
    const topology = await loadTopology(EXAMPLE_TOPOLOGIES.find((f) => f.endsWith('/example.yaml'))!);
    const plan = planLab(topology, { prefix: 'b6lab', stateDir: '/run/birdctl-lab' });
    const text = formatUpSummary({ plan, topology, elapsedMs: 2345, sessions: 6, phases: { built: 300, sessions: 900, routes: 1100, vms: 2300 } });
    expect(text).toContain('cluster lab: lab up in 2.3 s (state in /run/birdctl-lab)');
    expect(text).toMatch(/node2\s+fd00:ec::2\s+netns b6lab-node2/);
    expect(text).toContain('sessions: 6 Established');
    expect(text).toContain('timeline: hosts built 0.30 s, sessions 0.90 s, routes everywhere 1.10 s, VMs addressed 2.30 s');
    expect(text).toMatch(/vm-1\s+fd00:10::30\s+vm\s+on node3, netns b6lab--vm-vm-1/);
    expect(text).toContain('try: birdctl lab exec web-1 -- ping -c 3 fd00:10::20');
  });
});
