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
  readonly starts: Array<{ file: string; args: readonly string[]; options: StartOptions | undefined }> = [];

  constructor(private readonly handler: (call: RecordedRun) => Partial<RunResult> = () => ({})) {}

  async run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    const call = { file, args, options };
    this.runs.push(call);
    return { stdout: '', stderr: '', exitCode: 0, ...this.handler(call) };
  }

  start(file: string, args: readonly string[], options?: StartOptions): RunningProcess {
    this.starts.push({ file, args, options });
    let finish: (code: number | null) => void = () => {};
    const exited = new Promise<number | null>((resolve) => (finish = resolve));
    return { pid: 100000 + this.starts.length, exited, kill: () => finish(null) };
  }
}
