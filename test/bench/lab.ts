// Lab bring-up (start of `lab up` to every session Established and every route everywhere) for the
// 3-node example and the 6-node route-reflector topology, and endpoint convergence on both running
// labs (one endpoint per edit on the example, ten per edit on the RR lab): from the topology file's
// rename to the route in every other host's kernel, timestamped by each kernel's own notifications
// (`ip -ts monitor route` in every node namespace).
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processRunner, type RunningProcess } from '../../src/exec.ts';
import { labDown } from '../../src/lab/down.ts';
import { statePath } from '../../src/lab/state.ts';
import { birdctlOrchestratorLauncher } from '../../src/lab/orchestrator-process.ts';
import { birdctlAgentLauncher, labUp, type UpReport } from '../../src/lab/up.ts';
import { addContainerNamespace, editTopology } from '../lab/lab-driver.ts';
import { topologyCopy } from '../lab/topology-copy.ts';
import { formatIPv6, parseIPv6 } from '../../src/topology/ipv6.ts';
import { compiledBirdctl } from './compiled-birdctl.ts';
import { percentiles, type BenchSuite, type KeyFigure } from './suite.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const RUNS = 3;

/** One convergence run: how many endpoints, added (then removed) how many per edit. */
interface Scenario {
  endpoints: number;
  perEdit: number;
}
/** The 3-node example: one endpoint per edit, the common case of a container starting. */
const ONE_PER_EDIT: Scenario = { endpoints: 20, perEdit: 1 };
/** The 6-node RR lab: a burst of ten per edit, up to 25 endpoints per client node. */
const TEN_PER_EDIT: Scenario = { endpoints: 100, perEdit: 10 };


async function bringUp(topology: string, prefix: string, work: string, keep = false): Promise<{ report: UpReport; file: string; stateDir: string }> {
  const stateDir = join(work, `${prefix}-state`);
  const file = topologyCopy(topology, work, prefix);
  await labDown({ stateDir, prefix }, { runner: processRunner, sleep });
  // The agents and the orchestrator run the compiled bin, as they do for `npx birdctl lab up`;
  // started from these sources they would run through tsx (src/birdctl-self.ts).
  const bin = compiledBirdctl();
  const report = await labUp(
    { topologyFile: file, prefix, stateDir, timeoutMs: 60_000 },
    { runner: processRunner, launcher: birdctlAgentLauncher(processRunner, undefined, bin), orchestrator: birdctlOrchestratorLauncher(processRunner, undefined, bin), now: () => new Date(), sleep },
  );
  if (!keep) await labDown({ stateDir, prefix }, { runner: processRunner, sleep });
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
  return processRunner.start('ip', ['-n', netns, '-ts', 'monitor', 'route'], {
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
  /** file rename -> the orchestrator's rename of the agents' copy (the lab's hop) */
  published: number[];
  /** the agents' copy renamed -> the last other kernel: the path where the file reaches every host directly */
  afterPublish: number[];
}

/** What one convergence run needs of a running lab. */
interface RunningLab {
  file: string;
  /** the copy the orchestrator publishes to the agents (state.json's agentTopology) */
  agentTopology: string;
  report: UpReport;
  prefix: string;
  events: Map<string, RouteEvent[]>;
  /** the node of each endpoint */
  owners: string[];
  /** the address of each endpoint, inside the lab's first pool */
  address: (i: number) => string;
}

/**
 * Adds the scenario's container endpoints to the running lab's topology file, perEdit at a time
 * (one atomic rename per edit, then waits until the edit is everywhere), then removes them the
 * same way. Each endpoint's time counts from its edit's rename.
 */
async function convergence(lab: RunningLab, scenario: Scenario, deleted: boolean): Promise<Convergence> {
  const { file, agentTopology, report, prefix, events, owners, address } = lab;
  const result: Convergence = { total: [], local: [], propagation: [], published: [], afterPublish: [] };
  const nodes = report.plan.nodes;
  for (let start = 0; start < scenario.endpoints; start += scenario.perEdit) {
    const batch = Array.from({ length: scenario.perEdit }, (_, i) => start + i);
    editTopology(file, (doc) => {
      if (deleted) doc.endpoints = doc.endpoints.filter((e) => !e.name.startsWith('bench-') || !batch.includes(Number(e.name.slice(6))));
      else for (const i of batch) doc.endpoints.push({ name: `bench-${i}`, node: owners[i]!, kind: 'container', addresses: [address(i)], netns: `${prefix}-b${i}` });
    });
    // From the rename, which editTopology does last (not from before its YAML parse and dump of
    // the whole file, tens of ms under load: that is the bench's editor, not the system), as the
    // kernel stamped it: the renamed file's ctime. That clock is coarse and may lag a tick behind,
    // so a time counted from it is a tick long at most, never short.
    const t0 = statSync(file).ctimeMs;
    const others = (i: number) => nodes.filter((n) => n.name !== owners[i]).map((n) => n.netns);
    const own = (i: number) => nodes.find((n) => n.name === owners[i])!.netns;
    await waitAll(`batch ${start} ${deleted ? 'withdrawn' : 'installed'}`, () => batch.every((i) => latest(events, others(i), address(i), deleted, t0) !== undefined), 20_000);
    // A rename sets the renamed inode's ctime: the kernel's time of the orchestrator's publish
    // (its coarse clock, a tick behind at most; the copy is written once per edit).
    const published = statSync(agentTopology).ctimeMs;
    for (const i of batch) {
      const everywhere = latest(events, others(i), address(i), deleted, t0)!;
      const local = latest(events, [own(i)], address(i), deleted, t0) ?? everywhere;
      result.total.push(everywhere - t0);
      result.local.push(local - t0);
      result.propagation.push(everywhere - local);
      result.published.push(published - t0);
      result.afterPublish.push(everywhere - published);
    }
    await sleep(200);
  }
  return result;
}

/** Endpoint addresses from ::1000 up in the lab's first pool, clear of the shipped endpoints'. */
function poolAddresses(report: UpReport): (i: number) => string {
  const base = parseIPv6(report.topology.ipPools[0]!.cidr.split('/')[0]!)!;
  return (i) => formatIPv6(base + BigInt(0x1000 + i));
}

/**
 * Brings a lab up (kept), makes the scenario's container namespaces as an orchestrator would,
 * watches every node's kernel, and measures additions then removals; takes the lab down after.
 */
async function measureConvergence(topology: string, prefix: string, work: string, scenario: Scenario, ownerNodes: (report: UpReport) => string[]): Promise<{ added: Convergence; removed: Convergence }> {
  const monitors: RunningProcess[] = [];
  try {
    const { report, file, stateDir } = await bringUp(topology, prefix, work, true);
    const agentTopology = (JSON.parse(readFileSync(statePath(stateDir), 'utf8')) as { agentTopology: string }).agentTopology;
    const candidates = ownerNodes(report);
    const owners = Array.from({ length: scenario.endpoints }, (_, i) => candidates[i % candidates.length]!);
    for (let i = 0; i < scenario.endpoints; i += 1) await addContainerNamespace(`${prefix}-b${i}`);
    const events = new Map<string, RouteEvent[]>();
    for (const node of report.plan.nodes) monitors.push(monitor(node.netns, events));
    await sleep(300);
    const lab: RunningLab = { file, agentTopology, report, prefix, events, owners, address: poolAddresses(report) };
    const added = await convergence(lab, scenario, false);
    const removed = await convergence(lab, scenario, true);
    return { added, removed };
  } finally {
    for (const m of monitors) m.kill();
    await labDown({ stateDir: join(work, `${prefix}-state`), prefix }, { runner: processRunner, sleep });
  }
}

function convergenceRows(added: Convergence, removed: Convergence): string[] {
  return [
    '| ms | p50 | p95 | max |',
    '|---|---|---|---|',
    row('added: rename -> every other kernel', added.total),
    row('added: rename -> own kernel (agent)', added.local),
    row('added: own kernel -> every other kernel (BGP)', added.propagation),
    row('added: rename -> orchestrator published (lab hop)', added.published),
    row('added: published -> every other kernel (no lab hop)', added.afterPublish),
    row('removed: rename -> gone from every other kernel', removed.total),
    row('removed: rename -> gone from own kernel (agent)', removed.local),
    row('removed: own kernel -> gone everywhere (BGP)', removed.propagation),
    row('removed: rename -> orchestrator published (lab hop)', removed.published),
    row('removed: published -> gone everywhere (no lab hop)', removed.afterPublish),
  ];
}

function row(what: string, values: number[]): string {
  const p = percentiles(values);
  return `| ${what} | ${p.p50.toFixed(0)} | ${p.p95.toFixed(0)} | ${p.max.toFixed(0)} |`;
}

export const labSuite: BenchSuite = {
  name: 'lab',
  title: 'Lab bring-up and endpoint convergence (issues 6 and 13)',
  async run() {
    const work = mkdtempSync(join(tmpdir(), 'bench-lab-'));
    // dnsmasq drops to nobody and must still read its hosts file below the state dir.
    chmodSync(work, 0o755);
    try {
      const ups: Record<string, UpReport[]> = { 'example.yaml (3 nodes, mesh, 2 containers + 1 VM)': [], 'route-reflectors.yaml (6 nodes: 2 RR + 4 clients, 4 containers)': [] };
      const [exampleKey, rrKey] = Object.keys(ups) as [string, string];
      for (let i = 0; i < RUNS; i += 1) {
        ups[exampleKey]!.push((await bringUp('example.yaml', 'bbx', work)).report);
        ups[rrKey]!.push((await bringUp('route-reflectors.yaml', 'bbr', work)).report);
      }

      const mesh = await measureConvergence('example.yaml', 'bbx', work, ONE_PER_EDIT, (r) => r.topology.nodes.map((n) => n.name));
      const rr = await measureConvergence('route-reflectors.yaml', 'bbr', work, TEN_PER_EDIT, (r) => r.topology.nodes.filter((n) => n.routeReflectorClient !== undefined).map((n) => n.name));

      const upRow = (name: string, reports: UpReport[]) => {
        const med = (pick: (r: UpReport) => number) => percentiles(reports.map(pick)).p50.toFixed(0);
        return `| ${name} | ${med((r) => r.elapsedMs)} | ${med((r) => r.phases.built)} | ${med((r) => r.phases.sessions)} | ${med((r) => r.phases.routes)} | ${reports[0]!.plan.vms.length > 0 ? med((r) => r.phases.vms) : 'no VMs'} |`;
      };
      const figures: KeyFigure[] = [
        { figure: '`lab up` of example.yaml (3 nodes), median', measured: percentiles(ups[exampleKey]!.map((r) => r.elapsedMs)).p50, unit: 'ms', goal: { below: 5000 } },
        { figure: '3-node lab, 1 endpoint per edit: added, rename -> every other kernel, p95', measured: percentiles(mesh.added.total).p95, unit: 'ms', goal: { below: 100 } },
        { figure: `6-node RR lab, ${TEN_PER_EDIT.perEdit} endpoints per edit: added, rename -> every other kernel, p95`, measured: percentiles(rr.added.total).p95, unit: 'ms', goal: { below: 300 } },
      ];
      const how =
        'Each endpoint\'s time runs from its edit\'s rename of the lab\'s topology file to the kernel timestamp (`ip -ts monitor route`) of its route in the last of the other hosts. The path: the lab\'s orchestrator sees the rename and publishes the file to the agents\' copy (the lab\'s hop: no such hop where the file reaches every host directly), the owning agent sees that rename (no debounce: a rename is complete when it happens), loads and validates the file and programs the endpoint (veth, addresses, route, proxy NDP, sysctls) before it applies the bird6 config; "own kernel" is the route\'s arrival in its own node\'s kernel, "propagation" the rest (bird6 learns it from netlink, BGP, the other kernels install it).';
      const markdown = [
        `Bring-up: median of ${RUNS} runs of \`lab up\` (real agents, real bird6), ms from the start; the columns show when each part was first complete. Target for the example: < 5,000 ms.`,
        '',
        '| topology | total | hosts built + agents started | all sessions Established | all routes everywhere | VMs addressed (DHCPv6) |',
        '|---|---|---|---|---|---|',
        upRow(exampleKey, ups[exampleKey]!),
        upRow(rrKey, ups[rrKey]!),
        '',
        `Convergence on the running 3-node example lab (full mesh): ${ONE_PER_EDIT.endpoints} container endpoints spread over the 3 nodes, added to the topology file one per edit (the next edit after the previous one is everywhere), then removed the same way. Target: p95 < 100 ms. ${how}`,
        '',
        ...convergenceRows(mesh.added, mesh.removed),
        '',
        `Convergence on the running 6-node RR lab: ${TEN_PER_EDIT.endpoints} container endpoints on the 4 clients, added ${TEN_PER_EDIT.perEdit} per edit, then removed the same way; routes reach the other clients through a reflector. Target: p95 < 300 ms.`,
        '',
        ...convergenceRows(rr.added, rr.removed),
      ].join('\n');
      return { markdown, figures };
    } finally {
      // measureConvergence takes its lab down; these are for a bring-up that failed half way.
      await labDown({ stateDir: join(work, 'bbr-state'), prefix: 'bbr' }, { runner: processRunner, sleep });
      await labDown({ stateDir: join(work, 'bbx-state'), prefix: 'bbx' }, { runner: processRunner, sleep });
      rmSync(work, { recursive: true, force: true });
    }
  },
};
