// `birdctl agent` against real bird6 in two network namespaces: it renders and loads the config,
// supervises bird6, applies a topology edit without resetting the other sessions, ignores an
// invalid edit, keeps a config bird6 rejects out of service, and shuts bird6 down on SIGTERM.
import { readFileSync, writeFileSync, cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BirdClient } from '../../src/birdc/client.ts';
import { parseShowProtocols, type ProtocolRow } from '../../src/birdc/parse-protocols.ts';
import { describeIntegration } from '../support/integration.ts';
import { killByPidFile, NetnsTestbed, waitFor } from '../support/netns.ts';

const BIRDCTL = fileURLToPath(new URL('../../src/cli/birdctl.mjs', import.meta.url));
const TEMPLATES = fileURLToPath(new URL('../../bird-templates/', import.meta.url));

function topology(extra: { peers?: unknown[]; clusterName?: string; pools?: string[] } = {}) {
  return {
    apiVersion: 'bird6-controller/v1',
    cluster: { name: extra.clusterName ?? 'agt', asNumber: 64512, bgp: { holdTime: 3, keepaliveTime: 1 } },
    ipPools: (extra.pools ?? ['fd00:10::/48']).map((cidr) => ({ cidr })),
    nodes: [
      { name: 'n1', address: 'fd00:ec::1' },
      { name: 'n2', address: 'fd00:ec::2' },
    ],
    peers: extra.peers ?? [],
  };
}

describeIntegration('birdctl agent with real bird6', { netns: true, binaries: ['bird6'] }, () => {
  const bed = new NetnsTestbed('agt');
  const file = bed.path('cluster.yaml');
  const templates = bed.path('templates');
  const hosts = ['n1', 'n2'].map((name) => ({ name, netns: '', dir: bed.path(name), agent: undefined as ChildProcess | undefined, log: [] as string[] }));
  const clients: BirdClient[] = [];

  const socketOf = (h: (typeof hosts)[number]) => join(h.dir, 'bird6.ctl');
  const configOf = (h: (typeof hosts)[number]) => join(h.dir, 'bird6.conf');
  const birdPid = (h: (typeof hosts)[number]) => Number(readFileSync(join(h.dir, 'bird6.pid'), 'utf8').trim());

  function startAgent(h: (typeof hosts)[number]) {
    const child = bed.start(h.netns, process.execPath, [
      BIRDCTL, 'agent', file, '--node', h.name, '--config', configOf(h), '--socket', socketOf(h), '--bird', '--templates', templates, '--log-level', 'debug',
    ], 'agent');
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => h.log.push(chunk));
    h.agent = child;
  }

  async function protocols(h: (typeof hosts)[number]): Promise<ProtocolRow[]> {
    const client = new BirdClient({ socketPath: socketOf(h), reconnect: false, connectTimeoutMs: 1000 });
    clients.push(client);
    try {
      return parseShowProtocols(await client.command('show protocols'), Date.now() / 1000);
    } finally {
      await client.close();
    }
  }

  /**
   * Watches a session for `ms`, polling fast enough to catch a reset (a reset session needs at
   * least the 1 s connect delay to come back): it must be Established at every look.
   */
  async function stayedEstablished(h: (typeof hosts)[number], name: string, ms: number): Promise<number> {
    let looks = 0;
    for (const deadline = Date.now() + ms; Date.now() < deadline; looks += 1) {
      expect(await established(h, name), `${name} on ${h.name} after ${looks} looks`).toBeDefined();
      await new Promise((r) => setTimeout(r, 25));
    }
    return looks;
  }

  const established = async (h: (typeof hosts)[number], name: string) =>
    (await protocols(h)).find((p) => p.name === name && p.info.startsWith('Established'));

  beforeAll(async () => {
    cpSync(TEMPLATES, templates, { recursive: true });
    // A site template that breaks the config on demand, to see a rejected config kept out of service.
    const main = join(templates, 'bird6.conf.njk');
    writeFileSync(main, `${readFileSync(main, 'utf8')}{% if cluster.name == "broken" %}this is not bird syntax;{% endif %}\n`);
    for (const h of hosts) {
      h.netns = bed.addNamespace(h.name);
      bed.run(undefined, 'mkdir', ['-p', h.dir]);
    }
    bed.connect(hosts.map((h, i) => ({ netns: h.netns, ifname: 'eth0', cidr: `fd00:ec::${i + 1}/64` })));
    writeFileSync(file, stringify(topology()));
    hosts.forEach(startAgent);
    await waitFor('mesh Established', async () => (await established(hosts[0]!, 'Mesh_fd00_ec__2')) && (await established(hosts[1]!, 'Mesh_fd00_ec__1')), 15_000);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (const h of hosts) {
      // A bird6 the agent could not shut down (an assertion failed first): kill it by the PID in its pid file.
      killByPidFile(join(h.dir, 'bird6.pid'));
    }
    await bed.cleanup();
  });

  it('renders, writes and loads the config, with bird6 started by the agent', async () => {
    for (const h of hosts) {
      expect(readFileSync(configOf(h), 'utf8')).toContain(`# bird6.conf for node ${h.name} of cluster agt.`);
      expect(birdPid(h)).toBeGreaterThan(0);
    }
    expect(hosts[0]!.log.join('')).toMatch(/"msg":"started bird6"/);
    await waitFor('peerUp logged', () => (/"event":"peerUp".*"peer":"Mesh_fd00_ec__2"/.test(hosts[0]!.log.join('')) ? true : undefined), 3000, 50);
  });

  it('adds a peer from a topology edit within 2 s while the mesh session stays Established', async () => {
    writeFileSync(file, stringify(topology({ peers: [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 65001 }] })));
    const started = Date.now();
    const watching = stayedEstablished(hosts[0]!, 'Mesh_fd00_ec__2', 1500);
    await waitFor('new peer in both bird6', async () =>
      (await protocols(hosts[0]!)).some((p) => p.name === 'Global_fd00_ec__fe') && (await protocols(hosts[1]!)).some((p) => p.name === 'Global_fd00_ec__fe') ? true : undefined,
    2000, 50);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await watching).toBeGreaterThan(10);
  });

  it('adds and removes a pool (new filters) while the sessions stay Established', async () => {
    const peers = [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 65001 }];
    const watching = stayedEstablished(hosts[0]!, 'Mesh_fd00_ec__2', 2500);
    writeFileSync(file, stringify(topology({ peers, pools: ['fd00:10::/48', 'fd00:11::/48'] })));
    await waitFor('pool in config', () => (readFileSync(configOf(hosts[0]!), 'utf8').includes('fd00:11::/48+') ? true : undefined), 2000, 50);
    writeFileSync(file, stringify(topology({ peers })));
    await waitFor('pool gone', () => (readFileSync(configOf(hosts[0]!), 'utf8').includes('fd00:11::/48+') ? undefined : true), 2000, 50);
    expect(await watching).toBeGreaterThan(10);
    expect(hosts[0]!.log.join('')).not.toMatch(/"event":"peerDown"/);
    expect(hosts[0]!.log.join('')).toMatch(/"msg":"bird6 config applied".*0003 Reconfigured/);
  });

  it('keeps the running config and bird6 untouched after an invalid edit, and says why', async () => {
    const config = readFileSync(configOf(hosts[0]!), 'utf8');
    const before = await protocols(hosts[0]!);
    const invalid = topology({ peers: [{ name: 'tor', address: 'fd00:ec::1', asNumber: 65001 }] });
    writeFileSync(file, stringify(invalid));
    await waitFor('invalid topology logged', () => (hosts[0]!.log.join('').includes('topology is invalid') ? true : undefined), 3000, 50);
    expect(hosts[0]!.log.join('')).toContain('peers[0].address: address \\"fd00:ec::1\\" is already used by nodes[0].address');
    expect(readFileSync(configOf(hosts[0]!), 'utf8')).toBe(config);
    expect((await protocols(hosts[0]!)).map((p) => [p.name, p.since])).toEqual(before.map((p) => [p.name, p.since]));
  });

  it('keeps a config that bird6 rejects out of service', async () => {
    const config = readFileSync(configOf(hosts[0]!), 'utf8');
    writeFileSync(file, stringify(topology({ clusterName: 'broken' })));
    await waitFor('rejection logged', () => (hosts[0]!.log.join('').includes('bird6 config not applied') ? true : undefined), 3000, 50);
    expect(hosts[0]!.log.join('')).toMatch(/bird6 -p rejected the rendered config: .*syntax error/);
    expect(readFileSync(configOf(hosts[0]!), 'utf8')).toBe(config);
    expect(await established(hosts[0]!, 'Mesh_fd00_ec__2')).toBeDefined();
    writeFileSync(file, stringify(topology()));
    await waitFor('recovered config', () => (readFileSync(configOf(hosts[0]!), 'utf8').includes('Global_fd00_ec__fe') ? undefined : true), 3000, 50);
  });

  it('restarts bird6 when it dies, and the sessions come back', async () => {
    const h = hosts[1]!;
    const old = birdPid(h);
    process.kill(old, 'SIGKILL');
    await waitFor('new bird6', () => (existsSync(join(h.dir, 'bird6.pid')) && birdPid(h) !== old ? true : undefined), 5000, 50);
    await waitFor('mesh back', async () => await established(h, 'Mesh_fd00_ec__1'), 10_000);
    await waitFor('monitor saw it', () => (/"event":"daemonDown"/.test(h.log.join('')) ? true : undefined), 3000, 50);
    await waitFor('and the session come back', () => (h.log.join('').split('"event":"peerUp"').length >= 3 ? true : undefined), 5000, 50);
  });

  it('exits 0 on SIGTERM once it has shut its bird6 down (stop-withdraw.test.ts covers the peers and --keep-routes-on-stop)', async () => {
    const h = hosts[0]!;
    const pid = birdPid(h);
    const exited = new Promise<number | null>((resolve) => h.agent!.once('exit', (code) => resolve(code)));
    h.agent!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
