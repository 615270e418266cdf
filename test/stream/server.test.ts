// The WebSocket stream against real sockets on loopback: protocol, authentication, heartbeat and
// backpressure. Clients are `ws` clients; a slow client is one whose socket we pause.
import { get, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { BirdctlError } from '../../src/errors.ts';
import { createStreamServer, type StreamServer, type StreamServerOptions } from '../../src/stream/server.ts';
import { daemonState, peerSnapshot } from '../support/fake-monitor.ts';
import { FakeStreamSource } from './fake-source.ts';

type Message = { type: string; seq: number; [key: string]: unknown };

const servers: StreamServer[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<StreamServerOptions> = {}): Promise<{ server: StreamServer; source: FakeStreamSource; url: string }> {
  const source = new FakeStreamSource();
  const server = await createStreamServer({ host: '127.0.0.1', port: 0, source, heartbeatMs: 60_000, ...options });
  servers.push(server);
  const { address, port } = server.address();
  const host = address.includes(':') ? `[${address}]` : address;
  return { server, source, url: `ws://${host}:${port}/` };
}

/** A connected client that records every message it receives. */
async function connect(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}) {
  const ws = new WebSocket(url, options);
  sockets.push(ws);
  const messages: Message[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Message);
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const until = async (done: (all: Message[]) => boolean): Promise<Message[]> => {
    while (!done(messages)) await new Promise<void>((resolve) => waiters.push(resolve));
    return messages;
  };
  return { ws, messages, until };
}

/** The HTTP status the server answers an upgrade with (101 when the WebSocket opened). */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    sockets.push(ws);
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_request, response: IncomingMessage) => resolve(response.statusCode ?? 0));
    ws.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

function httpStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url.replace(/^ws:/, 'http:'), { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

const waitFor = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

describe('stream protocol', () => {
  it('sends one snapshot, then one message per event with a rising seq', async () => {
    const { source, url } = await start();
    const client = await connect(url);
    const [snapshot] = await client.until((m) => m.length >= 1);
    expect(snapshot).toMatchObject({ type: 'snapshot', seq: 0, daemon: { up: true, routerId: '10.255.0.1' } });
    expect(snapshot?.peers).toEqual([peerSnapshot()]);
    expect(snapshot?.endpoints).toEqual(source.current.endpoints);
    expect(snapshot?.lastApply).toEqual(source.current.lastApply);

    const down = peerSnapshot({ bgpState: 'Active', state: 'start' });
    source.emit({ type: 'peerDown', peer: down, previous: peerSnapshot(), at: 1 });
    source.emit({ type: 'configApplied', at: 2, summary: 'reloaded' });
    source.emit({ type: 'daemonDown', daemon: daemonState({ up: false }), previous: daemonState(), at: 3 });
    const all = await client.until((m) => m.length >= 4);
    expect(all.map((m) => [m.type, m.seq])).toEqual([
      ['snapshot', 0],
      ['peerDown', 1],
      ['configApplied', 2],
      ['daemonDown', 3],
    ]);
    expect(all[1]).toMatchObject({ peer: { bgpState: 'Active' }, at: 1 });
    expect(all[2]).toMatchObject({ summary: 'reloaded' });
  });

  it('gives a later client a snapshot carrying the current seq', async () => {
    const { source, url } = await start();
    source.emit({ type: 'endpointsReconciled', at: 1 });
    source.emit({ type: 'endpointsReconciled', at: 2 });
    source.current = { ...source.current, peers: [] };
    const client = await connect(url);
    const [snapshot] = await client.until((m) => m.length >= 1);
    expect(snapshot).toMatchObject({ type: 'snapshot', seq: 2, peers: [] });
    source.emit({ type: 'topologyInvalid', at: 3, error: 'nodes[0].address: bad' });
    const all = await client.until((m) => m.length >= 2);
    expect(all[1]).toMatchObject({ type: 'topologyInvalid', seq: 3 });
  });

  it('ignores what clients send and closes a client that sends more than maxPayload', async () => {
    const { server, url } = await start({ maxPayload: 64 });
    const client = await connect(url);
    client.ws.send('hello');
    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
    client.ws.send('x'.repeat(1000));
    expect(await closed).toBe(1009);
    await waitFor(() => server.clients().length === 0, 'the server to forget the client');
  });

  it('stops listening for events and closes clients on close', async () => {
    const { server, source, url } = await start();
    const client = await connect(url);
    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
    expect(source.listenerCount()).toBe(1);
    await server.close();
    servers.length = 0;
    expect(await closed).toBe(1001);
    expect(source.listenerCount()).toBe(0);
  });
});

describe('stream authentication', () => {
  const TOKEN = 's3cret-token-0123456789';

  it('answers 401 to an upgrade without the token or with a wrong one, 101 with the right one', async () => {
    const { server, url } = await start({ token: TOKEN });
    expect(await upgradeStatus(url)).toBe(401);
    expect(await upgradeStatus(url, { Authorization: 'Bearer wrong' })).toBe(401);
    expect(await upgradeStatus(url, { Authorization: `Bearer ${TOKEN}x` })).toBe(401);
    expect(await upgradeStatus(url, { Authorization: `Basic ${TOKEN}` })).toBe(401);
    expect(server.clients()).toHaveLength(0);
    expect(await upgradeStatus(url, { Authorization: `Bearer ${TOKEN}` })).toBe(101);
    expect(server.clients()).toHaveLength(1);
  });

  it('answers a plain GET with 200 and the snapshot only with the token', async () => {
    const { url } = await start({ token: TOKEN });
    expect((await httpStatus(url)).status).toBe(401);
    const ok = await httpStatus(url, { Authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ type: 'snapshot', seq: 0 });
  });

  it('needs no token on loopback', async () => {
    const { url } = await start({ host: '::1' });
    expect(url).toMatch(/^ws:\/\/\[::1\]:\d+\/$/);
    expect(await upgradeStatus(url)).toBe(101);
  });

  it.each(['0.0.0.0', '::', '192.0.2.10', 'fd00:ec::1', 'example.org'])('refuses to listen on %s without a token', async (host) => {
    const source = new FakeStreamSource();
    const attempt = createStreamServer({ host, port: 0, source });
    await expect(attempt).rejects.toBeInstanceOf(BirdctlError);
    await expect(attempt).rejects.toMatchObject({ code: 'USAGE', exitCode: 2 });
    expect(source.listenerCount()).toBe(0);
  });

  it('refuses an empty token', async () => {
    await expect(createStreamServer({ host: '127.0.0.1', port: 0, token: '', source: new FakeStreamSource() })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('stream paths', () => {
  // Other views (/metrics) may share a host with the stream; the stream answers only its own path.
  it('answers a GET of / (with or without a query) and 404 for any other path', async () => {
    const { url } = await start();
    expect((await httpStatus(url)).status).toBe(200);
    expect((await httpStatus(`${url}?pretty`)).status).toBe(200);
    for (const path of ['metrics', 'snapshot', 'index.html', '/']) {
      const other = await httpStatus(`${url}${path}`);
      expect(other.status).toBe(404);
      expect(other.body).not.toContain('snapshot');
    }
  });

  it('refuses an upgrade on any path but / with 404 and keeps no client', async () => {
    const { server, url } = await start();
    expect(await upgradeStatus(`${url}metrics`)).toBe(404);
    expect(await upgradeStatus(`${url}ws/`)).toBe(404);
    expect(server.clients()).toHaveLength(0);
    expect(await upgradeStatus(url)).toBe(101);
  });

  it('answers 401, not 404, to a client without the token whatever the path', async () => {
    const { url } = await start({ token: 'path-token-0123456789' });
    expect((await httpStatus(`${url}metrics`)).status).toBe(401);
    expect(await upgradeStatus(`${url}metrics`)).toBe(401);
  });
});

describe('stream heartbeat', () => {
  it('drops a client that does not answer pings and keeps one that does', async () => {
    const { server, url } = await start({ heartbeatMs: 50 });
    const silent = await connect(url, { autoPong: false });
    const healthy = await connect(url);
    const closed = new Promise<number>((resolve) => silent.ws.once('close', (code) => resolve(code)));
    // Terminated without a close frame: the client sees an abnormal closure.
    expect(await closed).toBe(1006);
    await waitFor(() => server.clients().length === 1, 'one client left');
    // Several more heartbeats pass; the answering client stays.
    await new Promise((r) => setTimeout(r, 200));
    expect(server.clients()).toHaveLength(1);
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('stream backpressure', () => {
  // Events big enough to fill the loopback socket buffers in a few hundred sends.
  const BLOB = 'x'.repeat(256 * 1024);

  /** Emits big events until the server marks the (paused) client stale; returns the largest buffer seen. */
  async function floodUntilStale(server: StreamServer, source: FakeStreamSource): Promise<{ maxBuffered: number; emitted: number }> {
    let maxBuffered = 0;
    let emitted = 0;
    for (; emitted < 400; ) {
      source.emit({ type: 'endpointsReconciled', at: emitted, blob: BLOB });
      emitted += 1;
      const [stats] = server.clients();
      maxBuffered = Math.max(maxBuffered, stats?.bufferedAmount ?? 0);
      if (stats?.stale) break;
      await new Promise((r) => setImmediate(r));
    }
    // Keep going well past the point of falling behind: none of this may be queued for the client.
    for (let i = 0; i < 50; i++, emitted++) {
      source.emit({ type: 'endpointsReconciled', at: emitted, blob: BLOB });
      maxBuffered = Math.max(maxBuffered, server.clients()[0]?.bufferedAmount ?? 0);
    }
    return { maxBuffered, emitted };
  }

  it('sends a client that stopped reading the latest snapshot instead of the backlog', async () => {
    const cap = 4 * 1024 * 1024;
    const threshold = 512 * 1024;
    const { server, source, url } = await start({ bufferCapBytes: cap, staleThresholdBytes: threshold, drainCheckMs: 10, maxEventBytes: BLOB.length + 1024 });
    const client = await connect(url);
    await client.until((m) => m.length >= 1);
    client.ws.pause();

    const { maxBuffered, emitted } = await floodUntilStale(server, source);
    expect(server.clients()[0]?.stale).toBe(true);
    // Bounded by the threshold plus the one message that crossed it, far below the cap.
    expect(maxBuffered).toBeLessThan(threshold + BLOB.length + 1024);
    expect(maxBuffered).toBeLessThan(cap);

    client.ws.resume();
    const all = await client.until((m) => m.some((x, i) => i > 0 && x.type === 'snapshot'));
    const resync = all.find((x, i) => i > 0 && x.type === 'snapshot');
    expect(resync?.seq).toBe(emitted);
    expect(resync?.seq).toBe(server.seq());
    const events = all.filter((x) => x.type === 'endpointsReconciled');
    expect(events.length).toBeLessThan(emitted);
    // What it did get before falling behind was in order, without gaps.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(server.clients()[0]).toMatchObject({ stale: false, resyncs: 1 });

    // Back in step: the next event follows the snapshot's seq.
    source.emit({ type: 'configApplied', at: 0 });
    const after = await client.until((m) => m.at(-1)?.type === 'configApplied');
    expect(after.at(-1)?.seq).toBe(emitted + 1);
  });

  it('terminates a client that stays over its buffer cap past the grace period', async () => {
    let now = 0;
    const cap = 128 * 1024;
    const { server, source, url } = await start({
      bufferCapBytes: cap,
      staleThresholdBytes: 32 * 1024,
      overCapGraceMs: 1000,
      drainCheckMs: 10,
      maxEventBytes: BLOB.length + 1024,
      clock: () => now,
    });
    const client = await connect(url);
    await client.until((m) => m.length >= 1);
    client.ws.pause();
    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));

    const { maxBuffered } = await floodUntilStale(server, source);
    // One message bigger than the cap went over it; nothing was queued after that.
    expect(maxBuffered).toBeGreaterThan(cap);
    expect(maxBuffered).toBeLessThan(32 * 1024 + BLOB.length + 1024);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.clients()).toHaveLength(1);

    now += 1001;
    await waitFor(() => server.clients().length === 0, 'the over-cap client to be terminated');
    client.ws.resume();
    expect(await closed).toBe(1006);
  });
});

describe('stream message size', () => {
  it('cuts long text in an event to fit maxEventBytes, with a marker, keeping type, seq and the short fields', async () => {
    const { source, url } = await start({ maxEventBytes: 16 * 1024 });
    const client = await connect(url);
    const raw: number[] = [];
    client.ws.on('message', (data: Buffer) => raw.push(data.length));
    const report = `nodes[0].address: ${'x'.repeat(5 * 1024 * 1024)}`;
    source.emit({ type: 'topologyInvalid', at: 7, report, file: '/etc/bird6-controller/topology.yaml' });
    const all = await client.until((m) => m.length >= 2);
    expect(raw[0]).toBeLessThanOrEqual(16 * 1024);
    expect(all[1]).toMatchObject({ type: 'topologyInvalid', seq: 1, at: 7, file: '/etc/bird6-controller/topology.yaml' });
    const cut = all[1]!.report as string;
    expect(cut.startsWith('nodes[0].address: xxx')).toBe(true);
    expect(cut).toMatch(/… \[cut: 5242898 characters in all\]$/);
  });

  it('replaces an event that cannot be cut to size by a stub saying so', async () => {
    const { source, url } = await start({ maxEventBytes: 4096 });
    const client = await connect(url);
    source.emit({ type: 'endpointsReconciled', at: 9, failures: Array.from({ length: 10_000 }, (_, i) => `ep-${i}`) });
    source.emit({ type: 'configApplied', at: 10, summary: 'reloaded' });
    const all = await client.until((m) => m.length >= 3);
    expect(all[1]).toEqual({ type: 'endpointsReconciled', seq: 1, at: 9, truncated: true });
    expect(all[2]).toMatchObject({ type: 'configApplied', seq: 2, summary: 'reloaded' });
  });

  it('leaves events under the limit untouched', async () => {
    const { source, url } = await start();
    const client = await connect(url);
    const report = `nodes[0].address: ${'y'.repeat(10_000)}`;
    source.emit({ type: 'topologyInvalid', at: 1, report });
    const all = await client.until((m) => m.length >= 2);
    expect(all[1]).toEqual({ type: 'topologyInvalid', seq: 1, at: 1, report });
  });

  it('holds a bounded amount for many clients that stopped reading, however big the events', async () => {
    const threshold = 256 * 1024;
    const maxEventBytes = 64 * 1024;
    const { server, source, url } = await start({ staleThresholdBytes: threshold, maxEventBytes });
    const clients = await Promise.all(Array.from({ length: 10 }, () => connect(url)));
    await Promise.all(clients.map((c) => c.until((m) => m.length >= 1)));
    for (const c of clients) c.ws.pause();
    const report = 'z'.repeat(4 * 1024 * 1024);
    let maxTotal = 0;
    for (let i = 0; i < 30; i += 1) {
      source.emit({ type: 'topologyInvalid', at: i, report });
      maxTotal = Math.max(maxTotal, server.clients().reduce((sum, c) => sum + c.bufferedAmount, 0));
      await new Promise((r) => setImmediate(r));
    }
    expect(maxTotal).toBeLessThanOrEqual(clients.length * (threshold + maxEventBytes));
  });
});

describe('stream slow client', () => {
  it('drops a client that never reads (its pings queue unanswered) and holds a bounded amount for it until then', async () => {
    const threshold = 64 * 1024;
    const dropped: string[] = [];
    const { server, source, url } = await start({
      staleThresholdBytes: threshold,
      heartbeatMs: 200,
      log: (_level, message, context) => message === 'stream client dropped' && dropped.push(String(context.reason)),
    });
    const client = await connect(url);
    await client.until((m) => m.length >= 1);
    client.ws.pause();
    let maxBuffered = 0;
    for (let i = 0; i < 2000 && server.clients().length > 0; i += 1) {
      source.emit({ type: 'topologyInvalid', at: i, report: 'r'.repeat(1024 * 1024) });
      maxBuffered = Math.max(maxBuffered, server.clients()[0]?.bufferedAmount ?? 0);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(server.clients()).toHaveLength(0);
    expect(dropped).toEqual(['no pong']);
    expect(maxBuffered).toBeLessThanOrEqual(threshold + 64 * 1024 + 1024);
  });
});

describe('stream logging', () => {
  it('logs clients falling behind once per interval and reports the ones it left out when the window ends', async () => {
    const lines: { message: string; context: Record<string, unknown> }[] = [];
    const { server, source, url } = await start({
      staleThresholdBytes: 1,
      maxEventBytes: 1024 * 1024,
      drainCheckMs: 10,
      logIntervalMs: 3_000,
      log: (_level, message, context) => lines.push({ message, context }),
    });
    const clients = await Promise.all(Array.from({ length: 5 }, () => connect(url)));
    await Promise.all(clients.map((c) => c.until((m) => m.length >= 1)));
    for (const c of clients) c.ws.pause();
    for (let i = 0; i < 200 && server.clients().some((c) => !c.stale); i += 1) {
      source.emit({ type: 'endpointsReconciled', at: i, blob: 'x'.repeat(256 * 1024) });
      await new Promise((r) => setImmediate(r));
    }
    expect(server.clients().every((c) => c.stale)).toBe(true);
    // Nothing more happens; the window's end alone must account for the four held back.
    const fell = 'stream client fell behind; it will get a snapshot once drained';
    const summaries = () => lines.filter((l) => l.message === `suppressed ${String(l.context.suppressed)} similar messages: ${fell}`);
    for (let waited = 0; summaries().length === 0 && waited < 6_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    const written = lines.filter((l) => l.message === fell).length;
    const suppressed = summaries().reduce((sum, l) => sum + Number(l.context.suppressed), 0);
    expect(written).toBe(1);
    expect(suppressed).toBe(4);
  }, 15_000);
});
