// The agent's outward views with real bird6: the WebSocket stream (token, snapshot, daemonDown and
// daemonUp when bird6 dies and is restarted), SNMP read by Debian's snmpwalk and a trap when a
// session goes down, and a container endpoint programmed by the agent and learnt by the other node.
// The test process joins the nodes' segment through a veth (fd00:a6::ff) to reach the listeners;
// the segment's prefix is this file's own, since the root namespace is shared with every other test.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BGP_BACKWARD_TRANS_NOTIFICATION, PROJECT_PEER_ENTRY, SNMP_TRAP_OID } from '../../src/snmp/oids.ts';
import { decodeTrap, type DecodedTrap } from '../snmp/ber.ts';
import { describeIntegration } from '../support/integration.ts';
import { killByPidFile, NetnsTestbed, waitFor } from '../support/netns.ts';

const BIRDCTL = fileURLToPath(new URL('../../src/cli/birdctl.mjs', import.meta.url));
const TOKEN = 'agv-secret-token';
const WS_URL = 'ws://[fd00:a6::1]:9180/';

describeIntegration('agent views: WebSocket stream, SNMP, endpoints', { netns: true, binaries: ['bird6', 'snmpwalk'] }, () => {
  const bed = new NetnsTestbed('agv');
  const file = bed.path('cluster.yaml');
  const hosts = ['n1', 'n2'].map((name) => ({ name, netns: '', dir: bed.path(name), agent: undefined as ChildProcess | undefined, log: [] as string[] }));
  const messages: Array<Record<string, any>> = [];
  const traps: DecodedTrap[] = [];
  let socket: WebSocket | undefined;
  let trapReceiver: dgram.Socket | undefined;
  let trapPort = 0;
  let container = '';

  const birdPid = (h: (typeof hosts)[number]) => Number(readFileSync(join(h.dir, 'bird6.pid'), 'utf8').trim());

  beforeAll(async () => {
    for (const h of hosts) {
      h.netns = bed.addNamespace(h.name);
      bed.run(undefined, 'mkdir', ['-p', h.dir]);
    }
    const sw = bed.connect(hosts.map((h, i) => ({ netns: h.netns, ifname: 'eth0', cidr: `fd00:a6::${i + 1}/64` })));
    bed.attachRoot(sw, 'agv-root', 'fd00:a6::ff/64');
    container = bed.addNamespace('ct1'); // the orchestrator's part: the agent wires the veth into it
    trapReceiver = dgram.createSocket('udp6');
    trapReceiver.on('message', (message) => traps.push(decodeTrap(message)));
    await new Promise<void>((resolve) => trapReceiver!.bind(0, 'fd00:a6::ff', () => resolve()));
    trapPort = trapReceiver.address().port;
    writeFileSync(bed.path('token'), `${TOKEN}\n`);
    writeFileSync(file, stringify({
      apiVersion: 'bird6-controller/v1',
      cluster: { name: 'agv', asNumber: 64512, bgp: { holdTime: 3, keepaliveTime: 1 } },
      ipPools: [{ cidr: 'fd00:10::/48' }],
      nodes: [{ name: 'n1', address: 'fd00:a6::1' }, { name: 'n2', address: 'fd00:a6::2' }],
      endpoints: [
        { name: 'ct1', node: 'n1', kind: 'container', addresses: ['fd00:10::10'], interface: 'cali-ct1', netns: container },
        // The hypervisor has not made this VM's tap yet: pending until the link appears.
        { name: 'vm1', node: 'n1', kind: 'vm', addresses: ['fd00:10::31'], interface: 'tap-vm1', mac: '02:00:00:00:00:31' },
      ],
    }));
    for (const h of hosts) {
      const extra = h.name === 'n1'
        ? ['--ws', '[fd00:a6::1]:9180', '--ws-token-file', bed.path('token'), '--snmp', '[fd00:a6::1]:9161', '--snmp-community', 'agv-ro', '--snmp-trap', `[fd00:a6::ff]:${trapPort}`]
        : [];
      const child = bed.start(h.netns, process.execPath, [
        BIRDCTL, 'agent', file, '--node', h.name, '--config', join(h.dir, 'bird6.conf'), '--socket', join(h.dir, 'bird6.ctl'), '--bird', '--poll-interval', '200', ...extra,
      ], 'agent');
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => h.log.push(chunk));
      h.agent = child;
    }
    await waitFor('stream listening', () => (hosts[0]!.log.join('').includes('WebSocket stream listening') ? true : undefined), 10_000, 50);
  });

  afterAll(async () => {
    socket?.terminate();
    trapReceiver?.close();
    for (const h of hosts) {
      h.agent?.kill('SIGTERM');
      killByPidFile(join(h.dir, 'bird6.pid'));
    }
    await bed.cleanup();
  });

  it('refuses a stream client without the token with 401', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(WS_URL);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(status).toBe(401);
  });

  it('streams a snapshot with the session Established and the container programmed', async () => {
    socket = new WebSocket(WS_URL, { headers: { Authorization: `Bearer ${TOKEN}` } });
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await waitFor('snapshot', () => messages[0], 5000, 20);
    expect(messages[0]).toMatchObject({ type: 'snapshot', seq: expect.any(Number), daemon: { up: expect.any(Boolean) } });
    // The first snapshot may predate the session; events then bring it up.
    await waitFor('session up on the stream', () =>
      messages.some((m) => (m.type === 'snapshot' && m.peers.some((p: any) => p.name === 'Mesh_fd00_a6__2' && p.bgpState === 'Established')) || (m.type === 'peerUp' && m.peer.name === 'Mesh_fd00_a6__2')) ? true : undefined,
    10_000, 50);
    await waitFor('endpoint programmed on the stream', () =>
      messages.some((m) => (m.type === 'snapshot' && m.endpoints.some((e: any) => e.name === 'ct1' && e.state === 'programmed')) || m.type === 'endpointsReconciled') ? true : undefined,
    10_000, 50);
    const seqs = messages.map((m) => m.seq as number);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('has programmed the container endpoint, and the other node learnt its route over BGP', async () => {
    expect(bed.run(hosts[0]!.netns, 'ip', ['-6', 'route', 'show', 'fd00:10::10/128'])).toMatch(/dev cali-ct1 proto 80/);
    expect(bed.run(container, 'ip', ['-6', 'addr', 'show', 'dev', 'eth0'])).toMatch(/fd00:10::10\/128/);
    await waitFor('route on n2', () => (bed.run(hosts[1]!.netns, 'ip', ['-6', 'route', 'show', 'fd00:10::10/128']).includes('via fd00:a6::1') ? true : undefined), 10_000, 100);
  });

  it('programs a pending VM as soon as its tap appears (a link event, not the 30 s resync)', async () => {
    const states = () => messages.flatMap((m) => (m.type === 'snapshot' ? m.endpoints : [])).filter((e: any) => e.name === 'vm1');
    expect(states().every((e: any) => e.state === 'pending')).toBe(true);
    expect(bed.run(hosts[0]!.netns, 'ip', ['-6', 'route', 'show', 'exact', 'fd00:10::31/128'])).toBe('');
    // A veth stands in for the hypervisor's tap.
    bed.run(hosts[0]!.netns, 'ip', ['link', 'add', 'tap-vm1', 'type', 'veth', 'peer', 'name', 'vm1-guest']);
    bed.run(hosts[0]!.netns, 'ip', ['link', 'set', 'tap-vm1', 'up']);
    const appeared = Date.now();
    await waitFor('VM route', () => (bed.run(hosts[0]!.netns, 'ip', ['-6', 'route', 'show', 'exact', 'fd00:10::31/128']).includes('dev tap-vm1 proto 80') ? true : undefined), 5000, 50);
    expect(Date.now() - appeared).toBeLessThan(5000);
    await waitFor('endpointsReconciled with nothing pending', () => messages.find((m) => m.type === 'endpointsReconciled' && m.pending === 0), 5000, 50);
  });

  it('serves every peer over SNMP to snmpwalk, and nothing to a wrong community', async () => {
    const walk = (community: string) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile('snmpwalk', ['-v2c', '-c', community, '-On', '-t', '1', '-r', '0', 'udp6:[fd00:a6::1]:9161', PROJECT_PEER_ENTRY], (error, stdout) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout }));
      });
    const good = await waitFor('a peer row', async () => {
      const result = await walk('agv-ro');
      return /INTEGER: 6/.test(result.stdout) ? result : undefined;
    }, 10_000, 200);
    expect(good.stdout).toContain(`${PROJECT_PEER_ENTRY}.3.2.16.253.0.0.166.0.0.0.0.0.0.0.0.0.0.0.2 = INTEGER: 6`);
    const bad = await walk('wrong');
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).not.toMatch(/INTEGER/);
  });

  it("traps a session going down when the peer's bird6 dies", async () => {
    const seqBefore = messages.at(-1)!.seq as number;
    process.kill(birdPid(hosts[1]!), 'SIGKILL');
    await waitFor('peerDown on the stream', () => messages.find((m) => m.type === 'peerDown' && m.seq > seqBefore), 10_000, 20);
    await waitFor('backward-transition trap', () =>
      traps.find((t) => t.varbinds.get(SNMP_TRAP_OID) === BGP_BACKWARD_TRANS_NOTIFICATION && t.community === 'agv-ro'), 5000, 20);
    await waitFor('session back after n2\'s agent restarted bird6', () => messages.find((m) => m.type === 'peerUp' && m.seq > seqBefore), 15_000, 50);
  });

  it('reports its own bird6 dying on the stream (daemonDown), then daemonUp after the restart', async () => {
    const seqBefore = messages.at(-1)!.seq as number;
    process.kill(birdPid(hosts[0]!), 'SIGKILL');
    await waitFor('daemonDown on the stream', () => messages.find((m) => m.type === 'daemonDown' && m.seq > seqBefore), 5000, 20);
    await waitFor('daemonUp on the stream', () => messages.find((m) => m.type === 'daemonUp' && m.seq > seqBefore), 10_000, 20);
  });
});
