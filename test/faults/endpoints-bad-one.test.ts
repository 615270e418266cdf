// Fault: one bad endpoint among many (issue 9 items 8 and 9), on a real kernel in namespaces of
// its own (prefix `fep`):
//   fep-host             the node: uplink eth0 with the node address
//   fep-g1 .. fep-g4     container namespaces of good endpoints whose veths the programmer makes
//   fep-help             a good endpoint whose interface is called `help`, an ip keyword
//   fep-taken            an endpoint whose interface name a foreign link already holds
//   fep-badns            an endpoint whose namespace misbehaves: it already has an eth0
// and foreign objects in fep-host that look like the programmer's. Every good endpoint must be
// programmed and answer pings, and every foreign object must survive a pass and an endpoint removal.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IpDataplane } from '../../src/endpoints/ip-dataplane.ts';
import { FileLedgerStore } from '../../src/endpoints/ledger.ts';
import { endpointFailure, reconcile, type ReconcileSummary } from '../../src/endpoints/reconcile.ts';
import { processRunner } from '../../src/exec.ts';
import { parseTopology, type Topology } from '../../src/topology/index.ts';
import { describeIntegration } from '../support/integration.ts';
import { NetnsTestbed } from '../support/netns.ts';

const P = 'fep';
const HOST = `${P}-host`;
const GOOD = ['g1', 'g2', 'g3', 'g4'];

interface Spec {
  name: string;
  interface: string;
  netns: string;
  address: string;
}

const SPECS: Spec[] = [
  ...GOOD.map((g, i) => ({ name: g, interface: `${P}-cali-${g}`, netns: `${P}-${g}`, address: `fd00:10::${i + 1}` })),
  { name: 'helpful', interface: 'help', netns: `${P}-help`, address: 'fd00:10::a' },
  { name: 'taken', interface: `${P}-taken`, netns: `${P}-taken`, address: 'fd00:10::b' },
  { name: 'badns', interface: `${P}-cali-bad`, netns: `${P}-badns`, address: 'fd00:10::c' },
];
const REACHABLE = SPECS.filter((s) => s.name !== 'taken' && s.name !== 'badns');

function topology(specs: Spec[]): Topology {
  return parseTopology({
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'lab', asNumber: 64512 },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes: [{ name: 'node1', address: 'fd00:ec::1' }],
    endpoints: specs.map((s) => ({ name: s.name, node: 'node1', kind: 'container', addresses: [s.address], interface: s.interface, netns: s.netns })),
  });
}

describeIntegration('one bad endpoint among many, and foreign look-alikes', { netns: true, binaries: ['ip', 'ping', 'sysctl'] }, () => {
  const tb = new NetnsTestbed(P);
  const recordDir = mkdtempSync(join(tmpdir(), `${P}-record-`));
  const ledger = new FileLedgerStore(join(recordDir, 'endpoints-owned.json'));
  const dataplane = new IpDataplane({ runner: processRunner, netns: HOST, timeoutMs: 20_000 });
  const apply = (specs: Spec[] = SPECS): Promise<ReconcileSummary> => reconcile({ dataplane, ledger, topology: topology(specs), nodeName: 'node1' });
  const ip = (netns: string, ...args: string[]) => tb.run(netns, 'ip', args);
  const json = (netns: string, ...args: string[]) => JSON.parse(ip(netns, '-json', ...args) || '[]') as Array<Record<string, unknown>>;
  const ping = (address: string) => tb.run(HOST, 'ping', ['-6', '-c', '1', '-W', '2', address]);
  const routes80 = () => json(HOST, '-6', 'route', 'show', 'proto', '80').map((r) => `${r.dst} ${r.dev}`).sort();

  /** Every foreign object the test planted, as it must still look. */
  function assertForeignObjectsSurvive(): void {
    expect(routes80()).toContain('2001:db8:99::/64 eth0');
    expect(json(HOST, '-6', 'neigh', 'show', 'dev', 'eth0').map((n) => `${n.dst} ${n.lladdr} ${(n.state as string[]).join(',')}`)).toContain('fd00:10::77 02:00:00:00:00:77 PERMANENT');
    expect(json(HOST, '-6', 'neigh', 'show', 'proxy').map((p) => `${p.dst} ${p.dev}`)).toContain('fd00:10::77 eth0');
    const ghost = json(HOST, 'link', 'show', 'dev', `${P}-ghost`)[0]!;
    expect(ghost.ifalias).toBe('bird6-controller:ghost');
    expect(json(HOST, 'link', 'show', 'dev', `${P}-taken`)[0]!.ifalias).toBeUndefined();
    const g1 = json(`${P}-g1`, '-6', 'addr', 'show', 'dev', 'eth0')[0]!.addr_info as Array<{ local: string; prefixlen: number }>;
    expect(g1.map((a) => `${a.local}/${a.prefixlen}`)).toContain('2001:db8:42::1/64');
  }

  beforeAll(() => {
    tb.addNamespace('host');
    tb.connect([{ netns: HOST, ifname: 'eth0', cidr: 'fd00:ec::1/64' }]);
    for (const s of SPECS) tb.addNamespace(s.netns.slice(P.length + 1));
    // A foreign link already holds taken's interface name (no alias: someone else's veth).
    ip(HOST, 'link', 'add', `${P}-taken`, 'type', 'veth', 'peer', 'name', `${P}-takenp`);
    // badns already has an eth0, so the veth's peer cannot be created there.
    ip(`${P}-badns`, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0');
    // Foreign look-alikes: a proto-80 route outside the pools (Felix's), a permanent neighbour
    // and a proxy entry for a pool address, a link with an alias of the programmer's form.
    ip(HOST, '-6', 'route', 'add', '2001:db8:99::/64', 'dev', 'eth0', 'proto', '80');
    ip(HOST, '-6', 'neigh', 'add', 'fd00:10::77', 'lladdr', '02:00:00:00:00:77', 'dev', 'eth0', 'nud', 'permanent');
    ip(HOST, '-6', 'neigh', 'add', 'proxy', 'fd00:10::77', 'dev', 'eth0');
    ip(HOST, 'link', 'add', `${P}-ghost`, 'type', 'veth', 'peer', 'name', `${P}-ghostp`);
    ip(HOST, 'link', 'set', 'dev', `${P}-ghost`, 'alias', 'bird6-controller:ghost');
  });

  afterAll(async () => {
    await tb.cleanup();
    rmSync(recordDir, { recursive: true, force: true });
  });

  it('programs every good endpoint, fails only the bad ones, and says why', async () => {
    const summary = await apply();
    expect(summary.failed.map((f) => f.owner).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { kind: 'endpoint', name: 'badns' },
      { kind: 'endpoint', name: 'taken' },
    ]);
    expect(endpointFailure(summary, 'taken')!.reasons[0]).toMatch(/exists but was not created for this endpoint/);
    expect(endpointFailure(summary, 'badns')!.reasons.join(' ')).toMatch(/File exists/);
    for (const s of REACHABLE) expect(routes80()).toContain(`${s.address} ${s.interface}`);
    for (const s of REACHABLE) expect(() => ping(s.address)).not.toThrow();
  });

  it('leaves every foreign object alone on a second pass, with a foreign address added to a container', async () => {
    ip(`${P}-g1`, '-6', 'addr', 'add', '2001:db8:42::1/64', 'dev', 'eth0', 'nodad');
    const summary = await apply();
    expect(summary.removed).toBe(0);
    expect(summary.failed.map((f) => f.owner.kind === 'endpoint' && f.owner.name).sort()).toEqual(['badns', 'taken']);
    assertForeignObjectsSurvive();
  });

  it('removes a departed endpoint and only its objects', async () => {
    const summary = await apply(SPECS.filter((s) => s.name !== 'g4'));
    expect(summary.removed).toBeGreaterThan(0);
    expect(json(HOST, 'link', 'show').map((l) => l.ifname)).not.toContain(`${P}-cali-g4`);
    expect(routes80()).not.toContain(`fd00:10::4 ${P}-cali-g4`);
    expect(json(HOST, '-6', 'neigh', 'show', 'proxy').map((p) => p.dst)).not.toContain('fd00:10::4');
    assertForeignObjectsSurvive();
    for (const s of REACHABLE.filter((r) => r.name !== 'g4')) expect(() => ping(s.address)).not.toThrow();
  });
});
