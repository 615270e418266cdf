// A Runner that records every call and answers from a handler, for unit tests of code that would
// otherwise start processes.
import type { RunOptions, RunResult, Runner, RunningProcess, StartOptions } from '../../src/exec.ts';

export interface RecordedRun {
  file: string;
  args: readonly string[];
  options: RunOptions | undefined;
}

export class FakeRunner implements Runner {
  readonly runs: RecordedRun[] = [];
  /** Every started child; `process.kill()` makes it exit, as a crash would. */
  readonly starts: Array<{ file: string; args: readonly string[]; options: StartOptions | undefined; process: RunningProcess }> = [];

  constructor(private readonly handler: (call: RecordedRun) => Partial<RunResult> = () => ({})) {}

  async run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    const call = { file, args, options };
    this.runs.push(call);
    return { stdout: '', stderr: '', exitCode: 0, ...this.handler(call) };
  }

  start(file: string, args: readonly string[], options?: StartOptions): RunningProcess {
    let finish: (code: number | null) => void = () => {};
    const exited = new Promise<number | null>((resolve) => (finish = resolve));
    const process: RunningProcess = { pid: 100000 + this.starts.length + 1, exited, kill: () => finish(null) };
    this.starts.push({ file, args, options, process });
    return process;
  }
}
