// The SNMP agent read by Debian's own Net-SNMP tools over udp6:[::1] (and udp4), as an operator's
// poller would: v2c and v3 access, every peer with its state, rows following the monitor, and a
// trap reaching a receiver when a session goes down.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSnmpAgent, type SnmpAgent } from '../../src/snmp/agent.ts';
import { MAX_RESPONSE_VARBINDS } from '../../src/snmp/request-guard.ts';
import { BGP_BACKWARD_TRANS_NOTIFICATION, CISCO_PEER2_ENTRY, PROJECT_PEER_ENTRY, SNMP_TRAP_OID } from '../../src/snmp/oids.ts';
import { decodeTrap, type DecodedTrap } from '../snmp/ber.ts';
import { FakeMonitor, peerSnapshot, snapshotOf } from '../support/fake-monitor.ts';
import { describeIntegration } from '../support/integration.ts';

const COMMUNITY = 'n0t-public';
const USER = { name: 'nms', authKey: 'auth-passphrase-1', privKey: 'priv-passphrase-1' };
const LOCAL_AS = 4_200_000_001;

interface Walked {
  exitCode: number;
  /** OID (no leading dot) -> value text as printed */
  values: Map<string, string>;
  stdout: string;
}

// Net-SNMP reads config and writes state under these; keep the host's files out of the test.
const netSnmpHome = mkdtempSync(join(tmpdir(), 'birdctl-snmp-'));

function netSnmp(tool: 'snmpwalk' | 'snmpget' | 'snmpset' | 'snmpbulkget', args: string[]): Promise<Walked> {
  return new Promise((resolve) => {
    execFile(
      tool,
      ['-On', '-t', '1', '-r', '0', ...args],
      { env: { ...process.env, SNMPCONFPATH: netSnmpHome, SNMP_PERSISTENT_DIR: netSnmpHome, MIBS: '' }, timeout: 20_000 },
      (error, stdout) => {
        const values = new Map<string, string>();
        for (const line of stdout.split('\n')) {
          const match = /^\.?(\d+(?:\.\d+)+) = (.*)$/.exec(line);
          if (match && !/^No (Such|more variables)/.test(match[2] as string)) values.set(match[1] as string, match[2] as string);
        }
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ exitCode: code, values, stdout });
      },
    );
  });
}

const v2c = (target: string, oid: string, community = COMMUNITY) => netSnmp('snmpwalk', ['-v2c', '-c', community, target, oid]);
const v3 = (target: string, oid: string, privKey = USER.privKey) =>
  netSnmp('snmpwalk', ['-v3', '-l', 'authPriv', '-u', USER.name, '-a', 'SHA', '-A', USER.authKey, '-x', 'AES', '-X', privKey, target, oid]);

/** `2.16.253.0...` after a column OID -> `fd00:ec::2`-style hex of the 16 address bytes */
function addressOf(oid: string, column: string): string {
  const index = oid.slice(column.length + 1).split('.').map(Number);
  expect(index.slice(0, 2)).toEqual([2, 16]);
  return Buffer.from(index.slice(2)).toString('hex');
}

function statesIn(walked: Walked, entry: string): Record<string, string> {
  const column = `${entry}.3`;
  return Object.fromEntries([...walked.values].filter(([oid]) => oid.startsWith(`${column}.`)).map(([oid, value]) => [addressOf(oid, column), value]));
}

const hex = (last: number) => `fd0000ec0000000000000000000000${last.toString(16).padStart(2, '0')}`;

describeIntegration('SNMP agent read by Net-SNMP tools', { binaries: ['snmpwalk', 'snmpget', 'snmpset', 'snmpbulkget'] }, () => {
  const monitor = new FakeMonitor(
    snapshotOf([
      peerSnapshot({ name: 'Mesh_fd00_ec__2', peerAddress: 'fd00:ec::2', bgpState: 'Established' }),
      peerSnapshot({ name: 'Mesh_fd00_ec__3', peerAddress: 'fd00:ec::3', bgpState: 'Active', state: 'start', neighborId: null }),
      peerSnapshot({ name: 'Global_fd00_ec__fe', peerAddress: 'fd00:ec::fe', peerType: 'global', bgpState: 'OpenConfirm', state: 'start', neighborAs: 65001, localAs: null }),
    ]),
  );
  let agent: SnmpAgent;
  let udp6: string;
  let udp4: string;
  let trapSocket: dgram.Socket;
  const traps: DecodedTrap[] = [];

  beforeAll(async () => {
    trapSocket = dgram.createSocket('udp6');
    trapSocket.on('message', (message) => traps.push(decodeTrap(message)));
    await new Promise<void>((resolve) => trapSocket.bind(0, '::1', () => resolve()));
    const result = await createSnmpAgent({
      listen: [
        { family: 'udp6', address: '::1', port: 0 },
        { family: 'udp4', address: '127.0.0.1', port: 0 },
      ],
      community: COMMUNITY,
      users: [USER],
      localAs: LOCAL_AS,
      monitor,
      ciscoOids: true,
      trapTargets: [{ host: '::1', port: trapSocket.address().port }],
    });
    if (!result.enabled) throw new Error(result.reason);
    agent = result.agent;
    const [six, four] = agent.listening();
    udp6 = `udp6:[::1]:${six?.port}`;
    udp4 = `udp:127.0.0.1:${four?.port}`;
  });

  afterAll(async () => {
    await agent?.close();
    trapSocket?.close();
    rmSync(netSnmpHome, { recursive: true, force: true });
  });

  it('serves the BGP4-MIB scalars', async () => {
    const got = await netSnmp('snmpget', ['-v2c', '-c', COMMUNITY, udp6, '1.3.6.1.2.1.15.1.0', '1.3.6.1.2.1.15.2.0', '1.3.6.1.2.1.15.4.0']);
    expect(got.exitCode).toBe(0);
    expect(got.values.get('1.3.6.1.2.1.15.1.0')).toMatch(/^Hex-STRING: 10\s*$/);
    expect(got.values.get('1.3.6.1.2.1.15.2.0')).toBe('INTEGER: 23456');
    expect(got.values.get('1.3.6.1.2.1.15.4.0')).toBe('IpAddress: 10.255.0.1');
  });

  it('lists every peer with its state over udp6, in the project table and at the Cisco OID', async () => {
    const expected = { [hex(2)]: 'INTEGER: 6', [hex(3)]: 'INTEGER: 3', [hex(0xfe)]: 'INTEGER: 5' };
    const project = await v2c(udp6, PROJECT_PEER_ENTRY);
    expect(project.exitCode).toBe(0);
    expect(statesIn(project, PROJECT_PEER_ENTRY)).toEqual(expected);
    const cisco = await v2c(udp6, CISCO_PEER2_ENTRY);
    expect(statesIn(cisco, CISCO_PEER2_ENTRY)).toEqual(expected);

    const row = `2.16.${[...Buffer.from(hex(0xfe), 'hex')].join('.')}`;
    expect(project.values.get(`${PROJECT_PEER_ENTRY}.11.${row}`)).toBe('Gauge32: 65001');
    expect(project.values.get(`${PROJECT_PEER_ENTRY}.8.${row}`)).toBe(`Gauge32: ${LOCAL_AS}`);
    expect(project.values.get(`${PROJECT_PEER_ENTRY}.12.${row}`)).toBe('IpAddress: 10.255.0.2');
  });

  it('answers on udp4 as well', async () => {
    const walked = await v2c(udp4, `${PROJECT_PEER_ENTRY}.3`);
    expect(Object.keys(statesIn(walked, PROJECT_PEER_ENTRY))).toHaveLength(3);
  });

  it('follows the monitor: the next request sees the latest snapshot', async () => {
    monitor.push(
      snapshotOf([
        peerSnapshot({ name: 'Mesh_fd00_ec__2', peerAddress: 'fd00:ec::2', bgpState: 'Idle', state: 'start' }),
        peerSnapshot({ name: 'Mesh_fd00_ec__4', peerAddress: 'fd00:ec::4', bgpState: 'Established' }),
      ]),
    );
    const walked = await v2c(udp6, `${PROJECT_PEER_ENTRY}.3`);
    expect(statesIn(walked, PROJECT_PEER_ENTRY)).toEqual({ [hex(2)]: 'INTEGER: 1', [hex(4)]: 'INTEGER: 6' });
  });

  it('refuses writes, even with the right community', async () => {
    const set = await netSnmp('snmpset', ['-v2c', '-c', COMMUNITY, udp6, '1.3.6.1.2.1.15.2.0', 'i', '1']);
    expect(set.exitCode).not.toBe(0);
    const after = await netSnmp('snmpget', ['-v2c', '-c', COMMUNITY, udp6, '1.3.6.1.2.1.15.2.0']);
    expect(after.values.get('1.3.6.1.2.1.15.2.0')).toBe('INTEGER: 23456');
  });

  it('gives a wrong community nothing', async () => {
    const walked = await v2c(udp6, '1.3.6.1.2.1.15', 'public');
    expect(walked.exitCode).not.toBe(0);
    expect(walked.values.size).toBe(0);
  });

  it('answers SNMPv3 authPriv with SHA and AES, and nothing with a wrong privacy passphrase', async () => {
    const walked = await v3(udp6, `${PROJECT_PEER_ENTRY}.3`);
    expect(walked.exitCode).toBe(0);
    expect(Object.keys(statesIn(walked, PROJECT_PEER_ENTRY)).length).toBeGreaterThan(0);
    const scalar = await v3(udp6, '1.3.6.1.2.1.15.2');
    expect(scalar.values.get('1.3.6.1.2.1.15.2.0')).toBe('INTEGER: 23456');

    const wrong = await v3(udp6, `${PROJECT_PEER_ENTRY}.3`, 'not-the-priv-key');
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.values.size).toBe(0);
  });

  // net-snmp's BER reader turns the first OID byte 0x78 (X.690: 2.40) into "3.0", which its MIB then
  // refuses with a RangeError thrown out of the socket's message handler.
  it('answers a Get for 2.40.x (first BER byte 0x78) with noSuchObject, beside a real value, over v2c and v3', async () => {
    const got = await netSnmp('snmpget', ['-v2c', '-c', COMMUNITY, udp6, '2.40.1.2', '1.3.6.1.2.1.15.2.0']);
    expect(got.exitCode).toBe(0);
    expect(got.stdout).toMatch(/^\.2\.40\.1\.2 = No Such Object/m);
    expect(got.values.get('1.3.6.1.2.1.15.2.0')).toBe('INTEGER: 23456');
    const v3got = await netSnmp('snmpget', [
      ...['-v3', '-l', 'authPriv', '-u', USER.name, '-a', 'SHA', '-A', USER.authKey, '-x', 'AES', '-X', USER.privKey],
      ...[udp6, '2.40.0', '1.3.6.1.2.1.15.2.0'],
    ]);
    expect(v3got.stdout).toMatch(/^\.2\.40\.0 = No Such Object/m);
    expect(v3got.values.get('1.3.6.1.2.1.15.2.0')).toBe('INTEGER: 23456');
  });

  // net-snmp's GETBULK loop runs until max-repetitions varbinds: 2147483647 never ends.
  it('answers a GETBULK with max-repetitions 2147483647 with a bounded response, then serves the next request', async () => {
    const bulk = await netSnmp('snmpbulkget', ['-v2c', '-c', COMMUNITY, '-Cr2147483647', udp6, '1.3.6.1']);
    expect(bulk.exitCode).toBe(0);
    const lines = bulk.stdout.split('\n').filter((line) => line.includes(' = '));
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.length).toBeLessThanOrEqual(MAX_RESPONSE_VARBINDS);
    const after = await netSnmp('snmpget', ['-v2c', '-c', COMMUNITY, udp6, '1.3.6.1.2.1.15.2.0']);
    expect(after.values.get('1.3.6.1.2.1.15.2.0')).toBe('INTEGER: 23456');
  });

  it('sends a trap to the receiver when a session goes down', async () => {
    const up = peerSnapshot({ name: 'Mesh_fd00_ec__4', peerAddress: 'fd00:ec::4' });
    const down = peerSnapshot({ ...up, bgpState: 'Active', state: 'start', previousBgpState: 'Established' });
    monitor.emit({ type: 'peerDown', peer: down, previous: up, at: Date.now() }, snapshotOf([down]));
    for (let i = 0; i < 200 && traps.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(traps).toHaveLength(1);
    expect(traps[0]?.community).toBe(COMMUNITY);
    expect(traps[0]?.varbinds.get(SNMP_TRAP_OID)).toBe(BGP_BACKWARD_TRANS_NOTIFICATION);
    // A poller reacting to the trap already reads the new state.
    const walked = await v2c(udp6, `${PROJECT_PEER_ENTRY}.3`);
    expect(statesIn(walked, PROJECT_PEER_ENTRY)).toEqual({ [hex(4)]: 'INTEGER: 3' });
  });
});
