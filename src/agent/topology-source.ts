// The agent's view of the topology file: loaded at start, reloaded when the file changes. A file
// that becomes invalid is reported with exactly the text `birdctl validate` prints, and the agent
// carries on with the last good topology: a typo must never tear down a cluster's routing.
import { formatError } from '../errors.ts';
import { loadTopology, type Topology } from '../topology/index.ts';
import type { Logger } from './logger.ts';
import { watchFile, type FileWatch } from './watch-file.ts';

export interface TopologySourceOptions {
  file: string;
  logger: Logger;
  debounceMs?: number;
  /** A new valid topology (not called when the file changed into the same content). */
  onTopology: (topology: Topology) => void;
  /** The file changed into an invalid topology; `report` is `birdctl validate`'s stderr text. */
  onInvalid: (report: string, error: unknown) => void;
}

export class TopologySource {
  private watch: FileWatch | undefined;
  private lastGood: Topology | undefined;
  private lastGoodJson = '';
  private reloading: Promise<void> = Promise.resolve();

  constructor(private readonly options: TopologySourceOptions) {}

  get current(): Topology | undefined {
    return this.lastGood;
  }

  /** First load: an invalid file here is fatal (thrown), since there is no last good topology. */
  async start(): Promise<Topology> {
    const topology = await loadTopology(this.options.file);
    this.accept(topology);
    this.watch = watchFile(this.options.file, this.options.debounceMs ?? 100, () => {
      // Reloads run one after another so an older read never overtakes a newer one.
      this.reloading = this.reloading.then(() => this.reload());
    });
    return topology;
  }

  async reload(): Promise<void> {
    let topology: Topology;
    try {
      topology = await loadTopology(this.options.file);
    } catch (error) {
      const report = formatError(error);
      this.options.logger.error('topology is invalid; keeping the last good one', { file: this.options.file, report });
      this.options.onInvalid(report, error);
      return;
    }
    this.accept(topology);
  }

  private accept(topology: Topology): void {
    const json = JSON.stringify({ ...topology, source: undefined });
    if (json === this.lastGoodJson) return;
    const first = this.lastGood === undefined;
    this.lastGood = topology;
    this.lastGoodJson = json;
    if (!first) this.options.logger.info('topology changed', { file: this.options.file });
    this.options.onTopology(topology);
  }

  close(): void {
    this.watch?.close();
  }
}
