// The lab's hands on the machine: commands that must succeed, and processes found and signalled
// by PID. Signals are sent with `kill(1)` through the Runner (the only door to processes), and a
// PID is only ever signalled when /proc shows it inside one of the lab's own namespaces, so a PID
// recycled since a crash can never hit an unrelated process.
import { readFileSync, statSync } from 'node:fs';
import type { RunOptions, Runner } from '../exec.ts';
import { isAlive } from '../proc.ts';
import { runChecked } from '../run-checked.ts';

/** Runs a command and returns its stdout; a non-zero exit is a COMMAND_FAILED error quoting stderr. */
export function must(runner: Runner, file: string, args: readonly string[], options?: RunOptions): Promise<string> {
  return runChecked(runner, file, args, { options, hint: 'see the message above; birdctl lab down removes whatever the lab had made so far' });
}

/** The inode of a network namespace, from its bind mount or from a process's ns link. */
function netnsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

export function namespaceInode(netns: string): number | undefined {
  return netnsInode(`/run/netns/${netns}`);
}

export function processNetnsInode(pid: number): number | undefined {
  return netnsInode(`/proc/${pid}/ns/net`);
}



/** The last ten lines of a child's log, for the error that says it exited or never got ready. */
export function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
  } catch {
    return '(no log)';
  }
}


/** Every process in a namespace (`ip netns pids`); empty when the namespace is gone. */
export async function pidsInNamespace(runner: Runner, netns: string): Promise<number[]> {
  const result = await runner.run('ip', ['netns', 'pids', netns]);
  if (result.exitCode !== 0) return [];
  return result.stdout.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number);
}

export async function signal(runner: Runner, pids: readonly number[], sig: 'TERM' | 'KILL'): Promise<void> {
  if (pids.length > 0) await runner.run('kill', [`-${sig}`, ...pids.map(String)]);
}

/**
 * SIGTERM, then SIGKILL for whatever is still there after graceMs; resolves once all are gone
 * (or after a last short wait: a process stuck in the kernel is reported by the caller's check).
 */
export async function terminate(runner: Runner, pids: readonly number[], graceMs: number, sleep: (ms: number) => Promise<void>): Promise<void> {
  await signal(runner, pids, 'TERM');
  const deadline = Date.now() + graceMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(25);
    alive = alive.filter(isAlive);
  }
  if (alive.length === 0) return;
  await signal(runner, alive, 'KILL');
  for (let i = 0; i < 40 && alive.some(isAlive); i += 1) await sleep(25);
}
