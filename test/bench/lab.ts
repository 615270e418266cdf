// Lab bring-up (start of `lab up` to every session Established and every route everywhere) for the
// 3-node example and the 6-node route-reflector topology, and endpoint convergence on the running
// RR lab: from the topology file's rename to the route in every other host's kernel, timestamped
// by each kernel's own notifications (`ip -ts monitor route` in every node namespace).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execaRunner, type RunningProcess } from '../../src/exec.ts';
import { labDown } from '../../src/lab/down.ts';
import type { UpReport } from '../../src/lab/up.ts';
import { addContainerNamespace, editTopology } from '../lab/lab-driver.ts';
import { topologyCopy } from '../lab/topology-copy.ts';
import { compiledBirdctl } from './compiled-birdctl.ts';
import { percentiles, type BenchSuite, type KeyFigure } from './suite.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const RUNS = 3;
const ENDPOINTS = 100;
const BATCH = 10;

/**
 * `lab up` from the compiled build, so its agents and orchestrator run the compiled bin, as they
 * do for `npx birdctl lab up` (src/birdctl-self.ts); from the sources they would run through tsx.
 */
async function compiledLabUp(): Promise<typeof import('../../src/lab/up.ts')> {
  return import(new URL('../lab/up.js', pathToFileURL(compiledBirdctl())).href);
}

async function bringUp(topology: string, prefix: string, work: string, keep = false): Promise<{ report: UpReport; file: string; stateDir: string }> {
  const stateDir = join(work, `${prefix}-state`);
  const file = topologyCopy(topology, work, prefix);
  await labDown({ stateDir, prefix }, { runner: execaRunner, sleep });
  const { birdctlAgentLauncher, labUp } = await compiledLabUp();
  const report = await labUp(
    { topologyFile: file, prefix, stateDir, timeoutMs: 60_000 },
    { runner: execaRunner, launcher: birdctlAgentLauncher(execaRunner), now: () => new Date(), sleep },
  );
  if (!keep) await labDown({ stateDir, prefix }, { runner: execaRunner, sleep });
  return { report, file, stateDir };
}

// `ip -ts monitor route` lines:
//   [2026-11-26T10:07:32.250123] fd00:20::1000 via fd00:ec::101 dev eth0 proto bird metric 32 pref medium
//   [2026-11-26T10:07:40.101911] Deleted fd00:20::1000 via fd00:ec::101 dev eth0 proto bird metric 32 pref medium
const MONITOR_LINE = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] (Deleted )?(\S+) /;

interface RouteEvent {
  atMs: number;
  deleted: boolean;
}

/** Watches a namespace's route table; events per destination, in kernel time (epoch ms). */
function monitor(netns: string, events: Map<string, RouteEvent[]>): RunningProcess {
  return execaRunner.start('ip', ['-n', netns, '-ts', 'monitor', 'route'], {
    onLine: (line) => {
      const m = MONITOR_LINE.exec(line);
      if (m === null) return;
      // ip prints local time without a zone; Date parses such a string as local time too.
      const key = `${netns} ${m[3]}`;
      const list = events.get(key) ?? [];
      list.push({ atMs: new Date(m[1]!).getTime(), deleted: m[2] !== undefined });
      events.set(key, list);
    },
  });
}

function latest(events: Map<string, RouteEvent[]>, namespaces: string[], address: string, deleted: boolean, since: number): number | undefined {
  let worst = 0;
  for (const ns of namespaces) {
    const hit = (events.get(`${ns} ${address}`) ?? []).find((e) => e.deleted === deleted && e.atMs >= since);
    if (hit === undefined) return undefined;
    worst = Math.max(worst, hit.atMs);
  }
  return worst;
}

async function waitAll(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`benchmark: timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Convergence {
  total: number[];
  /** file rename -> the route in its own node's kernel (the agent's share) */
  local: number[];
  /** own kernel -> the last other kernel (bird6 and BGP's share) */
  propagation: number[];
}

/**
 * Adds ENDPOINTS container endpoints to the running lab's topology file in batches of BATCH
 * (one atomic rename per batch, then waits until the batch is everywhere), then removes them the
 * same way. Each endpoint's time counts from its batch's rename.
 */
async function convergence(file: string, report: UpReport, prefix: string, deleted: boolean, events: Map<string, RouteEvent[]>, owners: string[]): Promise<Convergence> {
  const result: Convergence = { total: [], local: [], propagation: [] };
  const nodes = report.plan.nodes;
  for (let start = 0; start < ENDPOINTS; start += BATCH) {
    const batch = Array.from({ length: BATCH }, (_, i) => start + i);
    const t0 = Date.now();
    editTopology(file, (doc) => {
      if (deleted) doc.endpoints = doc.endpoints.filter((e) => !e.name.startsWith('bench-') || !batch.includes(Number(e.name.slice(6))));
      else for (const i of batch) doc.endpoints.push({ name: `bench-${i}`, node: owners[i]!, kind: 'container', addresses: [address(i)], netns: `${prefix}-b${i}` });
    });
    const others = (i: number) => nodes.filter((n) => n.name !== owners[i]).map((n) => n.netns);
    const own = (i: number) => nodes.find((n) => n.name === owners[i])!.netns;
    await waitAll(`batch ${start} ${deleted ? 'withdrawn' : 'installed'}`, () => batch.every((i) => latest(events, others(i), address(i), deleted, t0) !== undefined), 20_000);
    for (const i of batch) {
      const everywhere = latest(events, others(i), address(i), deleted, t0)!;
      const local = latest(events, [own(i)], address(i), deleted, t0) ?? everywhere;
      result.total.push(everywhere - t0);
      result.local.push(local - t0);
      result.propagation.push(everywhere - local);
    }
    await sleep(200);
  }
  return result;
}

const address = (i: number) => `fd00:20::${(0x1000 + i).toString(16)}`;

function row(what: string, values: number[]): string {
  const p = percentiles(values);
  return `| ${what} | ${p.p50.toFixed(0)} | ${p.p95.toFixed(0)} | ${p.max.toFixed(0)} |`;
}

export const labSuite: BenchSuite = {
  name: 'lab',
  title: 'Lab bring-up and endpoint convergence (issue 6)',
  async run() {
    const work = mkdtempSync(join(tmpdir(), 'bench-lab-'));
    // dnsmasq drops to nobody and must still read its hosts file below the state dir.
    chmodSync(work, 0o755);
    const monitors: RunningProcess[] = [];
    try {
      const ups: Record<string, UpReport[]> = { 'example.yaml (3 nodes, mesh, 2 containers + 1 VM)': [], 'route-reflectors.yaml (6 nodes: 2 RR + 4 clients, 4 containers)': [] };
      const [exampleKey, rrKey] = Object.keys(ups) as [string, string];
      for (let i = 0; i < RUNS; i += 1) {
        ups[exampleKey]!.push((await bringUp('example.yaml', 'bbx', work)).report);
        ups[rrKey]!.push((await bringUp('route-reflectors.yaml', 'bbr', work)).report);
      }

      const lab = await bringUp('route-reflectors.yaml', 'bbr', work, true);
      const clients = lab.report.topology.nodes.filter((n) => n.routeReflectorClient !== undefined).map((n) => n.name);
      const owners = Array.from({ length: ENDPOINTS }, (_, i) => clients[i % clients.length]!);
      for (let i = 0; i < ENDPOINTS; i += 1) await addContainerNamespace(`bbr-b${i}`);
      const events = new Map<string, RouteEvent[]>();
      for (const node of lab.report.plan.nodes) monitors.push(monitor(node.netns, events));
      await sleep(300);
      const added = await convergence(lab.file, lab.report, 'bbr', false, events, owners);
      const removed = await convergence(lab.file, lab.report, 'bbr', true, events, owners);

      const upRow = (name: string, reports: UpReport[]) => {
        const med = (pick: (r: UpReport) => number) => percentiles(reports.map(pick)).p50.toFixed(0);
        return `| ${name} | ${med((r) => r.elapsedMs)} | ${med((r) => r.phases.built)} | ${med((r) => r.phases.sessions)} | ${med((r) => r.phases.routes)} | ${reports[0]!.plan.vms.length > 0 ? med((r) => r.phases.vms) : 'no VMs'} |`;
      };
      const figures: KeyFigure[] = [
        { figure: '`lab up` of example.yaml (3 nodes), median', measured: percentiles(ups[exampleKey]!.map((r) => r.elapsedMs)).p50, unit: 'ms', goal: { below: 5000 } },
        { figure: `6-node RR lab, ${BATCH} endpoints per edit: added, rename -> every other kernel, p95`, measured: percentiles(added.total).p95, unit: 'ms', goal: { below: 300 } },
      ];
      const markdown = [
        `Bring-up: median of ${RUNS} runs of \`lab up\` (real agents, real bird6), ms from the start; the columns show when each part was first complete. Target for the example: < 5,000 ms.`,
        '',
        '| topology | total | hosts built + agents started | all sessions Established | all routes everywhere | VMs addressed (DHCPv6) |',
        '|---|---|---|---|---|---|',
        upRow(exampleKey, ups[exampleKey]!),
        upRow(rrKey, ups[rrKey]!),
        '',
        `Convergence on the running 6-node RR lab: ${ENDPOINTS} container endpoints on the 4 clients, added to the topology file ${BATCH} at a time (one atomic rename per batch, the next batch after the previous one is everywhere) and then removed the same way. Each endpoint's time runs from its batch's rename to the kernel timestamp (\`ip -ts monitor route\`) of its route in the last of the 5 other hosts; "own kernel" is the route's arrival in its own node's kernel (the agent: file watch, debounce, veth and route programming), "propagation" the rest (bird6 learns it, BGP through a reflector, the other kernels install it). Target: p95 < 500 ms.`,
        '',
        '| ms | p50 | p95 | max |',
        '|---|---|---|---|',
        row('added: rename -> every other kernel', added.total),
        row('added: rename -> own kernel (agent)', added.local),
        row('added: own kernel -> every other kernel (BGP)', added.propagation),
        row('removed: rename -> gone from every other kernel', removed.total),
        row('removed: rename -> gone from own kernel (agent)', removed.local),
        row('removed: own kernel -> gone everywhere (BGP)', removed.propagation),
      ].join('\n');
      return { markdown, figures };
    } finally {
      for (const m of monitors) m.kill();
      await labDown({ stateDir: join(work, 'bbr-state'), prefix: 'bbr' }, { runner: execaRunner, sleep });
      await labDown({ stateDir: join(work, 'bbx-state'), prefix: 'bbx' }, { runner: execaRunner, sleep });
      rmSync(work, { recursive: true, force: true });
    }
  },
};
