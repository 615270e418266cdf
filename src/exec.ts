// The only module that starts processes. Everything else receives a Runner, so tests can pass a
// fake one and no caller can build a shell string: commands are always a file plus an argument array.
import { closeSync, openSync } from 'node:fs';
import { execa } from 'execa';
import { BirdctlError } from './errors.ts';

export interface RunOptions {
  /** Written to the child's standard input (used for `ip -batch -`). */
  input?: string;
  timeoutMs?: number;
  /** Run inside this network namespace (`ip netns exec NAME ...`). */
  netns?: string;
  env?: Record<string, string>;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface StartOptions {
  netns?: string;
  env?: Record<string, string>;
  /** Where the child's stdout and stderr go; default: ignored. */
  logFile?: string;
  /** Receives each line of the child's stdout instead (for `ip monitor`); stderr still goes to logFile. */
  onLine?: (line: string) => void;
  /** Own process group: the child survives its parent's exit (bird6 keeps routing while the agent restarts). */
  detached?: boolean;
}

/** A long-running child (bird6, dnsmasq, an agent) owned by whoever started it. */
export interface RunningProcess {
  readonly pid: number;
  /** Resolves with the exit code (or null when killed by a signal) once the child has gone. */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

export interface Runner {
  /** Runs to completion; a non-zero exit is a result, not an exception. */
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  start(file: string, args: readonly string[], options?: StartOptions): RunningProcess;
}

function inNetns(netns: string | undefined, file: string, args: readonly string[]): [string, string[]] {
  return netns === undefined ? [file, [...args]] : ['ip', ['netns', 'exec', netns, file, ...args]];
}

export const execaRunner: Runner = {
  async run(file, args, options = {}) {
    const [cmd, argv] = inNetns(options.netns, file, args);
    const result = await execa(cmd, argv, {
      reject: false,
      input: options.input,
      timeout: options.timeoutMs,
      env: options.env,
      stripFinalNewline: false,
    });
    if (result.failed && result.exitCode === undefined) {
      // Not started at all (ENOENT, EACCES) or killed by the timeout: a runtime failure, not a result.
      throw new BirdctlError('COMMAND_FAILED', `could not run ${cmd}: ${result.shortMessage}`, {
        hint: result.timedOut ? 'the command did not finish in time' : `is ${cmd} installed and on PATH?`,
        cause: result,
      });
    }
    return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode: result.exitCode ?? 1 };
  },

  start(file, args, options = {}) {
    const [cmd, argv] = inNetns(options.netns, file, args);
    // The child writes its log through its own descriptor. execa's {file} target would pipe the
    // output through this process, and a detached child (bird6, an agent started by the lab) would
    // then die of EPIPE once its parent exits.
    const logFd = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
    // execa's types name only descriptors 3 to 9, but any open descriptor is handed to spawn as is.
    const output = (logFd ?? 'ignore') as 3 | 'ignore';
    const child = execa(cmd, argv, {
      reject: false,
      stdin: 'ignore',
      stdout: options.onLine === undefined ? output : 'pipe',
      stderr: output,
      env: options.env,
      cleanup: !options.detached,
      detached: options.detached ?? false,
      buffer: false,
    });
    if (logFd !== undefined) closeSync(logFd); // the child holds its own copy
    if (child.pid === undefined) {
      throw new BirdctlError('COMMAND_FAILED', `could not start ${cmd}`, { hint: `is ${cmd} installed and on PATH?` });
    }
    if (options.onLine !== undefined) {
      const onLine = options.onLine;
      let partial = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        lines.forEach(onLine);
      });
    }
    if (options.detached) child.unref();
    const exited = child.then((r) => (r.exitCode === undefined ? null : r.exitCode));
    return { pid: child.pid, exited, kill: (signal = 'SIGTERM') => void child.kill(signal) };
  },
};
