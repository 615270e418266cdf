import { describe, expect, it } from 'vitest';
import { desiredState } from '../../src/endpoints/desired.ts';
import { diff as planDiff } from '../../src/endpoints/diff.ts';
import { emptyActualState, type ActualLink, type ActualState, type DesiredState } from '../../src/endpoints/model.ts';
import type { Change } from '../../src/endpoints/dataplane.ts';
import { Ledger } from '../../src/endpoints/ledger.ts';
import { topologyWith, type EndpointInput } from './topology.ts';

const VM: EndpointInput = { name: 'vm-1', kind: 'vm', addresses: ['fd00:10::30'], interface: 'tap-vm-1', mac: '02:00:00:00:00:30' };

function actualWith(patch: Partial<ActualState>): ActualState {
  return { ...emptyActualState(), ...patch };
}

const tapUp = () => new Map<string, ActualLink>([['tap-vm-1', { name: 'tap-vm-1', up: true, addresses: [] }]]);
/** A record claiming the given `table key` entries (notes: aliases for links). */
function ledgerWith(claims: Array<[Parameters<Ledger['claim']>[0]['table'], string, string?]> = []): Ledger {
  const ledger = new Ledger();
  for (const [table, key, note] of claims) ledger.claim({ table, key, note: note ?? '' });
  return ledger;
}

const diff = (desired: DesiredState, actual: ActualState, ledger = new Ledger()) => planDiff(desired, actual, ledger);
const ops = (changes: Change[]) => changes.map((c) => `${c.kind} ${c.operation.op}`);

describe('diff', () => {
  const desired = desiredState(topologyWith([VM]), 'node1', { uplink: 'eth0' });

  it('keeps one of two actual objects under a desired key and deletes the other when it is ours', () => {
    // Two routes to one destination (another metric): the first found is the one kept.
    const routes = [
      { dst: 'fd00:10::30', dev: 'tap-vm-1' },
      { dst: 'fd00:10::30', dev: 'tap-other' },
    ];
    const plan = diff(desired, actualWith({ links: tapUp(), routes }));
    expect(plan.changes.filter((c) => c.operation.op.endsWith('-route')).map((c) => [c.kind, c.operation])).toEqual([['delete', { op: 'delete-route', route: routes[1] }]]);
    // The other way round, the first is replaced onto the tap and the second deleted.
    const swapped = diff(desired, actualWith({ links: tapUp(), routes: [routes[1]!, routes[0]!] }));
    expect(swapped.changes.filter((c) => c.operation.op.endsWith('-route')).map((c) => c.kind)).toEqual(['replace', 'delete']);
  });

  it('adds everything on an empty host', () => {
    const plan = diff(desired, actualWith({ links: tapUp() }));
    expect(ops(plan.changes)).toEqual([
      'add add-link-address',
      'add replace-route',
      'add replace-neighbour',
      'add replace-proxy',
      'add set-sysctl',
      'add set-sysctl',
      'add set-sysctl',
      'add set-sysctl',
      'add set-sysctl',
    ]);
    expect(plan.changes.every((c) => (c.owner.kind === 'endpoint' && c.owner.name === 'vm-1') || c.owner.kind === 'node')).toBe(true);
    expect(plan.unchanged).toBe(0);
  });

  it('plans nothing when the host already matches', () => {
    const sysctls = new Map([
      ['net.ipv6.conf.all.forwarding', '1'],
      ['net.ipv6.conf.eth0.proxy_ndp', '1'],
      ['net.ipv6.conf.tap-vm-1.accept_ra', '0'],
      ['net.ipv6.conf.tap-vm-1.accept_dad', '0'],
      ['net.ipv6.conf.tap-vm-1.proxy_ndp', '1'],
    ]);
    const plan = diff(
      desired,
      actualWith({
        links: new Map([['tap-vm-1', { name: 'tap-vm-1', up: true, addresses: ['fe80::5/64', 'fd00:10::/64'] }]]),
        routes: [{ dst: 'fd00:10::30', dev: 'tap-vm-1' }],
        neighbours: [{ dst: 'fd00:10::30', dev: 'tap-vm-1', lladdr: '02:00:00:00:00:30', permanent: true }],
        proxies: [{ dst: 'fd00:10::30', dev: 'eth0' }],
        sysctls,
      }),
    );
    expect(plan.changes).toEqual([]);
    expect(plan.unchanged).toBe(9);
  });

  it('replaces a route of ours through the wrong interface and a learnt neighbour entry', () => {
    const plan = diff(
      desired,
      actualWith({
        links: tapUp(),
        routes: [{ dst: 'fd00:10::30', dev: 'old-tap' }],
        neighbours: [{ dst: 'fd00:10::30', dev: 'tap-vm-1', lladdr: '02:00:00:00:00:30', permanent: false }],
      }),
    );
    expect(ops(plan.changes).slice(1, 3)).toEqual(['replace replace-route', 'replace replace-neighbour']);
  });

  it('deletes stale objects of ours and leaves foreign ones alone', () => {
    const plan = diff(
      desired,
      actualWith({
        links: new Map([
          ...tapUp(),
          ['cali-gone', { name: 'cali-gone', up: true, alias: 'bird6-controller:gone', addresses: [] }],
          ['docker0', { name: 'docker0', up: true, addresses: [] }],
        ]),
        routes: [
          { dst: 'fd00:10::99', dev: 'cali-gone' },
          { dst: 'fd00:10::96', dev: 'docker0' },
        ],
        neighbours: [
          { dst: 'fd00:10::98', dev: 'tap-x', lladdr: '02:00:00:00:00:98', permanent: true },
          { dst: 'fd00:99::1', dev: 'docker0', lladdr: '02:00:00:00:00:01', permanent: true },
          { dst: 'fd00:10::97', dev: 'docker0', lladdr: '02:00:00:00:00:97', permanent: false },
        ],
        proxies: [
          { dst: 'fd00:10::99', dev: 'eth0' },
          { dst: '2001:db8::1', dev: 'eth0' },
          // for a pool address, but not in the record: someone else's
          { dst: 'fd00:10::95', dev: 'eth0' },
        ],
      }),
      ledgerWith([
        ['link', 'cali-gone', 'bird6-controller:gone'],
        ['neighbour', 'fd00:10::98 tap-x'],
        ['proxy', 'fd00:10::99 eth0'],
      ]),
    );
    const deletes = plan.changes.filter((c) => c.kind === 'delete').map((c) => c.operation);
    expect(deletes).toEqual([
      { op: 'delete-link', name: 'cali-gone' },
      // the route through cali-gone goes with the link; only the other one is deleted by itself
      { op: 'delete-route', route: { dst: 'fd00:10::96', dev: 'docker0' } },
      { op: 'delete-neighbour', neighbour: { dst: 'fd00:10::98', dev: 'tap-x', lladdr: '02:00:00:00:00:98' } },
      { op: 'delete-proxy', proxy: { dst: 'fd00:10::99', dev: 'eth0' } },
    ]);
    expect(plan.changes.find((c) => c.operation.op === 'delete-link')!.owner).toEqual({ kind: 'leftover', endpoint: 'gone' });
  });

  it('reports a VM whose tap is absent as pending and keeps its existing entries', () => {
    const plan = diff(desired, actualWith({ proxies: [{ dst: 'fd00:10::30', dev: 'eth0' }] }));
    expect(plan.pending).toEqual([{ endpoint: 'vm-1', reason: 'tap tap-vm-1 does not exist yet (VM not started?)' }]);
    expect(plan.changes.map((c) => c.owner.kind)).toEqual(['node', 'node']);
  });

  it("leaves a pending endpoint's route, neighbour and proxy entries of its own exactly as they are", () => {
    const plan = diff(
      desired,
      actualWith({
        links: new Map([['tap-vm-1', { name: 'tap-vm-1', up: false, addresses: [] }]]),
        routes: [{ dst: 'fd00:10::30', dev: 'tap-vm-1' }],
        neighbours: [{ dst: 'fd00:10::30', dev: 'tap-vm-1', lladdr: '02:00:00:00:00:30', permanent: true }],
        proxies: [{ dst: 'fd00:10::30', dev: 'eth0' }],
      }),
      ledgerWith([
        ['neighbour', 'fd00:10::30 tap-vm-1'],
        ['proxy', 'fd00:10::30 eth0'],
      ]),
    );
    expect(plan.pending.map((p) => p.endpoint)).toEqual(['vm-1']);
    expect(plan.changes.filter((c) => c.kind === 'delete')).toEqual([]);
  });

  it('reports an interface that is down as pending', () => {
    const plan = diff(desired, actualWith({ links: new Map([['tap-vm-1', { name: 'tap-vm-1', up: false, addresses: [] }]]) }));
    expect(plan.pending).toEqual([{ endpoint: 'vm-1', reason: 'tap tap-vm-1 is down' }]);
  });

  describe('container endpoint with a namespace', () => {
    const web: EndpointInput = { name: 'web-1', kind: 'container', addresses: ['fd00:10::10'], interface: 'cali-web-1', netns: 'web-1' };
    const desiredWeb = desiredState(topologyWith([web]), 'node1');

    it('is pending while its namespace does not exist', () => {
      const plan = diff(desiredWeb, emptyActualState());
      expect(plan.pending).toEqual([{ endpoint: 'web-1', reason: 'network namespace web-1 does not exist yet' }]);
    });

    it('creates the veth with DAD off first, then addresses, link, default route', () => {
      const plan = diff(desiredWeb, actualWith({ namespaces: new Set(['web-1']) }));
      expect(plan.changes.filter((c) => c.owner.kind === 'endpoint' && c.owner.name === 'web-1').map((c) => c.operation.op)).toEqual([
        'prepare-container',
        'create-veth',
        'set-link-up',
        'add-link-address',
        'container-add-address',
        'container-link-up',
        'container-default-route',
        'replace-route',
        'set-sysctl',
        'set-sysctl',
        'set-sysctl',
      ]);
    });

    it('repairs only the missing pieces of an existing veth of ours', () => {
      const plan = diff(
        desiredWeb,
        actualWith({
          namespaces: new Set(['web-1']),
          links: new Map([['cali-web-1', { name: 'cali-web-1', up: true, alias: 'bird6-controller:web-1', addresses: ['fe80::1/64'] }]]),
          containers: new Map([['web-1', { link: { up: true, addresses: ['fd00:10::99/128'] } }]]),
        }),
        ledgerWith([
          ['link', 'cali-web-1', 'bird6-controller:web-1'],
          ['link-address', 'cali-web-1 fe80::1/64'],
          ['container-address', 'web-1 fd00:10::99/128'],
        ]),
      );
      expect(plan.changes.filter((c) => c.owner.kind === 'endpoint' && c.owner.name === 'web-1' && c.operation.op !== 'set-sysctl').map((c) => c.operation)).toEqual([
        { op: 'container-delete-address', netns: 'web-1', address: 'fd00:10::99/128' },
        { op: 'container-add-address', netns: 'web-1', address: 'fd00:10::10/128' },
        { op: 'container-default-route', netns: 'web-1', gateway: 'fe80::1' },
        { op: 'replace-route', route: { dst: 'fd00:10::10', dev: 'cali-web-1' } },
      ]);
    });

    it('recreates a veth of ours whose peer is no longer eth0 in the namespace, routes included', () => {
      const plan = diff(
        desiredWeb,
        actualWith({
          namespaces: new Set(['web-1']),
          links: new Map([['cali-web-1', { name: 'cali-web-1', up: true, alias: 'bird6-controller:web-1', addresses: ['fe80::1/64'] }]]),
          routes: [{ dst: 'fd00:10::10', dev: 'cali-web-1' }],
          containers: new Map([['web-1', {}]]),
        }),
        ledgerWith([['link', 'cali-web-1', 'bird6-controller:web-1']]),
      );
      expect(ops(plan.changes.filter((c) => c.operation.op !== 'set-sysctl'))).toEqual([
        'delete delete-link',
        'replace prepare-container',
        'replace create-veth',
        'replace set-link-up',
        // addresses go through the keyed table: on a fresh veth they are new
        'add add-link-address',
        'add container-add-address',
        'replace container-link-up',
        'replace container-default-route',
        'add replace-route',
      ]);
    });

    it('refuses to take over an interface it did not create', () => {
      const plan = diff(
        desiredWeb,
        actualWith({ namespaces: new Set(['web-1']), links: new Map([['cali-web-1', { name: 'cali-web-1', up: true, addresses: [] }]]) }),
      );
      expect(plan.blocked).toHaveLength(1);
      expect(plan.blocked[0]!.reason).toMatch(/exists but was not created for this endpoint/);
      expect(plan.changes.filter((c) => c.owner.kind === 'endpoint' && c.owner.name === 'web-1')).toEqual([]);
      expect(plan.changes.some((c) => c.operation.op === 'delete-link')).toBe(false);
    });
  });
});
