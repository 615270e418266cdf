import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addContainers } from '../../src/lab/endpoint-stand-ins.ts';
import { StateRecorder } from '../../src/lab/state.ts';
import { FakeRunner } from '../support/fake-runner.ts';

const dirs: string[] = [];
function recorder(): StateRecorder {
  const dir = mkdtempSync(join(tmpdir(), 'lab-stand-ins-'));
  dirs.push(dir);
  return StateRecorder.claim(dir, { prefix: 'bsi', topologyFile: '/t.yaml', startedAt: '2025-01-01T00:00:00.000Z' });
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const container = (n: number) => ({ name: `c${n}`, node: 'node1', netns: `bsi-c${n}` });
const none = () => false;

/** A fake runner under which the first container's namespace is the last one done. */
function firstNamespaceDoneLast(): FakeRunner {
  const runner = new FakeRunner();
  const run = runner.run.bind(runner);
  runner.run = async (file, args, options) => {
    if (args.join(' ') === 'netns add bsi-c1') await new Promise((r) => setTimeout(r, 50));
    return run(file, args, options);
  };
  return runner;
}

describe('container stand-ins', () => {
  it('makes the namespaces of several new containers side by side, each recorded with its endpoint', async () => {
    const runner = new FakeRunner();
    const rec = recorder();
    const made = await addContainers(runner, rec, [container(1), container(2), container(3)], none);
    expect(made).toEqual(['created', 'created', 'created']);
    // Side by side: every `ip netns add` is under way before the first namespace's next step.
    const steps = runner.runs.map((r) => (r.file === 'ip' && r.args[0] === 'netns' ? `add ${r.args[2]}` : r.file));
    expect(steps.slice(0, 3)).toEqual(['add bsi-c1', 'add bsi-c2', 'add bsi-c3']);
    expect(steps.filter((s) => s === 'sysctl')).toHaveLength(3);
    expect(rec.state.namespaces.sort()).toEqual(['bsi-c1', 'bsi-c2', 'bsi-c3']);
    expect(rec.state.endpoints.map((e) => e.name).sort()).toEqual(['c1', 'c2', 'c3']);
  });

  it('uses a namespace that exists and is not the lab\'s as it is: nothing made, only the endpoint recorded', async () => {
    const runner = new FakeRunner();
    const rec = recorder();
    const made = await addContainers(runner, rec, [container(1), container(2)], (netns) => netns === 'bsi-c2');
    expect(made).toEqual(['created', 'existing']);
    expect(runner.runs.some((r) => r.args.includes('bsi-c2'))).toBe(false);
    expect(rec.state.namespaces).toEqual(['bsi-c1']);
    expect(rec.state.endpoints).toEqual([
      { name: 'c1', node: 'node1', kind: 'container', netns: 'bsi-c1' },
      { name: 'c2', node: 'node1', kind: 'container', netns: 'bsi-c2' },
    ]);
  });

  it('records the endpoints in the topology\'s order, whatever order their namespaces are finished in', async () => {
    const runner = firstNamespaceDoneLast();
    const rec = recorder();
    rec.update((s) => s.endpoints.push({ name: 'before', node: 'node1', kind: 'container', netns: 'bsi-before' }));
    await addContainers(runner, rec, [container(1), container(2), container(3)], none);
    expect(rec.state.endpoints.map((e) => e.name)).toEqual(['before', 'c1', 'c2', 'c3']);
  });

  it('records the namespaces in the topology\'s order too, whatever order they are finished in', async () => {
    const runner = firstNamespaceDoneLast();
    const rec = recorder();
    rec.update((s) => s.namespaces.push('bsi-switch'));
    await addContainers(runner, rec, [container(1), container(2), container(3)], none);
    expect(rec.state.namespaces).toEqual(['bsi-switch', 'bsi-c1', 'bsi-c2', 'bsi-c3']);
  });

  it('lets the other namespaces be made and recorded when one fails, then reports the failure', async () => {
    const runner = new FakeRunner((call) => (call.args.join(' ') === 'netns add bsi-c2' ? { exitCode: 1, stderr: 'Cannot create namespace' } : {}));
    const rec = recorder();
    await expect(addContainers(runner, rec, [container(1), container(2), container(3)], none)).rejects.toThrow(/Cannot create namespace/);
    expect(rec.state.endpoints.map((e) => e.name).sort()).toEqual(['c1', 'c3']);
    expect(rec.state.namespaces.sort()).toEqual(['bsi-c1', 'bsi-c3']);
  });
});
