// The SNMP agent's start-up rules and its traps, on loopback. Reading the MIB with Debian's
// snmpwalk is in test/integration/snmp.test.ts.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { BirdctlError } from '../../src/errors.ts';
import { createSnmpAgent, type SnmpAgent, type SnmpAgentOptions } from '../../src/snmp/agent.ts';
import { BGP_BACKWARD_TRANS_NOTIFICATION, BGP_ESTABLISHED_NOTIFICATION, PROJECT_PEER_ENTRY, SNMP_TRAP_OID, SYS_UPTIME } from '../../src/snmp/oids.ts';
import { FakeMonitor, peerSnapshot, snapshotOf } from '../support/fake-monitor.ts';
import { decodeTrap, type DecodedTrap } from './ber.ts';

const agents: SnmpAgent[] = [];
const sockets: dgram.Socket[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  for (const socket of sockets.splice(0)) socket.close();
});

function base(overrides: Partial<SnmpAgentOptions> = {}): SnmpAgentOptions {
  return { listen: [{ family: 'udp6', address: '::1', port: 0 }], community: 'c0mmunity', localAs: 64512, monitor: new FakeMonitor(snapshotOf([peerSnapshot()])), ...overrides };
}

async function start(options: SnmpAgentOptions): Promise<SnmpAgent> {
  const result = await createSnmpAgent(options);
  if (!result.enabled) throw new Error(`agent disabled: ${result.reason}`);
  agents.push(result.agent);
  return result.agent;
}

/** A trap receiver on ::1 that decodes what arrives. */
async function receiver(): Promise<{ port: number; next: () => Promise<DecodedTrap> }> {
  const socket = dgram.createSocket('udp6');
  sockets.push(socket);
  const queue: DecodedTrap[] = [];
  const waiters: Array<(trap: DecodedTrap) => void> = [];
  socket.on('message', (message) => {
    const trap = decodeTrap(message);
    const waiter = waiters.shift();
    if (waiter) waiter(trap);
    else queue.push(trap);
  });
  await new Promise<void>((resolve) => socket.bind(0, '::1', () => resolve()));
  return {
    port: socket.address().port,
    next: () => {
      const queued = queue.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

describe('createSnmpAgent start-up', () => {
  it('stays off without a community and without a v3 user', async () => {
    const monitor = new FakeMonitor();
    const result = await createSnmpAgent(base({ community: null, users: [], monitor }));
    expect(result).toEqual({ enabled: false, reason: 'no SNMP community and no SNMPv3 user configured' });
    expect(monitor.listenerCount()).toBe(0);
  });

  it('starts with only a v3 user', async () => {
    const agent = await start(base({ community: null, users: [{ name: 'ops', authKey: 'authpass1', privKey: 'privpass1' }] }));
    expect(agent.listening()[0]?.port).toBeGreaterThan(0);
  });

  it.each<[string, Partial<SnmpAgentOptions>]>([
    ['a community with a space', { community: 'pub lic' }],
    ['a v3 key under 8 characters', { users: [{ name: 'ops', authKey: 'short', privKey: 'privpass1' }] }],
    ['an IPv4 address on a udp6 socket', { listen: [{ family: 'udp6', address: '127.0.0.1', port: 0 }] }],
    ['a hostname to listen on', { listen: [{ family: 'udp4', address: 'localhost', port: 0 }] }],
    ['no socket', { listen: [] }],
    ['a trap receiver by name', { trapTargets: [{ host: 'nms.example.org', port: 162 }] }],
    ['trap receivers without any community', { community: null, users: [{ name: 'ops', authKey: 'authpass1', privKey: 'privpass1' }], trapTargets: [{ host: '::1', port: 162 }] }],
    ['AS 0', { localAs: 0 }],
  ])('refuses %s as a usage error', async (_what, overrides) => {
    const attempt = createSnmpAgent(base(overrides));
    await expect(attempt).rejects.toBeInstanceOf(BirdctlError);
    await expect(attempt).rejects.toMatchObject({ code: 'USAGE', exitCode: 2 });
  });

  it('reports a port in use as a usage error and leaves nothing bound', async () => {
    const busy = dgram.createSocket({ type: 'udp6', ipv6Only: true });
    sockets.push(busy);
    await new Promise<void>((resolve) => busy.bind(0, '::1', () => resolve()));
    const port = busy.address().port;
    await expect(createSnmpAgent(base({ listen: [{ family: 'udp6', address: '::1', port }] }))).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('listens on udp4 and udp6 at once and stops following the monitor when closed', async () => {
    const monitor = new FakeMonitor(snapshotOf([]));
    const agent = await start(base({ monitor, listen: [{ family: 'udp4', address: '127.0.0.1', port: 0 }, { family: 'udp6', address: '::1', port: 0 }] }));
    expect(agent.listening().map((l) => l.family)).toEqual(['udp4', 'udp6']);
    expect(monitor.listenerCount()).toBe(1);
    await agent.close();
    agents.length = 0;
    expect(monitor.listenerCount()).toBe(0);
  });
});

describe('SNMP traps', () => {
  it('sends bgpBackwardTransNotification on peerDown and bgpEstablishedNotification on peerUp to every receiver', async () => {
    const first = await receiver();
    const second = await receiver();
    let now = 1_000_000;
    const monitor = new FakeMonitor(snapshotOf([peerSnapshot()]));
    const agent = await start(
      base({ monitor, clock: () => now, trapCommunity: 'trapc0mm', trapTargets: [{ host: '::1', port: first.port }, { host: '::1', port: second.port }] }),
    );
    const up = peerSnapshot();
    const down = peerSnapshot({ bgpState: 'Active', state: 'start', previousBgpState: 'Established', lastError: { class: 'BGP Error', text: 'Hold timer expired' } });
    now += 12_340;
    monitor.emit({ type: 'peerDown', peer: down, previous: up, at: now }, snapshotOf([down]));

    const row = '2.16.253.0.0.236.0.0.0.0.0.0.0.0.0.0.0.2';
    for (const trap of [await first.next(), await second.next()]) {
      expect(trap).toMatchObject({ version: 1, community: 'trapc0mm', pduTag: 0xa7 });
      expect(trap.varbinds.get(SNMP_TRAP_OID)).toBe(BGP_BACKWARD_TRANS_NOTIFICATION);
      expect(trap.varbinds.get(SYS_UPTIME)).toBe(1234);
      expect(trap.varbinds.get(`${PROJECT_PEER_ENTRY}.3.${row}`)).toBe(3);
      expect(trap.varbinds.get(`${PROJECT_PEER_ENTRY}.28.${row}`)).toBe('BGP Error: Hold timer expired');
      expect(trap.varbinds.get(`${PROJECT_PEER_ENTRY}.29.${row}`)).toBe(6);
    }

    monitor.emit({ type: 'peerUp', peer: up, previous: down, at: now }, snapshotOf([up]));
    const established = await first.next();
    expect(established.varbinds.get(SNMP_TRAP_OID)).toBe(BGP_ESTABLISHED_NOTIFICATION);
    expect(established.varbinds.get(`${PROJECT_PEER_ENTRY}.3.${row}`)).toBe(6);
    await second.next();

    // Other events send nothing.
    monitor.emit({ type: 'peerStateChanged', peer: up, previous: up, removed: false, at: now }, snapshotOf([up]));
    expect(agent.trapsSent()).toBe(4);
  });

  it('sends traps with the v2c community when no trap community is set', async () => {
    const sink = await receiver();
    const monitor = new FakeMonitor(snapshotOf([peerSnapshot()]));
    await start(base({ monitor, trapTargets: [{ host: '::1', port: sink.port }] }));
    monitor.emit({ type: 'peerDown', peer: peerSnapshot({ bgpState: 'Idle' }), previous: peerSnapshot(), at: 0 }, snapshotOf([]));
    expect((await sink.next()).community).toBe('c0mmunity');
  });
});
