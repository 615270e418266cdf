// The agent's view of the topology file: loaded at start, reloaded whenever the file changes
// (watch-file.ts says when). A file that becomes invalid is reported with exactly the text
// `birdctl validate` prints, and the agent carries on with the last good topology: a typo must never
// tear down a cluster's routing. A file that cannot be read at all (gone, a FIFO or device, which the
// loader refuses without opening it, or a read that never returns, as on a hung network filesystem)
// is reported the same way, and the next change retries: the source never goes deaf.
import { BirdctlError, formatError } from '../errors.ts';
import { loadTopology, type Topology } from '../topology/index.ts';
import type { Logger } from './logger.ts';
import { watchFile, type FileWatch } from './watch-file.ts';

export interface TopologySourceOptions {
  file: string;
  logger: Logger;
  /** merges the events of one in-place write (default 100 ms) */
  debounceMs?: number;
  /** period of the safety-net stat of the file (default 1000 ms): no change goes unseen longer */
  pollMs?: number;
  /** a read that has not finished by then is abandoned with a log line (default 10 s) */
  reloadTimeoutMs?: number;
  /** reads and validates the file: loadTopology, unless a test injects one that hangs */
  load?: (file: string) => Promise<Topology>;
  /** A new valid topology (not called when the file changed into the same content). */
  onTopology: (topology: Topology) => void;
  /** The file changed into an invalid or unreadable topology; `report` is `birdctl validate`'s stderr text. */
  onInvalid: (report: string, error: unknown) => void;
}

type ReadOutcome =
  | { kind: 'topology'; topology: Topology }
  | { kind: 'failed'; error: unknown; message: string }
  | { kind: 'stuck' };

export class TopologySource {
  private watch: FileWatch | undefined;
  private lastGood: Topology | undefined;
  private lastGoodJson = '';
  /** a read is under way; changes meanwhile set `readAgain` so reads never overlap or overtake */
  private reading = false;
  private readAgain = false;
  private closed = false;

  constructor(private readonly options: TopologySourceOptions) {}

  get current(): Topology | undefined {
    return this.lastGood;
  }

  private get timeoutMs(): number {
    return this.options.reloadTimeoutMs ?? 10_000;
  }

  /**
   * First load, returned rather than passed to onTopology: an invalid file here is fatal (thrown),
   * since there is no last good topology to run on. The watch is armed first, so an edit made
   * while the first load runs is not lost.
   */
  async start(): Promise<Topology> {
    const { file, debounceMs = 100, pollMs = 1000 } = this.options;
    const watch = watchFile(file, { debounceMs, pollMs }, () => this.requestReload());
    this.watch = watch;
    this.reading = true;
    let outcome: ReadOutcome;
    try {
      await watch.ready;
      outcome = await this.read();
    } finally {
      this.reading = false;
    }
    if (outcome.kind !== 'topology') {
      this.close();
      throw outcome.kind === 'failed'
        ? outcome.error
        : new BirdctlError('TOPOLOGY_READ', `cannot read topology ${file}: the read did not finish within ${this.timeoutMs} ms`, {
            hint: 'the file may be on a hung network filesystem or be a FIFO; pass a regular file',
          });
    }
    this.remember(outcome.topology);
    if (this.readAgain) this.requestReload();
    return outcome.topology;
  }

  private requestReload(): void {
    if (this.closed) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    void this.reloadUntilCurrent()
      .catch((error: unknown) => this.options.logger.error('topology reload failed', { file: this.options.file, error }))
      .finally(() => {
        this.reading = false;
      });
  }

  private async reloadUntilCurrent(): Promise<void> {
    do {
      this.readAgain = false;
      const outcome = await this.read();
      if (this.closed) return;
      this.apply(outcome);
    } while (this.readAgain && !this.closed);
  }

  /** One read, given up after the deadline so that a read that never returns holds nothing back. */
  private async read(): Promise<ReadOutcome> {
    const { file } = this.options;
    const work = this.checkedLoad();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<ReadOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'stuck' }), this.timeoutMs);
      timer.unref(); // an abandoned read must not keep a stopping process alive either
    });
    const outcome = await Promise.race([work, deadline]);
    clearTimeout(timer);
    if (outcome.kind === 'stuck') {
      this.options.logger.error('topology read did not finish; keeping the last good one', {
        file,
        timeoutMs: this.timeoutMs,
        hint: 'the next change of the file retries',
      });
    }
    return outcome;
  }

  private async checkedLoad(): Promise<ReadOutcome> {
    try {
      return { kind: 'topology', topology: await (this.options.load ?? loadTopology)(this.options.file) };
    } catch (error) {
      const unreadable = error instanceof BirdctlError && error.code === 'TOPOLOGY_READ';
      return { kind: 'failed', error, message: unreadable ? 'topology file cannot be read; keeping the last good one' : 'topology is invalid; keeping the last good one' };
    }
  }

  private apply(outcome: ReadOutcome): void {
    if (outcome.kind === 'stuck') return; // already logged by read()
    if (outcome.kind === 'topology') {
      this.accept(outcome.topology);
      return;
    }
    const report = formatError(outcome.error);
    this.options.logger.error(outcome.message, { file: this.options.file, report });
    this.options.onInvalid(report, outcome.error);
  }

  /** Returns false when the topology means the same as the last good one. */
  private remember(topology: Topology): boolean {
    const json = JSON.stringify({ ...topology, source: undefined });
    if (json === this.lastGoodJson) return false;
    this.lastGood = topology;
    this.lastGoodJson = json;
    return true;
  }

  private accept(topology: Topology): void {
    if (!this.remember(topology)) return;
    this.options.logger.info('topology changed', { file: this.options.file });
    this.options.onTopology(topology);
  }

  /** Stops watching at once; a read still under way is ignored when it returns. */
  close(): void {
    this.closed = true;
    this.watch?.close();
  }
}
