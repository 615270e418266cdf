// The metrics listener on loopback: /metrics only, the token rule off loopback, and the
// controller's series from the agent's state (AgentState over a FakeMonitor) and events.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentState } from '../../src/agent/agent-state.ts';
import { BirdctlError } from '../../src/errors.ts';
import { createMetricsServer, type MetricsServer, type MetricsServerOptions } from '../../src/metrics/server.ts';
import type { ConfigApply } from '../../src/render/apply.ts';
import { FakeMonitor, peerSnapshot, snapshotOf } from '../support/fake-monitor.ts';
import { parseExposition, sample } from './exposition.ts';

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<MetricsServerOptions> = {}) {
  const monitor = new FakeMonitor(snapshotOf([peerSnapshot()]));
  const state = new AgentState(monitor);
  const server = await createMetricsServer({ host: '127.0.0.1', port: 0, monitor, state, ...options });
  servers.push(server);
  const { address, port } = server.address();
  return { server, monitor, state, base: `http://${address.includes(':') ? `[${address}]` : address}:${port}` };
}

function fetchText(url: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { method: init.method ?? 'GET', headers: init.headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body }));
    })
      .on('error', reject)
      .end();
  });
}

const apply = (outcome: ConfigApply['outcome'], at: number): ConfigApply => ({ at, ok: outcome !== 'rejected' && outcome !== 'failed', outcome, summary: outcome });

describe('metrics listener', () => {
  it('answers GET /metrics in the Prometheus text format, with or without a query string', async () => {
    const { base } = await start();
    const response = await fetchText(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sample(parseExposition(response.body), 'bird_protocol_up').value).toBe(1);
    expect((await fetchText(`${base}/metrics?name[]=x`)).status).toBe(200);
  });

  it('answers 404 on every other path and 405 to other methods on /metrics', async () => {
    const { base } = await start();
    for (const path of ['/', '/metrics/', '/metricsx', '/snapshot', '//metrics']) {
      const response = await fetchText(`${base}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.body).not.toContain('bird_');
    }
    expect((await fetchText(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetchText(`${base}/metrics`, { method: 'HEAD' })).status).toBe(200);
  });

  it('needs the token when one is set: 401 without it or with a wrong one, on any path', async () => {
    const token = 'metrics-token-0123456789';
    const { base } = await start({ token });
    expect((await fetchText(`${base}/metrics`)).status).toBe(401);
    expect((await fetchText(`${base}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetchText(`${base}/other`)).status).toBe(401);
    expect((await fetchText(`${base}/metrics`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it.each(['0.0.0.0', '::', 'fd00:ec::1', 'example.org'])('refuses to listen on %s without a token', async (host) => {
    const monitor = new FakeMonitor(snapshotOf([]));
    const state = new AgentState(monitor);
    await expect(createMetricsServer({ host, port: 0, monitor, state })).rejects.toMatchObject({ code: 'USAGE', exitCode: 2 });
    await expect(createMetricsServer({ host: '127.0.0.1', port: 0, token: '', monitor, state })).rejects.toBeInstanceOf(BirdctlError);
  });
});

describe('controller series', () => {
  it('counts config applies by result from zero, times them, and keeps the last success and the topology generation', async () => {
    const { base, state } = await start();
    const before = parseExposition((await fetchText(`${base}/metrics`)).body);
    for (const result of ['unchanged', 'applied', 'reloaded', 'pending', 'rejected', 'failed']) {
      expect(sample(before, 'birdctl_config_applies_total', { result }).value).toBe(0);
    }
    expect(sample(before, 'birdctl_config_last_success_timestamp_seconds').value).toBe(0);

    state.setLastApply(apply('reloaded', 1_700_000_001_000), { type: 'configApplied', at: 1_700_000_001_000, outcome: 'reloaded', summary: 'reloaded', durationMs: 40, generation: 1 });
    state.setLastApply(apply('reloaded', 1_700_000_002_000), { type: 'configApplied', at: 1_700_000_002_000, outcome: 'reloaded', summary: 'reloaded', durationMs: 3000, generation: 2 });
    state.setLastApply(apply('rejected', 1_700_000_003_000), { type: 'configRejected', at: 1_700_000_003_000, outcome: 'rejected', summary: 'rejected', durationMs: 20, generation: 3 });
    const after = parseExposition((await fetchText(`${base}/metrics`)).body);
    expect(sample(after, 'birdctl_config_applies_total', { result: 'reloaded' }).value).toBe(2);
    expect(sample(after, 'birdctl_config_applies_total', { result: 'rejected' }).value).toBe(1);
    expect(sample(after, 'birdctl_config_apply_duration_seconds_count').value).toBe(3);
    expect(sample(after, 'birdctl_config_apply_duration_seconds_sum').value).toBeCloseTo(3.06);
    expect(sample(after, 'birdctl_config_apply_duration_seconds_bucket', { le: '0.05' }).value).toBe(2);
    // The rejected edit is not in service: the last success stays the second apply.
    expect(sample(after, 'birdctl_config_last_success_timestamp_seconds').value).toBe(1_700_000_002);
    expect(sample(after, 'birdctl_topology_generation').value).toBe(3);
  });

  it('shows the endpoints by state and times the endpoint passes', async () => {
    const { base, state } = await start();
    const endpoint = (name: string, s: 'programmed' | 'pending' | 'failed') => ({ name, node: 'n1', kind: 'container' as const, addresses: ['fd00:10::1'], interface: `cali-${name}`, state: s });
    state.setEndpoints([endpoint('a', 'programmed'), endpoint('b', 'programmed'), endpoint('c', 'pending')], { type: 'endpointsReconciled', at: 1, ok: true, durationMs: 12 });
    const samples = parseExposition((await fetchText(`${base}/metrics`)).body);
    expect(['programmed', 'pending', 'failed'].map((s) => sample(samples, 'birdctl_endpoints', { state: s }).value)).toEqual([2, 1, 0]);
    expect(sample(samples, 'birdctl_endpoint_reconcile_duration_seconds_count').value).toBe(1);
    expect(sample(samples, 'birdctl_endpoint_reconcile_duration_seconds_bucket', { le: '0.025' }).value).toBe(1);
    expect(sample(samples, 'birdctl_endpoint_reconcile_duration_seconds_bucket', { le: '0.01' }).value).toBe(0);
  });

  it("counts bird6 coming back from the monitor's events and mirrors the monitor's poll statistics", async () => {
    const { base, monitor } = await start();
    const empty = parseExposition((await fetchText(`${base}/metrics`)).body);
    expect(sample(empty, 'birdctl_monitor_polls_total').value).toBe(0);
    const snapshot = snapshotOf([]);
    for (let i = 0; i < 2; i++) {
      monitor.emit({ type: 'daemonDown', daemon: { ...snapshot.daemon, up: false }, previous: snapshot.daemon, at: 1 }, snapshot);
      monitor.emit({ type: 'daemonUp', daemon: snapshot.daemon, previous: { ...snapshot.daemon, up: false }, at: 2 }, snapshot);
    }
    monitor.stats = { polls: 41, failures: 3, lastDurationMs: 25 };
    const samples = parseExposition((await fetchText(`${base}/metrics`)).body);
    expect(sample(samples, 'birdctl_bird_restarts_total').value).toBe(2);
    expect(sample(samples, 'birdctl_monitor_polls_total').value).toBe(41);
    expect(sample(samples, 'birdctl_monitor_poll_errors_total').value).toBe(3);
    expect(sample(samples, 'birdctl_monitor_poll_duration_seconds').value).toBe(0.025);
  });

  it('stops following the agent on close', async () => {
    const monitor = new FakeMonitor(snapshotOf([]));
    const state = new AgentState(monitor);
    let listeners = 0;
    const counting = { state: () => state.state(), subscribe: (l: Parameters<AgentState['subscribe']>[0]) => { listeners += 1; const off = state.subscribe(l); return () => { listeners -= 1; off(); }; } };
    const server = await createMetricsServer({ host: '127.0.0.1', port: 0, monitor, state: counting });
    expect(listeners).toBe(1);
    await server.close();
    expect(listeners).toBe(0);
  });
});
