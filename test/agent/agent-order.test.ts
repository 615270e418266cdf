// The order of the work one topology edit causes: the endpoint routes first, the bird6 config after.
// An endpoint's route needs nothing from bird6's config (bird6 learns the kernel's routes as they
// appear and re-reads them when a configure changes its filters), while rendering, `bird6 -p` and
// `configure` take tens of milliseconds that a new endpoint must not wait for. Runs the real Agent
// against a fake BIRD control socket, a fake runner and the in-memory dataplane.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.ts';
import { createJsonLogger } from '../../src/agent/logger.ts';
import type { ApplyOutcome, Change } from '../../src/endpoints/dataplane.ts';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { runningBird } from '../birdc/fake-bird.ts';
import { FakeRunner } from '../support/fake-runner.ts';
import { waitFor } from '../support/netns.ts';
import { agentOptions, NODES, topology, useAgentScratch } from './agent-harness.ts';

const scratch = useAgentScratch('agent-order-', topology('order', []));
/** What the agent did, in order: `route` (a route programmed), `check` (bird6 -p), `configure`. */
let steps: string[];

/** The in-memory dataplane, noting each apply that programs a route. */
class RecordingDataplane extends FakeDataplane {
  override apply(changes: readonly Change[]): Promise<ApplyOutcome> {
    if (changes.some((c) => c.operation.op === 'replace-route')) steps.push('route');
    return super.apply(changes);
  }
}

beforeEach(() => {
  steps = [];
  scratch.bird.handler = (command, socket) => {
    if (command.startsWith('configure')) steps.push('configure');
    runningBird(command, socket);
  };
});

describe('one topology edit', () => {
  it('programs a new endpoint\'s route before it checks and loads the bird6 config the same edit changes', async () => {
    const dataplane = new RecordingDataplane();
    dataplane.addLink('eth0', { addresses: ['fd00:ec::1/64'] });
    dataplane.addNamespace('web');
    const runner = new FakeRunner((call) => {
      if (call.file === 'bird6') steps.push('check');
      return {};
    });
    const agent = new Agent(agentOptions(scratch), {
      runner,
      logger: createJsonLogger({ write: () => {}, now: () => new Date() }),
      now: () => new Date(),
      signal: scratch.stop.signal,
      dataplane,
    });
    scratch.running = agent.run();
    await waitFor('the first config loaded', () => (steps.includes('configure') ? true : undefined), 5000, 10);
    steps = [];

    // A new node (a new BGP session: the config changes) and a new endpoint of this node, in one rename.
    const file = join(scratch.dir, 'cluster.yaml');
    writeFileSync(`${file}.new`, stringify(topology('order', [{ name: 'web', node: 'n1', kind: 'container', addresses: ['fd00:10::10'], netns: 'web' }], [...NODES, { name: 'n3', address: 'fd00:ec::3' }])));
    renameSync(`${file}.new`, file);

    await waitFor('the route and the config', () => (steps.includes('route') && steps.includes('configure') ? true : undefined), 5000, 10);
    expect(steps).toEqual(['route', 'check', 'configure']);
  });
});
