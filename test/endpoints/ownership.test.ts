// The programmer changes only what it can prove it created (issue 9 item 9): foreign objects that
// look like its own survive every pass and every endpoint removal.
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeDataplane } from '../../src/endpoints/fake-dataplane.ts';
import { MemoryLedgerStore } from '../../src/endpoints/ledger.ts';
import { reconcile } from '../../src/endpoints/reconcile.ts';
import { BASE_ENDPOINTS, topologyWith, type EndpointInput } from './topology.ts';

let fake: FakeDataplane;
let ledger: MemoryLedgerStore;
beforeEach(() => {
  fake = new FakeDataplane();
  fake.addLink('eth0', { addresses: ['fd00:ec::1/64'] });
  fake.addLink('cali-cache-1');
  fake.addLink('tap-vm-1');
  fake.addNamespace('web-1');
  ledger = new MemoryLedgerStore();
});
const run = (endpoints: EndpointInput[] = BASE_ENDPOINTS) => reconcile({ dataplane: fake, topology: topologyWith(endpoints), nodeName: 'node1', ledger });
const only = (name: string) => BASE_ENDPOINTS.filter((e) => e.name === name);

describe('ownership: foreign objects survive a pass and an endpoint removal', () => {
  it('leaves a proto-80 route outside every pool alone (Calico Felix uses 80 too)', async () => {
    fake.routes.push({ dst: '2001:db8::5', dev: 'eth0', protocol: 80 }, { dst: 'fd00:99::/64', dev: 'eth0', protocol: 80 });
    await run();
    await run(only('cache-1'));
    expect(fake.routes.filter((r) => !r.dst.startsWith('fd00:10::')).map((r) => r.dst)).toEqual(['2001:db8::5', 'fd00:99::/64']);
  });

  it('still deletes a proto-80 route inside a pool that no endpoint wants', async () => {
    fake.routes.push({ dst: 'fd00:10::99', dev: 'eth0', protocol: 80 });
    await run();
    expect(fake.routes.some((r) => r.dst === 'fd00:10::99')).toBe(false);
  });

  it('leaves permanent neighbour and proxy entries for pool addresses that it did not make', async () => {
    fake.neighbours.push({ dst: 'fd00:10::77', dev: 'eth0', lladdr: '02:00:00:00:00:77', permanent: true });
    fake.proxies.push({ dst: 'fd00:10::77', dev: 'eth0' });
    await run();
    await run(only('cache-1'));
    expect(fake.neighbours).toEqual([{ dst: 'fd00:10::77', dev: 'eth0', lladdr: '02:00:00:00:00:77', permanent: true }]);
    expect(fake.proxies.map((p) => p.dst).sort()).toEqual(['fd00:10::12', 'fd00:10::77']);
  });

  it('removes the neighbour and proxy entries it made when their endpoint leaves', async () => {
    await run();
    expect(fake.neighbours).toHaveLength(1);
    await run(only('cache-1'));
    expect(fake.neighbours).toEqual([]);
    expect(fake.proxies).toEqual([{ dst: 'fd00:10::12', dev: 'eth0' }]);
  });

  it("leaves a global address someone else put on a container's eth0", async () => {
    await run();
    fake.containers.get('web-1')!.link!.addresses.push('2001:db8::42/64');
    const second = await run();
    expect(second.removed).toBe(0);
    expect(fake.containers.get('web-1')!.link!.addresses).toContain('2001:db8::42/64');
  });

  it('removes a container address it added that left the topology', async () => {
    await run();
    await run([{ ...BASE_ENDPOINTS[0]!, addresses: ['fd00:10::10'] }]);
    expect(fake.containers.get('web-1')!.link!.addresses).toEqual(['fd00:10::10/128']);
  });

  it('leaves a link whose alias only looks like its own', async () => {
    fake.addLink('ghost0', { alias: 'bird6-controller:ghost' });
    await run();
    expect(fake.links.has('ghost0')).toBe(true);
  });

  it('refuses to take over a link with a look-alike alias as an endpoint interface', async () => {
    fake.addLink('cali-web-1', { alias: 'bird6-controller:ghost' });
    const summary = await run();
    expect(summary.failed.find((f) => f.owner.kind === 'endpoint' && f.owner.name === 'web-1')!.reasons[0]).toMatch(/was not created for this endpoint/);
    expect(fake.links.get('cali-web-1')!.alias).toBe('bird6-controller:ghost');
  });

  it('deletes its own veth when the endpoint leaves', async () => {
    await run();
    await run(only('cache-1'));
    expect(fake.links.has('cali-web-1')).toBe(false);
  });

  it('refuses a VM endpoint whose interface carries the node address, and touches nothing there', async () => {
    // The topology refuses names like eth0; the uplink of a real host may be called anything.
    fake.deleteLink('eth0');
    fake.addLink('enp1s0', { addresses: ['fd00:ec::1/64'] });
    const summary = await run([{ name: 'vm-x', kind: 'vm', addresses: ['fd00:10::40'], interface: 'enp1s0', mac: '02:00:00:00:00:40' }]);
    expect(summary.failed).toEqual([
      { owner: { kind: 'endpoint', name: 'vm-x' }, reasons: [expect.stringMatching(/enp1s0 carries the node address fd00:ec::1/)] },
    ]);
    expect(fake.sysctls.get('net.ipv6.conf.enp1s0.accept_ra')).toBe('1');
    expect(fake.links.get('enp1s0')!.addresses).toEqual(['fd00:ec::1/64']);
    expect(fake.routes).toEqual([]);
    expect(fake.neighbours).toEqual([]);
  });

  it("restores a VM tap's sysctls and removes its /64 when the VM leaves, and only what it changed", async () => {
    fake.sysctls.set('net.ipv6.conf.tap-vm-1.accept_dad', '0');
    await run();
    expect(fake.sysctls.get('net.ipv6.conf.tap-vm-1.accept_ra')).toBe('0');
    expect(fake.links.get('tap-vm-1')!.addresses).toEqual(['fd00:10::/64']);
    // Someone else sets accept_dad back to 1 after the VM left: not the programmer's to undo.
    await run(only('cache-1'));
    expect(fake.sysctls.get('net.ipv6.conf.tap-vm-1.accept_ra')).toBe('1');
    expect(fake.sysctls.get('net.ipv6.conf.tap-vm-1.proxy_ndp')).toBe('0');
    expect(fake.sysctls.get('net.ipv6.conf.tap-vm-1.accept_dad')).toBe('0');
    expect(fake.links.get('tap-vm-1')!.addresses).toEqual([]);
  });

  it('remembers what it made across programmer restarts through its record', async () => {
    await run();
    // A fresh dataplane object and a reloaded record: the same kernel, the same claims.
    const summary = await run(only('cache-1'));
    expect(summary.failed).toEqual([]);
    expect(fake.neighbours).toEqual([]);
    expect((await ledger.load()).keys('neighbour')).toEqual([]);
  });
});

describe('the record around a failed apply', () => {
  it('drops the claim of a failed creation and keeps the first value of a sysctl whose rewrite failed', async () => {
    fake.failWhen((o) => o.op === 'create-veth');
    await run();
    expect((await ledger.load()).has('link', 'cali-web-1')).toBe(false);
    const key = 'net.ipv6.conf.cali-cache-1.accept_ra';
    const first = (await ledger.load()).note('sysctl', key);
    expect(first).toBe('["1","0"]');
    fake.sysctls.set(key, '2');
    fake.failWhen((o) => o.op === 'set-sysctl' && o.sysctl.key === key);
    await run();
    expect((await ledger.load()).note('sysctl', key)).toBe(first);
  });
});

describe('route protocol number', () => {
  it('uses the number it is given for the routes it writes, reads and deletes', async () => {
    const felix = new FakeDataplane({ routeProtocol: 81 });
    felix.addLink('eth0', { addresses: ['fd00:ec::1/64'] });
    felix.addLink('cali-cache-1');
    felix.routes.push({ dst: 'fd00:10::66', dev: 'eth0', protocol: 80 }, { dst: 'fd00:10::67', dev: 'eth0', protocol: 81 });
    await reconcile({ dataplane: felix, topology: topologyWith(only('cache-1')), nodeName: 'node1', ledger });
    expect(felix.routes.map((r) => `${r.dst} ${r.protocol}`).sort()).toEqual(['fd00:10::12 81', 'fd00:10::66 80']);
  });
});
