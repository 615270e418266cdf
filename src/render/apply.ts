// Puts a rendered bird6.conf into service the way Calico's confd does: stage it beside the live
// file, skip everything when nothing changed, check it with `bird6 -p`, rename it into place, ask
// the running bird6 to `configure`, and read the reply. When bird6 refuses the new file, the
// previous one is restored and bird6 is reconfigured with it, so the daemon is never left on a
// file it rejected nor the disk holding a file the daemon does not run.
import { copyFile, readFile, rename, rm } from 'node:fs/promises';
import { BirdctlError } from '../errors.ts';
import type { Runner } from '../exec.ts';
import { writeStaged } from '../atomic-write.ts';

/** What `configure` over the control socket answered; codes as BIRD 1.6 prints them. */
export interface ConfigureReply {
  code: number;
  text: string;
}

export interface ApplyOptions {
  runner: Runner;
  /** The file bird6 was started with (`-c`); `configure` re-reads it. */
  configPath: string;
  /** Sends `configure` to the running bird6; throws BirdctlError when BIRD is unreachable or refuses. */
  configure: () => Promise<ConfigureReply>;
  birdBinary?: string;
}

export type ApplyResult =
  | { outcome: 'unchanged' }
  /** written and loaded; `reply` is BIRD's (3 Reconfigured, 4 in progress, 5 queued) */
  | { outcome: 'applied'; reply: ConfigureReply }
  /** written, but bird6 is not running: it will read the file when it starts */
  | { outcome: 'written'; reason: string };

/** 0003 Reconfigured, 0004 Reconfiguration in progress, 0005 already in progress, queueing. */
const CONFIGURE_OK = new Set([3, 4, 5]);

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** `bird6 -p -c FILE`: exit 1 and `bird: FILE:LINE:COL message` on stderr for a bad file. */
async function checkConfig(runner: Runner, file: string, birdBinary = 'bird6'): Promise<void> {
  const result = await runner.run(birdBinary, ['-p', '-c', file], { timeoutMs: 30_000 });
  if (result.exitCode !== 0) {
    const message = result.stderr.trim().replace(/^bird: /, '') || `exit code ${result.exitCode}`;
    throw new BirdctlError('BIRD_CONFIG_REJECTED', `bird6 -p rejected the rendered config: ${message}`, {
      hint: 'the previous config stays in place; this is a renderer bug or an unsupported topology, please report it',
    });
  }
}

async function configureChecked(options: ApplyOptions): Promise<ConfigureReply> {
  const reply = await options.configure();
  if (!CONFIGURE_OK.has(reply.code)) {
    throw new BirdctlError('BIRD_CONFIG_REJECTED', `bird6 did not take the new config: ${String(reply.code).padStart(4, '0')} ${reply.text}`, {
      hint: 'the previous config was restored',
    });
  }
  return reply;
}

export async function applyConfig(content: string, options: ApplyOptions): Promise<ApplyResult> {
  const { configPath } = options;
  const previous = await readIfExists(configPath);
  if (previous === content) return { outcome: 'unchanged' };

  const staged = await writeStaged(configPath, content);
  try {
    await checkConfig(options.runner, staged, options.birdBinary);
  } catch (error) {
    await rm(staged, { force: true });
    throw error;
  }
  const backup = `${configPath}.previous`;
  if (previous !== undefined) await copyFile(configPath, backup);
  await rename(staged, configPath);

  try {
    return { outcome: 'applied', reply: await configureChecked(options) };
  } catch (error) {
    if (error instanceof BirdctlError && error.code === 'BIRD_UNREACHABLE') {
      // Nothing to roll back: no daemon runs an older file. It reads this one when it starts.
      return { outcome: 'written', reason: error.message };
    }
    if (previous !== undefined) {
      await rename(backup, configPath);
      // Best effort: bird6 kept running its old config when it refused the new one, so this only
      // re-aligns it with the disk; its failure must not hide the original error.
      await options.configure().catch(() => undefined);
    } else {
      await rm(configPath, { force: true });
    }
    throw error;
  }
}
