// A topology-change pass reads only the container namespaces of endpoints that changed; the
// others are vouched for by the caller (settledEndpoints). What it did not read it must treat as
// unknown, never as empty: nothing of a namespace it did not read is deleted or recreated, and
// the record's claims there are kept until a full pass reads them.
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { MemoryLedgerStore } from '../../src/endpoints/ledger.ts';
import type { ActualState, ReadScope } from '../../src/endpoints/model.ts';
import { isNoop, reconcile } from '../../src/endpoints/reconcile.ts';
import { topologyWith, type EndpointInput } from './topology.ts';

/** The fake kernel, remembering the namespaces each read was asked to look inside. */
class ScopedFake extends FakeDataplane {
  readonly insides: string[][] = [];
  override read(scope: ReadScope): Promise<ActualState> {
    // Only reads that look inside a namespace, or leave one unread, are remembered.
    if (scope.containerNamespaces.length + (scope.unreadNamespaces ?? []).length > 0) this.insides.push([...scope.containerNamespaces].sort());
    return super.read(scope);
  }
}

const container = (name: string, address: string): EndpointInput => ({ name, kind: 'container', addresses: [address], interface: `cali-${name}`, netns: name });
const WEB = container('web-1', 'fd00:10::10');
const API = container('api-1', 'fd00:10::11');

describe('a pass that reads only the changed endpoints\' namespaces', () => {
  let fake: ScopedFake;
  let ledger: MemoryLedgerStore;
  beforeEach(() => {
    fake = new ScopedFake();
    fake.addLink('eth0', { addresses: ['fd00:ec::1/64'] });
    for (const ns of ['web-1', 'api-1']) fake.addNamespace(ns);
    ledger = new MemoryLedgerStore();
  });
  const pass = (endpoints: EndpointInput[], settled?: string[]) =>
    reconcile({ dataplane: fake, topology: topologyWith(endpoints), nodeName: 'node1', ledger, ...(settled === undefined ? {} : { settledEndpoints: new Set(settled) }) });

  it('programs a new endpoint in full and does not look inside a settled one', async () => {
    await pass([WEB]);
    const summary = await pass([WEB, API], ['web-1']);
    expect(summary.failed).toEqual([]);
    expect(fake.insides.at(-1)).toEqual(['api-1']);
    expect(fake.containers.get('api-1')).toMatchObject({ link: { up: true, addresses: ['fd00:10::11/128'] }, defaultGateway: 'fe80::1' });
    expect(fake.routes.map((r) => r.dst).sort()).toEqual(['fd00:10::10', 'fd00:10::11']);
  });

  it('leaves the inside of a namespace it did not read exactly as it is: no veth recreated, nothing inside planned', async () => {
    await pass([WEB]);
    // The inside drifts (its address gone, eth0 down): a pass that does not read it cannot know,
    // and must not act as if eth0 were missing (that would delete and recreate the veth).
    const inside = fake.containers.get('web-1')!;
    inside.link = { up: false, addresses: [] };
    const before = fake.applied.length;
    const summary = await pass([WEB, API], ['web-1']);
    expect(fake.applied.slice(before).filter((o) => JSON.stringify(o).includes('web-1'))).toEqual([]);
    expect(fake.links.get('cali-web-1')).toMatchObject({ up: true, alias: 'bird6-controller:web-1' });
    expect(fake.containers.get('web-1')!.link).toEqual({ up: false, addresses: [] });
    expect(summary.failed).toEqual([]);
    // The full pass (periodic resync, link events) reads it and repairs it.
    await pass([WEB, API]);
    expect(fake.containers.get('web-1')!.link).toEqual({ up: true, addresses: ['fd00:10::10/128'] });
  });

  it('still repairs the host side of a settled endpoint: its route and its veth come back', async () => {
    await pass([WEB]);
    fake.deleteLink('cali-web-1');
    const summary = await pass([WEB], ['web-1']);
    expect(summary.failed).toEqual([]);
    expect(fake.routes.map((r) => r.dst)).toEqual(['fd00:10::10']);
    expect(fake.containers.get('web-1')).toMatchObject({ link: { up: true, addresses: ['fd00:10::10/128'] }, defaultGateway: 'fe80::1' });
  });

  it('removes what the record says it made for an endpoint that left, and keeps the unread claims until a full pass', async () => {
    await pass([WEB, API]);
    const removal = await pass([WEB], ['web-1']);
    expect(removal.removed).toBeGreaterThan(0);
    expect(fake.links.has('cali-api-1')).toBe(false);
    expect(fake.routes.map((r) => r.dst)).toEqual(['fd00:10::10']);
    // The veth took api-1's eth0 and its address along; the claims in namespaces not read stay.
    expect(fake.insides.at(-1)).toEqual([]);
    const kept = (await ledger.load()).keys('container-address').sort();
    expect(kept).toEqual(['api-1 fd00:10::11/128', 'web-1 fd00:10::10/128']);
    // A full pass reads api-1, finds no eth0 and drops the dead claim.
    expect(isNoop(await pass([WEB]))).toBe(true);
    expect((await ledger.load()).keys('container-address')).toEqual(['web-1 fd00:10::10/128']);
  });

  it('drops the claims of a namespace that is gone without reading it', async () => {
    await pass([WEB, API]);
    fake.deleteLink('cali-api-1');
    fake.namespaces.delete('api-1');
    fake.containers.delete('api-1');
    await pass([WEB], ['web-1']);
    expect((await ledger.load()).keys('container-address')).toEqual(['web-1 fd00:10::10/128']);
  });
});

describe('diff of a namespace that exists but was not read', () => {
  it('plans nothing inside it and keeps its veth and its claims', async () => {
    const { desiredState } = await import('../../src/endpoints/desired.ts');
    const { diff } = await import('../../src/endpoints/diff.ts');
    const { Ledger } = await import('../../src/endpoints/ledger.ts');
    const { emptyActualState } = await import('../../src/endpoints/model.ts');
    const desired = desiredState(topologyWith([WEB]), 'node1', { uplink: 'eth0' });
    const ledger = new Ledger();
    ledger.claim({ table: 'link', key: 'cali-web-1', note: 'bird6-controller:web-1' });
    ledger.claim({ table: 'container-address', key: 'web-1 fd00:10::10/128', note: '' });
    const actual = {
      ...emptyActualState(),
      links: new Map([['cali-web-1', { name: 'cali-web-1', up: true, alias: 'bird6-controller:web-1', addresses: ['fe80::1/64'] }]]),
      namespaces: new Set(['web-1']),
    };
    const plan = diff(desired, actual, ledger);
    expect(plan.changes.map((c) => c.operation.op).filter((op) => op === 'delete-link' || op.startsWith('container') || op === 'create-veth' || op === 'prepare-container')).toEqual([]);
    expect(plan.changes.some((c) => c.operation.op === 'replace-route')).toBe(true);
    expect(plan.releases).not.toContainEqual({ table: 'container-address', key: 'web-1 fd00:10::10/128' });
  });
});
