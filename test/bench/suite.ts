// The shape of one benchmark suite: it measures and returns a markdown section and its key
// figures, each with its goal, for the summary table `npm run bench` ends with (summary.ts).
export interface BenchSuite {
  /** short name for `npm run bench -- NAME` */
  name: string;
  title: string;
  run(): Promise<SuiteResult>;
}

export interface SuiteResult {
  markdown: string;
  figures: KeyFigure[];
}

/** One figure held to a goal: met when `measured` is at most (or below) the goal's value. */
export interface KeyFigure {
  /** what was measured, short enough for one table row */
  figure: string;
  measured: number;
  /** `x` for a ratio against a baseline measured in the same run */
  unit: 'x' | 'ms' | 'MiB';
  goal: { atMost: number } | { below: number };
}

/** Median and 95th percentile of a list of durations. */
export function percentiles(values: readonly number[]): { p50: number; p95: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p95: at(0.95), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Runs `fn` `runs` times after three warm-ups (so the JIT has compiled it) and returns the median wall time in milliseconds. */
export async function medianMs(runs: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < 3; i += 1) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return percentiles(times).p50;
}

/**
 * Runs the contenders in turn, round after round, after one warm-up each, so that load from other
 * work on this shared machine falls on all of them alike. Returns each one's wall times in ms.
 */
export async function interleaved(rounds: number, contenders: ReadonlyArray<() => unknown>): Promise<number[][]> {
  for (const fn of contenders) for (let i = 0; i < 3; i += 1) await fn();
  const times: number[][] = contenders.map(() => []);
  for (let i = 0; i < rounds; i += 1) {
    for (const [k, fn] of contenders.entries()) {
      const start = process.hrtime.bigint();
      await fn();
      times[k]!.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return times;
}
