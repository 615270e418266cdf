// `lab up`: builds the hosts of a topology in network namespaces on one machine and starts a real
// `birdctl agent --bird` in each, then waits until BGP has carried every endpoint's /128 into every
// host's kernel. Everything made is recorded in state.json before the next step, for `lab down`.
import { mkdirSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-write.ts';
import { birdctlCommand } from '../birdctl-self.ts';
import { BirdctlError } from '../errors.ts';
import type { Runner, RunningProcess } from '../exec.ts';
import { sessionsOf } from '../peering/sessions.ts';
import { parseTopologyText, type Topology } from '../topology/index.ts';
import { readTopologyFile } from '../topology/read-file.ts';
import { addContainers, addNamespace, addVm, NO_DAD, startDhclient, vmServed } from './endpoint-stand-ins.ts';
import { logTail, must } from './host.ts';
import { isAlive } from '../proc.ts';
import { globalAddresses, hasDefaultRoute, hostRoutes, isEstablished, observeNode } from './observe.ts';
import { birdctlOrchestratorLauncher, ORCHESTRATOR_LOG, untilOrchestrating, type OrchestratorLauncher } from './orchestrator-process.ts';
import { planLab, type LabOptions, type LabPlan, type NodePlan } from './plan.ts';
import { StateRecorder } from './state.ts';

/** Starts one node's agent in the node's namespace; the lab records and later stops it by PID. */
export interface AgentLauncher {
  start(node: NodePlan, topologyFile: string): RunningProcess;
}

/**
 * The real thing: `birdctl agent FILE --node NAME --config PATH --socket PATH --bird`, detached;
 * `entry` as birdctlCommand's.
 */
export function birdctlAgentLauncher(runner: Runner, env?: Record<string, string>, entry?: string): AgentLauncher {
  return {
    start(node, topologyFile) {
      const agent = birdctlCommand(['agent', topologyFile, '--node', node.name, '--config', node.config, '--socket', node.socket, '--bird'], entry);
      return runner.start(agent.file, agent.args, { netns: node.netns, detached: true, logFile: node.agentLog, env });
    },
  };
}

export interface LabDeps {
  runner: Runner;
  launcher: AgentLauncher;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** progress lines while it works (the CLI prints them at once) */
  progress?: (line: string) => void;
  /** default: `birdctl lab orchestrate` (orchestrator-process.ts) */
  orchestrator?: OrchestratorLauncher;
}

export interface UpOptions extends LabOptions {
  topologyFile: string;
  /** how long to wait for sessions and routes before failing (the lab stays up for inspection) */
  timeoutMs: number;
}

export interface UpReport {
  plan: LabPlan;
  topology: Topology;
  elapsedMs: number;
  sessions: number;
  /** ms from the start of lab up until each part was first complete: where bring-up time goes */
  phases: Phases;
}

export interface Phases {
  /** namespaces, links and agents started */
  built: number;
  sessions: number;
  routes: number;
  vms: number;
}

type Part = Exclude<keyof Phases, 'built'>;
interface Missing {
  part: Part;
  text: string;
}

export interface BuiltLab {
  plan: LabPlan;
  topology: Topology;
  recorder: StateRecorder;
  agents: Map<string, RunningProcess>;
  started: number;
}

/** Claims the state dir, builds the namespaces and links, and starts the agents; does not wait. */
export async function buildLab(options: LabOptions & { topologyFile: string }, deps: LabDeps): Promise<BuiltLab> {
  const started = deps.now().getTime();
  const topologyFile = resolve(options.topologyFile);
  const text = await readTopologyFile(topologyFile);
  const topology = parseTopologyText(text, topologyFile);
  const plan = planLab(topology, options);
  const recorder = StateRecorder.claim(options.stateDir, { prefix: options.prefix, topologyFile, startedAt: deps.now().toISOString() });
  // The agents watch the lab's copy, which the orchestrator updates only once an edit's new
  // endpoints have their namespaces (orchestrator.ts); the loader picks its parser by extension.
  const agentTopology = join(resolve(options.stateDir), `agent-topology${extname(topologyFile) || '.yaml'}`);
  await writeFileAtomic(agentTopology, text);
  recorder.update((s) => {
    s.agentTopology = agentTopology;
    s.files.push(agentTopology);
  });
  await buildHosts(plan, recorder, deps.runner);
  deps.progress?.(`namespaces ready (${recorder.state.namespaces.length}); starting ${plan.nodes.length} agents`);

  const agents = new Map<string, RunningProcess>();
  for (const node of plan.nodes) {
    const agent = deps.launcher.start(node, agentTopology);
    agents.set(node.name, agent);
    recorder.update((s) => s.processes.push({ role: `agent ${node.name}`, pid: agent.pid, netns: node.netns }));
  }
  return { plan, topology, recorder, agents, started };
}

export async function labUp(options: UpOptions, deps: LabDeps): Promise<UpReport> {
  const lab = await buildLab(options, deps);
  const built = deps.now().getTime() - lab.started;
  const { sessions, phases } = await waitReady({ ...lab, deps, deadline: lab.started + options.timeoutMs });
  lab.recorder.update((s) => (s.readyAt = deps.now().toISOString()));
  await startOrchestrator(lab, options.stateDir, deps);
  return { plan: lab.plan, topology: lab.topology, elapsedMs: deps.now().getTime() - lab.started, sessions, phases: { built, ...phases } };
}

const ROUTER = ['net.ipv6.conf.all.forwarding=1', ...NO_DAD];

async function buildHosts(plan: LabPlan, recorder: StateRecorder, runner: Runner): Promise<void> {
  const { switchNetns, bridge } = plan;
  for (const dir of [...plan.nodes.map((n) => n.dir), ...plan.vms.map((v) => v.dir)]) {
    mkdirSync(dir, { recursive: true });
    recorder.update((s) => s.dirs.push(dir));
  }
  await addNamespace(runner, recorder, switchNetns, NO_DAD);
  await must(runner, 'ip', ['-n', switchNetns, 'link', 'add', bridge, 'type', 'bridge']);
  await must(runner, 'ip', ['-n', switchNetns, 'link', 'set', bridge, 'up']);

  for (const node of plan.nodes) {
    await addNamespace(runner, recorder, node.netns, ROUTER);
    await must(runner, 'ip', ['-n', switchNetns, 'link', 'add', node.switchPort, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns]);
    await must(runner, 'ip', ['-n', switchNetns, 'link', 'set', node.switchPort, 'master', bridge, 'up']);
    await must(runner, 'ip', ['-n', node.netns, '-6', 'addr', 'add', node.cidr, 'dev', 'eth0', 'nodad']);
    await must(runner, 'ip', ['-n', node.netns, 'link', 'set', 'eth0', 'up']);
    recorder.update((s) => s.nodes.push({ name: node.name, netns: node.netns, socket: node.socket, address: node.address }));
    recorder.update((s) => s.pidFiles.push(node.birdPidFile));
  }

  // The orchestrator's part for containers: only the namespace; the agent wires the veth into it.
  await addContainers(runner, recorder, plan.containers);
  // The hypervisor's part for VMs: the "VM" namespace and the tap's stand-in (endpoint-stand-ins.ts).
  for (const vm of plan.vms) await addVm(runner, recorder, vm, plan.nodes.find((n) => n.name === vm.node)!.netns);
}

/**
 * From here on the orchestrator owns state.json: `lab up` writes nothing after it has started, so
 * the file has one writer at a time.
 */
async function startOrchestrator(lab: BuiltLab, stateDir: string, deps: LabDeps): Promise<void> {
  const log = join(resolve(stateDir), ORCHESTRATOR_LOG);
  lab.recorder.update((s) => s.files.push(log));
  const child = (deps.orchestrator ?? birdctlOrchestratorLauncher(deps.runner)).start(stateDir, log);
  await untilOrchestrating(child, stateDir, log, { runner: deps.runner, sleep: deps.sleep, timeoutMs: 15_000 });
}

interface WaitContext {
  plan: LabPlan;
  topology: Topology;
  recorder: StateRecorder;
  agents: Map<string, RunningProcess>;
  deps: LabDeps;
  started: number;
  deadline: number;
}

/**
 * Polls until every session between lab nodes is Established, every endpoint address is a route in
 * every node's kernel and every VM holds its addresses; returns the number of sessions. Starts
 * each VM's dhclient as soon as its node can answer it (earlier, its first solicits go unheard and
 * it backs off for seconds).
 */
async function waitReady(ctx: WaitContext): Promise<{ sessions: number; phases: Record<Part, number> }> {
  const { plan, topology, deps } = ctx;
  const nodeAddresses = new Set(topology.nodes.map((n) => n.address));
  const expected = new Map(
    plan.nodes.map((n) => [n.name, sessionsOf(topology, topology.nodes.find((t) => t.name === n.name)!).filter((s) => nodeAddresses.has(s.neighborAddress)).map((s) => s.protocol)]),
  );
  const total = [...expected.values()].reduce((sum, list) => sum + list.length, 0);
  const addresses = topology.endpoints.flatMap((e) => e.addresses);
  const dhcpStarted = new Set<string>();
  let missing: Missing[] = [];
  const phases: Partial<Record<Part, number>> = {};
  for (;;) {
    for (const node of plan.nodes) {
      const agent = ctx.agents.get(node.name)!;
      if (!isAlive(agent.pid)) {
        throw new BirdctlError('COMMAND_FAILED', `the agent of ${node.name} exited during lab up; last lines of ${node.agentLog}:\n${logTail(node.agentLog)}`, {
          hint: 'fix the cause above, then birdctl lab down and lab up again',
        });
      }
    }
    for (const vm of plan.vms) {
      const netns = plan.nodes.find((n) => n.name === vm.node)!.netns;
      if (!dhcpStarted.has(vm.name) && (await vmServed(deps.runner, netns, vm))) {
        startDhclient(deps.runner, ctx.recorder, vm);
        dhcpStarted.add(vm.name);
      }
    }
    missing = await notReady(ctx, expected, addresses, dhcpStarted);
    const elapsed = deps.now().getTime() - ctx.started;
    for (const part of ['sessions', 'routes', 'vms'] as const) {
      if (phases[part] === undefined && !missing.some((m) => m.part === part)) phases[part] = elapsed;
    }
    if (missing.length === 0) return { sessions: total, phases: phases as Record<Part, number> };
    if (deps.now().getTime() > ctx.deadline) break;
    await deps.sleep(50);
  }
  throw new BirdctlError('COMMAND_FAILED', `the lab did not converge in time; still missing:\n  ${missing.slice(0, 20).map((m) => m.text).join('\n  ')}`, {
    hint: `the lab is left up for inspection: birdctl lab status, the logs in ${plan.stateDir}/nodes/*/agent.log; birdctl lab down removes it`,
  });
}

async function notReady(ctx: WaitContext, expected: Map<string, string[]>, addresses: string[], dhcpStarted: Set<string>): Promise<Missing[]> {
  const { plan, deps } = ctx;
  const missing: Missing[] = [];
  await Promise.all(
    plan.nodes.map(async (node) => {
      try {
        const { peers } = await observeNode(node.socket, deps.now);
        for (const protocol of expected.get(node.name)!) {
          const peer = peers.find((p) => p.name === protocol);
          if (peer === undefined || !isEstablished(peer)) missing.push({ part: 'sessions', text: `${node.name}: session ${protocol} ${peer === undefined ? 'not configured' : `${peer.state} ${peer.bgpState}`}` });
        }
      } catch (error) {
        missing.push({ part: 'sessions', text: `${node.name}: bird6 not answering on ${node.socket} (${(error as Error).message})` });
      }
      const routes = await hostRoutes(deps.runner, node.netns);
      for (const address of addresses) if (!routes.has(address)) missing.push({ part: 'routes', text: `${node.name}: no route to ${address}` });
    }),
  );
  await Promise.all(
    plan.vms.map(async (vm) => {
      if (!dhcpStarted.has(vm.name)) return void missing.push({ part: 'vms', text: `${vm.name}: waiting for dnsmasq and the tap on ${vm.node}` });
      const held = await globalAddresses(deps.runner, vm.netns, 'eth0');
      for (const address of vm.addresses) if (!held.has(address)) missing.push({ part: 'vms', text: `${vm.name}: DHCPv6 has not assigned ${address} yet` });
      // Without it the VM's replies have no way back: the default route comes from the node's RAs.
      if (!(await hasDefaultRoute(deps.runner, vm.netns))) missing.push({ part: 'vms', text: `${vm.name}: no default route from a Router Advertisement yet` });
    }),
  );
  return missing.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
}

export function formatUpSummary(report: UpReport): string {
  const { plan, topology } = report;
  const lines = [
    `cluster ${topology.cluster.name}: lab up in ${(report.elapsedMs / 1000).toFixed(1)} s (state in ${plan.stateDir})`,
    `nodes (${plan.nodes.length}), on a bridge in namespace ${plan.switchNetns}, subnet ${plan.subnet}:`,
    ...plan.nodes.map((n) => `  ${n.name.padEnd(12)} ${n.address.padEnd(24)} netns ${n.netns}`),
    `sessions: ${report.sessions} Established`,
    `timeline: hosts built ${seconds(report.phases.built)}, sessions ${seconds(report.phases.sessions)}, routes everywhere ${seconds(report.phases.routes)}${plan.vms.length ? `, VMs addressed ${seconds(report.phases.vms)}` : ''}`,
    `endpoints (${topology.endpoints.length}), each a /128 route in every node's kernel:`,
    ...topology.endpoints.map((e) => {
      const netns = e.kind === 'vm' ? plan.vms.find((v) => v.name === e.name)!.netns : e.netns!;
      return `  ${e.name.padEnd(12)} ${e.addresses.join(',').padEnd(24)} ${e.kind.padEnd(9)} on ${e.node}, netns ${netns}`;
    }),
  ];
  const [a, b] = pingPair(topology);
  if (a && b) lines.push(`try: birdctl lab exec ${a.name} -- ping -c 3 ${b.addresses[0]}`);
  lines.push('stop: birdctl lab down');
  return `${lines.join('\n')}\n`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Two endpoints on different nodes, for the summary's example ping. */
function pingPair(topology: Topology) {
  const first = topology.endpoints[0];
  return [first, topology.endpoints.find((e) => first !== undefined && e.node !== first.node)] as const;
}
