import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Backoff } from '../../src/agent/backoff.ts';
import { BirdSupervisor } from '../../src/agent/bird-supervisor.ts';
import { createJsonLogger } from '../../src/agent/logger.ts';
import type { RunningProcess, StartOptions } from '../../src/exec.ts';
import { FakeRunner } from '../support/fake-runner.ts';
import { waitFor } from '../support/netns.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A scratch directory holding the pid file and a stand-in for /proc. */
function scratch(): { pidPath: string; procRoot: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fbird-sup-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'proc'));
  return { pidPath: join(dir, 'bird6.pid'), procRoot: join(dir, 'proc') };
}

/** A process entry as /proc shows it: `comm`, the state letter of `stat` and `cmdline`. */
function fakeProcess(procRoot: string, pid: number, comm: string, state: string, args: string[]): void {
  mkdirSync(join(procRoot, String(pid)));
  writeFileSync(join(procRoot, String(pid), 'comm'), `${comm}\n`);
  writeFileSync(join(procRoot, String(pid), 'stat'), `${pid} (${comm}) ${state} 1 ${pid} ${pid} 0 -1\n`);
  writeFileSync(join(procRoot, String(pid), 'cmdline'), `${args.join('\0')}\0`);
}

const birdArgs = (pidPath: string) => ['bird6', '-f', '-c', '/etc/bird/bird6.conf', '-s', '/run/bird/bird6.ctl', '-P', pidPath];

function supervisor(answering: boolean, runner = new FakeRunner()) {
  const logs: string[] = [];
  const { pidPath, procRoot } = scratch();
  const sup = new BirdSupervisor({
    runner,
    configPath: '/etc/bird/bird6.conf',
    socketPath: '/run/bird/bird6.ctl',
    pidPath,
    procRoot,
    logger: createJsonLogger({ write: (l) => logs.push(l), now: () => new Date() }),
    isAnswering: async () => answering,
    backoff: new Backoff(10, 40),
  });
  return { runner, sup, logs, pidPath, procRoot };
}

/** A runner whose start() throws (binary gone, EAGAIN) for the first `failures` calls. */
class FailingRunner extends FakeRunner {
  constructor(private failures: number) {
    super();
  }

  override start(file: string, args: readonly string[], options?: StartOptions): RunningProcess {
    if (this.failures > 0) {
      this.failures -= 1;
      throw Object.assign(new Error(`spawn ${file} EAGAIN`), { code: 'EAGAIN' });
    }
    return super.start(file, args, options);
  }
}

describe('Backoff', () => {
  it('doubles up to its cap and resets', () => {
    const b = new Backoff(100, 500);
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 500]);
    b.reset();
    expect(b.next()).toBe(100);
  });
});

describe('BirdSupervisor', () => {
  it('starts bird6 in the foreground with graceful restart recovery, its config, socket and pid file, detached', async () => {
    const { runner, sup, pidPath } = supervisor(false);
    await sup.start();
    expect(runner.starts).toHaveLength(1);
    expect(runner.starts[0]).toMatchObject({
      file: 'bird6',
      args: ['-f', '-R', '-c', '/etc/bird/bird6.conf', '-s', '/run/bird/bird6.ctl', '-P', pidPath],
      options: { detached: true },
    });
    sup.stop();
  });

  it('adopts a bird6 that already answers instead of starting a second one', async () => {
    const { runner, sup, logs } = supervisor(true);
    await sup.start();
    expect(runner.starts).toHaveLength(0);
    expect(logs.join('')).toMatch(/adopted the running bird6/);
  });

  it('restarts bird6 with backoff when it dies, and not after stop()', async () => {
    const { runner, sup } = supervisor(false);
    await sup.start();
    runner.starts[0]!.process.kill();
    await waitFor('restart', () => (runner.starts.length === 2 ? true : undefined), 2000, 5);
    expect(sup.pid).toBe(runner.starts[1]!.process.pid);
    sup.stop();
    runner.starts[1]!.process.kill();
    await new Promise((r) => setTimeout(r, 100));
    expect(runner.starts).toHaveLength(2);
  });

  it('logs a bird6 that cannot be started and retries with the backoff instead of rejecting', async () => {
    const runner = new FailingRunner(2);
    const { sup, logs } = supervisor(false, runner);
    await expect(sup.start()).resolves.toBeUndefined();
    expect(logs.join('')).toMatch(/could not start bird6.*EAGAIN/);
    await waitFor('a start after two failures', () => (runner.starts.length === 1 ? true : undefined), 2000, 5);
    expect(logs.filter((l) => /could not start bird6/.test(l))).toHaveLength(2);
    expect(sup.pid).toBe(runner.starts[0]!.process.pid);
    sup.stop();
  });

  it('survives ensureRunning() from the monitor while bird6 cannot be started, and stops retrying after stop()', async () => {
    const runner = new FailingRunner(Number.POSITIVE_INFINITY);
    const { sup, logs } = supervisor(false, runner);
    await expect(sup.ensureRunning()).resolves.toBeUndefined();
    await waitFor('retries', () => (logs.filter((l) => /could not start bird6/.test(l)).length >= 3 ? true : undefined), 2000, 5);
    sup.stop();
    const after = logs.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(logs.length).toBe(after);
  });

  it('treats a child whose exit promise rejects (an asynchronous spawn error) as an exit and restarts it', async () => {
    let failExit: (error: Error) => void = () => {};
    const runner = new FakeRunner();
    const start = runner.start.bind(runner);
    let first = true;
    runner.start = (file, args, options) => {
      const child = start(file, args, options);
      if (!first) return child;
      first = false;
      const exited = new Promise<number | null>((_, reject) => (failExit = reject));
      return { pid: child.pid, exited, kill: child.kill };
    };
    const { sup, logs } = supervisor(false, runner);
    await sup.start();
    failExit(Object.assign(new Error('spawn bird6 ENOMEM'), { code: 'ENOMEM' }));
    await waitFor('restart', () => (runner.starts.length === 2 ? true : undefined), 2000, 5);
    expect(logs.join('')).toMatch(/ENOMEM/);
    sup.stop();
  });

  it('does not start a second bird6 while the one named by its pid file is alive but not answering (stopped)', async () => {
    const { runner, sup, logs, pidPath, procRoot } = supervisor(false);
    writeFileSync(pidPath, '4242\n');
    fakeProcess(procRoot, 4242, 'bird6', 'T', birdArgs(pidPath));
    await sup.start();
    await sup.ensureRunning();
    await sup.ensureRunning();
    expect(runner.starts).toHaveLength(0);
    const warnings = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => /alive but not answering/.test(String(l.msg ?? l.message)));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', pid: 4242, pidFile: pidPath, processState: 'stopped' });
    // Once it has gone, the next check starts a new one.
    rmSync(join(procRoot, '4242'), { recursive: true });
    await waitFor('start after the stopped bird6 went away', () => (runner.starts.length === 1 ? true : undefined), 2000, 5);
    sup.stop();
  });

  it.each([
    ['another program (a recycled PID)', 'nginx', 'S', (pidPath: string) => ['nginx', '-c', pidPath]],
    ['a zombie bird6', 'bird6', 'Z', birdArgs],
    ['a bird6 started for another pid file and socket', 'bird6', 'S', () => ['bird6', '-s', '/run/other.ctl', '-P', '/run/other.pid']],
  ])('starts bird6 when the pid file names %s', async (_what, comm, state, args) => {
    const { runner, sup, pidPath, procRoot } = supervisor(false);
    writeFileSync(pidPath, '4242\n');
    fakeProcess(procRoot, 4242, comm, state, args(pidPath));
    await sup.start();
    expect(runner.starts).toHaveLength(1);
    sup.stop();
  });
});
