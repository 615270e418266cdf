// Fault injection: the SNMP agent on loopback under random and mutated packets (seeded, so a
// failure names a reproducible seed), GETBULK extremes from Debian's snmpbulkget and OIDs net-snmp
// cannot hold. After every burst a normal snmpget is still answered correctly, nothing escaped as
// an uncaught exception, memory stayed bounded and the log stayed a few lines.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSnmpAgent, type SnmpAgent } from '../../src/snmp/agent.ts';
import { PROJECT_PEER_ENTRY } from '../../src/snmp/oids.ts';
import { MAX_RESPONSE_VARBINDS } from '../../src/snmp/request-guard.ts';
import { decodeAll, encodeRequest, PDU, tlv } from '../snmp/ber.ts';
import { FakeMonitor, peerSnapshot, snapshotOf } from '../support/fake-monitor.ts';
import { describeIntegration } from '../support/integration.ts';
import { prng } from '../support/random-topology.ts';

const COMMUNITY = 'fsnmp-c0mmunity';
const USER = { name: 'fsnmp', authKey: 'auth-passphrase-1', privKey: 'priv-passphrase-1' };
const V3 = ['-v3', '-l', 'authPriv', '-u', USER.name, '-a', 'SHA', '-A', USER.authKey, '-x', 'AES', '-X', USER.privKey];
const BGP_LOCAL_AS = '1.3.6.1.2.1.15.2.0';
const SEED = 9001;
/** packets per random or mutated burst */
const BURST = 2500;
/** RSS the whole suite may add: the endless GETBULK grew about 10 MB/s. */
const MAX_RSS_GROWTH = 64 * 1024 * 1024;

const netSnmpHome = mkdtempSync(join(tmpdir(), 'fsnmp-'));

interface Run {
  exitCode: number;
  stdout: string;
  ms: number;
}

function netSnmp(tool: 'snmpget' | 'snmpbulkget', args: string[]): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      tool,
      ['-On', '-t', '1', '-r', '2', ...args],
      { env: { ...process.env, SNMPCONFPATH: netSnmpHome, SNMP_PERSISTENT_DIR: netSnmpHome, MIBS: '' }, timeout: 15_000 },
      (error, stdout) => resolve({ exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, ms: performance.now() - started }),
    );
  });
}

describeIntegration('SNMP agent under fuzzing', { binaries: ['snmpget', 'snmpbulkget'] }, () => {
  const monitor = new FakeMonitor(
    snapshotOf([
      peerSnapshot({ name: 'Mesh_fd00_ec__2', peerAddress: 'fd00:ec::2', bgpState: 'Established' }),
      peerSnapshot({ name: 'Mesh_fd00_ec__3', peerAddress: 'fd00:ec::3', bgpState: 'Active', state: 'start', neighborId: null }),
    ]),
  );
  const lines: string[] = [];
  const uncaught: unknown[] = [];
  const recordUncaught = (error: unknown) => uncaught.push(error);
  const figures: Record<string, number> = {};
  let agent: SnmpAgent;
  let port4: number;
  let port6: number;
  let sender: dgram.Socket;
  let rssAtStart: number;

  /** A normal Get over v2c and v3 is answered with the right value; returns the v2c answer time. */
  async function assertStillServing(after: string): Promise<void> {
    const v2c = await netSnmp('snmpget', ['-v2c', '-c', COMMUNITY, `udp:127.0.0.1:${port4}`, BGP_LOCAL_AS]);
    expect(v2c.stdout, `v2c get after ${after}`).toContain(`.${BGP_LOCAL_AS} = INTEGER: 23456`);
    const v3 = await netSnmp('snmpget', [...V3, `udp6:[::1]:${port6}`, BGP_LOCAL_AS]);
    expect(v3.stdout, `v3 get after ${after}`).toContain(`.${BGP_LOCAL_AS} = INTEGER: 23456`);
    expect(uncaught).toEqual([]);
    const rss = process.memoryUsage().rss;
    expect(rss - rssAtStart, `RSS growth after ${after}`).toBeLessThan(MAX_RSS_GROWTH);
    figures[`get after ${after} (ms)`] = Math.round(v2c.ms);
    figures[`RSS after ${after} (MB)`] = Math.round(rss / 2 ** 20);
  }

  /** Sends each packet to both sockets, yielding now and then so the agent reads as the kernel queues. */
  async function blast(packets: Buffer[]): Promise<void> {
    for (let i = 0; i < packets.length; i++) {
      const packet = packets[i] as Buffer;
      sender.send(packet, port4, '127.0.0.1');
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  /** The first datagram Debian's snmpget sends for a v3 request (engine discovery), caught on a plain socket. */
  async function capturedV3Request(): Promise<Buffer> {
    const catcher = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => catcher.bind(0, '127.0.0.1', () => resolve()));
    const first = new Promise<Buffer>((resolve) => catcher.once('message', (message) => resolve(message)));
    const run = netSnmp('snmpget', [...V3, '-r', '0', `udp:127.0.0.1:${catcher.address().port}`, BGP_LOCAL_AS]);
    const packet = await first;
    await run;
    catcher.close();
    return packet;
  }

  beforeAll(async () => {
    process.on('uncaughtException', recordUncaught);
    const result = await createSnmpAgent({
      listen: [
        { family: 'udp4', address: '127.0.0.1', port: 0 },
        { family: 'udp6', address: '::1', port: 0 },
      ],
      community: COMMUNITY,
      users: [USER],
      localAs: 4_200_000_001,
      monitor,
      ciscoOids: true,
      log: (level, message) => lines.push(`${level} ${message}`),
    });
    if (!result.enabled) throw new Error(result.reason);
    agent = result.agent;
    [port4, port6] = agent.listening().map((socket) => socket.port) as [number, number];
    sender = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', () => resolve()));
    rssAtStart = process.memoryUsage().rss;
    figures['RSS at start (MB)'] = Math.round(rssAtStart / 2 ** 20);
    await assertStillServing('start');
  });

  afterAll(async () => {
    process.off('uncaughtException', recordUncaught);
    sender?.close();
    await agent?.close();
    rmSync(netSnmpHome, { recursive: true, force: true });
    // Figures for BENCHMARKS.md.
    console.log(`SNMP fuzz figures (seed ${SEED}): ${JSON.stringify({ ...figures, 'log lines': lines.length })}`);
  });

  it(`keeps answering after ${BURST} random datagrams (seed ${SEED})`, async () => {
    const random = prng(SEED);
    const packets = Array.from({ length: BURST }, () => {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)));
      // A quarter look like a BER SEQUENCE of the right length, so they reach net-snmp's decoder.
      return random() < 0.25 ? tlv(0x30, bytes) : bytes;
    });
    await blast(packets);
    await assertStillServing('random datagrams');
  });

  it(`keeps answering after ${BURST} mutated requests (seed ${SEED + 1})`, async () => {
    const random = prng(SEED + 1);
    const int = (max: number) => Math.floor(random() * max);
    const seeds = [
      encodeRequest({ community: COMMUNITY, pdu: PDU.get, oids: [BGP_LOCAL_AS, `${PROJECT_PEER_ENTRY}.3`] }),
      encodeRequest({ community: COMMUNITY, pdu: PDU.getNext, oids: ['1.3.6.1'] }),
      encodeRequest({ community: COMMUNITY, pdu: PDU.getBulk, nonRepeaters: 1, maxRepetitions: 10, oids: ['1.3.6.1', PROJECT_PEER_ENTRY] }),
      encodeRequest({ community: COMMUNITY, pdu: PDU.set, oids: [BGP_LOCAL_AS] }),
      encodeRequest({ community: COMMUNITY, pdu: PDU.get, oids: [Buffer.from([0x78, 0x00])] }),
      await capturedV3Request(),
    ];
    const packets = Array.from({ length: BURST }, () => {
      const content = Buffer.from(decodeAll(seeds[int(seeds.length)] as Buffer)[0]?.bytes as Buffer);
      const kind = int(4);
      let mutated: Buffer;
      if (kind === 0) {
        for (let n = 1 + int(4); n > 0; n--) content[int(content.length)] = int(256);
        mutated = content;
      } else if (kind === 1) {
        mutated = content.subarray(0, int(content.length));
      } else if (kind === 2) {
        const at = int(content.length);
        mutated = Buffer.concat([content.subarray(0, at), Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256))), content.subarray(at)]);
      } else {
        for (let n = 1 + int(3); n > 0; n--) content[int(content.length)] = [0x00, 0x7f, 0x80, 0xff][int(4)] as number;
        mutated = content;
      }
      // Most keep a correct outer length, so the mutation is met by the library's decoder.
      return random() < 0.8 ? tlv(0x30, mutated) : Buffer.concat([Buffer.from([0x30, mutated.length & 0x7f]), mutated]);
    });
    await blast(packets);
    await assertStillServing('mutated requests');
  });

  it('keeps answering after GETBULK extremes from snmpbulkget, each answered with a bounded response', async () => {
    const extremes = [
      ['-Cr2147483647', '1.3.6.1'],
      ['-Cn1', '-Cr2147483647', '1.3.6.1', '1.3.6.1.2.1.15'],
      ['-Cn0', '-Cr0', '1.3.6.1'],
      ['-Cr2147483647', '2.40.0', '0.0', PROJECT_PEER_ENTRY],
    ];
    for (const args of extremes) {
      for (const target of [['-v2c', '-c', COMMUNITY, `udp:127.0.0.1:${port4}`], [...V3, `udp6:[::1]:${port6}`]]) {
        const bulk = await netSnmp('snmpbulkget', [...target, ...args]);
        expect(bulk.exitCode, `snmpbulkget ${args.join(' ')}`).toBe(0);
        expect(bulk.stdout.split('\n').filter((line) => line.includes(' = ')).length).toBeLessThanOrEqual(MAX_RESPONSE_VARBINDS);
      }
    }
    await assertStillServing('GETBULK extremes');
  });

  it('answers Gets for OIDs net-snmp cannot hold (2.40 read as 3.0, arcs above 2^31-1), over v2c and v3', async () => {
    for (const oid of ['2.40.1.2', '2.47.0', '1.3.6.1.4294967295', '2.40']) {
      const v2c = await netSnmp('snmpget', ['-v2c', '-c', COMMUNITY, `udp:127.0.0.1:${port4}`, oid, BGP_LOCAL_AS]);
      expect(v2c.stdout, oid).toMatch(new RegExp(`^\\.${oid.replaceAll('.', '\\.')} = No Such Object`, 'm'));
      const v3 = await netSnmp('snmpget', [...V3, `udp6:[::1]:${port6}`, oid, BGP_LOCAL_AS]);
      expect(v3.stdout, oid).toContain(`.${BGP_LOCAL_AS} = INTEGER: 23456`);
    }
    // 2.999 cannot be answered under its own OID by net-snmp's writer: refused, and the agent goes on.
    expect((await netSnmp('snmpget', ['-v2c', '-c', COMMUNITY, '-r', '0', `udp:127.0.0.1:${port4}`, '2.999.0'])).stdout).toBe('');
    const raw = [0x78, 0x7f, 0xff].map((first) => encodeRequest({ community: COMMUNITY, pdu: PDU.get, oids: [Buffer.from([first, 0x01])] }));
    await blast(Array.from({ length: 300 }, (_, i) => raw[i % raw.length] as Buffer));
    await assertStillServing('OIDs net-snmp cannot hold');
  });

  it('logged thousands of refused packets in a bounded number of lines', () => {
    // At most 10 lines per message per 10 s window (the summaries come when a window closes).
    expect(lines.length).toBeLessThan(120);
  });
});
