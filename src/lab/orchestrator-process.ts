// The orchestrator as a process: `lab up` starts `birdctl lab orchestrate --state-dir DIR` detached
// (like the agents) and returns once it has taken over state.json; `lab down` stops it by PID
// first, before it reads the state, so nothing is made behind its back. A PID is only signalled
// while /proc shows it running `lab orchestrate` for this very state directory: a PID file that
// outlived its process can never hit an unrelated one.
import { join, resolve } from 'node:path';
import { birdctlCommand } from '../birdctl-self.ts';
import { BirdctlError } from '../errors.ts';
import type { Runner, RunningProcess } from '../exec.ts';
import { logTail, terminate } from './host.ts';
import { isAlive, processEntry, readPidFile } from '../proc.ts';
import { readState, type LabState } from './state.ts';

export const ORCHESTRATOR_PID_FILE = 'orchestrator.pid';
export const ORCHESTRATOR_LOG = 'orchestrator.log';

export interface OrchestratorLauncher {
  start(stateDir: string, log: string): RunningProcess;
}

/** `birdctl lab orchestrate --state-dir DIR`, detached; `entry` as birdctlCommand's. */
export function birdctlOrchestratorLauncher(runner: Runner, env?: Record<string, string>, entry?: string): OrchestratorLauncher {
  return {
    start(stateDir, log) {
      const orchestrator = birdctlCommand(['lab', 'orchestrate', '--state-dir', resolve(stateDir)], entry);
      return runner.start(orchestrator.file, orchestrator.args, { detached: true, logFile: log, env });
    },
  };
}

/** Whether PID runs `lab orchestrate --state-dir DIR` for this DIR (its command line, from /proc). */
export function isOrchestratorOf(pid: number, stateDir: string): boolean {
  const argv = processEntry(pid)?.args;
  if (argv === undefined) return false;
  const lab = argv.indexOf('lab');
  const dir = argv.indexOf('--state-dir');
  return lab >= 0 && argv[lab + 1] === 'orchestrate' && dir >= 0 && argv[dir + 1] === resolve(stateDir);
}

/**
 * Resolves once the orchestrator has recorded itself in state.json (it does after its first pass,
 * so it is then in charge of the state); kills it and throws when it exits or takes too long.
 */
export async function untilOrchestrating(
  child: RunningProcess,
  stateDir: string,
  log: string,
  deps: { runner: Runner; sleep: (ms: number) => Promise<void>; timeoutMs: number },
): Promise<void> {
  const deadline = Date.now() + deps.timeoutMs;
  while (Date.now() < deadline) {
    if (readState(stateDir)?.orchestrator?.pid === child.pid) return;
    if (!isAlive(child.pid)) break;
    await deps.sleep(50);
  }
  await terminate(deps.runner, [child.pid].filter(isAlive), 2000, deps.sleep);
  throw new BirdctlError('COMMAND_FAILED', `the lab's orchestrator did not start; last lines of ${log}:\n${logTail(log)}`, {
    hint: 'without it, edits of the topology file would not reach the lab: fix the cause, then birdctl lab down and lab up again',
  });
}

/** Stops the orchestrator of this state directory, if one runs; returns how many it stopped (0 or 1). */
export async function stopOrchestrator(runner: Runner, stateDir: string, state: LabState | undefined, sleep: (ms: number) => Promise<void>): Promise<number> {
  const candidates = new Set([state?.orchestrator?.pid, readPidFile(join(stateDir, ORCHESTRATOR_PID_FILE))].filter((p): p is number => p !== undefined));
  const ours = [...candidates].filter((pid) => isAlive(pid) && isOrchestratorOf(pid, stateDir));
  // It finishes the step under way on SIGTERM (orchestrator.ts), recording what it made.
  await terminate(runner, ours, 5000, sleep);
  return ours.length;
}
