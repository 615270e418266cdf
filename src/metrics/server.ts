// `birdctl agent --metrics HOST:PORT`: GET /metrics in the Prometheus text format, nothing else.
// A read-only view like the stream and SNMP: it reads the monitor's snapshot and the agent's state
// and changes nothing. Off loopback it needs a bearer token, by the stream's rule (stream/auth.ts):
// the series name every BGP neighbour of the host. Prometheus sends it with
// `authorization: { credentials_file: ... }` in the scrape config.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { MonitorSnapshot, PollStats } from '../monitor/types.ts';
import { bearerMatches, refuseUnprotectedListener, requestPath } from '../stream/auth.ts';
import type { StreamSource } from '../stream/source.ts';
import { registerBirdSeries } from './bird-series.ts';
import { registerControllerSeries } from './controller-series.ts';
import { listenOrRefuse } from '../listen.ts';

const METRICS_PATH = '/metrics';

export type MetricsLog = (level: 'info' | 'warn', message: string, context: Record<string, unknown>) => void;

export interface MetricsServerOptions {
  host: string;
  /** 0 picks a free port; read it back with `address()` */
  port: number;
  /** Required when `host` is not loopback; scrapers send `Authorization: Bearer TOKEN`. */
  token?: string | null;
  /** the monitor's snapshot and poll statistics (a SessionMonitor) */
  monitor: { current(): MonitorSnapshot | undefined; pollStats(): PollStats };
  /** the agent's state and events (AgentState) */
  state: StreamSource;
  /** Connections beyond this are refused; a scraper needs one. Default 16. */
  maxConnections?: number;
  log?: MetricsLog;
}

export interface MetricsServer {
  address(): AddressInfo;
  close(): Promise<void>;
}

const plain = (response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void => {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(`${text}\n`);
};

export async function createMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  refuseUnprotectedListener(options.host, options.token, { view: 'metrics', tokenFileOption: '--metrics-token-file', tokenEnv: 'BIRDCTL_METRICS_TOKEN' });
  const token = options.token || null;
  const log = options.log ?? (() => {});
  const registry = new Registry();
  const bird = registerBirdSeries(registry);
  const controller = registerControllerSeries(registry, { state: options.state, pollStats: () => options.monitor.pollStats() });

  const scrape = async (): Promise<string> => {
    bird.update(options.monitor.current());
    controller.update();
    return registry.metrics();
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    if (token !== null && !bearerMatches(request.headers.authorization, token)) {
      plain(response, 401, 'unauthorized', { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    if (requestPath(request) !== METRICS_PATH) {
      plain(response, 404, 'not found');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      plain(response, 405, 'method not allowed', { Allow: 'GET, HEAD' });
      return;
    }
    scrape().then(
      (text) => {
        response.writeHead(200, { 'Content-Type': registry.contentType });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        log('warn', 'metrics scrape failed', { error: String(error) });
        plain(response, 500, 'scrape failed');
      },
    );
  };

  const http = createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, onRequest);
  http.maxConnections = options.maxConnections ?? 16;
  // A scraper only asks; a client that sends nothing after connecting is cut off.
  http.keepAliveTimeout = 5_000;
  await listenOrRefuse(http, { host: options.host, port: options.port, what: 'metrics', onFailure: () => controller.close() });

  return {
    address: () => http.address() as AddressInfo,
    close: async () => {
      controller.close();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    },
  };
}
