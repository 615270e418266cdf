// The composition root of `birdctl agent`: the only place that wires the loops together.
//
//   topology file --watch--> TopologySource --+--> BirdConfig (bird6.conf, configure) <-- resync timer
//                                             +--> EndpointLoop (kernel, dnsmasq) <-- resync timer, link events
//   bird6 control socket --> monitor --> AgentState --> logs, WebSocket stream, SNMP, /metrics
//                                    \--> daemonDown --> BirdSupervisor (--bird)
//
// Work on the kernel and on bird6's config runs one step at a time (a serial queue), so a topology
// edit never races the periodic resync. The resync also makes sure bird6 runs the config the
// topology renders, so an apply lost to a full disk, a hung bird6 or a kill heals by itself. SIGTERM/SIGINT stop the loops and servers and return;
// a supervised bird6 is shut down then, so its peers withdraw the node's routes at once, unless
// keepRoutesOnStop leaves it running for a restart of the agent alone (see bird-supervisor.ts). The
// endpoint routes stay in the kernel: the endpoints still live on this node.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BirdClient } from '../birdc/client.ts';
import type { Dataplane } from '../endpoints/dataplane.ts';
import { FileLedgerStore, recordBesideConfig } from '../endpoints/ledger.ts';
import type { Runner } from '../exec.ts';
import { createBirdMonitor } from '../monitor/session-monitor.ts';
import { BirdConfig, configureOver, type ConfigApply } from '../render/apply.ts';
import type { MetricsServer } from '../metrics/server.ts';
import type { MonitorEvent, SessionMonitor } from '../monitor/types.ts';
import type { SnmpAgent, SnmpAgentOptions } from '../snmp/agent.ts';
import type { StreamServer } from '../stream/server.ts';
import { requireNode, nodeAsNumber, type Topology } from '../topology/index.ts';
import { AgentState } from './agent-state.ts';
import { BirdSupervisor } from './bird-supervisor.ts';
import { EndpointLoop, endpointStates } from './endpoint-loop.ts';
import type { LinkEvent } from './link-events.ts';
import type { Logger } from './logger.ts';
import { watchNamespaceDir, type NamespaceDirWatch } from './netns-watch.ts';
import { TopologySource } from './topology-source.ts';

export interface AgentOptions {
  topologyFile: string;
  nodeName: string;
  configPath: string;
  socketPath: string;
  templateDir?: string;
  /** kernel protocol number of the endpoint routes; the deps' dataplane must use the same */
  routeProtocol?: number;
  /** start and supervise bird6 (`--bird`) */
  superviseBird: boolean;
  /** with superviseBird: leave bird6 running on stop instead of shutting it down (`--keep-routes-on-stop`) */
  keepRoutesOnStop?: boolean;
  birdLogFile?: string;
  debounceMs: number;
  /** safety-net stat of the topology file, for changes no watch event reports (default 1000 ms) */
  topologyPollMs?: number;
  /** between two polls of bird6's sessions */
  pollIntervalMs: number;
  /** full endpoint resync and config check, besides topology changes and link events */
  resyncIntervalMs: number;
  /** interface for proxy NDP entries; default the one carrying the node address */
  uplink?: string;
  /** where named network namespaces appear (default /run/netns, as `ip netns` names them) */
  netnsDir?: string;
  ws?: { host: string; port: number; token: string | null };
  metrics?: { host: string; port: number; token: string | null };
  snmp?: Omit<SnmpAgentOptions, 'monitor' | 'localAs' | 'log'>;
}

export interface AgentDeps {
  runner: Runner;
  logger: Logger;
  now: () => Date;
  /** aborted on SIGTERM/SIGINT */
  signal: AbortSignal;
  dataplane: Dataplane;
}

/**
 * How long a stopping agent waits for bird6 to shut down: BIRD exits within milliseconds of `down`;
 * the bound keeps a hung bird6 from holding the agent past `lab down`'s 5 s before SIGKILL
 * (src/lab/down.ts) or docker stop's 10 s.
 */
const BIRD_SHUTDOWN_TIMEOUT_MS = 3000;

/** A burst of link events (a veth pair, a tap with its addresses) or namespace names makes one resync. */
const NOTIFICATION_SETTLE_MS = 100;
const NETNS_DIR = '/run/netns';
/** How often a namespace directory that does not exist yet is looked for. */
const NETNS_DIR_RETRY_MS = 5000;

/** Runs steps one after another; a failing step is logged by its owner and does not stop the queue. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  push(step: () => Promise<unknown>): Promise<void> {
    const run = this.tail.then(step, step);
    this.tail = run.catch(() => undefined);
    return run.then(() => undefined);
  }

  drain(): Promise<unknown> {
    return this.tail;
  }
}

export class Agent {
  readonly config: BirdConfig;
  readonly topology: TopologySource;
  readonly supervisor: BirdSupervisor | undefined;
  readonly monitor: SessionMonitor;
  readonly state: AgentState;
  readonly endpoints: EndpointLoop;
  stream: StreamServer | undefined;
  snmp: SnmpAgent | undefined;
  metrics: MetricsServer | undefined;
  /** valid topologies taken in since start; every apply event says which one it rendered */
  private generation = 0;
  private readonly queue = new SerialQueue();
  private resyncTimer: NodeJS.Timeout | undefined;
  /** A resync waits in the queue: a hung bird6 makes each one slow, and they must not pile up. */
  private resyncQueued = false;
  private linkTimer: NodeJS.Timeout | undefined;
  private netnsWatch: NamespaceDirWatch | undefined;
  /** Any failed poll; the monitor's first one rejects its start() instead of reaching onError. */
  private readonly logPollFailure: (error: unknown) => void;

  constructor(
    private readonly options: AgentOptions,
    private readonly deps: AgentDeps,
  ) {
    const { runner, logger, now } = deps;
    const configLog = logger.with({ component: 'config' });
    this.config = new BirdConfig({
      nodeName: options.nodeName,
      configPath: options.configPath,
      render: { templateDir: options.templateDir, routeProtocol: options.routeProtocol },
      runner,
      command: configureOver(options.socketPath),
      log: (level, message, context) => configLog[level](message, context),
      now: () => now().getTime(),
    });
    this.topology = new TopologySource({
      file: options.topologyFile,
      logger: logger.with({ component: 'topology' }),
      debounceMs: options.debounceMs,
      pollMs: options.topologyPollMs,
      onTopology: (topology) => void this.queue.push(() => this.onTopology(topology)),
      onInvalid: (report) => this.state.notify({ type: 'topologyInvalid', at: now().getTime(), report }),
    });
    this.supervisor = options.superviseBird
      ? new BirdSupervisor({
          runner,
          configPath: options.configPath,
          socketPath: options.socketPath,
          pidPath: join(dirname(options.configPath), 'bird6.pid'),
          logFile: options.birdLogFile,
          logger: logger.with({ component: 'bird6' }),
          isAnswering: () => this.isBirdAnswering(),
        })
      : undefined;
    const monitorLog = logger.with({ component: 'monitor' });
    this.logPollFailure = (error) => monitorLog.warn('poll failed', { error });
    this.monitor = createBirdMonitor({
      socketPath: options.socketPath,
      intervalMs: options.pollIntervalMs,
      now: () => now().getTime(),
      onError: this.logPollFailure,
      onWarning: (warning) => monitorLog.warn('bird6 printed a value the parsers cannot read', { warning }),
    });
    this.monitor.subscribe((event) => this.onMonitorEvent(event));
    this.state = new AgentState(this.monitor);
    this.endpoints = new EndpointLoop({
      runner,
      dataplane: deps.dataplane,
      ledger: new FileLedgerStore(recordBesideConfig(options.configPath)),
      nodeName: options.nodeName,
      uplink: options.uplink,
      dnsmasqDir: join(dirname(options.configPath), 'dnsmasq'),
      logger: logger.with({ component: 'endpoints' }),
    });
  }

  private onMonitorEvent(event: MonitorEvent): void {
    const log = this.deps.logger.with({ component: 'monitor', event: event.type });
    switch (event.type) {
      case 'daemonDown':
        log.warn('bird6 is down', { error: event.daemon.error });
        void this.supervisor?.ensureRunning();
        return;
      case 'daemonUp':
        log.info('bird6 is up', { version: event.daemon.version, routerId: event.daemon.routerId });
        return;
      case 'reconfigured':
        log.info('bird6 reconfigured', { at: event.daemon.lastReconfiguration });
        return;
      case 'peerDown':
        log.warn('BGP session down', { peer: event.peer.name, address: event.peer.peerAddress, bgpState: event.peer.bgpState, lastError: event.peer.lastError });
        return;
      default:
        log.info(event.type === 'peerUp' ? 'BGP session established' : 'BGP session changed', {
          peer: event.peer.name,
          address: event.peer.peerAddress,
          bgpState: event.peer.bgpState,
        });
    }
  }

  private async isBirdAnswering(): Promise<boolean> {
    const probe = new BirdClient({ socketPath: this.options.socketPath, reconnect: false, connectTimeoutMs: 1000 });
    try {
      await probe.connect();
      return true;
    } catch {
      return false;
    } finally {
      await probe.close();
    }
  }

  /**
   * Endpoints first: a new endpoint's route needs nothing from bird6's config (its kernel protocol
   * learns kernel routes from netlink as they appear, and a configure that changes its import
   * filter, a new pool, makes it read them again), while render, `bird6 -p` and `configure` would
   * hold the route back by tens of milliseconds.
   */
  private async onTopology(topology: Topology): Promise<void> {
    this.generation += 1;
    await this.reconcileEndpoints(topology);
    const started = performance.now();
    this.recordApply(await this.config.apply(topology), started);
  }

  private recordApply(applied: ConfigApply, started: number): void {
    const durationMs = Math.round(performance.now() - started);
    this.state.setLastApply(applied, { type: applied.ok ? 'configApplied' : 'configRejected', at: applied.at, outcome: applied.outcome, summary: applied.summary, durationMs, generation: this.generation });
  }

  /** `full`: the resync timer and link events; a topology change may skip an unchanged node. */
  private async reconcileEndpoints(topology: Topology, full = false): Promise<void> {
    const started = performance.now();
    const result = full ? await this.endpoints.run(topology) : await this.endpoints.onTopology(topology);
    if ('skipped' in result) return;
    const durationMs = Math.round(performance.now() - started);
    const { summary, error } = result;
    const at = this.deps.now().getTime();
    const states = endpointStates(topology, this.options.nodeName, summary, error);
    this.state.setEndpoints(states, {
      type: 'endpointsReconciled',
      at,
      ok: summary !== undefined && summary.failed.length === 0,
      durationMs,
      ...(summary === undefined
        ? { error }
        : { added: summary.added, replaced: summary.replaced, removed: summary.removed, pending: summary.pending.length, failed: summary.failed.length }),
    });
  }

  /**
   * A link event needs a pass when it concerns an endpoint not yet programmed (a VM's tap
   * appearing) or removes the interface of an endpoint the topology still has. The links the agent
   * itself creates or deletes while programming raise events too, during the pass and so before
   * its state says what the pass did; reacting to those would queue a full pass behind every edit.
   * A new endpoint is not in the state yet, and one that left is no longer in the topology. But
   * the agent makes only the veths of endpoints with a namespace: an interface that appears for a
   * new endpoint without one (a VM's tap) is someone else's, made perhaps after the running pass
   * read the kernel, which would then leave the endpoint pending until the resync.
   */
  private linkMatters(event: LinkEvent): boolean {
    const endpoint = this.state.state().endpoints.find((e) => e.interface === event.ifname);
    if (endpoint === undefined) return !event.deleted && this.madeBySomeoneElse(event.ifname);
    if (!event.deleted) return endpoint.state !== 'programmed';
    return this.topology.current?.endpoints.some((e) => e.node === this.options.nodeName && e.interface === event.ifname) === true;
  }

  /** Whether the topology has an endpoint of this node on `ifname` whose interface the agent does not make (no namespace). */
  private madeBySomeoneElse(ifname: string): boolean {
    return this.topology.current?.endpoints.some((e) => e.node === this.options.nodeName && e.interface === ifname && e.netns === undefined) === true;
  }

  /** A namespace name that appears matters when a container endpoint of this node waits for it. */
  private namespaceMatters(name: string): boolean {
    const { nodeName } = this.options;
    const waiting = this.topology.current?.endpoints.filter((e) => e.node === nodeName && e.netns === name) ?? [];
    return waiting.some((e) => this.state.state().endpoints.find((s) => s.name === e.name)?.state !== 'programmed');
  }

  /** One resync for a burst of link or namespace notifications. */
  private resyncSoon(): void {
    clearTimeout(this.linkTimer);
    this.linkTimer = setTimeout(() => this.resync(), NOTIFICATION_SETTLE_MS);
  }

  /** Queues a resync of config and endpoints with the last good topology (timer, link events, compose mode's attacher). */
  resync(): void {
    if (this.topology.current === undefined || this.resyncQueued) return;
    this.resyncQueued = true;
    void this.queue.push(async () => {
      this.resyncQueued = false;
      const topology = this.topology.current!;
      const started = performance.now();
      const applied = await this.config.resync(topology);
      if (applied !== undefined) this.recordApply(applied, started);
      await this.reconcileEndpoints(topology, true);
    });
  }

  /**
   * Before the first apply, so the apply counters count it. Loaded only with --metrics: the client
   * library takes some 60 ms to load, which an agent without the view need not pay at start.
   */
  private async startMetrics(): Promise<void> {
    const { metrics } = this.options;
    if (metrics === undefined) return;
    const { createMetricsServer } = await import('../metrics/server.ts');
    const metricsLog = this.deps.logger.with({ component: 'metrics' });
    this.metrics = await createMetricsServer({ ...metrics, monitor: this.monitor, state: this.state, log: (level, message, context) => metricsLog[level](message, context) });
    metricsLog.info('metrics listening', { address: this.metrics.address() });
  }

  /**
   * The stream and SNMP libraries (ws, net-snmp) are loaded only for an agent that serves them:
   * some 13 MiB each of resident memory that an agent without --ws or --snmp never needs.
   */
  private async startServers(topology: Topology): Promise<void> {
    const { ws, snmp } = this.options;
    const { logger, now } = this.deps;
    if (ws !== undefined) {
      const streamLog = logger.with({ component: 'stream' });
      const { createStreamServer } = await import('../stream/server.ts');
      this.stream = await createStreamServer({ host: ws.host, port: ws.port, token: ws.token, source: this.state, clock: () => now().getTime(), log: (level, message, context) => streamLog[level](message, context) });
      streamLog.info('WebSocket stream listening', { address: this.stream.address() });
    }
    if (snmp !== undefined) {
      const snmpLog = logger.with({ component: 'snmp' });
      const node = requireNode(topology, this.options.nodeName);
      const { createSnmpAgent } = await import('../snmp/agent.ts');
      const result = await createSnmpAgent({ ...snmp, monitor: this.monitor, localAs: nodeAsNumber(topology, node), log: (level, message, context) => snmpLog[level](message, context) });
      if (result.enabled) {
        this.snmp = result.agent;
        snmpLog.info('SNMP agent listening', { listen: result.agent.listening() });
      } else {
        snmpLog.info('SNMP stays off', { reason: result.reason });
      }
    }
  }

  /** Runs until the signal fires. Throws only for a start that cannot work (invalid topology, unknown node, bad listener). */
  async run(): Promise<void> {
    const { logger, signal } = this.deps;
    const { nodeName, topologyFile, configPath } = this.options;
    const topology = await this.topology.start();
    try {
      requireNode(topology, nodeName);
      await this.startMetrics();
      await mkdir(dirname(configPath), { recursive: true });
      await this.config.start();
    } catch (error) {
      this.topology.close();
      await this.metrics?.close();
      throw error;
    }
    logger.info('agent starting', { node: nodeName, topology: topologyFile, config: configPath, socket: this.options.socketPath });
    // Before the first pass: a namespace named while it runs must not go unnoticed until the resync.
    const netnsLog = logger.with({ component: 'endpoints' });
    const netnsDir = this.options.netnsDir ?? NETNS_DIR;
    this.netnsWatch = watchNamespaceDir(netnsDir, {
      onName: (name) => {
        if (this.namespaceMatters(name)) this.resyncSoon();
      },
      retryMs: NETNS_DIR_RETRY_MS,
      onError: (error) => netnsLog.debug('cannot watch the namespace directory yet; container endpoints named there later wait for the next resync', { dir: netnsDir, error: error.message }),
    });
    // Before the first pass too: a tap made after its read of the kernel would otherwise wait
    // for the resync (the listeners start after the first poll, which can take a while).
    this.endpoints.watchLinks((event) => {
      if (this.linkMatters(event)) this.resyncSoon();
    });
    // bird6 must find its file before it starts; endpoints are programmed in the same step.
    await this.queue.push(() => this.onTopology(topology));
    await this.supervisor?.start();
    // A first poll the parsers cannot read (a BIRD printing something this version does not know)
    // must not end the agent: the monitor keeps polling and the endpoints and config stay served.
    await this.monitor.start().catch(this.logPollFailure);
    // Only after the first poll: the monitor's baseline poll emits no events, so a client served a
    // snapshot before it would not learn of sessions already up until something changed.
    try {
      await this.startServers(topology);
    } catch (error) {
      this.topology.close();
      this.netnsWatch?.close();
      this.supervisor?.stop();
      await Promise.all([this.monitor.stop(), this.endpoints.stop(), this.stream?.close(), this.metrics?.close()]);
      throw error;
    }
    this.resyncTimer = setInterval(() => this.resync(), this.options.resyncIntervalMs);

    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const shutDownBird = this.supervisor !== undefined && this.options.keepRoutesOnStop !== true;
    logger.info(
      shutDownBird
        ? 'agent stopping; shutting bird6 down so its peers withdraw the routes; the endpoint routes stay in the kernel'
        : this.supervisor !== undefined
          ? 'agent stopping; bird6 stays running (--keep-routes-on-stop) and the routes stay in place'
          : 'agent stopping; bird6 stays running (not started by this agent) and the routes stay in place',
    );
    clearInterval(this.resyncTimer);
    clearTimeout(this.linkTimer);
    this.netnsWatch?.close();
    this.topology.close();
    // No restart from here on (the monitor will see bird6 go down); a step already queued still
    // talks to a running bird6 before it goes.
    this.supervisor?.stop();
    await this.queue.drain();
    if (shutDownBird) await this.supervisor!.shutDown(BIRD_SHUTDOWN_TIMEOUT_MS);
    await Promise.all([this.monitor.stop(), this.endpoints.stop(), this.stream?.close(), this.snmp?.close(), this.metrics?.close()]);
  }
}
