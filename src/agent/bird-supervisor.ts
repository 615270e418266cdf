// `birdctl agent --bird`: starts bird6 and restarts it with backoff when it dies, so a container or
// namespace needs only the agent. bird6 runs in its own process group, so it outlives the agent
// unless told otherwise, and a new agent adopts the running daemon (found through its control
// socket) instead of starting a second one.
//
// Two ways to stop (the agent picks one on SIGTERM, see `--keep-routes-on-stop`):
// - shutDown(): bird6 is shut down cleanly, so every BGP peer gets a Cease and withdraws this node's
//   routes at once. A bird6 that just disappears (killed, container removed) closes its sessions
//   without a word, and peers with graceful restart keep its routes as stale for the restart time
//   (bgp.njk), a blackhole for that long when the node is not coming back.
// - stop(): supervision ends and bird6 keeps running and routing, for an upgrade or restart of the
//   agent alone; the next agent adopts it and nothing flaps.
//
// Nothing here may end the agent: a bird6 that cannot be started (binary gone mid-upgrade, EAGAIN,
// ENOMEM) is logged and tried again with the same backoff as one that died.
import { basename } from 'node:path';
import { BirdClient } from '../birdc/client.ts';
import type { Runner, RunningProcess } from '../exec.ts';
import { processEntry, readPidFile } from '../proc.ts';
import { Backoff } from './backoff.ts';
import type { Logger } from './logger.ts';

export interface BirdSupervisorOptions {
  runner: Runner;
  configPath: string;
  socketPath: string;
  /** bird6 writes its PID here (`-P`), for operators and for tests that must kill it by PID. */
  pidPath: string;
  logger: Logger;
  /** true when a bird6 answers on the control socket */
  isAnswering: () => Promise<boolean>;
  birdBinary?: string;
  logFile?: string;
  backoff?: Backoff;
  /** A daemon that stayed up this long resets the backoff. */
  stableAfterMs?: number;
  /** Where process entries are read; default /proc (unit tests pass a stand-in directory). */
  procRoot?: string;
  /** Sends a signal to a PID that is not our child (an adopted bird6); default process.kill. */
  signal?: (pid: number, signal: NodeJS.Signals) => void;
}

/** BIRD's reply code to `down`: `0007 Shutdown requested`. */
const SHUTDOWN_REQUESTED = 7;
/** How often shutDown() looks whether bird6 has gone. */
const GONE_POLL_MS = 50;

/**
 * bird6's arguments. `-R` runs graceful restart recovery at start: with `graceful restart` in the
 * kernel protocol (bird-templates/kernel.njk) the routes `persist` left in the kernel stay until
 * BGP has resynchronised, instead of being removed and learnt again (lost packets meanwhile).
 */
function birdArguments(configPath: string, socketPath: string, pidPath: string): string[] {
  return ['-f', '-R', '-c', configPath, '-s', socketPath, '-P', pidPath];
}

export class BirdSupervisor {
  private child: RunningProcess | undefined;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly backoff: Backoff;

  constructor(private readonly options: BirdSupervisorOptions) {
    this.backoff = options.backoff ?? new Backoff(500, 30_000);
  }

  /** PID of the bird6 this agent started, if any. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Adopts a bird6 that already answers on the socket, or starts one. Never rejects. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.ensureRunning();
  }

  /** Called when the monitor sees the daemon go down: restart it unless one is on its way. Never rejects. */
  async ensureRunning(): Promise<void> {
    if (this.stopped || this.child !== undefined || this.restartTimer !== undefined) return;
    if (await this.isAnswering()) {
      this.options.logger.info('adopted the running bird6', { socket: this.options.socketPath });
      return;
    }
    // The probe may have raced a stop() or another caller that already started one.
    if (this.stopped || this.child !== undefined || this.restartTimer !== undefined) return;
    const live = this.liveBirdFromPidFile();
    if (live !== undefined) {
      // A stopped (SIGSTOP) or hung bird6 does not answer, yet holds the socket and the kernel
      // routes: a second bird6 would fight it. Look again later; it may resume or go away.
      const delayMs = this.backoff.next();
      this.options.logger.warn('bird6 from the pid file is alive but not answering; not starting a second one', {
        pid: live.pid,
        pidFile: this.options.pidPath,
        processState: live.state === 'T' || live.state === 't' ? 'stopped' : live.state,
        checkAgainInMs: delayMs,
      });
      this.retryIn(delayMs);
      return;
    }
    this.spawn();
  }

  /** The bird6 our pid file names, when that PID is still a live bird6 (not a recycled PID). */
  private liveBirdFromPidFile(): { pid: number; state: string } | undefined {
    const pid = readPidFile(this.options.pidPath);
    if (pid === undefined) return undefined;
    const entry = processEntry(pid, this.options.procRoot);
    if (entry === undefined) return undefined;
    // comm is the executable's name cut to 15 characters. A bird6 that wrote our pid file was
    // started with `-P` naming it (or shares our socket); any other bird6 under a recycled PID is not ours.
    const name = basename(this.options.birdBinary ?? 'bird6').slice(0, 15);
    const ours = entry.args.includes(this.options.pidPath) || entry.args.includes(this.options.socketPath);
    return entry.name === name && ours ? { pid, state: entry.state } : undefined;
  }

  private spawn(): void {
    const { runner, configPath, socketPath, pidPath, logger } = this.options;
    let child: RunningProcess;
    try {
      child = runner.start(this.options.birdBinary ?? 'bird6', birdArguments(configPath, socketPath, pidPath), { detached: true, logFile: this.options.logFile });
    } catch (error) {
      const delayMs = this.backoff.next();
      logger.error('could not start bird6; retrying', { error, restartInMs: delayMs });
      this.retryIn(delayMs);
      return;
    }
    this.child = child;
    this.startedAt = Date.now();
    logger.info('started bird6', { pid: child.pid, config: configPath, socket: socketPath });
    child.exited.then(
      (code) => this.onExit(child, code),
      (error: unknown) => this.onExit(child, null, error),
    );
  }

  private onExit(child: RunningProcess, code: number | null, error?: unknown): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (Date.now() - this.startedAt > (this.options.stableAfterMs ?? 30_000)) this.backoff.reset();
    if (this.stopped) return;
    const delayMs = this.backoff.next();
    this.options.logger.warn('bird6 exited; restarting', {
      pid: child.pid,
      exitCode: code,
      ...(error === undefined ? {} : { error }),
      restartInMs: delayMs,
    });
    this.retryIn(delayMs);
  }

  private retryIn(delayMs: number): void {
    if (this.stopped) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.ensureRunning();
    }, delayMs);
  }

  /** Stops supervising. bird6 itself keeps running and routing (see the module comment). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  /**
   * Stops supervising and shuts bird6 down so its peers withdraw this node's routes at once (see the
   * module comment). BIRD 1.6 handles `down` on the control socket and SIGTERM alike: every
   * protocol goes down, each BGP session with a Cease (administrative shutdown), then it exits.
   * `down` reaches whichever bird6 answers on our socket, the adopted one included; SIGTERM is the
   * fallback when the socket does not take it (still starting, access restricted), sent only to
   * our child or to the live bird6 our pid file names. Waits until bird6 has gone, at most
   * `timeoutMs` in all, and resolves whether it has; never rejects. A bird6 that stays (stopped,
   * hung) is reported and left alone: killing it would close its sessions without a Cease.
   */
  async shutDown(timeoutMs: number): Promise<boolean> {
    this.stop();
    const { logger } = this.options;
    const deadline = Date.now() + timeoutMs;
    const accepted = await this.requestDown(Math.max(1, Math.min(1000, timeoutMs / 2)));
    const pid = this.child?.pid ?? this.liveBirdFromPidFile()?.pid;
    if (!accepted) {
      if (pid === undefined) {
        if (!(await this.isAnswering())) return true; // no bird6 running: nothing to shut down
        logger.warn('the bird6 on the control socket refused `down` and is not ours to signal; leaving it', { socket: this.options.socketPath });
        return false;
      }
      logger.info('bird6 did not take `down` on its control socket; sending it SIGTERM', { pid });
      if (this.child !== undefined) this.child.kill('SIGTERM');
      else (this.options.signal ?? ((target, signal) => process.kill(target, signal)))(pid, 'SIGTERM');
    }
    const started = Date.now();
    while (!(await this.isGone())) {
      if (Date.now() >= deadline) {
        logger.warn('bird6 did not exit after the shutdown request; leaving it (its peers withdraw its routes when their hold timer expires)', {
          pid: pid ?? null,
          waitedMs: timeoutMs,
        });
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, GONE_POLL_MS));
    }
    logger.info('bird6 shut down', { pid: pid ?? null, method: accepted ? 'down' : 'SIGTERM', exitMs: Date.now() - started });
    return true;
  }

  /** `down` on the control socket; true when bird6 accepted it. */
  private async requestDown(timeoutMs: number): Promise<boolean> {
    const client = new BirdClient({ socketPath: this.options.socketPath, reconnect: false, connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs });
    try {
      return (await client.command('down')).code === SHUTDOWN_REQUESTED;
    } catch {
      return false;
    } finally {
      await client.close();
    }
  }

  /** The probe of the options, a failure of which counts as no answer: nothing here may reject. */
  private async isAnswering(): Promise<boolean> {
    return this.options.isAnswering().catch(() => false);
  }

  /** No child of ours, no live bird6 under our pid file, nothing answering on our socket. */
  private async isGone(): Promise<boolean> {
    return this.child === undefined && this.liveBirdFromPidFile() === undefined && !(await this.isAnswering());
  }
}
