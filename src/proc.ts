// What /proc says about a process: what the controller checks before it waits for or signals a
// process it started, since the PID in a pid file may meanwhile belong to another program.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A live process (not a zombie) as /proc shows it. */
export interface ProcessEntry {
  /** the executable's name, cut to 15 characters by the kernel */
  name: string;
  /** the state letter of /proc/PID/stat: R, S, D, T (stopped), t (traced), ... */
  state: string;
  args: string[];
}

/** The state letter; it follows the command name in parentheses, which may itself contain `)`. */
function stateOf(stat: string): string {
  return stat.slice(stat.lastIndexOf(')') + 1).trim().split(' ')[0] ?? '';
}

const gone = (state: string) => state === 'Z' || state === 'X';

/** The process under PID, or undefined when there is none or only a zombie. */
export function processEntry(pid: number, procRoot = '/proc'): ProcessEntry | undefined {
  const dir = join(procRoot, String(pid));
  try {
    const state = stateOf(readFileSync(join(dir, 'stat'), 'utf8'));
    if (gone(state)) return undefined;
    const name = readFileSync(join(dir, 'comm'), 'utf8').trim();
    const args = readFileSync(join(dir, 'cmdline'), 'utf8').split('\0');
    return { name, state, args };
  } catch {
    return undefined;
  }
}

/** Whether PID runs; a zombie still has a /proc entry but is gone for our purposes. */
export function isAlive(pid: number): boolean {
  try {
    return !gone(stateOf(readFileSync(`/proc/${pid}/stat`, 'utf8')));
  } catch {
    return false;
  }
}

/** The process's command name (`bird6`, `dnsmasq`), or undefined once it has gone. */
export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The PID a pid file holds, or undefined when it is missing or garbled. */
export function readPidFile(file: string): number | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    const pid = Number(text);
    return /^\d{1,10}$/.test(text) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}
