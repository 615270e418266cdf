// What one request may make the agent do, sent as raw BER to the real net-snmp agent on loopback:
// requests the library threw on or looped over are answered, bounded, and logged in bounded lines.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createSnmpAgent, type SnmpAgent } from '../../src/snmp/agent.ts';
import { libraryCanHold, MAX_REQUEST_VARBINDS, MAX_RESPONSE_VARBINDS } from '../../src/snmp/request-guard.ts';
import { FakeMonitor, peerSnapshot, snapshotOf } from '../support/fake-monitor.ts';
import { decodeResponse, encodeRequest, PDU, type DecodedResponse, type RequestSpec } from './ber.ts';

const COMMUNITY = 'c0mmunity';
const BGP_LOCAL_AS = '1.3.6.1.2.1.15.2.0';
const NO_SUCH_OBJECT = 0x80;
const END_OF_MIB_VIEW = 0x82;

interface Started {
  agent: SnmpAgent;
  port: number;
  lines: Array<{ message: string; context: Record<string, unknown> }>;
}

const running: SnmpAgent[] = [];
const clients: dgram.Socket[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.close()));
  for (const socket of clients.splice(0)) socket.close();
});

async function start(): Promise<Started> {
  const lines: Started['lines'] = [];
  const result = await createSnmpAgent({
    listen: [{ family: 'udp4', address: '127.0.0.1', port: 0 }],
    community: COMMUNITY,
    localAs: 64512,
    monitor: new FakeMonitor(snapshotOf([peerSnapshot()])),
    log: (_level, message, context) => lines.push({ message, context }),
  });
  if (!result.enabled) throw new Error(result.reason);
  running.push(result.agent);
  return { agent: result.agent, port: result.agent.listening()[0]?.port as number, lines };
}

async function client(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  clients.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

/** Sends `packet` and waits for the answer to request `id` (null after 1 s without one). */
async function ask(port: number, packet: Buffer, id: number): Promise<DecodedResponse | null> {
  const socket = await client();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 1000);
    socket.on('message', (message) => {
      const response = decodeResponse(message);
      if (response.id !== id) return;
      clearTimeout(timer);
      resolve(response);
    });
    socket.send(packet, port, '127.0.0.1');
  });
}

let nextId = 100;
const request = (port: number, spec: Omit<RequestSpec, 'community' | 'id'>) => {
  const id = nextId++;
  return ask(port, encodeRequest({ community: COMMUNITY, id, ...spec }), id);
};

/** A normal Get is answered; retried like a poller would, since a flood may fill the socket's receive buffer. */
async function stillAnswers(port: number): Promise<void> {
  let response: DecodedResponse | null = null;
  for (let attempt = 0; attempt < 3 && response === null; attempt++) response = await request(port, { pdu: PDU.get, oids: [BGP_LOCAL_AS] });
  expect(response?.varbinds).toEqual([{ oid: BGP_LOCAL_AS, tag: 0x02 }]);
}

describe('libraryCanHold', () => {
  it.each(['1.3.6.1', '0.0', '2.39', '1.3.6.1.2147483647'])('holds %s', (oid) => expect(libraryCanHold(oid)).toBe(true));
  it.each(['3.0.1', '1.40', '1.3.6.1.2147483648', 'NaN.NaN', '1', ''])('not %s', (oid) => expect(libraryCanHold(oid)).toBe(false));
});

describe('the SNMP agent under hostile requests', () => {
  it('answers a Get for 2.40.1 (first BER byte 0x78, read by net-snmp as 3.0) with noSuchObject beside a real value', async () => {
    const { port } = await start();
    const response = await request(port, { pdu: PDU.get, oids: [Buffer.from([0x78, 0x01]), BGP_LOCAL_AS] });
    expect(response?.varbinds).toEqual([
      { oid: '2.40.1', tag: NO_SUCH_OBJECT },
      { oid: BGP_LOCAL_AS, tag: 0x02 },
    ]);
    await stillAnswers(port);
  });

  it('answers a Get for an arc above 2^31-1 with noSuchObject', async () => {
    const { port } = await start();
    const response = await request(port, { pdu: PDU.get, oids: ['1.3.6.1.4294967295'] });
    expect(response?.varbinds).toEqual([{ oid: '1.3.6.1.4294967295', tag: NO_SUCH_OBJECT }]);
  });

  it.each([
    ['an empty OID', Buffer.alloc(0)],
    ['2.999.0 (first subidentifier 1079, which net-snmp would write back as another OID)', '2.999.0'],
  ])('refuses a Get naming %s: no answer, one log line, and the next request is answered', async (_name, oid) => {
    const { port, lines } = await start();
    expect(await request(port, { pdu: PDU.get, oids: [oid, BGP_LOCAL_AS] })).toBeNull();
    expect(lines.filter((line) => line.message === 'SNMP request refused')).toHaveLength(1);
    await stillAnswers(port);
  });

  it('bounds a GETBULK with max-repetitions 2147483647', async () => {
    const { port } = await start();
    const response = await request(port, { pdu: PDU.getBulk, nonRepeaters: 0, maxRepetitions: 2147483647, oids: ['1.3.6.1'] });
    expect(response?.errorStatus).toBe(0);
    expect(response?.varbinds.length).toBe(MAX_RESPONSE_VARBINDS);
    // The walk ran off the end of this small MIB: the rest is endOfMibView, as many as the cap allows.
    expect(response?.varbinds.at(-1)?.tag).toBe(END_OF_MIB_VIEW);
    await stillAnswers(port);
  });

  it('answers a GETBULK with negative non-repeaters as one with none', async () => {
    const { port } = await start();
    const response = await request(port, { pdu: PDU.getBulk, nonRepeaters: -1, maxRepetitions: 1, oids: ['1.3.6.1.2.1.15.1'] });
    expect(response?.varbinds).toEqual([{ oid: '1.3.6.1.2.1.15.1.0', tag: 0x04 }]);
  });

  it('answers a GETBULK with max-repetitions 0, and a Get without variables, with no variables', async () => {
    const { port } = await start();
    const bulk = await request(port, { pdu: PDU.getBulk, nonRepeaters: 0, maxRepetitions: 0, oids: ['1.3.6.1'] });
    expect(bulk).toEqual({ id: expect.any(Number), errorStatus: 0, varbinds: [] });
    const get = await request(port, { pdu: PDU.get, oids: [] });
    expect(get).toEqual({ id: expect.any(Number), errorStatus: 0, varbinds: [] });
  });

  it(`answers a request for more than ${MAX_REQUEST_VARBINDS} variables tooBig, without variables`, async () => {
    const { port } = await start();
    const oids = Array.from({ length: MAX_REQUEST_VARBINDS + 1 }, () => BGP_LOCAL_AS);
    for (const pdu of [PDU.get, PDU.getNext, PDU.getBulk]) {
      const response = await request(port, { pdu, oids });
      expect(response).toEqual({ id: expect.any(Number), errorStatus: 1, varbinds: [] });
    }
    const most = await request(port, { pdu: PDU.get, oids: oids.slice(1) });
    expect(most?.varbinds).toHaveLength(MAX_REQUEST_VARBINDS);
  });

  it('logs a flood of malformed and of unauthenticated packets in a few lines and a count', async () => {
    const { agent, port, lines } = await start();
    const socket = await client();
    const garbage = Buffer.from('not snmp at all');
    const wrongCommunity = encodeRequest({ community: `x${'y'.repeat(1000)}`, pdu: PDU.get, oids: [BGP_LOCAL_AS] });
    for (let i = 0; i < 300; i++) {
      socket.send(garbage, port, '127.0.0.1');
      socket.send(wrongCommunity, port, '127.0.0.1');
    }
    await stillAnswers(port);
    await agent.close();
    running.splice(0);
    const count = (message: string) => lines.filter((line) => line.message === message).length;
    expect(count('SNMP packet dropped')).toBe(10);
    expect(count('SNMP request refused')).toBe(10);
    expect(lines.length).toBeLessThan(30);
    const summaries = lines.filter((line) => line.message.startsWith('suppressed '));
    // Each kind was logged at most 10 times; the summaries count the rest that reached the agent.
    expect(summaries).toHaveLength(2);
    expect(count('SNMP packet dropped') + count('SNMP request refused') + summaries.reduce((n, line) => n + Number(line.context.suppressed), 0)).toBeLessThanOrEqual(600);
    // The refusal quotes the packet's community only as a bounded excerpt.
    const refusal = lines.find((line) => line.message === 'SNMP request refused');
    expect(String(refusal?.context.error).length).toBeLessThan(250);
  });
});
