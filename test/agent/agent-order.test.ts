// The order of the work one topology edit causes: the endpoint routes first, the bird6 config after.
// An endpoint's route needs nothing from bird6's config (bird6 learns the kernel's routes as they
// appear and re-reads them when a configure changes its filters), while rendering, `bird6 -p` and
// `configure` take tens of milliseconds that a new endpoint must not wait for. Runs the real Agent
// against a fake BIRD control socket, a fake runner and the in-memory dataplane.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.ts';
import { createJsonLogger } from '../../src/agent/logger.ts';
import type { ApplyOutcome, Change } from '../../src/endpoints/dataplane.ts';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { FakeBird, runningBird } from '../birdc/fake-bird.ts';
import { FakeRunner } from '../support/fake-runner.ts';
import { waitFor } from '../support/netns.ts';

const NODES = [
  { name: 'n1', address: 'fd00:ec::1' },
  { name: 'n2', address: 'fd00:ec::2' },
];
const topology = (nodes: typeof NODES, endpoints: object[]) => ({
  apiVersion: 'bird6-controller/v1',
  cluster: { name: 'order', asNumber: 64512 },
  ipPools: [{ cidr: 'fd00:10::/48' }],
  nodes,
  endpoints,
});

let dir: string;
let bird: FakeBird;
let stop: AbortController;
let running: Promise<void> | undefined;
/** What the agent did, in order: `route` (a route programmed), `check` (bird6 -p), `configure`. */
let steps: string[];

/** The in-memory dataplane, noting each apply that programs a route. */
class RecordingDataplane extends FakeDataplane {
  override apply(changes: readonly Change[]): Promise<ApplyOutcome> {
    if (changes.some((c) => c.operation.op === 'replace-route')) steps.push('route');
    return super.apply(changes);
  }
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agent-order-'));
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'cluster.yaml'), stringify(topology(NODES, [])));
  steps = [];
  bird = new FakeBird();
  bird.handler = (command, socket) => {
    if (command.startsWith('configure')) steps.push('configure');
    runningBird(command, socket);
  };
  await bird.start();
  stop = new AbortController();
  running = undefined;
});

afterEach(async () => {
  stop.abort();
  await running;
  await bird.dispose();
  rmSync(dir, { recursive: true, force: true });
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
    const agent = new Agent(
      {
        topologyFile: join(dir, 'cluster.yaml'),
        nodeName: 'n1',
        configPath: join(dir, 'etc', 'bird6.conf'),
        socketPath: bird.path,
        superviseBird: false,
        debounceMs: 10,
        pollIntervalMs: 60_000,
        resyncIntervalMs: 60_000,
      },
      { runner, logger: createJsonLogger({ write: () => {}, now: () => new Date() }), now: () => new Date(), signal: stop.signal, dataplane },
    );
    running = agent.run();
    await waitFor('the first config loaded', () => (steps.includes('configure') ? true : undefined), 5000, 10);
    steps = [];

    // A new node (a new BGP session: the config changes) and a new endpoint of this node, in one rename.
    const file = join(dir, 'cluster.yaml');
    writeFileSync(`${file}.new`, stringify(topology([...NODES, { name: 'n3', address: 'fd00:ec::3' }], [{ name: 'web', node: 'n1', kind: 'container', addresses: ['fd00:10::10'], netns: 'web' }])));
    renameSync(`${file}.new`, file);

    await waitFor('the route and the config', () => (steps.includes('route') && steps.includes('configure') ? true : undefined), 5000, 10);
    expect(steps).toEqual(['route', 'check', 'configure']);
  });
});
