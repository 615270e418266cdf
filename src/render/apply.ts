// Puts the bird6.conf the topology renders into service and keeps it there, the way Calico's confd
// does: render, stage the file beside the live one (fsync), check it with `bird6 -p`, rename it
// into place, `configure` over the control socket, verify the reply, and roll back to the previous
// file when bird6 refuses the new one. This module is the one owner of that sequence and of its
// outcome (ConfigApply), which the agent logs and the stream shows.
//
// What bird6 runs is tracked, never assumed: `loaded` is set only by a `configure` bird6 confirmed.
// A file that already holds the render is therefore not "unchanged" after a start, a failed or an
// unanswered configure (a kill between the rename and `configure` leaves exactly that), and
// resync() sends `configure` for it. Why not compare `show status`'s `Last reconfiguration` with
// the file's mtime instead: BIRD 1.6 prints its times in whole seconds converted from a monotonic
// clock with a 1 s jitter, so an edit within the same second as the last reload would be judged
// loaded. A no-op `configure` is cheap (measured against real bird6 1.6.8, connect included:
// median 1-6 ms for 2-200 sessions, 10 ms for 1,000) and restarts no session, but each one is a
// reconfiguration BIRD logs and the monitor reports, so it is sent only when the module cannot
// vouch for what bird6 runs. A bird6
// that restarts reads the file itself, and only a file that passed `bird6 -p` is ever put there.
//
// Callers serialise: one apply or resync at a time (the agent's queue).
import { link, readFile, rename, rm, stat } from 'node:fs/promises';
import { removeStaleStaged, writeStaged, type StagedAccess } from '../atomic-write.ts';
import { BirdClient } from '../birdc/client.ts';
import { BirdctlError, formatError } from '../errors.ts';
import type { Runner } from '../exec.ts';
import { sessionChanges, sessionSummaryLine } from '../plan/bird-sessions.ts';
import type { Topology } from '../topology/index.ts';
import { render, type RenderOptions } from './render.ts';

/** What `configure` over the control socket answered; codes as BIRD 1.6 prints them. */
export interface ConfigureReply {
  code: number;
  text: string;
}

/**
 * - `unchanged`: bird6 already runs the render; nothing done
 * - `applied`: the new file written and loaded
 * - `reloaded`: the file already held the render; bird6 was told to load it
 * - `pending`: the file is in place but bird6 did not confirm it (not running, hung, connection
 *   lost); `configure` is sent again at every resync
 * - `rejected`: bird6 refused the render (`bird6 -p` or `configure`); the previous file stays in
 *   service and the same text is not tried again, only a different render is
 * - `failed`: it could not be written or checked (full or read-only disk, bird6 -p not runnable);
 *   the previous file stays in service and the next resync tries again
 */
export type ConfigOutcome = 'unchanged' | 'applied' | 'reloaded' | 'pending' | 'rejected' | 'failed';

/** The outcome of one attempt to put the render in service. */
export interface ConfigApply {
  /** epoch milliseconds */
  at: number;
  /** bird6 runs the render */
  ok: boolean;
  outcome: ConfigOutcome;
  /** one line for people: `applied (0003 Reconfigured)`, or what failed and what happens next */
  summary: string;
  /** the error text when `ok` is false */
  error?: string;
}

export type ConfigLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface BirdConfigOptions {
  nodeName: string;
  /** The file bird6 was started with (`-c`); `configure` names it explicitly. */
  configPath: string;
  /** How to render: a site's templates, the endpoint route protocol. */
  render?: RenderOptions;
  runner: Runner;
  /** Sends one command to the running bird6; rejects with a BirdctlError (see configureOver). */
  command: (command: string) => Promise<ConfigureReply>;
  log: (level: ConfigLogLevel, message: string, context: Record<string, unknown>) => void;
  /** epoch milliseconds */
  now: () => number;
  birdBinary?: string;
}

/** 0003 Reconfigured, 0004 Reconfiguration in progress, 0005 already in progress, queueing. */
const CONFIGURE_OK = new Set([3, 4, 5]);

/** How long bird6 may take to answer `configure`; a no-op one for 1,000 sessions takes about 10 ms (above). */
const CONFIGURE_TIMEOUT_MS = 5000;

/**
 * Sends each command over a connection of its own. A long-lived client that lost its connection
 * refuses commands during its reconnect backoff (up to 5 s), so a resync right after bird6 came
 * back would fail for nothing; a connect costs about a millisecond. A hung bird6 costs at most
 * the greeting timeout (3 s) or the command timeout.
 */
export function configureOver(socketPath: string): (command: string) => Promise<ConfigureReply> {
  return async (command) => {
    const client = new BirdClient({ socketPath, reconnect: false, commandTimeoutMs: CONFIGURE_TIMEOUT_MS });
    try {
      await client.connect();
      const reply = await client.command(command);
      return { code: reply.code, text: reply.text };
    } finally {
      await client.close();
    }
  };
}

/**
 * bird6.conf holds the sessions' TCP-MD5 passwords, and other daemons (dnsmasq, as nobody) may be
 * let into its directory: a new file is 0640 for its creator (bird6 started by root). A file being
 * replaced keeps its mode and owner, so a bird6 that re-reads it as another user (Debian's `-u bird`)
 * still can.
 */
async function configAccess(path: string): Promise<StagedAccess> {
  try {
    const s = await stat(path);
    return { mode: s.mode & 0o777, owner: { uid: s.uid, gid: s.gid } };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { mode: 0o640 };
    throw error;
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** `bird6 -p -c FILE`: exit 1 and `bird: FILE:LINE:COL message` on stderr for a bad file. */
async function checkConfig(runner: Runner, file: string, birdBinary: string): Promise<void> {
  // A bird6 that cannot be started at all throws COMMAND_FAILED from the runner: not a verdict.
  const result = await runner.run(birdBinary, ['-p', '-c', file], { timeoutMs: 30_000 });
  if (result.exitCode !== 0) {
    const message = result.stderr.trim().replace(/^bird: /, '') || `exit code ${result.exitCode}`;
    throw new BirdctlError('BIRD_CONFIG_REJECTED', `bird6 -p rejected the rendered config: ${message}`, {
      hint: 'the previous config stays in place; this is a renderer bug or an unsupported topology, please report it',
    });
  }
}

/** No bird6 listens at all (as while it starts): no socket file, or nothing accepting on it. */
function notRunning(error: unknown): boolean {
  if (!(error instanceof BirdctlError) || error.code !== 'BIRD_UNREACHABLE') return false;
  const errno = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return errno === 'ENOENT' || errno === 'ECONNREFUSED';
}

/**
 * bird6's verdict on the file (`bird6 -p` exit 1, or 8002 to `configure`): retrying the same text
 * fails the same way, so it is remembered as rejected. Anything else (bird6 -p not runnable, 0006
 * shutting down, a full disk) may pass next time.
 */
function rejectedOrFailed(content: string, error: unknown): Step {
  const verdict = error instanceof BirdctlError && error.code === 'BIRD_CONFIG_REJECTED';
  return verdict ? { outcome: 'rejected', error, remember: content } : { outcome: 'failed', error };
}

/** bird6 could not be asked or did not answer: whether it loaded the file is unknown. */
function unanswered(error: unknown): boolean {
  return error instanceof BirdctlError && (error.code === 'BIRD_UNREACHABLE' || error.code === 'BIRD_TIMEOUT');
}

const code4 = (reply: ConfigureReply) => `${String(reply.code).padStart(4, '0')} ${reply.text}`;

export class BirdConfig {
  /** The last attempt that did something; null before the first. */
  last: ConfigApply | null = null;
  /** The text bird6 confirmed loading with its `configure` reply; undefined when unknown. */
  private loaded: string | undefined;
  /** The last render bird6 refused, with that attempt's outcome. */
  private refused: { content: string; result: ConfigApply } | undefined;
  private readonly backupPath: string;
  private readonly configureCommand: string;

  constructor(private readonly options: BirdConfigOptions) {
    if (/["\n\\]/.test(options.configPath)) {
      throw new BirdctlError('USAGE', `config path ${JSON.stringify(options.configPath)} cannot be passed to BIRD's configure command`, {
        hint: 'use a path without quotes, backslashes or newlines',
      });
    }
    this.backupPath = `${options.configPath}.previous`;
    // The explicit path: an adopted bird6 may have been started with another -c.
    this.configureCommand = `configure "${options.configPath}"`;
  }

  /** Removes the staged files a killed predecessor left beside the config. */
  async start(): Promise<void> {
    const removed = await removeStaleStaged(this.options.configPath);
    if (removed.length > 0) this.options.log('info', 'removed staged config files a previous run left behind', { config: this.options.configPath, files: removed });
  }

  /** For a topology change: always returns what happened, `unchanged` included. */
  async apply(topology: Topology): Promise<ConfigApply> {
    const at = this.options.now();
    const result = await this.ensure(topology, at);
    if (result === 'refused') return this.refused!.result;
    if (result === 'current') {
      this.options.log('debug', 'bird6 config unchanged', { config: this.options.configPath });
      return { at, ok: true, outcome: 'unchanged', summary: 'unchanged' };
    }
    return result;
  }

  /**
   * For the periodic resync: makes sure bird6 runs the render, retrying whatever failed. Returns
   * undefined when there was nothing to do or nothing new to say (the same failure as last time).
   */
  async resync(topology: Topology): Promise<ConfigApply | undefined> {
    const previous = this.last;
    const result = await this.ensure(topology, this.options.now());
    if (result === 'refused' || result === 'current') return undefined;
    const same = previous !== null && previous.outcome === result.outcome && previous.summary === result.summary && previous.error === result.error;
    return same && !result.ok ? undefined : result;
  }

  /**
   * Puts the render in service when bird6 may not run it. Does nothing for a render bird6 already
   * refused (`refused`) or one it confirmed loading that is still on disk (`current`).
   */
  private async ensure(topology: Topology, at: number): Promise<ConfigApply | 'refused' | 'current'> {
    const { nodeName, configPath } = this.options;
    const started = performance.now();
    let content: string;
    let onDisk: string | undefined;
    try {
      content = render(topology, nodeName, this.options.render);
      if (content === this.refused?.content) return 'refused';
      onDisk = await readIfExists(configPath);
    } catch (error) {
      return this.finish(at, started, { outcome: 'failed', error });
    }
    if (onDisk === content && this.loaded === content) return 'current';
    const step = onDisk === content ? await this.reload(content) : await this.replace(content, onDisk);
    // The sessions this file change adds, removes or restarts, as `birdctl plan` shows them.
    return this.finish(at, started, step, onDisk === content ? undefined : sessionSummaryLine(sessionChanges(onDisk ?? '', content)));
  }

  /** The file already holds the render; only bird6 needs telling. */
  private async reload(content: string): Promise<Step> {
    try {
      const reply = await this.configure();
      this.loaded = content;
      return { outcome: 'reloaded', reply };
    } catch (error) {
      // Nothing to roll back to: the file was there before this attempt.
      return this.configureFailed(content, error, undefined);
    }
  }

  /** Stage, check, keep the previous file, rename, configure. */
  private async replace(content: string, previous: string | undefined): Promise<Step> {
    const { configPath, runner } = this.options;
    let staged: string;
    try {
      staged = await writeStaged(configPath, content, await configAccess(configPath));
    } catch (error) {
      return { outcome: 'failed', error };
    }
    try {
      await checkConfig(runner, staged, this.options.birdBinary ?? 'bird6');
      // A hard link: no space needed (the disk may be nearly full) and the old inode stays intact.
      await rm(this.backupPath, { force: true });
      if (previous !== undefined) await link(configPath, this.backupPath);
      await rename(staged, configPath);
    } catch (error) {
      await rm(staged, { force: true });
      return rejectedOrFailed(content, error);
    }
    try {
      const reply = await this.configure();
      this.loaded = content;
      return { outcome: 'applied', reply };
    } catch (error) {
      return this.configureFailed(content, error, { previous });
    }
  }

  private async configure(): Promise<ConfigureReply> {
    const reply = await this.options.command(this.configureCommand);
    if (!CONFIGURE_OK.has(reply.code)) {
      throw new BirdctlError('BIRD_REPLY', `bird6 did not take the config: ${code4(reply)}`, { hint: 'the previous config was restored' });
    }
    return reply;
  }

  /**
   * No answer: the file passed `bird6 -p` and stays (bird6 reads it when it starts, or loads it at
   * the next resync). A refusal: the previous file goes back and bird6 is re-aligned with it.
   */
  private async configureFailed(content: string, error: unknown, rollback: { previous: string | undefined } | undefined): Promise<Step> {
    if (unanswered(error)) {
      this.loaded = undefined;
      return { outcome: 'pending', error };
    }
    try {
      const previous = rollback?.previous;
      if (previous !== undefined) {
        await rename(this.backupPath, this.options.configPath);
        // Best effort: bird6 kept running its old config when it refused the new one, so this
        // only re-aligns it with the disk; its failure must not hide the original error.
        this.loaded = undefined;
        await this.configure().then(() => (this.loaded = previous), () => undefined);
      } else if (rollback !== undefined) {
        // The first file ever, refused: no rejected config stays on disk for bird6 to start with.
        await rm(this.options.configPath, { force: true });
      }
    } catch (restoreError) {
      this.options.log('error', 'could not restore the previous bird6 config', { config: this.options.configPath, error: restoreError });
    }
    return rejectedOrFailed(content, error);
  }

  private finish(at: number, started: number, step: Step, sessions?: string): ConfigApply {
    const { configPath, log } = this.options;
    const durationMs = Math.round(performance.now() - started);
    let result: ConfigApply;
    if ('reply' in step) {
      result = { at, ok: true, outcome: step.outcome, summary: `${step.outcome} (${code4(step.reply)})` };
      this.refused = undefined;
      log('info', `bird6 config ${step.outcome}`, { config: configPath, detail: result.summary, durationMs, ...(sessions === undefined ? {} : { sessions }) });
    } else {
      const error = formatError(step.error).trim();
      const why = step.error instanceof Error ? step.error.message : String(step.error);
      const next = {
        pending: `on disk, not confirmed loaded by bird6 (${why}); configure is sent again at every resync`,
        rejected: 'rejected by bird6; the previous config stays in service until the render changes',
        failed: `not applied (${why}); the previous config stays in service; retried at the next resync`,
      }[step.outcome];
      result = { at, ok: false, outcome: step.outcome, summary: next, error };
      if (step.outcome === 'rejected') this.refused = { content: step.remember, result };
      // The same failure at every resync is said once; the retries go to the debug log. A
      // rejected render is never retried (refused above), so each rejection is a new render's.
      const repeated = step.outcome !== 'rejected' && this.last?.outcome === result.outcome && this.last.summary === result.summary && this.last.error === result.error;
      if (step.outcome === 'pending') {
        // bird6 not running at all is normal while it starts: it reads the file then. A bird6
        // that accepts but does not answer is hung, and that deserves a warning.
        log(repeated ? 'debug' : notRunning(step.error) ? 'info' : 'warn', 'bird6 config written, not confirmed loaded', { config: configPath, error: step.error, durationMs });
      } else {
        log(repeated ? 'debug' : 'error', 'bird6 config not applied', { config: configPath, outcome: step.outcome, error: step.error, durationMs });
      }
    }
    this.last = result;
    return result;
  }
}

type Step =
  | { outcome: 'applied' | 'reloaded'; reply: ConfigureReply }
  | { outcome: 'pending' | 'failed'; error: unknown }
  | { outcome: 'rejected'; error: unknown; remember: string };
