// `lab down`: undoes everything state.json says the lab made, plus any namespace that carries the
// lab's prefix (debris of a crash before the state was written). Idempotent: a second run finds
// nothing and succeeds. Order matters: the orchestrator first (it would make namespaces behind our
// back), then the agents (a live agent would restart the bird6 we stop), then every other process
// in the lab's namespaces, then the namespaces, then the files.
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import type { Runner } from '../exec.ts';
import { namespaceInode, pidsInNamespace, processNetnsInode, terminate } from './host.ts';
import { isAlive, readPidFile } from '../proc.ts';
import { ORCHESTRATOR_LOG, ORCHESTRATOR_PID_FILE, stopOrchestrator } from './orchestrator-process.ts';
import { readState, statePath } from './state.ts';

export interface DownOptions {
  stateDir: string;
  /** swept when no state says otherwise */
  prefix: string;
}

export interface DownReport {
  processes: number;
  /** PIDs still in the process table when lab down gave up waiting (see untilReaped); absent when none */
  lingering?: number[];
  namespaces: string[];
  files: number;
}

/**
 * terminate() counts a zombie as gone, but `ps` and `kill -0` still show it until its parent
 * reaps it. The lab's bird6 and dnsmasq are detached, so their parent is PID 1 once the agent has
 * gone, and a slow init leaves them visible for a second or two after lab down returned. Wait,
 * bounded, until the process table no longer lists them; a PID taken again at once by an
 * unrelated process only costs the wait.
 */
async function untilReaped(pids: readonly number[], timeoutMs: number, sleep: (ms: number) => Promise<void>): Promise<number[]> {
  const listed = (pid: number) => existsSync(`/proc/${pid}`);
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(listed);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(25);
    left = left.filter(listed);
  }
  return left;
}

async function listNamespaces(runner: Runner): Promise<string[]> {
  const result = await runner.run('ip', ['netns', 'list']);
  // `ip netns list` prints `name (id: 3)` or just `name`.
  return result.stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

export async function labDown(options: DownOptions, deps: { runner: Runner; sleep: (ms: number) => Promise<void> }): Promise<DownReport> {
  const { runner, sleep } = deps;
  // Read again once it has stopped: it records what it made up to its last step.
  const orchestrators = await stopOrchestrator(runner, options.stateDir, readState(options.stateDir), sleep);
  const state = readState(options.stateDir);
  const prefixes = new Set([options.prefix, ...(state ? [state.prefix] : [])]);
  const existing = await listNamespaces(runner);
  const namespaces = [
    ...(state?.namespaces ?? []).filter((ns) => existing.includes(ns)),
    ...existing.filter((ns) => [...prefixes].some((p) => ns.startsWith(`${p}-`)) && !state?.namespaces.includes(ns)),
  ];
  const inodes = new Set(namespaces.map(namespaceInode).filter((i) => i !== undefined));
  // Only a PID that really sits in one of our namespaces is ours (a PID file can outlive its process).
  const ours = (pid: number) => isAlive(pid) && inodes.has(processNetnsInode(pid)!);

  const agents = (state?.processes ?? []).filter((p) => p.role.startsWith('agent ')).map((p) => p.pid).filter(ours);
  await terminate(runner, agents, 5000, sleep);

  const others = new Set<number>();
  for (const p of state?.processes ?? []) if (ours(p.pid)) others.add(p.pid);
  for (const file of state?.pidFiles ?? []) {
    const pid = readPidFile(file);
    if (pid !== undefined && ours(pid)) others.add(pid);
  }
  for (const ns of namespaces) for (const pid of await pidsInNamespace(runner, ns)) others.add(pid);
  await terminate(runner, [...others], 3000, sleep);
  const lingering = await untilReaped([...agents, ...others], 5000, sleep);

  for (const ns of [...namespaces].reverse()) await runner.run('ip', ['netns', 'del', ns]);
  // A VM's resolv.conf shield; recorded in the state, but a swept namespace's must go too.
  for (const ns of namespaces) if ([...prefixes].some((p) => ns.startsWith(`${p}-`))) rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });

  let files = 0;
  for (const dir of state?.dirs ?? []) {
    rmSync(dir, { recursive: true, force: true });
    files += 1;
  }
  // Files before the directories that hold them: the list is in creation order, file then its dir.
  for (const file of state?.files ?? []) {
    rmSync(file, { recursive: true, force: true });
    files += 1;
  }
  for (const dir of ['nodes', 'vms']) rmSync(`${options.stateDir}/${dir}`, { recursive: true, force: true });
  // The orchestrator's files, also when a crash kept it from recording them.
  for (const file of [ORCHESTRATOR_PID_FILE, ORCHESTRATOR_LOG]) rmSync(`${options.stateDir}/${file}`, { force: true });
  rmSync(statePath(options.stateDir), { force: true });
  rmSync(`${statePath(options.stateDir)}.tmp`, { force: true });
  try {
    rmdirSync(options.stateDir);
  } catch {
    // not empty (somebody else's files) or already gone: leave it
  }
  return { processes: orchestrators + agents.length + others.size, ...(lingering.length === 0 ? {} : { lingering }), namespaces, files };
}

export function formatDownReport(report: DownReport): string {
  if (report.processes === 0 && report.namespaces.length === 0 && report.files === 0) return 'no lab to remove\n';
  const lingering = report.lingering === undefined ? '' : `still in the process table after the wait (not yet reaped by their parent): ${report.lingering.join(', ')}\n`;
  return `lab removed: stopped ${report.processes} processes, deleted ${report.namespaces.length} namespaces (${report.namespaces.join(', ')}), removed ${report.files} files and directories\n${lingering}`;
}
