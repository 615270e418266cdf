// The endpoint programmer on a real kernel, in namespaces of its own (prefix `epi`):
//   epi-host   the node (uplink eth0 with the node address, forwarding on, bird6)
//   epi-web1, epi-web2   two container namespaces whose veths the programmer creates
//   epi-vm1    a "VM": a veth whose far end sits in this namespace stands in for the tap. A real
//              tap is only up while a process (the hypervisor) holds it open; a veth looks the same
//              to the host side (an Ethernet link the host did not create) and lets a real DHCPv6
//              client and the kernel's RA handling run in the VM namespace.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DnsmasqService } from '../../src/endpoints/dnsmasq-process.ts';
import { IpDataplane } from '../../src/endpoints/ip-dataplane.ts';
import { FileLedgerStore } from '../../src/endpoints/ledger.ts';
import { isNoop, reconcile, type ReconcileSummary } from '../../src/endpoints/reconcile.ts';
import { processRunner } from '../../src/exec.ts';
import { render } from '../../src/render/render.ts';
import { parseTopologyText, type Topology } from '../../src/topology/index.ts';
import { describeIntegration } from '../support/integration.ts';
import { NetnsTestbed, waitFor } from '../support/netns.ts';

const P = 'epi';
const HOST = `${P}-host`;

function topologyText(withWeb2: boolean): string {
  return `apiVersion: bird6-controller/v1
cluster: { name: lab, asNumber: 64512 }
ipPools: [{ cidr: "fd00:10::/48" }]
nodes:
  - { name: node1, address: "fd00:ec::1", routerId: 10.255.0.1 }
endpoints:
  - { name: web-1, node: node1, kind: container, addresses: ["fd00:10::10", "fd00:10::11"], interface: ${P}-cali-w1, netns: ${P}-web1 }
${withWeb2 ? `  - { name: web-2, node: node1, kind: container, addresses: ["fd00:10::20"], interface: ${P}-cali-w2, netns: ${P}-web2 }\n` : ''}  - { name: vm-1, node: node1, kind: vm, addresses: ["fd00:10::30"], interface: ${P}-tap-v1, mac: "02:00:00:00:00:30" }
`;
}

/** Guest-side dhclient script: add the leased address as a /128 (the ISC prefix-length workaround). */
const DHCLIENT_SCRIPT = `#!/bin/sh
case "$reason" in
  BOUND6|RENEW6|REBIND6|REBOOT6) ip -6 addr replace "$new_ip6_address/128" dev "$interface" ;;
esac
exit 0
`;

describeIntegration('endpoint programmer in network namespaces', { netns: true, binaries: ['ip', 'bird6', 'birdc6', 'dnsmasq', 'dhclient', 'ping'] }, () => {
  const tb = new NetnsTestbed(P);
  const dataplane = new IpDataplane({ runner: processRunner, netns: HOST });
  const dnsmasqDir = mkdtempSync(join(tmpdir(), `${P}-dnsmasq-`));
  // The CLI run and the direct passes share one record of what the programmer made.
  const recordFile = join(dnsmasqDir, 'endpoints-owned.json');
  const ledger = new FileLedgerStore(recordFile);
  const dnsmasq = new DnsmasqService({ runner: processRunner, dir: dnsmasqDir, netns: HOST });
  let full: Topology;
  let birdSocket: string;
  const apply = (topology: Topology = full): Promise<ReconcileSummary> => reconcile({ dataplane, ledger, topology, nodeName: 'node1' });
  const ip = (netns: string, ...args: string[]) => tb.run(netns, 'ip', args);
  const ping = (netns: string, address: string) => tb.run(netns, 'ping', ['-6', '-c', '1', '-W', '2', address]);
  const routes80 = () => JSON.parse(ip(HOST, '-6', '-json', 'route', 'show', 'proto', '80')).map((r: { dst: string; dev: string }) => `${r.dst} ${r.dev}`).sort();

  beforeAll(() => {
    tb.addNamespace('host');
    tb.connect([{ netns: HOST, ifname: 'eth0', cidr: 'fd00:ec::1/64' }]);
    // Forwarding starts off, as on a fresh host: the programmer must turn it on.
    tb.run(HOST, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=0']);
    tb.addNamespace('web1');
    tb.addNamespace('web2');
    const vm = tb.addNamespace('vm1');
    // A guest is a host, not a router: with forwarding on it would ignore Router Advertisements.
    tb.run(vm, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=0', 'net.ipv6.conf.default.forwarding=0']);
    ip(HOST, 'link', 'add', `${P}-tap-v1`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm, 'address', '02:00:00:00:00:30');
    ip(HOST, 'link', 'set', `${P}-tap-v1`, 'up');
    ip(vm, 'link', 'set', 'eth0', 'up');
    full = parseTopologyText(topologyText(true), 'endpoints-integration.yaml');
    // dnsmasq drops to nobody and re-reads its hosts file from here.
    chmodSync(dnsmasqDir, 0o755);
  });

  afterAll(async () => {
    await dnsmasq.stop();
    await tb.cleanup();
    rmSync(dnsmasqDir, { recursive: true, force: true });
  });

  it('birdctl endpoints apply programs every endpoint and exits 0', () => {
    const file = tb.path('topology.yaml');
    writeFileSync(file, topologyText(true));
    const output = execFileSync('node', ['src/cli/birdctl.mjs', 'endpoints', 'apply', file, '--node', 'node1', '--netns', HOST, '--record', recordFile], { encoding: 'utf8' });
    expect(output).toContain('uplink: eth0');
    // Replaced: sysctls such as forwarding that held another value.
    expect(output).toMatch(/added \d+, replaced \d+, removed 0, unchanged \d+/);
    expect(output).not.toMatch(/pending|failed/);
    expect(routes80()).toEqual([`fd00:10::10 ${P}-cali-w1`, `fd00:10::11 ${P}-cali-w1`, `fd00:10::20 ${P}-cali-w2`, `fd00:10::30 ${P}-tap-v1`]);
    expect(tb.run(HOST, 'sysctl', ['-n', 'net.ipv6.conf.all.forwarding']).trim()).toBe('1');
    expect(ip(HOST, '-6', 'neigh', 'show', 'proxy')).toContain('fd00:10::30 dev eth0');
    expect(ip(HOST, '-6', 'neigh', 'show', 'dev', `${P}-tap-v1`)).toMatch(/fd00:10::30 lladdr 02:00:00:00:00:30 PERMANENT/);
    // The container side: the addresses inside the namespace, the default route via the host end.
    expect(ip(`${P}-web1`, '-6', 'addr', 'show', 'dev', 'eth0')).toMatch(/fd00:10::10\/128[\s\S]*fd00:10::11\/128|fd00:10::11\/128[\s\S]*fd00:10::10\/128/);
    expect(ip(`${P}-web1`, '-6', 'route', 'show', 'default')).toContain('default via fe80::1 dev eth0');
  });

  it('a second run changes nothing and says so', async () => {
    const summary = await apply();
    expect(isNoop(summary)).toBe(true);
    expect(summary.unchanged).toBeGreaterThan(20);
  });

  it('containers are reachable from the host and from each other', () => {
    ping(HOST, 'fd00:10::10');
    ping(HOST, 'fd00:10::11');
    ping(HOST, 'fd00:10::20');
    ping(`${P}-web1`, 'fd00:10::20');
    ping(`${P}-web2`, 'fd00:10::11');
  });

  it('the VM gets its address from dnsmasq with dhclient -6 and its default route via the host', async () => {
    expect(await dnsmasq.update(full, 'node1')).toBe('started');
    expect(ip(HOST, '-6', 'addr', 'show', 'dev', `${P}-tap-v1`)).toContain('fd00:10::/64');
    const script = join(dnsmasqDir, 'dhclient-script');
    writeFileSync(script, DHCLIENT_SCRIPT);
    chmodSync(script, 0o755);
    tb.start(`${P}-vm1`, 'dhclient', ['-6', '-d', '-sf', script, '-lf', join(dnsmasqDir, 'dhclient.leases'), '-pf', join(dnsmasqDir, 'dhclient.pid'), 'eth0']);
    await waitFor('the VM to hold fd00:10::30', () => (ip(`${P}-vm1`, '-6', 'addr', 'show', 'dev', 'eth0').includes('fd00:10::30/128') ? true : undefined), 20_000);
    const hostLinkLocal = JSON.parse(ip(HOST, '-6', '-json', 'addr', 'show', 'dev', `${P}-tap-v1`, 'scope', 'link'))[0].addr_info.map((a: { local: string }) => a.local);
    const gateway = await waitFor('an RA default route in the VM', () => {
      const route = JSON.parse(ip(`${P}-vm1`, '-6', '-json', 'route', 'show', 'default'))[0];
      return route?.protocol === 'ra' ? (route.gateway as string) : undefined;
    }, 20_000);
    expect(hostLinkLocal).toContain(gateway);
    // No on-link prefix and no SLAAC address: the /128 and the default route are all the VM has.
    const vmRoutes = ip(`${P}-vm1`, '-6', 'route', 'show');
    expect(vmRoutes).not.toMatch(/fd00:10::\/64/);
    expect(ip(`${P}-vm1`, '-6', 'addr', 'show', 'scope', 'global')).not.toMatch(/mngtmpaddr|dynamic.*\/64/);
    ping(HOST, 'fd00:10::30');
    ping(`${P}-vm1`, 'fd00:10::10');
  });

  it('bird6 with the rendered config learns exactly the endpoint routes', async () => {
    // A route of another protocol inside the pool, and one outside the pool with proto 80: neither may be learnt.
    ip(HOST, '-6', 'route', 'add', 'fd00:10::99/128', 'dev', 'eth0');
    ip(HOST, '-6', 'route', 'add', 'fd00:99::1/128', 'dev', 'eth0', 'proto', '80');
    const config = tb.path('bird6.conf');
    writeFileSync(config, render(full, 'node1'));
    ({ socket: birdSocket } = tb.startBird(HOST, config, 'bird'));
    const expected = ['fd00:10::10/128', 'fd00:10::11/128', 'fd00:10::20/128', 'fd00:10::30/128'];
    const nets = (...filter: string[]) => {
      const out = tb.run(undefined, 'birdc6', ['-s', birdSocket, 'show', 'route', ...filter]);
      return [...out.matchAll(/^(\S+\/\d+)/gm)].map((m) => m[1]!).sort();
    };
    // What the BGP sessions may carry: exactly the endpoint routes.
    const learnt = await waitFor('bird6 to learn the endpoint routes', () => {
      const toPeers = nets('filter', 'bgp_pool_routes');
      return toPeers.length >= expected.length ? toPeers : undefined;
    }, 15_000);
    expect(learnt).toEqual(expected);
    // Inside the pool the table holds only those and the pool's own unreachable route; the host's
    // routes outside the pools are there only to resolve next hops (the filter above drops them).
    expect(nets().filter((n) => n.startsWith('fd00:10:'))).toEqual(['fd00:10::/48', ...expected]);
  });

  it('drift is repaired: a route deleted by hand comes back; the foreign routes survive', async () => {
    ip(HOST, '-6', 'route', 'del', 'fd00:10::11/128', 'dev', `${P}-cali-w1`);
    const summary = await apply();
    expect(summary.added).toBe(1);
    expect(summary.failed).toEqual([]);
    expect(routes80()).toContain(`fd00:10::11 ${P}-cali-w1`);
    ping(HOST, 'fd00:10::11');
    expect(ip(HOST, '-6', 'route', 'show', 'fd00:10::99/128')).toContain('dev eth0');
  });

  it('endpoints removed from the topology disappear completely', async () => {
    const summary = await apply(parseTopologyText(topologyText(false), 'endpoints-integration.yaml'));
    expect(summary.failed).toEqual([]);
    expect(summary.removed).toBeGreaterThan(0);
    expect(routes80()).not.toContain(`fd00:10::20 ${P}-cali-w2`);
    expect(ip(HOST, 'link', 'show')).not.toContain(`${P}-cali-w2`);
    expect(ip(`${P}-web2`, 'link', 'show')).not.toContain('eth0');
    expect(ip(HOST, '-6', 'neigh', 'show', 'proxy')).not.toContain('fd00:10::20');
    // bird6 withdraws it too, and still has the others.
    await waitFor('bird6 to drop fd00:10::20', () => (tb.run(undefined, 'birdc6', ['-s', birdSocket, 'show', 'route']).includes('fd00:10::20/128') ? undefined : true));
    // The foreign routes, one with proto 80 outside the pool aside, are untouched.
    expect(ip(HOST, '-6', 'route', 'show', 'fd00:10::99/128')).toContain('dev eth0');
    ping(HOST, 'fd00:10::10');
  });

  it('a VM whose tap does not exist yet is pending without holding back the others, then programmed', async () => {
    const text = `${topologyText(false)}  - { name: vm-2, node: node1, kind: vm, addresses: ["fd00:10::31"], interface: ${P}-tap-v2, mac: "02:00:00:00:00:31" }\n`;
    const withVm2 = parseTopologyText(text, 'endpoints-integration.yaml');
    ip(HOST, '-6', 'route', 'del', 'fd00:10::10/128', 'dev', `${P}-cali-w1`);
    const first = await apply(withVm2);
    expect(first.pending).toEqual([{ endpoint: 'vm-2', reason: `tap ${P}-tap-v2 does not exist yet (VM not started?)` }]);
    expect(first.failed).toEqual([]);
    expect(routes80()).toContain(`fd00:10::10 ${P}-cali-w1`);
    ip(HOST, 'link', 'add', `${P}-tap-v2`, 'type', 'veth', 'peer', 'name', `${P}-tap-v2p`);
    ip(HOST, 'link', 'set', `${P}-tap-v2`, 'up');
    const second = await apply(withVm2);
    expect(second.pending).toEqual([]);
    expect(routes80()).toContain(`fd00:10::31 ${P}-tap-v2`);
  });
});
