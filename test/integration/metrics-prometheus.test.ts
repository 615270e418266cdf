// `birdctl agent --metrics` scraped by a real Prometheus (Debian's /usr/bin/prometheus): three
// nodes in namespaces with real bird6, each agent's /metrics on its node address, reached from
// the root namespace through a veth on the nodes' segment (fd00:b7::ff, this file's own prefix),
// as in agent-views.test.ts. Prometheus listens on loopback with its own config and storage in
// the testbed dir and is queried over its HTTP API; promtool lints each agent's real output.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIntegration } from '../support/integration.ts';
import { killByPidFile, NetnsTestbed, stop, waitFor } from '../support/netns.ts';

const BIRDCTL = fileURLToPath(new URL('../../src/cli/birdctl.mjs', import.meta.url));
const TOKEN = 'prom-scrape-token-0123456789';
const NODES = ['n1', 'n2', 'n3'];
const address = (i: number) => `fd00:b7::${i + 1}`;
const metricsTarget = (i: number) => `[${address(i)}]:9324`;
const WS_N1 = `[${address(0)}]:9180`;

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function topology(holdTime: number): string {
  return stringify({
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'prom', asNumber: 64512, bgp: { holdTime, keepaliveTime: 1 } },
    ipPools: [{ cidr: 'fd00:17::/48' }],
    nodes: NODES.map((name, i) => ({ name, address: address(i) })),
  });
}

describeIntegration('metrics: a real Prometheus scrapes every agent', { netns: true, binaries: ['bird6', 'prometheus', 'promtool'] }, () => {
  const bed = new NetnsTestbed('prom');
  const file = bed.path('cluster.yaml');
  const tokenFile = bed.path('token');
  const hosts = NODES.map((name) => ({ name, netns: '', dir: bed.path(name), agent: undefined as ChildProcess | undefined, log: [] as string[] }));
  let prometheus: ChildProcess | undefined;
  const prometheusLog: string[] = [];
  let api = '';

  const query = async (promql: string): Promise<PromSample[]> => {
    const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; data: { resultType: string; result: PromSample[] } };
    if (body.status !== 'success') throw new Error(`query ${promql}: ${JSON.stringify(body)}`);
    return body.data.result;
  };
  /** Waits until the query returns `count` series (Prometheus scrapes every second). */
  const seriesOf = (promql: string, count: number, timeoutMs = 20_000) =>
    waitFor(`${count} series of ${promql}`, async () => {
      const result = await query(promql);
      return result.length === count ? result : undefined;
    }, timeoutMs, 250);

  const scrape = (i: number, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }, path = '/metrics') =>
    fetch(`http://${metricsTarget(i)}${path}`, { headers });

  beforeAll(async () => {
    for (const h of hosts) {
      h.netns = bed.addNamespace(h.name);
      bed.run(undefined, 'mkdir', ['-p', h.dir]);
    }
    const sw = bed.connect(hosts.map((h, i) => ({ netns: h.netns, ifname: 'eth0', cidr: `${address(i)}/64` })));
    bed.attachRoot(sw, 'prom-root', 'fd00:b7::ff/64');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    writeFileSync(file, topology(3));
    hosts.forEach((h, i) => {
      const extra = i === 0 ? ['--ws', WS_N1, '--ws-token-file', tokenFile] : [];
      const child = bed.start(h.netns, process.execPath, [
        BIRDCTL, 'agent', file, '--node', h.name, '--config', join(h.dir, 'bird6.conf'), '--socket', join(h.dir, 'bird6.ctl'), '--bird', '--poll-interval', '200',
        '--metrics', metricsTarget(i), '--metrics-token-file', tokenFile, ...extra,
      ], 'agent');
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => h.log.push(chunk));
      h.agent = child;
    });

    const port = await freeLoopbackPort();
    api = `http://127.0.0.1:${port}`;
    const config = bed.path('prometheus.yml');
    writeFileSync(config, stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      scrape_configs: [{
        job_name: 'birdctl',
        authorization: { type: 'Bearer', credentials_file: tokenFile },
        static_configs: [{ targets: hosts.map((_, i) => metricsTarget(i)) }],
      }],
    }));
    prometheus = bed.start(undefined, '/usr/bin/prometheus', [
      `--config.file=${config}`, `--storage.tsdb.path=${bed.path('prometheus-data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    ], 'prometheus');
    prometheus.stdout!.resume();
    prometheus.stderr!.setEncoding('utf8').on('data', (chunk: string) => prometheusLog.push(chunk));
    await waitFor('Prometheus ready', async () => ((await fetch(`${api}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 20_000, 200);
    await waitFor('metrics listening on every node', () => (hosts.every((h) => h.log.join('').includes('metrics listening')) ? true : undefined), 15_000, 50);
  }, 45_000);

  afterAll(async () => {
    // The agents first, so no supervisor restarts bird6; then bird6, which an agent leaves running
    // by design, by its pid file (before cleanup removes the dir); Prometheus by its PID in cleanup.
    await Promise.all(hosts.map((h) => (h.agent === undefined ? undefined : stop(h.agent))));
    for (const h of hosts) killByPidFile(join(h.dir, 'bird6.pid'));
    await bed.cleanup();
  });

  it('scrapes every agent: each target is up', async () => {
    const up = await seriesOf('up{job="birdctl"} == 1', NODES.length);
    expect(up.map((s) => s.metric.instance).sort()).toEqual(hosts.map((_, i) => metricsTarget(i)).sort());
  });

  it("has bird_protocol_up 1 for every BGP session of every node, with bird_exporter's labels", async () => {
    const sessions = await seriesOf('bird_protocol_up{proto="BGP",state="Established"} == 1', NODES.length * (NODES.length - 1), 30_000);
    for (const [i] of hosts.entries()) {
      const names = sessions.filter((s) => s.metric.instance === metricsTarget(i)).map((s) => s.metric.name).sort();
      expect(names).toEqual(NODES.map((_, j) => j).filter((j) => j !== i).map((j) => `Mesh_fd00_b7__${j + 1}`));
    }
    for (const s of sessions) {
      expect(Object.keys(s.metric).sort()).toEqual(['__name__', 'export_filter', 'import_filter', 'instance', 'ip_version', 'job', 'name', 'proto', 'state']);
      expect(s.metric.ip_version).toBe('6');
    }
    // Every other protocol series of bird_exporter is there for every session, too.
    for (const name of ['bird_protocol_uptime', 'bird_protocol_prefix_import_count', 'bird_protocol_prefix_export_count', 'bird_protocol_changes_update_import_receive_count', 'bird_protocol_changes_update_export_accept_count', 'bird_protocol_changes_withdraw_import_receive_count']) {
      expect((await query(`${name}{proto="BGP"}`)).length, name).toBe(NODES.length * (NODES.length - 1));
    }
    expect((await query('bird_socket_query_success == 1')).length).toBe(NODES.length);
  });

  it("has the controller's series for every agent", async () => {
    const perAgent = async (promql: string) => (await seriesOf(promql, NODES.length)).map((s) => Number(s.value[1]));
    // 0 or a time: the first apply is `pending` until bird6, started after it, confirms a resync.
    expect((await perAgent('birdctl_config_last_success_timestamp_seconds')).every((t) => t === 0 || Math.abs(t - Date.now() / 1000) < 120)).toBe(true);
    expect(await perAgent('birdctl_topology_generation')).toEqual([1, 1, 1]);
    expect((await perAgent('sum by (instance) (birdctl_config_applies_total)')).every((n) => n >= 1)).toBe(true);
    expect((await perAgent('birdctl_config_apply_duration_seconds_count')).every((n) => n >= 1)).toBe(true);
    expect((await perAgent('birdctl_endpoint_reconcile_duration_seconds_count')).every((n) => n >= 1)).toBe(true);
    expect((await perAgent('birdctl_monitor_polls_total')).every((n) => n > 0)).toBe(true);
    expect(await perAgent('birdctl_monitor_poll_errors_total')).toEqual([0, 0, 0]);
    expect((await perAgent('birdctl_monitor_poll_duration_seconds')).every((s) => s > 0 && s < 5)).toBe(true);
    await perAgent('birdctl_bird_restarts_total');
    expect((await query('birdctl_endpoints')).length).toBe(NODES.length * 3);
  });

  it('follows a topology edit: the generation moves to 2 on every agent', async () => {
    const edited = Date.now() / 1000;
    writeFileSync(file, topology(6));
    await seriesOf('birdctl_topology_generation == 2', NODES.length);
    // The new render written and loaded by the running bird6: an `applied`, a success just now.
    expect((await seriesOf('birdctl_config_applies_total{result="applied"} >= 1', NODES.length)).length).toBe(NODES.length);
    const successes = await seriesOf(`birdctl_config_last_success_timestamp_seconds >= ${Math.floor(edited) - 1}`, NODES.length);
    expect(successes.every((s) => Number(s.value[1]) <= Date.now() / 1000 + 1)).toBe(true);
  });

  it("passes promtool's lint on each agent's real output, but for bird_exporter's own names", async () => {
    for (const [i] of hosts.entries()) {
      const text = await (await scrape(i)).text();
      const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
        const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }));
        child.stdin!.end(text);
      });
      // 1 would be a format error; 3 is lint findings, and the only ones allowed are the `_count`
      // suffixes of bird_exporter's names, which its dashboards query and so must stay.
      expect([0, 3], output).toContain(code);
      const findings = output.split('\n').filter((line) => line.trim() !== '');
      for (const finding of findings) expect(finding).toMatch(/^bird_protocol_\w+_count non-histogram and non-summary metrics should not have "_count" suffix$/);
    }
  });

  it('answers only /metrics, only with the token; the stream beside it answers only its own path', async () => {
    expect((await scrape(0, {})).status).toBe(401);
    expect((await scrape(0, { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await scrape(0, undefined, '/')).status).toBe(404);
    const stream = (path: string) => fetch(`http://${WS_N1}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect((await stream('/metrics')).status).toBe(404);
    expect((await stream('/')).status).toBe(200);
  });
});
