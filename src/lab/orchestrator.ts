// The lab's orchestrator, left running by `lab up`: it watches the user's topology file (the
// agent's TopologySource, so an invalid or unreadable edit keeps the last good topology) and plays
// the orchestrator and the hypervisor for every edit, as Kubernetes makes a pod's sandbox before
// its network: the namespaces of new endpoints first, then it publishes the file to the copy the
// agents watch (state.agentTopology), then it removes the namespaces of endpoints that left. Every
// object is recorded in state.json as it is made (endpoint-stand-ins.ts), so `lab down` undoes it
// all even after a crash. One pass at a time; a pass that failed is retried on the next tick.
import { writeFileAtomic, writeFileAtomicUnflushedSync } from '../atomic-write.ts';
import type { Logger } from '../agent/logger.ts';
import { TopologySource } from '../agent/topology-source.ts';
import type { Runner } from '../exec.ts';
import { parseTopologyText, type Topology } from '../topology/index.ts';
import { readTopologyFile } from '../topology/read-file.ts';
import { diffLabEndpoints, isEmptyDiff } from './endpoint-diff.ts';
import { addContainers, addVm, dhclientRole, removeDebris, removeEndpoint, startDhclient, vmServed } from './endpoint-stand-ins.ts';
import { ORCHESTRATOR_LOG, ORCHESTRATOR_PID_FILE } from './orchestrator-process.ts';
import { vmPaths, vmPlan, type LabOptions } from './plan.ts';
import { StateRecorder, type LabEndpointRecord } from './state.ts';

export interface OrchestratorDeps {
  runner: Runner;
  logger: Logger;
  sleep: (ms: number) => Promise<void>;
}

export interface OrchestratorOptions {
  stateDir: string;
  /** how often waiting VMs are checked for a node ready to serve them, and failed passes retried */
  tickMs?: number;
}

const RETRY_MS = 2000;

export class LabOrchestrator {
  private recorder: StateRecorder | undefined;
  private source: TopologySource | undefined;
  /** the bytes each topology was parsed from: the agents get exactly what was validated */
  private readonly texts = new WeakMap<Topology, string>();
  private queue: Promise<void> = Promise.resolve();
  private tickQueued = false;
  private timer: NodeJS.Timeout | undefined;
  /** the topology of a pass that failed, retried RETRY_MS later (a failing step must not spin) */
  private retry: Topology | undefined;
  private retryAt = 0;
  private published: string | undefined;
  /** `endpoint: reason` already logged, so a skipped endpoint is reported once, not every pass */
  private readonly reported = new Set<string>();
  private stopping = false;

  constructor(
    private readonly options: OrchestratorOptions,
    private readonly deps: OrchestratorDeps,
  ) {}

  private get state() {
    return this.recorder!.state;
  }

  private get labOptions(): LabOptions {
    return { prefix: this.state.prefix, stateDir: this.options.stateDir };
  }

  /** Takes over the state, runs the first pass, then records itself: `lab up` waits for that. */
  async start(): Promise<void> {
    const { stateDir } = this.options;
    this.recorder = StateRecorder.resume(stateDir);
    this.published = this.state.agentTopology === undefined ? undefined : await readTopologyFile(this.state.agentTopology).catch(() => undefined);
    this.source = new TopologySource({
      file: this.state.topologyFile,
      logger: this.deps.logger.with({ component: 'topology' }),
      load: async (file) => {
        const text = await readTopologyFile(file);
        const topology = parseTopologyText(text, file);
        this.texts.set(topology, text);
        return topology;
      },
      onTopology: (topology) => this.enqueue(() => this.pass(topology)),
      // TopologySource has logged it with the validate report; the lab keeps the last good one.
      onInvalid: () => {},
    });
    const first = await this.source.start();
    await this.enqueue(() => this.pass(first));
    const pidFile = `${stateDir}/${ORCHESTRATOR_PID_FILE}`;
    await writeFileAtomic(pidFile, `${process.pid}\n`);
    this.recorder.update((s) => {
      s.orchestrator = { pid: process.pid, pidFile, log: `${stateDir}/${ORCHESTRATOR_LOG}` };
      if (!s.files.includes(pidFile)) s.files.push(pidFile);
    });
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 200);
    this.deps.logger.info('orchestrating', { topology: this.state.topologyFile, agentTopology: this.state.agentTopology, endpoints: this.state.endpoints.length });
  }

  /** Stops watching, lets the step under way finish (its objects are recorded), and returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.source?.close();
    await this.queue;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (this.stopping) return;
      try {
        await work();
      } catch (error) {
        this.retryAt = Date.now() + RETRY_MS;
        this.deps.logger.error(`orchestrator step failed; retrying in ${RETRY_MS / 1000} s`, { error });
      }
    });
    return this.queue;
  }

  private tick(): void {
    if (this.tickQueued) return;
    this.tickQueued = true;
    void this.enqueue(async () => {
      this.tickQueued = false;
      if (this.retry !== undefined && Date.now() >= this.retryAt) await this.pass(this.retry);
      await this.serveVms();
    });
  }

  /** One pass: make what is new, publish, remove what left. A failure leaves the rest for the retry. */
  private async pass(topology: Topology): Promise<void> {
    this.retry = topology;
    const { runner, logger, sleep } = this.deps;
    const diff = diffLabEndpoints(topology, this.state, this.labOptions);
    for (const s of diff.skipped) {
      const key = `${s.endpoint}: ${s.reason}`;
      if (!this.reported.has(key)) logger.warn('endpoint not made by the lab', s);
      this.reported.add(key);
    }
    const removeFirst = (r: LabEndpointRecord) => [...diff.addContainers, ...diff.addVms].some((a) => a.name === r.name || a.netns === r.netns);
    for (const netns of diff.debris) {
      await removeDebris(runner, this.recorder!, netns, sleep);
      logger.info('removed a namespace no endpoint claims', { netns });
    }
    // A changed endpoint is removed before it is made again (its namespace name may be the same).
    for (const record of diff.remove.filter(removeFirst)) await this.remove(record);
    const made = await addContainers(runner, this.recorder!, diff.addContainers);
    diff.addContainers.forEach((container, i) => {
      logger.info(made[i] === 'created' ? 'container namespace created' : 'container namespace exists and is not the lab\'s: used as it is', { endpoint: container.name, node: container.node, netns: container.netns });
    });
    for (const vm of diff.addVms) {
      await addVm(runner, this.recorder!, vm, this.state.nodes.find((n) => n.name === vm.node)!.netns);
      logger.info('VM namespace and tap created', { endpoint: vm.name, node: vm.node, netns: vm.netns, tap: vm.tap });
    }
    this.publish(topology);
    for (const record of diff.remove.filter((r) => !removeFirst(r))) await this.remove(record);
    if (!isEmptyDiff(diff)) logger.info('lab endpoints match the topology', { endpoints: this.state.endpoints.map((e) => e.name) });
    this.retry = undefined;
    await this.serveVms();
  }

  private async remove(record: LabEndpointRecord): Promise<void> {
    const files = record.kind === 'vm' ? vmPaths(this.labOptions, record.name) : undefined;
    await removeEndpoint(this.deps.runner, this.recorder!, record, files, this.deps.sleep);
    this.deps.logger.info('endpoint removed from the lab', { endpoint: record.name, kind: record.kind, netns: record.netns });
  }

  /**
   * The agents' copy, written only when it changes; recorded so `lab down` removes it. Renamed into
   * place (an agent reads the old copy or the new one, never half) but not flushed to disk: every
   * agent would wait on the disk, and durability buys nothing here. The copy is derived from the
   * user's file, and nothing of the lab outlives the machine going down (its namespaces,
   * processes and veths are gone); start() compares the copy with the user's file and writes it
   * again, so even a copy a crash left short or empty is replaced before anything runs on it.
   * Written synchronously, as state.json is (state.ts): a few kilobytes to a local file cost less
   * than the thread-pool round trip of each step of the promise API, and every agent waits on it.
   */
  private publish(topology: Topology): void {
    const target = this.state.agentTopology;
    const text = this.texts.get(topology);
    if (target === undefined || text === undefined || text === this.published) return;
    writeFileAtomicUnflushedSync(target, text);
    this.published = text;
    this.deps.logger.info('topology published to the agents', { file: target, source: this.state.topologyFile });
  }

  /**
   * Starts dhclient once in each recorded VM whose node can answer it (see vmServed). One that
   * exited is not restarted: a dhclient that fails at once would otherwise be started every tick.
   */
  private async serveVms(): Promise<void> {
    const topology = this.source?.current;
    if (topology === undefined) return;
    for (const record of this.state.endpoints.filter((e) => e.kind === 'vm')) {
      if (this.state.processes.some((p) => p.role === dhclientRole(record.name))) continue;
      const endpoint = topology.endpoints.find((e) => e.name === record.name);
      const node = this.state.nodes.find((n) => n.name === record.node);
      if (endpoint === undefined || node === undefined) continue;
      if (!(await vmServed(this.deps.runner, node.netns, endpoint))) continue;
      startDhclient(this.deps.runner, this.recorder!, vmPlan(endpoint, this.labOptions));
      this.deps.logger.info('dhclient started', { endpoint: record.name, netns: record.netns });
    }
  }
}
