import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EndpointLoop } from '../../src/agent/endpoint-loop.ts';
import { createJsonLogger } from '../../src/agent/logger.ts';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { MemoryLedgerStore } from '../../src/endpoints/ledger.ts';
import type { ActualState, ReadScope } from '../../src/endpoints/model.ts';
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

describe('EndpointLoop container namespace reads', () => {
  /** The fake kernel, remembering the namespaces each read looked inside. */
  class ScopedFake extends FakeDataplane {
    readonly insides: string[][] = [];
    override read(scope: ReadScope): Promise<ActualState> {
      // Only reads that look inside a namespace, or leave one unread, are remembered.
      if (scope.containerNamespaces.length + (scope.unreadNamespaces ?? []).length > 0) this.insides.push([...scope.containerNamespaces].sort());
      return super.read(scope);
    }
  }
  const wired = (names: string[], address = (i: number) => `fd00:10::${i + 1}`) =>
    parseTopology({
      apiVersion: 'bird6-controller/v1',
      cluster: { name: 'c', asNumber: 64512 },
      ipPools: [{ cidr: 'fd00:10::/48' }],
      nodes: [{ name: 'n1', address: 'fd00:ec::1' }],
      endpoints: names.map((name, i) => ({ name, node: 'n1', kind: 'container', addresses: [address(i)], interface: `cali-${name}`, netns: name })),
    });
  function scopedLoop() {
    const dataplane = new ScopedFake();
    dataplane.addLink('eth0', { addresses: ['fd00:ec::1/64'] });
    for (const ns of ['a', 'b', 'c']) dataplane.addNamespace(ns);
    const endpoints = new EndpointLoop({ runner: new FakeRunner(), dataplane, ledger: new MemoryLedgerStore(), nodeName: 'n1', dnsmasqDir: dir, logger: createJsonLogger({ write: () => {}, now: () => new Date() }) });
    return { dataplane, endpoints };
  }

  it('on a topology change looks inside only the namespaces of endpoints added or changed; a full pass looks inside all', async () => {
    const { dataplane, endpoints } = scopedLoop();
    await endpoints.onTopology(wired(['a', 'b']));
    expect(dataplane.insides.at(-1)).toEqual(['a', 'b']);
    await endpoints.onTopology(wired(['a', 'b', 'c']));
    expect(dataplane.insides.at(-1)).toEqual(['c']);
    // b's address changes: b is read, a and c are not.
    await endpoints.onTopology(wired(['a', 'b', 'c'], (i) => `fd00:10::${i === 1 ? 99 : i + 1}`));
    expect(dataplane.insides.at(-1)).toEqual(['b']);
    expect(dataplane.containers.get('b')!.link!.addresses).toEqual(['fd00:10::99/128']);
    await endpoints.run(wired(['a', 'b', 'c']));
    expect(dataplane.insides.at(-1)).toEqual(['a', 'b', 'c']);
  });

  it('looks inside again an endpoint whose last pass failed', async () => {
    const { dataplane, endpoints } = scopedLoop();
    dataplane.failWhen((o) => o.op === 'container-default-route' && o.netns === 'b', 'injected', 1);
    const first = await endpoints.onTopology(wired(['a', 'b']));
    expect(first.summary!.failed.map((f) => f.owner)).toEqual([{ kind: 'endpoint', name: 'b' }]);
    const second = await endpoints.onTopology(wired(['a', 'b', 'c']));
    expect(dataplane.insides.at(-1)).toEqual(['b', 'c']);
    expect(second.summary!.failed).toEqual([]);
    expect(dataplane.containers.get('b')!.defaultGateway).toBe('fe80::1');
  });

  it('looks inside everything again after a pass that threw', async () => {
    const { dataplane, endpoints } = scopedLoop();
    await endpoints.onTopology(wired(['a', 'b']));
    const read = dataplane.read.bind(dataplane);
    dataplane.read = async () => {
      throw new Error('ip gone');
    };
    expect((await endpoints.onTopology(wired(['a', 'b', 'c']))).error).toBe('ip gone');
    dataplane.read = read;
    await endpoints.onTopology(wired(['a', 'b', 'c']));
    expect(dataplane.insides.at(-1)).toEqual(['a', 'b', 'c']);
  });
});
