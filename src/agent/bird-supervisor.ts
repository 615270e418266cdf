// `birdctl agent --bird`: starts bird6 and restarts it with backoff when it dies, so a container or
// namespace needs only the agent. bird6 runs in its own process group and is left running when the
// agent stops: routes stay in place while the controller restarts, and the next agent adopts the
// running daemon (found through its control socket) instead of starting a second one.
import type { Runner, RunningProcess } from '../exec.ts';
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

  /** Adopts a bird6 that already answers on the socket, or starts one. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.ensureRunning();
  }

  /** Called when the monitor sees the daemon go down: restart it unless one is on its way. */
  async ensureRunning(): Promise<void> {
    if (this.stopped || this.child !== undefined || this.restartTimer !== undefined) return;
    if (await this.options.isAnswering()) {
      this.options.logger.info('adopted the running bird6', { socket: this.options.socketPath });
      return;
    }
    this.spawn();
  }

  private spawn(): void {
    const { runner, configPath, socketPath, pidPath, logger } = this.options;
    const args = ['-f', '-c', configPath, '-s', socketPath, '-P', pidPath];
    const child = runner.start(this.options.birdBinary ?? 'bird6', args, { detached: true, logFile: this.options.logFile });
    this.child = child;
    this.startedAt = Date.now();
    logger.info('started bird6', { pid: child.pid, config: configPath, socket: socketPath });
    void child.exited.then((code) => this.onExit(child, code));
  }

  private onExit(child: RunningProcess, code: number | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (Date.now() - this.startedAt > (this.options.stableAfterMs ?? 30_000)) this.backoff.reset();
    if (this.stopped) return;
    const delayMs = this.backoff.next();
    this.options.logger.warn('bird6 exited; restarting', { pid: child.pid, exitCode: code, restartInMs: delayMs });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.ensureRunning();
    }, delayMs);
  }

  /** Stops supervising. bird6 itself keeps running (see the module comment). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }
}
