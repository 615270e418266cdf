// Set-up shared by the tests that run the real Agent: a scratch directory holding the topology
// file and the config's directory, a fake BIRD control socket that answers as a running bird6
// (a test file may give it another handler in its own beforeEach) and the signal that stops the
// agent; made fresh before each test and torn down after it, the agent stopped and awaited first
// so that nothing of it is left writing into a removed directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, beforeEach } from 'vitest';
import type { AgentOptions } from '../../src/agent/agent.ts';
import { FakeBird, runningBird } from '../birdc/fake-bird.ts';

export const NODES = [
  { name: 'n1', address: 'fd00:ec::1' },
  { name: 'n2', address: 'fd00:ec::2' },
];

/** A topology of cluster `name` (AS 64512, pool fd00:10::/48), by default of the nodes n1 and n2. */
export function topology(name: string, endpoints?: object[], nodes: object[] = NODES): object {
  return {
    apiVersion: 'bird6-controller/v1',
    cluster: { name, asNumber: 64512 },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes,
    ...(endpoints === undefined ? {} : { endpoints }),
  };
}

export interface AgentScratch {
  /** the scratch directory: cluster.yaml and etc/ */
  dir: string;
  bird: FakeBird;
  stop: AbortController;
  /** the agent's run(), awaited after the test once `stop` is aborted */
  running: Promise<void> | undefined;
}

/** Registers the hooks; the returned object holds the current test's scratch. */
export function useAgentScratch(prefix: string, initialTopology: object): AgentScratch {
  const scratch = {} as AgentScratch;
  beforeEach(async () => {
    scratch.dir = mkdtempSync(join(tmpdir(), prefix));
    mkdirSync(join(scratch.dir, 'etc'));
    writeFileSync(join(scratch.dir, 'cluster.yaml'), stringify(initialTopology));
    scratch.bird = new FakeBird();
    scratch.bird.handler = runningBird;
    await scratch.bird.start();
    scratch.stop = new AbortController();
    scratch.running = undefined;
  });
  afterEach(async () => {
    scratch.stop.abort();
    await scratch.running;
    await scratch.bird.dispose();
    rmSync(scratch.dir, { recursive: true, force: true });
  });
  return scratch;
}

/** Node n1 of the scratch's topology, bird6 not supervised, every timer but the debounce a minute long. */
export function agentOptions(scratch: AgentScratch): AgentOptions {
  return {
    topologyFile: join(scratch.dir, 'cluster.yaml'),
    nodeName: 'n1',
    configPath: join(scratch.dir, 'etc', 'bird6.conf'),
    socketPath: scratch.bird.path,
    superviseBird: false,
    debounceMs: 10,
    pollIntervalMs: 60_000,
    resyncIntervalMs: 60_000,
  };
}
