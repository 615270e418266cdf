// The composition root of `birdctl agent`: the only place that wires the loops together.
//
//   topology file --watch--> TopologySource --> ConfigWriter (bird6.conf, configure)
//                                           \-> endpoint programmer (kernel)        [wired below]
//   bird6 control socket --> monitor --> logs, stream, SNMP; daemonDown --> supervisor (--bird)
//
// Work on the kernel and on bird6's config runs one step at a time (a serial queue), so a
// topology edit never races the periodic resync. SIGTERM/SIGINT stop the loops and servers and
// return; bird6 and the kernel routes stay in place, so a controller restart flaps nothing.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BirdClient } from '../birdc/client.ts';
import { createBirdMonitor } from '../monitor/session-monitor.ts';
import type { MonitorEvent, SessionMonitor } from '../monitor/types.ts';
import type { Runner } from '../exec.ts';
import { BirdctlError } from '../errors.ts';
import { findNode, type Topology } from '../topology/index.ts';
import { BirdSupervisor } from './bird-supervisor.ts';
import { ConfigWriter } from './config-writer.ts';
import type { Logger } from './logger.ts';
import { TopologySource } from './topology-source.ts';

export interface AgentOptions {
  topologyFile: string;
  nodeName: string;
  configPath: string;
  socketPath: string;
  templateDir?: string;
  /** start and supervise bird6 (`--bird`) */
  superviseBird: boolean;
  birdLogFile?: string;
  debounceMs: number;
  /** between two polls of bird6's sessions */
  pollIntervalMs: number;
}

export interface AgentDeps {
  runner: Runner;
  logger: Logger;
  now: () => Date;
  /** aborted on SIGTERM/SIGINT */
  signal: AbortSignal;
}

/** Runs `step`s one after another; a failing step is logged by its owner and does not stop the queue. */
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
  readonly control: BirdClient;
  readonly config: ConfigWriter;
  readonly topology: TopologySource;
  readonly supervisor: BirdSupervisor | undefined;
  readonly monitor: SessionMonitor;
  private readonly queue = new SerialQueue();

  constructor(
    private readonly options: AgentOptions,
    private readonly deps: AgentDeps,
  ) {
    const { runner, logger, now } = deps;
    this.control = new BirdClient({ socketPath: options.socketPath, reconnect: true });
    this.config = new ConfigWriter({
      nodeName: options.nodeName,
      configPath: options.configPath,
      templateDir: options.templateDir,
      runner,
      control: this.control,
      logger: logger.with({ component: 'config' }),
      now,
    });
    this.topology = new TopologySource({
      file: options.topologyFile,
      logger: logger.with({ component: 'topology' }),
      debounceMs: options.debounceMs,
      onTopology: (topology) => void this.queue.push(() => this.onTopology(topology)),
      onInvalid: () => {},
    });
    this.supervisor = options.superviseBird
      ? new BirdSupervisor({
          runner,
          configPath: options.configPath,
          socketPath: options.socketPath,
          pidPath: `${dirname(options.configPath)}/bird6.pid`,
          logFile: options.birdLogFile,
          logger: logger.with({ component: 'bird6' }),
          isAnswering: () => this.isBirdAnswering(),
        })
      : undefined;
    const monitorLog = logger.with({ component: 'monitor' });
    this.monitor = createBirdMonitor({
      socketPath: options.socketPath,
      intervalMs: options.pollIntervalMs,
      now: () => now().getTime(),
      onError: (error) => monitorLog.warn('poll failed', { error }),
    });
    this.monitor.subscribe((event) => this.onMonitorEvent(event));
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

  private async onTopology(topology: Topology): Promise<void> {
    await this.config.apply(topology);
  }

  /** Runs until the signal fires. Throws only for a start that cannot work (invalid topology, unknown node). */
  async run(): Promise<void> {
    const { logger, signal } = this.deps;
    const { nodeName, topologyFile, configPath } = this.options;
    const topology = await this.topology.start();
    if (findNode(topology, nodeName) === undefined) {
      this.topology.close();
      throw new BirdctlError('NODE_UNKNOWN', `node ${JSON.stringify(nodeName)} is not in ${topologyFile}`, {
        hint: `use one of: ${topology.nodes.map((n) => n.name).join(', ')}`,
      });
    }
    await mkdir(dirname(configPath), { recursive: true });
    logger.info('agent starting', { node: nodeName, topology: topologyFile, config: configPath, socket: this.options.socketPath });
    // bird6 must find its file before it starts.
    await this.queue.push(() => this.onTopology(topology));
    await this.supervisor?.start();
    await this.monitor.start();

    // Watchers and timers are unref'd; this handle is what keeps the process alive until a signal.
    const keepAlive = setInterval(() => {}, 2 ** 30);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(keepAlive);
    logger.info('agent stopping; bird6 and the kernel routes stay in place');
    this.topology.close();
    this.supervisor?.stop();
    await this.monitor.stop();
    await this.queue.drain();
    await this.control.close();
  }
}
