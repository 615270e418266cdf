// Endpoint programming at scale: 200 interfaces (veths in a namespace of their own, prefix `epb`)
// with 50 addresses each, i.e. 10,000 /128 routes and 10,000 proxy NDP entries. Compared in the
// same run against the same operations as one raw `ip -6 -batch` (the floor for any netlink
// writer that goes through ip), and against one ip process per change, the naive way, on 500.
// Measured twice: the reconcile in this process, and whole `birdctl endpoints apply` processes
// (the compiled bin, reading the topology as a YAML file as an operator writes it, and keeping
// its record on disk) against the raw batch as a process too (issue 13's figures), beside
// diagnostics of where a process's time goes: Node's start, a Node process that only feeds the
// lines to ip (two-batches.mjs), `birdctl validate` of the same file. Two rows are sums of those
// medians: an apply process must validate the whole file before it changes anything, then run the
// reconcile, so validate plus the reconcile as fast as it runs warm in this process is the least a
// process can take; and the apply minus validate is its reconcile run once, in a fresh process.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpDataplane } from '../../src/endpoints/ip-dataplane.ts';
import { MemoryLedgerStore } from '../../src/endpoints/ledger.ts';
import { isNoop, reconcile } from '../../src/endpoints/reconcile.ts';
import { processRunner } from '../../src/exec.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { compiledBirdctl } from './compiled-birdctl.ts';
import { percentiles, type BenchSuite, type KeyFigure } from './suite.ts';

const NS = 'epb-host';
const INTERFACES = 200;
const PER_INTERFACE = 50;
const RUNS = 5;
/** Rounds of the whole-process rows, more than RUNS: a process's time varies more than an in-process run's. */
const PROCESS_RUNS = 9;
/** The floor diagnostic: Node's start and the two batch processes (its header says more). */
const TWO_BATCHES = join(import.meta.dirname, 'two-batches.mjs');
const NAIVE_ROUTES = 500;
/** The whole-process no-op goal of issue 13, in ms. */
const NOOP_PROCESS_GOAL_MS = 500;

const ifname = (i: number) => `epb-if${i}`;
const address = (i: number, j: number) => `fd00:10:${(i + 1).toString(16)}::${(j + 1).toString(16)}`;

function ip(args: string[], input?: string): string {
  return execFileSync('ip', ['-n', NS, ...args], { encoding: 'utf8', input, maxBuffer: 256 * 2 ** 20 });
}

function setUp(): void {
  try {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  } catch {
    // not left over from an earlier run
  }
  execFileSync('ip', ['netns', 'add', NS]);
  const lines = ['link add eth0 type veth peer name eth0p', 'link set eth0 up', 'addr add fd00:ec::1/64 dev eth0 nodad'];
  for (let i = 0; i < INTERFACES; i += 1) lines.push(`link add ${ifname(i)} type veth peer name epb-p${i}`, `link set ${ifname(i)} up`);
  ip(['-batch', '-'], `${lines.join('\n')}\n`);
}

function pairs(): Array<[number, number]> {
  return Array.from({ length: INTERFACES * PER_INTERFACE }, (_, k) => [Math.floor(k / PER_INTERFACE), k % PER_INTERFACE]);
}

/** Removes every route and proxy entry the programmer (or the raw batch) made: back to empty. */
function clear(): void {
  ip(['-6', 'route', 'flush', 'proto', '80']);
  const proxies = JSON.parse(ip(['-6', '-json', 'neigh', 'show', 'proxy']) || '[]') as Array<{ dst: string; dev: string }>;
  if (proxies.length > 0) ip(['-6', '-batch', '-'], proxies.map((p) => `neigh del proxy ${p.dst} dev ${p.dev}\n`).join(''));
}

interface BenchEndpoint {
  name: string;
  node: string;
  kind: string;
  interface: string;
  addresses: string[];
}

interface BenchDocument {
  apiVersion: string;
  cluster: object;
  ipPools: object[];
  nodes: object[];
  endpoints: BenchEndpoint[];
}

/**
 * The bench topology as YAML as an operator writes it, one flow sequence of addresses per
 * endpoint (the small parts as JSON, which is YAML too).
 */
function topologyYaml(d: BenchDocument): string {
  const lines = [`apiVersion: ${d.apiVersion}`, `cluster: ${JSON.stringify(d.cluster)}`, `ipPools: ${JSON.stringify(d.ipPools)}`, `nodes: ${JSON.stringify(d.nodes)}`, 'endpoints:'];
  for (const e of d.endpoints) {
    lines.push(`  - {name: ${e.name}, node: ${e.node}, kind: ${e.kind}, interface: ${e.interface}, addresses: [${e.addresses.map((a) => `"${a}"`).join(', ')}]}`);
  }
  return `${lines.join('\n')}\n`;
}

async function timed(fn: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function series(runs: number, before: () => void, fn: () => unknown): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < runs; r += 1) {
    before();
    times.push(await timed(fn));
  }
  return times;
}

export const endpointsApplySuite: BenchSuite = {
  name: 'endpoints-apply',
  title: 'Endpoint programming: 10,000 /128 routes + proxy entries (200 interfaces x 50 addresses)',
  async run() {
    const bin = compiledBirdctl();
    setUp();
    const dir = mkdtempSync(join(tmpdir(), 'epb-'));
    try {
      const document: BenchDocument = {
        apiVersion: 'bird6-controller/v1',
        cluster: { name: 'bench', asNumber: 64512 },
        ipPools: [{ cidr: 'fd00:10::/32' }],
        nodes: [{ name: 'node1', address: 'fd00:ec::1' }],
        endpoints: Array.from({ length: INTERFACES }, (_, i) => ({
          name: `ep-${i}`,
          node: 'node1',
          kind: 'container',
          interface: ifname(i),
          addresses: Array.from({ length: PER_INTERFACE }, (_, j) => address(i, j)),
        })),
      };
      const topology = parseTopology(document);
      const dataplane = new IpDataplane({ runner: processRunner, netns: NS });
      const ledger = new MemoryLedgerStore();
      const apply = async () => {
        const summary = await reconcile({ dataplane, ledger, topology, nodeName: 'node1' });
        if (summary.failed.length > 0) throw new Error(`bench apply failed: ${JSON.stringify(summary.failed[0])}`);
        return summary;
      };
      const rawBatch = pairs()
        .flatMap(([i, j]) => [`route replace ${address(i, j)}/128 dev ${ifname(i)} proto 80 scope link`, `neigh replace proxy ${address(i, j)} dev eth0`])
        .join('\n');
      const raw = () => execFileSync('ip', ['netns', 'exec', NS, 'ip', '-6', '-batch', '-', '-force'], { input: `${rawBatch}\n` });
      // A diagnostic, not a baseline: the same lines as two raw processes at once, routes in one and
      // proxy entries in the other, as the programmer writes a host phase with many proxy entries
      // (src/endpoints/ip-dataplane.ts). What the kernel allows on this machine's cores.
      const rawLines = rawBatch.split('\n');
      const rawHalves = [rawLines.filter((l) => l.startsWith('route ')), rawLines.filter((l) => l.startsWith('neigh '))];
      const rawProcess = (lines: string[]) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn('ip', ['netns', 'exec', NS, 'ip', '-6', '-batch', '-', '-force'], { stdio: ['pipe', 'ignore', 'inherit'] });
          child.once('error', reject);
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ip -batch exit ${code}`))));
          child.stdin.end(`${lines.join('\n')}\n`);
        });
      const rawSplit = () => Promise.all(rawHalves.map(rawProcess));

      // Warm up both (first sysctl writes, page cache), then alternate so drift hits both alike.
      clear();
      await apply();
      clear();
      raw();
      const applyTimes: number[] = [];
      const rawTimes: number[] = [];
      for (let r = 0; r < RUNS; r += 1) {
        applyTimes.push(...(await series(1, clear, apply)));
        rawTimes.push(...(await series(1, clear, raw)));
      }
      const routes = (JSON.parse(ip(['-6', '-json', 'route', 'show', 'proto', '80'])) as unknown[]).length;
      clear();
      await apply();
      const noop = await apply();
      if (!isNoop(noop)) throw new Error('the second apply was not a no-op');
      const noopTimes = await series(RUNS, () => {}, apply);

      // Whole processes: `birdctl endpoints apply` from empty (routes, proxies and record gone)
      // against the raw batch process, alternating; then no-op runs on what the last one made.
      const file = join(dir, 'topology.yaml');
      writeFileSync(file, topologyYaml(document));
      const record = join(dir, 'endpoints-owned.json');
      const birdctl = () => execFileSync(process.execPath, [bin, 'endpoints', 'apply', file, '--node', 'node1', '--netns', NS, '--record', record], { encoding: 'utf8' });
      const fromEmpty = () => {
        clear();
        rmSync(record, { force: true });
      };
      // Diagnostics of where a process's time goes, in the same rounds: Node's start alone; Node
      // feeding the same lines to two batch processes (nothing read or computed: the floor of a Node
      // program); and `birdctl validate` of the same file (start-up, YAML, schema and checks: what an
      // apply does before it reads the host).
      const halves = rawHalves.map((lines, k) => {
        const path = join(dir, `raw-${k}.batch`);
        writeFileSync(path, `${lines.join('\n')}\n`);
        return path;
      });
      const nodeOnly = () => execFileSync(process.execPath, ['-e', '0']);
      const nodeBatches = () => execFileSync(process.execPath, [TWO_BATCHES, NS, ...halves], { stdio: ['ignore', 'ignore', 'inherit'] });
      const validate = () => execFileSync(process.execPath, [bin, 'validate', file]);
      fromEmpty();
      birdctl();
      const processTimes: number[] = [];
      const rawProcessTimes: number[] = [];
      const rawSplitTimes: number[] = [];
      const nodeTimes: number[] = [];
      const nodeBatchesTimes: number[] = [];
      const validateTimes: number[] = [];
      for (let r = 0; r < PROCESS_RUNS; r += 1) {
        processTimes.push(...(await series(1, fromEmpty, birdctl)));
        rawProcessTimes.push(...(await series(1, clear, raw)));
        rawSplitTimes.push(...(await series(1, clear, rawSplit)));
        nodeTimes.push(...(await series(1, () => {}, nodeOnly)));
        nodeBatchesTimes.push(...(await series(1, clear, nodeBatches)));
        validateTimes.push(...(await series(1, () => {}, validate)));
      }
      fromEmpty();
      birdctl();
      if (!/nothing to change/.test(birdctl())) throw new Error('the second birdctl endpoints apply was not a no-op');
      const noopProcessTimes = await series(RUNS, () => {}, birdctl);
      // The same no-op with the topology as JSON: how much of a process is the YAML parser's.
      const jsonFile = join(dir, 'topology.json');
      writeFileSync(jsonFile, JSON.stringify(document));
      const noopJsonTimes = await series(RUNS, () => {}, () => execFileSync(process.execPath, [bin, 'endpoints', 'apply', jsonFile, '--node', 'node1', '--netns', NS, '--record', record]));

      const naivePairs = pairs().slice(0, NAIVE_ROUTES);
      const naive = await series(1, clear, () => {
        for (const [i, j] of naivePairs) execFileSync('ip', ['-n', NS, '-6', 'route', 'replace', `${address(i, j)}/128`, 'dev', ifname(i), 'proto', '80', 'scope', 'link']);
      });
      const naiveBatchLines = naivePairs.map(([i, j]) => `route replace ${address(i, j)}/128 dev ${ifname(i)} proto 80 scope link`).join('\n');
      const naiveBatch = await series(RUNS, clear, () => execFileSync('ip', ['-n', NS, '-6', '-batch', '-'], { input: `${naiveBatchLines}\n` }));

      const a = percentiles(applyTimes);
      const b = percentiles(rawTimes);
      const n = percentiles(noopTimes);
      const p = percentiles(processTimes);
      const rp = percentiles(rawProcessTimes);
      const rs = percentiles(rawSplitTimes);
      const np = percentiles(noopProcessTimes);
      const no = percentiles(nodeTimes);
      const nb = percentiles(nodeBatchesTimes);
      const va = percentiles(validateTimes);
      const nj = percentiles(noopJsonTimes);
      const naiveMs = naive[0]!;
      const naiveBatchMs = percentiles(naiveBatch).p50;
      const f = (ms: number) => ms.toFixed(1);
      const figures: KeyFigure[] = [
        { figure: '`reconcile` of 10,000 routes from empty / raw batch', measured: a.p50 / b.p50, unit: 'x', goal: { atMost: 2 } },
        { figure: '`reconcile` no-op of 10,000 routes', measured: n.p50, unit: 'ms', goal: { atMost: 300 } },
        { figure: '`birdctl endpoints apply` process, 10,000 routes from empty / raw batch process', measured: p.p50 / rp.p50, unit: 'x', goal: { atMost: 2 } },
        { figure: '`birdctl endpoints apply` process, no-op of 10,000 routes', measured: np.p50, unit: 'ms', goal: { atMost: NOOP_PROCESS_GOAL_MS } },
      ];
      const markdown = `
Routes installed per apply: ${routes} (plus as many proxy entries on the uplink). Median of ${RUNS} runs in this process, ${PROCESS_RUNS} rounds of the whole processes (each row once per round, in turn), min-max in brackets.

| operation | median ms | range ms | ratio |
|---|---:|---:|---:|
| raw \`ip -6 -batch\`: 10,000 route + 10,000 proxy lines (baseline) | ${f(b.p50)} | ${f(b.min)}-${f(b.max)} | 1.00 |
| \`reconcile\` from empty (read, diff, one batch, sysctls) | ${f(a.p50)} | ${f(a.min)}-${f(a.max)} | ${(a.p50 / b.p50).toFixed(2)} x baseline (target <= 2) |
| \`reconcile\` with nothing to change (no-op) | ${f(n.p50)} | ${f(n.min)}-${f(n.max)} | ${(n.p50 / 300).toFixed(2)} x the 300 ms target |
| raw \`ip -6 -batch\` process (\`ip netns exec\`), same lines (process baseline) | ${f(rp.p50)} | ${f(rp.min)}-${f(rp.max)} | 1.00 |
| the same lines as two raw processes at once, routes beside proxy entries (diagnostic) | ${f(rs.p50)} | ${f(rs.min)}-${f(rs.max)} | ${(rs.p50 / rp.p50).toFixed(2)} x process baseline |
| \`birdctl endpoints apply\` process from empty (YAML topology, record on disk) | ${f(p.p50)} | ${f(p.min)}-${f(p.max)} | ${(p.p50 / rp.p50).toFixed(2)} x process baseline (target <= 2) |
| diagnostic: \`node -e 0\` | ${f(no.p50)} | ${f(no.min)}-${f(no.max)} | ${(no.p50 / rp.p50).toFixed(2)} x process baseline |
| diagnostic: a Node process feeding the same lines to two batch processes at once (nothing read or computed: a Node program's floor) | ${f(nb.p50)} | ${f(nb.min)}-${f(nb.max)} | ${(nb.p50 / rp.p50).toFixed(2)} x process baseline |
| diagnostic: \`birdctl validate\` of the same topology (start-up, YAML, schema, checks) | ${f(va.p50)} | ${f(va.min)}-${f(va.max)} | ${(va.p50 / rp.p50).toFixed(2)} x process baseline |
| diagnostic: the least a process that validates before it changes anything can take: \`validate\` plus the reconcile from empty warm in this process, record in memory (medians summed) | ${f(va.p50 + a.p50)} | - | ${((va.p50 + a.p50) / rp.p50).toFixed(2)} x process baseline |
| diagnostic: the apply process's own reconcile, run once in a fresh process (apply minus \`validate\`, medians) | ${f(p.p50 - va.p50)} | - | ${((p.p50 - va.p50) / a.p50).toFixed(2)} x the same reconcile warm |
| \`birdctl endpoints apply\` process with nothing to change (no-op) | ${f(np.p50)} | ${f(np.min)}-${f(np.max)} | ${(np.p50 / NOOP_PROCESS_GOAL_MS).toFixed(2)} x the ${NOOP_PROCESS_GOAL_MS} ms target |
| the same no-op process with the topology as JSON (no YAML parser) | ${f(nj.p50)} | ${f(nj.min)}-${f(nj.max)} | ${(nj.p50 / NOOP_PROCESS_GOAL_MS).toFixed(2)} x the ${NOOP_PROCESS_GOAL_MS} ms target |
| naive: one \`ip\` process per route, ${NAIVE_ROUTES} routes | ${f(naiveMs)} | - | ${(naiveMs / naiveBatchMs).toFixed(0)} x one batch of the same ${NAIVE_ROUTES} (${f(naiveBatchMs)} ms) |
`;
      return { markdown, figures };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    }
  },
};
