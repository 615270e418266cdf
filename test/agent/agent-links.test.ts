// Which link and namespace notifications make the agent run a full pass: an interface of an
// endpoint it still programs going away (someone deleted it), or appearing for an endpoint waiting
// for it (a VM's tap); a container's namespace named in the namespace directory after the topology
// named the endpoint. Never the links the agent itself makes or removes while it programs a topology edit: a
// full pass queued behind every edit would hold the next edit back by a whole pass. Runs the real
// Agent with a fake runner (its `ip monitor link` is fed by hand), a fake BIRD control socket and
// the in-memory dataplane.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.ts';
import { createJsonLogger } from '../../src/agent/logger.ts';
import type { ApplyOutcome, Change } from '../../src/endpoints/dataplane.ts';
import type { ActualState, ReadScope } from '../../src/endpoints/model.ts';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { FakeRunner } from '../support/fake-runner.ts';
import { waitFor } from '../support/netns.ts';
import { agentOptions, topology, useAgentScratch } from './agent-harness.ts';

const WEB = { name: 'web', node: 'n1', kind: 'container', addresses: ['fd00:10::10'], netns: 'web', interface: 'cali-web' };
const VM = { name: 'vm1', node: 'n1', kind: 'vm', addresses: ['fd00:10::20'], interface: 'tap-vm1', mac: '02:00:00:00:00:20' };
/** What `ip -o monitor link` prints when a hypervisor makes a tap. */
const TAP_NEW_LINE = '9: tap-vm1: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default qlen 1000\\    link/ether 02:00:00:00:00:20 brd ff:ff:ff:ff:ff:ff';
/** What `ip -o monitor link` prints when an interface is deleted. */
const DELETED_LINE = 'Deleted 7: cali-web@if2: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \\    link/ether 0e:54:00:00:00:01 brd ff:ff:ff:ff:ff:ff';

const scratch = useAgentScratch('agent-links-', topology('links', [WEB]));

/**
 * The in-memory dataplane, counting the passes (each reads the kernel once) and telling when it
 * deletes a link, as the kernel's notification does while the pass still runs.
 */
class CountingDataplane extends FakeDataplane {
  reads = 0;
  onLinkDeleted: (name: string) => void = () => {};
  override read(scope: ReadScope): Promise<ActualState> {
    this.reads += 1;
    return super.read(scope);
  }
  override async apply(changes: readonly Change[]): Promise<ApplyOutcome> {
    const outcome = await super.apply(changes);
    for (const c of changes) if (c.operation.op === 'delete-link') this.onLinkDeleted(c.operation.name);
    return outcome;
  }
}

/** An agent running `web`'s topology with its namespace directory in the scratch directory. */
function startAgent(dataplane: CountingDataplane, runner: FakeRunner): Agent {
  dataplane.addLink('eth0', { addresses: ['fd00:ec::1/64'] });
  mkdirSync(join(scratch.dir, 'netns'));
  const agent = new Agent(
    { ...agentOptions(scratch), netnsDir: join(scratch.dir, 'netns') },
    { runner, logger: createJsonLogger({ write: () => {}, now: () => new Date() }), now: () => new Date(), signal: scratch.stop.signal, dataplane },
  );
  scratch.running = agent.run();
  return agent;
}

/** An agent whose endpoint `web` is programmed, and the hand that feeds its link monitor. */
async function agentWithWeb(): Promise<{ agent: Agent; dataplane: CountingDataplane; linkEvent: (line: string) => void }> {
  const dataplane = new CountingDataplane();
  dataplane.addNamespace('web');
  const runner = new FakeRunner();
  const agent = startAgent(dataplane, runner);
  const monitor = await waitFor('the link monitor', () => runner.starts.find((s) => s.args.join(' ') === '-o monitor link'), 5000, 10);
  await waitFor('web programmed', () => (agent.state.state().endpoints.find((e) => e.name === 'web')?.state === 'programmed' ? true : undefined), 5000, 10);
  return { agent, dataplane, linkEvent: (line) => monitor.options!.onLine!(line) };
}

function edit(endpoints: object[]): void {
  const file = join(scratch.dir, 'cluster.yaml');
  writeFileSync(`${file}.new`, stringify(topology('links', endpoints)));
  renameSync(`${file}.new`, file);
}

describe('link notifications', () => {
  it('are watched before the first pass reads the kernel, so a tap made after that read is not left to the resync', async () => {
    const runner = new FakeRunner();
    const monitorAtFirstRead: boolean[] = [];
    class FirstReadDataplane extends CountingDataplane {
      override read(scope: ReadScope): Promise<ActualState> {
        if (this.reads === 0) monitorAtFirstRead.push(runner.starts.some((s) => s.args.join(' ') === '-o monitor link'));
        return super.read(scope);
      }
    }
    const dataplane = new FirstReadDataplane();
    dataplane.addNamespace('web');
    startAgent(dataplane, runner);
    await waitFor('the first pass', () => (dataplane.reads > 0 ? true : undefined), 5000, 10);
    expect(monitorAtFirstRead).toEqual([true]);
  });

  it('make a pass for a tap that appears while the first pass runs, after its read (before its state says pending)', async () => {
    const runner = new FakeRunner();
    writeFileSync(join(scratch.dir, 'cluster.yaml'), stringify(topology('links', [VM])));
    // The tap appears once the first pass has read the kernel without it: the kernel's
    // notification comes while that pass still runs, before the agent's state names vm1.
    class TapAfterFirstRead extends CountingDataplane {
      override async read(scope: ReadScope): Promise<ActualState> {
        const actual = await super.read(scope);
        if (this.reads === 1) {
          this.addLink('tap-vm1');
          runner.starts.find((s) => s.args.join(' ') === '-o monitor link')!.options!.onLine!(TAP_NEW_LINE);
        }
        return actual;
      }
    }
    const dataplane = new TapAfterFirstRead();
    const agent = startAgent(dataplane, runner);
    // The resync is a minute away (agentOptions): only the notification can program vm1 this soon.
    await waitFor('vm1 programmed', () => (agent.state.state().endpoints.find((e) => e.name === 'vm1')?.state === 'programmed' ? true : undefined), 5000, 10);
  });

  it('make a full pass when an interface of an endpoint still in the topology is deleted', async () => {
    const { dataplane, linkEvent } = await agentWithWeb();
    const before = dataplane.reads;
    linkEvent(DELETED_LINE);
    await waitFor('a full pass', () => (dataplane.reads > before ? true : undefined), 5000, 10);
  });

  it('make no pass for the interface the agent itself deletes because the endpoint left the topology', async () => {
    const { agent, dataplane, linkEvent } = await agentWithWeb();
    let passesWhenDeleted: number | undefined;
    dataplane.onLinkDeleted = (name) => {
      expect(name).toBe('cali-web');
      passesWhenDeleted = dataplane.reads;
      linkEvent(DELETED_LINE);
    };
    edit([]);
    await waitFor('web gone', () => (agent.state.state().endpoints.length === 0 ? true : undefined), 5000, 10);
    expect(passesWhenDeleted).toBeDefined();
    // Longer than the agent's 100 ms link debounce plus a pass of the in-memory dataplane.
    await new Promise((r) => setTimeout(r, 500));
    expect(dataplane.reads).toBe(passesWhenDeleted);
  });
});

describe('namespace notifications', () => {
  it('wire a container whose namespace is named after the agent started, without waiting for the resync', async () => {
    const dataplane = new CountingDataplane();
    const agent = startAgent(dataplane, new FakeRunner());
    await waitFor('web pending', () => (agent.state.state().endpoints.find((e) => e.name === 'web')?.state === 'pending' ? true : undefined), 5000, 10);
    // What a runtime does: the namespace exists, then its name appears in the directory.
    dataplane.addNamespace('web');
    writeFileSync(join(scratch.dir, 'netns', 'web'), '');
    await waitFor('web programmed', () => (agent.state.state().endpoints.find((e) => e.name === 'web')?.state === 'programmed' ? true : undefined), 5000, 10);
  });

  it('make no pass for a namespace no pending endpoint names', async () => {
    const dataplane = new CountingDataplane();
    dataplane.addNamespace('web');
    const agent = startAgent(dataplane, new FakeRunner());
    await waitFor('web programmed', () => (agent.state.state().endpoints.find((e) => e.name === 'web')?.state === 'programmed' ? true : undefined), 5000, 10);
    const before = dataplane.reads;
    writeFileSync(join(scratch.dir, 'netns', 'other'), '');
    writeFileSync(join(scratch.dir, 'netns', 'web'), '');
    await new Promise((r) => setTimeout(r, 500));
    expect(dataplane.reads).toBe(before);
  });
});
