// The only module that starts processes. Everything else receives a Runner, so tests can pass a
// fake one and no caller can build a shell string: commands are always a file plus an argument array.
// Built on node:child_process alone: execa cost the long-running agent about 6 MiB of resident
// memory and every process-starting command about 50 ms of start-up (issue 13), for what is below.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BirdctlError } from './errors.ts';

export interface RunOptions {
  /** Written to the child's standard input (used for `ip -batch -`); without it stdin is /dev/null. */
  input?: string;
  timeoutMs?: number;
  /** Run inside this network namespace (`ip netns exec NAME ...`). */
  netns?: string;
  /** Added to this process's environment (not a replacement for it). */
  env?: Record<string, string>;
  /** The most stdout, and separately stderr, may hold; more kills the child and throws. Default MAX_OUTPUT_BYTES. */
  maxOutputBytes?: number;
  /**
   * The child's stdout goes to an unlinked temporary file, read when it exits, instead of a pipe:
   * a child printing much in small writes (`ip -json` flushes every entry) then runs at its own
   * pace while this process is busy, where a pipe holds 64 KiB and stops it until this process
   * reads (issue 13: the host read of 10,000 endpoints took 100 ms more). The pipe when no file
   * can be made.
   */
  stdoutToFile?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface StartOptions {
  netns?: string;
  /** Added to this process's environment (not a replacement for it). */
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
  /** SIGTERM unless told; a child that ignores SIGTERM gets SIGKILL FORCE_KILL_AFTER_MS later. */
  kill(signal?: NodeJS.Signals): void;
}

export interface Runner {
  /** Runs to completion; a non-zero exit is a result, not an exception. */
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  start(file: string, args: readonly string[], options?: StartOptions): RunningProcess;
}

/** The bound of a run's captured output per stream (execa's former default), so a runaway command cannot exhaust memory. */
const MAX_OUTPUT_BYTES = 100_000_000;
/** How long a child told SIGTERM (by kill() or a run's timeout) has before SIGKILL. */
const FORCE_KILL_AFTER_MS = 5000;

function inNetns(netns: string | undefined, file: string, args: readonly string[]): [string, string[]] {
  return netns === undefined ? [file, [...args]] : ['ip', ['netns', 'exec', netns, file, ...args]];
}

function childEnv(env: Record<string, string> | undefined): NodeJS.ProcessEnv | undefined {
  return env === undefined ? undefined : { ...process.env, ...env };
}

/**
 * Children that must not outlive this process (every run, and a start without `detached`): killed
 * when it exits, so an agent that stops leaves no `ip monitor` or half-done `ip -batch` behind.
 * process.kill in an 'exit' listener is synchronous, as such a listener must be.
 */
const attached = new Set<ChildProcess>();
let exitHookInstalled = false;

function killOnExit(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of attached) c.kill('SIGTERM');
    });
  }
  attached.add(child);
  child.once('exit', () => attached.delete(child));
}

/** SIGTERM, then SIGKILL if the child is still there FORCE_KILL_AFTER_MS later (a timer that keeps nothing alive). */
function terminate(child: ChildProcess, signal: NodeJS.Signals): void {
  child.kill(signal);
  if (signal !== 'SIGTERM') return;
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, FORCE_KILL_AFTER_MS);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
}

/** How often the size of a stdout file is checked against the bound while its child runs. */
const STDOUT_FILE_CHECK_MS = 50;

/**
 * A descriptor of a new empty file that has no name any more (made in a directory of this
 * process's own, mode 0600, then both removed), so nothing is left behind whatever happens; or
 * undefined when none can be made (a full or read-only temporary directory).
 */
function unnamedFile(): number | undefined {
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'birdctl-stdout-'));
    return openSync(join(dir, 'stdout'), 'wx+', 0o600);
  } catch {
    return undefined;
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The child's stdout in file `fd` (RunOptions.stdoutToFile): the file grows without this process
 * reading it, so its size is checked against `limit` while the child runs. The function returned
 * stops the checks and closes the file, reading it whole first when `read` (undefined past the bound).
 */
function fileCapture(fd: number, limit: number, exceeded: () => void): (read: boolean) => string | undefined {
  const check = setInterval(() => {
    if (fstatSync(fd).size > limit) exceeded();
  }, STDOUT_FILE_CHECK_MS);
  check.unref();
  return (read) => {
    clearInterval(check);
    try {
      if (!read) return undefined;
      const bytes = fstatSync(fd).size;
      if (bytes <= limit) return readWhole(fd, bytes).toString('utf8');
      exceeded();
      return undefined;
    } finally {
      closeSync(fd);
    }
  };
}

/** The whole content of a file descriptor from its start. */
function readWhole(fd: number, bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes);
  let done = 0;
  while (done < bytes) {
    const n = readSync(fd, buffer, done, bytes - done, done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

type Failure = { kind: 'spawn'; error: Error } | { kind: 'timeout' } | { kind: 'output'; stream: string };

export const processRunner: Runner = {
  run(file, args, options = {}) {
    const [cmd, argv] = inNetns(options.netns, file, args);
    const limit = options.maxOutputBytes ?? MAX_OUTPUT_BYTES;
    return new Promise<RunResult>((resolve, reject) => {
      const stdoutFd = options.stdoutToFile ? unnamedFile() : undefined;
      let child: ChildProcess;
      try {
        child = spawn(cmd, argv, { stdio: [options.input === undefined ? 'ignore' : 'pipe', stdoutFd ?? 'pipe', 'pipe'], env: childEnv(options.env) });
      } catch (error) {
        if (stdoutFd !== undefined) closeSync(stdoutFd);
        throw error;
      }
      let failure: Failure | undefined;
      const fail = (f: Failure) => {
        if (failure !== undefined) return;
        failure = f;
        if (f.kind !== 'spawn') terminate(child, 'SIGTERM');
      };
      child.once('error', (error) => fail({ kind: 'spawn', error }));
      if (child.pid !== undefined) killOnExit(child);

      const capture = (stream: NodeJS.ReadableStream, name: string) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        stream.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > limit) fail({ kind: 'output', stream: name });
          else chunks.push(chunk);
        });
        // Decoded once at the end, so a character split between two chunks stays whole.
        return () => Buffer.concat(chunks).toString('utf8');
      };
      let stdout: (read: boolean) => string | undefined;
      if (stdoutFd === undefined) {
        const piped = capture(child.stdout!, 'stdout');
        stdout = (read) => (read ? piped() : undefined);
      } else stdout = fileCapture(stdoutFd, limit, () => fail({ kind: 'output', stream: 'stdout' }));
      const stderr = capture(child.stderr!, 'stderr');
      if (options.input !== undefined) {
        // A child that exits without reading all of its input (EPIPE) has still given its result.
        child.stdin!.on('error', () => {});
        child.stdin!.end(options.input);
      }
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => fail({ kind: 'timeout' }), options.timeoutMs);

      // 'close': the child has exited and its output is all read.
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        const output = stdout(failure === undefined && code !== null);
        if (failure === undefined && output !== undefined && code !== null) {
          resolve({ stdout: output, stderr: stderr(), exitCode: code });
          return;
        }
        // Not started at all (ENOENT, EACCES), killed by the timeout, by the output bound or by a
        // signal: a runtime failure, not a result.
        const why =
          failure?.kind === 'spawn'
            ? { message: failure.error.message, hint: `is ${cmd} installed and on PATH?` }
            : failure?.kind === 'timeout'
              ? { message: `timed out after ${options.timeoutMs} ms`, hint: 'the command did not finish in time' }
              : failure?.kind === 'output'
                ? { message: `its ${failure.stream} exceeded ${limit} bytes`, hint: 'the command printed far more than expected' }
                : { message: `killed by ${signal}`, hint: `something else stopped ${cmd}` };
        reject(new BirdctlError('COMMAND_FAILED', `could not run ${cmd}: ${why.message}`, { hint: why.hint, cause: failure?.kind === 'spawn' ? failure.error : undefined }));
      });
    });
  },

  start(file, args, options = {}) {
    const [cmd, argv] = inNetns(options.netns, file, args);
    // The child writes its log through its own descriptor: piping it through this process would
    // make a detached child (bird6, an agent started by the lab) die of EPIPE once its parent exits.
    const logFd = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
    const output = logFd ?? 'ignore';
    let child: ChildProcess;
    try {
      child = spawn(cmd, argv, {
        stdio: ['ignore', options.onLine === undefined ? output : 'pipe', output],
        env: childEnv(options.env),
        detached: options.detached ?? false,
      });
    } finally {
      if (logFd !== undefined) closeSync(logFd); // the child holds its own copy
    }
    // A failed spawn also emits 'error' (asynchronously): handled here, reported by the throw below.
    child.once('error', () => {});
    if (child.pid === undefined) {
      throw new BirdctlError('COMMAND_FAILED', `could not start ${cmd}`, { hint: `is ${cmd} installed and on PATH?` });
    }
    if (options.detached) child.unref();
    else killOnExit(child);
    if (options.onLine !== undefined) {
      const onLine = options.onLine;
      let partial = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        lines.forEach(onLine);
      });
    }
    // 'close', not 'exit': with onLine, every line has been delivered by then.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    return { pid: child.pid, exited, kill: (signal = 'SIGTERM') => terminate(child, signal) };
  },
};
