// The WebSocket event stream: a read-only view of the agent's state for dashboards and scripts.
//
// Protocol: on connect one `{"type":"snapshot","seq":N,...state}` message, then one message per
// event, each `{"type":...,"seq":N+1,...}` with `seq` rising by one. `seq` is global, so a client
// that sees a gap knows it missed something. Clients send nothing meaningful; whatever they send
// is ignored (and a frame over `maxPayload` closes the connection).
//
// A client that cannot keep up is never sent a backlog: once its send buffer passes
// `staleThresholdBytes` it is marked stale and skipped, and when the buffer has drained it gets
// one fresh snapshot carrying the current `seq` instead of the events it missed. So the server
// holds at most about one threshold plus one message per client. A client whose buffer stays over
// `bufferCapBytes` longer than `overCapGraceMs` is terminated, and a client that does not answer
// pings is dropped by the heartbeat. Dropping means terminating the socket: a close frame would
// queue behind the very backlog that is the problem.
//
// Every event message is at most `maxEventBytes` (long text cut with a marker, event-message.ts)
// and encoded once into a Buffer that all clients' sockets share, so a big event costs its size
// once, not once per client. Log lines about clients are rate-limited (src/rate-limit.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { bearerMatches, refuseUnprotectedListener, requestPath } from './auth.ts';
import { eventMessage } from './event-message.ts';
import { rateLimitedLog } from '../rate-limit.ts';
import type { StreamEvent, StreamSource } from './source.ts';
import { listenOrRefuse } from '../listen.ts';

export type StreamLogLevel = 'info' | 'warn';
export type StreamLog = (level: StreamLogLevel, message: string, context: Record<string, unknown>) => void;

export interface StreamServerOptions {
  host: string;
  /** 0 picks a free port; read it back with `address()` */
  port: number;
  /** Required when `host` is not loopback; clients send `Authorization: Bearer TOKEN`. */
  token?: string | null;
  source: StreamSource;
  /** Largest frame a client may send, in bytes (clients have nothing to say). Default 4 KiB. */
  maxPayload?: number;
  /** Largest event message sent, in bytes; longer text in an event is cut. Default 64 KiB. */
  maxEventBytes?: number;
  /** A client over this many buffered bytes for longer than `overCapGraceMs` is terminated. Default 8 MiB. */
  bufferCapBytes?: number;
  /** Over this many buffered bytes a client is sent nothing more until it drains. Default a quarter of the cap. */
  staleThresholdBytes?: number;
  /** Default 5 s. */
  overCapGraceMs?: number;
  /** Ping interval; a client that has not answered the previous ping is dropped. Default 15 s. */
  heartbeatMs?: number;
  /** How often stale clients are checked for having drained. Default 100 ms. */
  drainCheckMs?: number;
  /** Connections beyond this get 503. Default 100. */
  maxClients?: number;
  /** epoch milliseconds */
  clock?: () => number;
  log?: StreamLog;
  /** Each log message at most once per this many ms; the window's end logs how many it held back. Default 10 s. */
  logIntervalMs?: number;
}

export interface StreamClientStats {
  id: number;
  remote: string;
  /** bytes queued in the server for this client, not yet handed to the kernel */
  bufferedAmount: number;
  stale: boolean;
  /** event messages sent (snapshots not counted) */
  eventsSent: number;
  /** snapshots sent after falling behind */
  resyncs: number;
}

export interface StreamServer {
  address(): AddressInfo;
  /** the sequence number of the last event */
  seq(): number;
  clients(): StreamClientStats[];
  /** Closes every client (1001 going away) and stops listening. */
  close(): Promise<void>;
}

interface Client {
  id: number;
  ws: WebSocket;
  remote: string;
  alive: boolean;
  stale: boolean;
  overCapSince: number | null;
  eventsSent: number;
  resyncs: number;
}

const DEFAULTS = {
  maxPayload: 4096,
  maxEventBytes: 64 * 1024,
  logIntervalMs: 10_000,
  bufferCapBytes: 8 * 1024 * 1024,
  overCapGraceMs: 5000,
  heartbeatMs: 15_000,
  drainCheckMs: 100,
  maxClients: 100,
};

/** How long a client gets to answer our close frame on shutdown before its socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

/** The stream's one path: other views (`/metrics`) may listen on the same host and must not be answered for. */
const STREAM_PATH = '/';

const UPGRADE_REASONS = { 401: 'Unauthorized', 404: 'Not Found', 503: 'Service Unavailable' } as const;

function rejectUpgrade(socket: Duplex, status: keyof typeof UPGRADE_REASONS): void {
  const reason = UPGRADE_REASONS[status];
  const challenge = status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${challenge}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}

function remoteOf(request: IncomingMessage): string {
  const { remoteAddress, remotePort } = request.socket;
  return remoteAddress?.includes(':') ? `[${remoteAddress}]:${remotePort}` : `${remoteAddress}:${remotePort}`;
}

export async function createStreamServer(options: StreamServerOptions): Promise<StreamServer> {
  refuseUnprotectedListener(options.host, options.token, { view: 'WebSocket', tokenFileOption: '--ws-token-file', tokenEnv: 'BIRDCTL_WS_TOKEN' });
  const token = options.token || null;
  const { source } = options;
  const clock = options.clock ?? Date.now;
  // Clients are many and outside our control: a storm of connections or of slow readers costs one
  // line per message and interval, and a summary of how many were held back when the window ends.
  const limited = rateLimitedLog(options.log ?? (() => {}), { lines: 1, intervalMs: options.logIntervalMs ?? DEFAULTS.logIntervalMs });
  const log = limited.log;
  const maxEventBytes = options.maxEventBytes ?? DEFAULTS.maxEventBytes;
  const maxPayload = options.maxPayload ?? DEFAULTS.maxPayload;
  const bufferCap = options.bufferCapBytes ?? DEFAULTS.bufferCapBytes;
  const staleThreshold = options.staleThresholdBytes ?? Math.floor(bufferCap / 4);
  const overCapGraceMs = options.overCapGraceMs ?? DEFAULTS.overCapGraceMs;
  const maxClients = options.maxClients ?? DEFAULTS.maxClients;

  const clients = new Set<Client>();
  let seq = 0;
  let nextId = 1;

  const authorized = (request: IncomingMessage): boolean =>
    token === null || bearerMatches(request.headers.authorization, token);

  const snapshotMessage = (): string => JSON.stringify({ type: 'snapshot', seq, ...source.state() });

  const drop = (client: Client, reason: string): void => {
    if (!clients.delete(client)) return;
    log('info', 'stream client dropped', { client: client.id, remote: client.remote, reason });
    client.ws.terminate();
  };

  // Terminates a client that has sat over the cap for longer than the grace period.
  const checkCap = (client: Client): void => {
    if (client.ws.bufferedAmount <= bufferCap) {
      client.overCapSince = null;
      return;
    }
    const now = clock();
    client.overCapSince ??= now;
    if (now - client.overCapSince > overCapGraceMs) {
      log('warn', 'stream client over its buffer cap', { client: client.id, bufferedAmount: client.ws.bufferedAmount, bufferCap });
      drop(client, 'buffer cap');
    }
  };

  const deliver = (client: Client, message: Buffer): void => {
    if (client.stale || client.ws.readyState !== WebSocket.OPEN) return;
    if (client.ws.bufferedAmount >= staleThreshold) {
      client.stale = true;
      log('info', 'stream client fell behind; it will get a snapshot once drained', { client: client.id, bufferedAmount: client.ws.bufferedAmount });
      return;
    }
    client.ws.send(message, { binary: false });
    client.eventsSent += 1;
    checkCap(client);
  };

  const onEvent = (event: StreamEvent): void => {
    let message: Buffer;
    try {
      message = eventMessage(event, seq + 1, maxEventBytes);
    } catch (error) {
      log('warn', 'stream event not serialisable; not sent', { type: event.type, error: String(error) });
      return;
    }
    seq += 1;
    for (const client of clients) deliver(client, message);
  };

  const resyncDrained = (): void => {
    // One encoding for every client resynced in this pass.
    let snapshot: Buffer | undefined;
    for (const client of clients) {
      if (client.stale && client.ws.bufferedAmount === 0 && client.ws.readyState === WebSocket.OPEN) {
        client.stale = false;
        client.resyncs += 1;
        snapshot ??= Buffer.from(snapshotMessage());
        client.ws.send(snapshot, { binary: false });
      }
      checkCap(client);
    }
  };

  const heartbeat = (): void => {
    for (const client of clients) {
      if (!client.alive) {
        drop(client, 'no pong');
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  };

  const onHttpRequest = (request: IncomingMessage, response: ServerResponse): void => {
    if (!authorized(request)) {
      response.writeHead(401, { 'WWW-Authenticate': 'Bearer', 'Content-Type': 'text/plain' }).end('unauthorized\n');
      return;
    }
    if (requestPath(request) !== STREAM_PATH) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    if (request.method !== 'GET') {
      response.writeHead(405, { Allow: 'GET', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    // A plain GET of / returns the snapshot once, for curl and health checks.
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(`${snapshotMessage()}\n`);
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false, clientTracking: false });
  const http: Server = createServer(onHttpRequest);

  const onConnection = (ws: WebSocket, request: IncomingMessage): void => {
    const client: Client = { id: nextId++, ws, remote: remoteOf(request), alive: true, stale: false, overCapSince: null, eventsSent: 0, resyncs: 0 };
    clients.add(client);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('error', (error) => drop(client, `socket error: ${error.message}`));
    ws.on('close', () => clients.delete(client));
    log('info', 'stream client connected', { client: client.id, remote: client.remote });
    ws.send(snapshotMessage());
  };

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!authorized(request)) {
      log('warn', 'stream upgrade refused: bad or missing token', { remote: remoteOf(request) });
      rejectUpgrade(socket, 401);
      return;
    }
    if (requestPath(request) !== STREAM_PATH) {
      rejectUpgrade(socket, 404);
      return;
    }
    if (clients.size >= maxClients) {
      rejectUpgrade(socket, 503);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request));
  });

  await listenOrRefuse(http, { host: options.host, port: options.port, what: 'the WebSocket stream' });

  const unsubscribe = source.subscribe(onEvent);
  const timers = [setInterval(heartbeat, options.heartbeatMs ?? DEFAULTS.heartbeatMs), setInterval(resyncDrained, options.drainCheckMs ?? DEFAULTS.drainCheckMs)];
  for (const timer of timers) timer.unref();

  return {
    address: () => http.address() as AddressInfo,
    seq: () => seq,
    clients: () =>
      [...clients].map((c) => ({ id: c.id, remote: c.remote, bufferedAmount: c.ws.bufferedAmount, stale: c.stale, eventsSent: c.eventsSent, resyncs: c.resyncs })),
    close: async () => {
      unsubscribe();
      for (const timer of timers) clearInterval(timer);
      const closing = new Promise<void>((resolve) => http.close(() => resolve()));
      for (const client of clients) client.ws.close(1001, 'server shutting down');
      // A client that has not answered our close frame in time is cut off.
      const force = setTimeout(() => {
        for (const client of [...clients]) drop(client, 'shutdown');
        http.closeAllConnections();
      }, CLOSE_GRACE_MS);
      force.unref();
      await closing;
      clearTimeout(force);
      wss.close();
      limited.flush();
    },
  };
}
