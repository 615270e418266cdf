import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { IpDataplane } from '../../src/endpoints/ip-dataplane.ts';
import { FileLedgerStore, MemoryLedgerStore } from '../../src/endpoints/ledger.ts';
import { formatSummary, isNoop, reconcile } from '../../src/endpoints/reconcile.ts';
import { FakeRunner } from '../support/fake-runner.ts';
import { BASE_ENDPOINTS, topologyWith } from './topology.ts';

function host(): FakeDataplane {
  const fake = new FakeDataplane();
  fake.addLink('eth0', { addresses: ['fd00:ec::1/64'] });
  fake.addLink('cali-cache-1');
  fake.addLink('tap-vm-1');
  fake.addNamespace('web-1');
  return fake;
}

const routesOf = (fake: FakeDataplane) => fake.routes.map((r) => `${r.dst} ${r.dev} ${r.protocol}`).sort();

describe('reconcile against the fake dataplane', () => {
  let fake: FakeDataplane;
  let ledger: MemoryLedgerStore;
  beforeEach(() => {
    fake = host();
    ledger = new MemoryLedgerStore();
  });
  const run = (endpoints = BASE_ENDPOINTS) => reconcile({ dataplane: fake, topology: topologyWith(endpoints), nodeName: 'node1', ledger });

  it('programs every endpoint of the node from empty', async () => {
    const summary = await run();
    expect(summary.failed).toEqual([]);
    expect(summary.pending).toEqual([]);
    expect(summary.uplink).toBe('eth0');
    expect(routesOf(fake)).toEqual([
      'fd00:10::10 cali-web-1 80',
      'fd00:10::11 cali-web-1 80',
      'fd00:10::12 cali-cache-1 80',
      'fd00:10::30 tap-vm-1 80',
    ]);
    expect(fake.neighbours).toEqual([{ dst: 'fd00:10::30', dev: 'tap-vm-1', lladdr: '02:00:00:00:00:30', permanent: true }]);
    expect(fake.proxies.map((p) => `${p.dst} ${p.dev}`).sort()).toEqual(['fd00:10::10 eth0', 'fd00:10::11 eth0', 'fd00:10::12 eth0', 'fd00:10::30 eth0']);
    expect(fake.sysctls.get('net.ipv6.conf.all.forwarding')).toBe('1');
    expect(fake.sysctls.get('net.ipv6.conf.tap-vm-1.accept_ra')).toBe('0');
    const veth = fake.links.get('cali-web-1')!;
    expect(veth).toMatchObject({ up: true, alias: 'bird6-controller:web-1', addresses: ['fe80::1/64'] });
    expect(fake.containers.get('web-1')).toEqual({ dadOff: true, link: { up: true, addresses: ['fd00:10::10/128', 'fd00:10::11/128'] }, defaultGateway: 'fe80::1' });
  });

  it("programs a new container's route before any work inside its namespace, and turns DAD off there before its eth0 comes up", async () => {
    await run();
    const at = (op: string) => fake.applied.findIndex((o) => o.op === op && JSON.stringify(o).includes('web-1'));
    expect(at('replace-route')).toBeGreaterThan(-1);
    expect(at('replace-route')).toBeLessThan(at('prepare-container'));
    expect(at('prepare-container')).toBeLessThan(at('container-link-up'));
  });

  it('changes nothing on a second run and says so', async () => {
    await run();
    const attempted = fake.applied.length;
    const second = await run();
    expect(isNoop(second)).toBe(true);
    expect(fake.applied.length).toBe(attempted);
    expect(formatSummary(second)).toContain(`nothing to change: ${second.unchanged} objects already as desired`);
    expect(second.unchanged).toBeGreaterThan(20);
  });

  it('isolates a failing route to its endpoint; the others apply and the next run retries', async () => {
    fake.failWhen((o) => o.op === 'replace-route' && o.route.dst === 'fd00:10::12', 'RTNETLINK answers: Invalid argument', 1);
    const first = await run();
    expect(first.failed).toEqual([{ owner: { kind: 'endpoint', name: 'cache-1' }, reasons: ['route fd00:10::12/128 dev cali-cache-1: RTNETLINK answers: Invalid argument'] }]);
    expect(routesOf(fake)).toEqual(['fd00:10::10 cali-web-1 80', 'fd00:10::11 cali-web-1 80', 'fd00:10::30 tap-vm-1 80']);
    expect(formatSummary(first)).toContain('failed cache-1: route fd00:10::12/128 dev cali-cache-1: RTNETLINK answers: Invalid argument');
    const second = await run();
    expect(second.failed).toEqual([]);
    expect(second.added).toBeGreaterThan(0);
    expect(routesOf(fake)).toContain('fd00:10::12 cali-cache-1 80');
  });

  it('keeps a VM pending until its tap appears, without holding back the others', async () => {
    fake.deleteLink('tap-vm-1');
    const first = await run();
    expect(first.pending).toEqual([{ endpoint: 'vm-1', reason: 'tap tap-vm-1 does not exist yet (VM not started?)' }]);
    expect(first.failed).toEqual([]);
    expect(routesOf(fake)).toHaveLength(3);
    expect(formatSummary(first)).toContain('pending vm-1: tap tap-vm-1 does not exist yet');
    fake.addLink('tap-vm-1');
    const second = await run();
    expect(second.pending).toEqual([]);
    expect(routesOf(fake)).toContain('fd00:10::30 tap-vm-1 80');
  });

  it('keeps a container pending until its namespace exists', async () => {
    fake.namespaces.delete('web-1');
    const summary = await run();
    expect(summary.pending.map((p) => p.endpoint)).toEqual(['web-1']);
    expect(fake.links.has('cali-web-1')).toBe(false);
  });

  it('repairs drift: a route deleted by hand comes back, a down veth comes up again', async () => {
    await run();
    fake.routes = fake.routes.filter((r) => r.dst !== 'fd00:10::11');
    fake.containers.get('web-1')!.defaultGateway = undefined;
    const summary = await run();
    expect(summary.added).toBe(2);
    expect(routesOf(fake)).toContain('fd00:10::11 cali-web-1 80');
    expect(fake.containers.get('web-1')!.defaultGateway).toBe('fe80::1');
  });

  it('removes endpoints that left the topology completely and never touches foreign routes', async () => {
    await run();
    fake.routes.push({ dst: 'fd00:10::77', dev: 'cali-cache-1', protocol: 4 }, { dst: '2001:db8::/64', dev: 'eth0', protocol: 3 });
    const summary = await run(BASE_ENDPOINTS.filter((e) => e.name === 'cache-1'));
    expect(summary.failed).toEqual([]);
    expect(summary.removed).toBeGreaterThan(0);
    expect(routesOf(fake)).toEqual(['2001:db8::/64 eth0 3', 'fd00:10::12 cali-cache-1 80', 'fd00:10::77 cali-cache-1 4']);
    expect(fake.links.has('cali-web-1')).toBe(false);
    expect(fake.containers.get('web-1')!.link).toBeUndefined();
    expect(fake.links.has('tap-vm-1')).toBe(true); // the hypervisor's tap is not ours to delete
    expect(fake.neighbours).toEqual([]);
    expect(fake.proxies).toEqual([{ dst: 'fd00:10::12', dev: 'eth0' }]);
  });

  it('reports a failed veth creation and still programs the rest', async () => {
    fake.failWhen((o) => o.op === 'create-veth', 'RTNETLINK answers: Operation not permitted');
    const summary = await run();
    expect(summary.failed.map((f) => f.owner)).toEqual([{ kind: 'endpoint', name: 'web-1' }]);
    expect(routesOf(fake)).toEqual(['fd00:10::12 cali-cache-1 80', 'fd00:10::30 tap-vm-1 80']);
  });

  it("keeps the uplink's proxy_ndp value from before the first pass, though the uplink is only known from the read", async () => {
    fake.sysctls.set('net.ipv6.conf.eth0.proxy_ndp', '2');
    await run();
    expect(fake.sysctls.get('net.ipv6.conf.eth0.proxy_ndp')).toBe('1');
    expect((await ledger.load()).note('sysctl', 'net.ipv6.conf.eth0.proxy_ndp')).toBe('["2","1"]');
  });

  /** `ip -json -batch` of the host tables: eth0 with the node address, cache-1's veth, nothing else. */
  const CACHE_HOST_READ = `${[
    '[{"ifindex":4,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"]},{"ifindex":5,"ifname":"cali-cache-1","flags":["UP"]}]',
    '[{"ifindex":4,"ifname":"eth0","addr_info":[{"family":"inet6","local":"fd00:ec::1","prefixlen":64,"scope":"global"}]}]',
    '[]',
    '[]',
    '[]',
  ].join('\n')}\n`;

  it('finds the node address in the host read, with no process of its own', async () => {
    const runner = new FakeRunner(({ args }) => {
      if (args.includes('netns')) return { stdout: '[]\n' };
      if (args.includes('-batch') && args.includes('-json')) {
        return { stdout: CACHE_HOST_READ };
      }
      return {};
    });
    const summary = await reconcile({ dataplane: new IpDataplane({ runner }), topology: topologyWith(BASE_ENDPOINTS.filter((e) => e.name === 'cache-1')), nodeName: 'node1', ledger });
    expect(summary.uplink).toBe('eth0');
    expect(summary.failed).toEqual([]);
    expect(runner.runs.filter((r) => r.args.includes('to'))).toEqual([]);
  });

  it("reads the host tables once, and only the uplink's proxy_ndp after, when the record does not claim it yet", async () => {
    const runner = new FakeRunner(({ file, args }) => {
      if (file === 'sysctl') return { stdout: args.filter((a) => a !== '-e').map((k) => `${k} = 1\n`).join('') };
      if (args.includes('-batch') && args.includes('-json')) {
        return { stdout: CACHE_HOST_READ };
      }
      return {};
    });
    const summary = await reconcile({ dataplane: new IpDataplane({ runner }), topology: topologyWith(BASE_ENDPOINTS.filter((e) => e.name === 'cache-1')), nodeName: 'node1', ledger });
    expect(summary.failed).toEqual([]);
    expect(runner.runs.filter((r) => r.args.includes('-json'))).toHaveLength(1);
    const sysctlReads = runner.runs.filter((r) => r.file === 'sysctl' && r.args[0] === '-e');
    expect(sysctlReads.at(-1)!.args).toEqual(['-e', 'net.ipv6.conf.eth0.proxy_ndp']);
  });

  it("reads the uplink's proxy_ndp in the one sysctl process of the other keys when the host tables read ahead are in", async () => {
    const runner = new FakeRunner(({ file, args }) => {
      if (file === 'sysctl') return { stdout: args.filter((a) => a !== '-e').map((k) => `${k} = 0\n`).join('') };
      if (args.includes('-batch') && args.includes('-json')) return { stdout: CACHE_HOST_READ };
      return {};
    });
    const dataplane = new IpDataplane({ runner });
    dataplane.startHostRead();
    // The topology loads meanwhile (birdctl endpoints apply): the host read is in by the time it is done.
    await new Promise((resolve) => setImmediate(resolve));
    const summary = await reconcile({ dataplane, topology: topologyWith(BASE_ENDPOINTS.filter((e) => e.name === 'cache-1')), nodeName: 'node1', ledger });
    expect(summary.failed).toEqual([]);
    const sysctlReads = runner.runs.filter((r) => r.file === 'sysctl' && r.args[0] === '-e');
    expect(sysctlReads).toHaveLength(1);
    expect(sysctlReads[0]!.args).toEqual(expect.arrayContaining(['net.ipv6.conf.all.forwarding', 'net.ipv6.conf.cali-cache-1.accept_ra', 'net.ipv6.conf.eth0.proxy_ndp']));
    // Read, not assumed: the claim keeps the value from before.
    expect((await ledger.load()).note('sysctl', 'net.ipv6.conf.eth0.proxy_ndp')).toBe('["0","1"]');
  });

  it('takes no uplink whose kernel name it could not write a record for, and keeps programming the node', async () => {
    // Linux allows names such as `_uplink`; the ownership record accepts only names that pass the
    // topology's interface rule, so a claim on this one would make the next load refuse the record.
    fake.deleteLink('eth0');
    fake.addLink('_uplink', { addresses: ['fd00:ec::1/64'] });
    const dir = mkdtempSync(join(tmpdir(), 'reconcile-uplink-'));
    try {
      const store = new FileLedgerStore(join(dir, 'endpoints-owned.json'));
      const pass = () => reconcile({ dataplane: fake, topology: topologyWith(BASE_ENDPOINTS), nodeName: 'node1', ledger: store });
      const first = await pass();
      expect(first.uplink).toBeUndefined();
      expect(first.failed).toEqual([]);
      expect(fake.sysctls.get('net.ipv6.conf._uplink.proxy_ndp')).toBe('0');
      expect(fake.proxies).toEqual([]);
      expect(formatSummary(first)).toContain('_uplink');
      const second = await pass();
      expect(second.failed).toEqual([]);
      expect(isNoop(second)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('programs no proxy entries when the node address is on no interface', async () => {
    fake.deleteLink('eth0');
    const summary = await run();
    expect(summary.uplink).toBeUndefined();
    expect(fake.proxies).toEqual([]);
    expect(formatSummary(summary)).toContain('no proxy NDP entries');
  });
});
