import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EndpointLoop } from '../../src/agent/endpoint-loop.ts';
import { createJsonLogger } from '../../src/agent/logger.ts';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { MemoryLedgerStore } from '../../src/endpoints/ledger.ts';
import { parseTopology, type Topology } from '../../src/topology/index.ts';
import { FakeRunner } from '../support/fake-runner.ts';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'endpoint-loop-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function topology(endpoints: Array<{ name: string; node: string; address: string }>): Topology {
  return parseTopology({
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'c', asNumber: 64512 },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes: [{ name: 'n1', address: 'fd00:ec::1' }, { name: 'n2', address: 'fd00:ec::2' }],
    endpoints: endpoints.map((e) => ({ name: e.name, node: e.node, kind: 'container', addresses: [e.address], interface: `cali-${e.name}` })),
  });
}

function loop(lines: string[] = []) {
  const dataplane = new FakeDataplane();
  dataplane.addLink('eth0', { addresses: ['fd00:ec::1/64'] });
  dataplane.addLink('cali-a');
  const endpoints = new EndpointLoop({
    runner: new FakeRunner(),
    dataplane,
    ledger: new MemoryLedgerStore(),
    nodeName: 'n1',
    dnsmasqDir: dir,
    logger: createJsonLogger({ write: (line) => void lines.push(line), now: () => new Date() }),
  });
  return { dataplane, endpoints };
}

describe('EndpointLoop on topology changes', () => {
  it('skips a change that touches only other nodes, once the last pass settled everything', async () => {
    const { dataplane, endpoints } = loop();
    const first = await endpoints.onTopology(topology([{ name: 'a', node: 'n1', address: 'fd00:10::1' }]));
    expect(first.summary!.added).toBeGreaterThan(0);
    const other = await endpoints.onTopology(topology([{ name: 'a', node: 'n1', address: 'fd00:10::1' }, { name: 'b', node: 'n2', address: 'fd00:10::2' }]));
    expect(other).toMatchObject({ skipped: true });
    // Drift is still repaired by a full pass (the resync timer and link events use run()).
    dataplane.routes = [];
    const resync = await endpoints.run(topology([{ name: 'a', node: 'n1', address: 'fd00:10::1' }]));
    expect(resync.summary!.added).toBe(1);
  });

  it('does not skip while an endpoint of this node is pending, nor when this node\'s endpoints change', async () => {
    const { dataplane, endpoints } = loop();
    const withPending = topology([{ name: 'a', node: 'n1', address: 'fd00:10::1' }, { name: 'x', node: 'n1', address: 'fd00:10::9' }]);
    expect((await endpoints.onTopology(withPending)).summary!.pending.map((p) => p.endpoint)).toEqual(['x']);
    dataplane.addLink('cali-x');
    const again = await endpoints.onTopology(withPending);
    expect(again.skipped).toBeUndefined();
    expect(again.summary!.pending).toEqual([]);
    const changed = await endpoints.onTopology(topology([{ name: 'a', node: 'n1', address: 'fd00:10::5' }, { name: 'x', node: 'n1', address: 'fd00:10::9' }]));
    expect(changed.skipped).toBeUndefined();
    expect(changed.summary!.added).toBeGreaterThan(0);
  });
});

describe('EndpointLoop pending log', () => {
  const pendingLines = (lines: string[]) =>
    lines.map((l) => JSON.parse(l) as { level: string; msg: string; endpoint?: string; reason?: string }).filter((l) => l.msg === 'endpoint pending');

  it('says at info level, with the reason, once per endpoint and reason, not on every resync', async () => {
    const lines: string[] = [];
    const { dataplane, endpoints } = loop(lines);
    const withPending = topology([{ name: 'a', node: 'n1', address: 'fd00:10::1' }, { name: 'x', node: 'n1', address: 'fd00:10::9' }]);
    for (let i = 0; i < 3; i += 1) await endpoints.run(withPending);
    const logged = pendingLines(lines);
    expect(logged).toEqual([expect.objectContaining({ level: 'info', endpoint: 'x', reason: expect.stringContaining('cali-x') })]);

    // Programmed, then pending again: said again.
    dataplane.addLink('cali-x');
    await endpoints.run(withPending);
    dataplane.deleteLink('cali-x');
    await endpoints.run(withPending);
    expect(pendingLines(lines)).toHaveLength(2);
  });
});
