import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Backoff } from '../../src/agent/backoff.ts';
import { BirdSupervisor } from '../../src/agent/bird-supervisor.ts';
import { createJsonLogger } from '../../src/agent/logger.ts';
import type { RunningProcess, StartOptions } from '../../src/exec.ts';
import { FakeBird } from '../birdc/fake-bird.ts';
import { FakeRunner } from '../support/fake-runner.ts';
import { waitFor } from '../support/netns.ts';

const dirs: string[] = [];
const birds: FakeBird[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  await Promise.all(birds.splice(0).map((b) => b.dispose()));
});

/**
 * A scratch directory holding the pid file, a stand-in for /proc and the path of a control socket
 * nobody listens on (never a real bird6's: shutDown() sends `down` there).
 */
function scratch(): { pidPath: string; procRoot: string; socketPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fbird-sup-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'proc'));
  return { pidPath: join(dir, 'bird6.pid'), procRoot: join(dir, 'proc'), socketPath: join(dir, 'bird6.ctl') };
}

/** A process entry as /proc shows it: `comm`, the state letter of `stat` and `cmdline`. */
function fakeProcess(procRoot: string, pid: number, comm: string, state: string, args: string[]): void {
  mkdirSync(join(procRoot, String(pid)));
  writeFileSync(join(procRoot, String(pid), 'comm'), `${comm}\n`);
  writeFileSync(join(procRoot, String(pid), 'stat'), `${pid} (${comm}) ${state} 1 ${pid} ${pid} 0 -1\n`);
  writeFileSync(join(procRoot, String(pid), 'cmdline'), `${args.join('\0')}\0`);
}

const birdArgs = (pidPath: string, socketPath = '/run/bird/bird6.ctl') => ['bird6', '-f', '-c', '/etc/bird/bird6.conf', '-s', socketPath, '-P', pidPath];

function supervisor(answering: boolean | (() => boolean), runner = new FakeRunner(), socket?: string) {
  const logs: string[] = [];
  const signals: Array<[number, string]> = [];
  const { pidPath, procRoot, socketPath: unused } = scratch();
  const socketPath = socket ?? unused;
  const sup = new BirdSupervisor({
    runner,
    configPath: '/etc/bird/bird6.conf',
    socketPath,
    pidPath,
    procRoot,
    logger: createJsonLogger({ write: (l) => logs.push(l), now: () => new Date() }),
    isAnswering: async () => (typeof answering === 'function' ? answering() : answering),
    backoff: new Backoff(10, 40),
    signal: (pid, signal) => void signals.push([pid, signal]),
  });
  return { runner, sup, logs, signals, pidPath, procRoot, socketPath };
}

/** A runner whose children record the signals sent to them; each signal ends the child. */
class SignalledRunner extends FakeRunner {
  readonly killed: string[] = [];

  override start(file: string, args: readonly string[], options?: StartOptions): RunningProcess {
    const child = super.start(file, args, options);
    return { pid: child.pid, exited: child.exited, kill: (signal = 'SIGTERM') => (this.killed.push(signal), child.kill(signal)) };
  }
}

/** A bird6 control socket that answers `down` as BIRD 1.6 does, then goes away as bird6 exits. */
async function birdThatShutsDown(reply = '0007 Shutdown requested\n'): Promise<{ bird: FakeBird; up: () => boolean }> {
  const bird = new FakeBird();
  birds.push(bird);
  let up = true;
  bird.handler = (command, socket) => {
    socket.write(command === 'down' ? reply : '9001 Parse error\n');
    if (command === 'down' && reply.startsWith('0007')) {
      up = false;
      void bird.stop();
    }
  };
  await bird.start();
  return { bird, up: () => up };
}

const parsed = (logs: string[]) => logs.map((l) => JSON.parse(l) as Record<string, unknown>);

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
    const { runner, sup, pidPath, socketPath } = supervisor(false);
    await sup.start();
    expect(runner.starts).toHaveLength(1);
    expect(runner.starts[0]).toMatchObject({
      file: 'bird6',
      args: ['-f', '-R', '-c', '/etc/bird/bird6.conf', '-s', socketPath, '-P', pidPath],
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

  it('stop() (keep routes for a restart) sends bird6 nothing: no `down`, no signal, and the child keeps running', async () => {
    const runner = new SignalledRunner();
    const { sup, signals } = supervisor(false, runner);
    await sup.start();
    sup.stop();
    expect(runner.killed).toEqual([]);
    expect(signals).toEqual([]);
    expect(sup.pid).toBe(runner.starts[0]!.process.pid);
  });
});

describe('stop: BirdSupervisor.shutDown', () => {
  it('sends `down` over the control socket to an adopted bird6 and resolves once it has gone, without restarting it', async () => {
    const { bird, up } = await birdThatShutsDown();
    const { runner, sup, signals, logs } = supervisor(up, new FakeRunner(), bird.path);
    await sup.start();
    expect(runner.starts).toHaveLength(0);
    await expect(sup.shutDown(2000)).resolves.toBe(true);
    expect(bird.commands).toEqual(['down']);
    expect(signals).toEqual([]);
    expect(parsed(logs).map((l) => l.msg)).toContain('bird6 shut down');
    // The monitor reports the daemon down right after: nothing must bring it back.
    await sup.ensureRunning();
    expect(runner.starts).toHaveLength(0);
  });

  it('sends SIGTERM to its own child (BIRD shuts down the same way) when the socket does not take `down` yet', async () => {
    const runner = new SignalledRunner();
    const { sup, signals } = supervisor(false, runner);
    await sup.start();
    await expect(sup.shutDown(2000)).resolves.toBe(true);
    expect(runner.killed).toEqual(['SIGTERM']);
    expect(signals).toEqual([]);
    expect(sup.pid).toBeUndefined();
    expect(runner.starts).toHaveLength(1);
  });

  it('sends SIGTERM to the bird6 its pid file names when the socket refuses `down`, and waits until it has gone', async () => {
    const { bird } = await birdThatShutsDown('8007 Access restricted\n');
    let alive = true;
    const { sup, signals, pidPath, procRoot } = supervisor(() => alive, new FakeRunner(), bird.path);
    writeFileSync(pidPath, '4242\n');
    fakeProcess(procRoot, 4242, 'bird6', 'S', birdArgs(pidPath, bird.path));
    await sup.start();
    const shutting = sup.shutDown(2000);
    await waitFor('SIGTERM to 4242', () => (signals.length > 0 ? true : undefined), 2000, 5);
    expect(signals).toEqual([[4242, 'SIGTERM']]);
    // bird6 exits: its entry leaves /proc and its socket stops answering.
    rmSync(join(procRoot, '4242'), { recursive: true });
    alive = false;
    await expect(shutting).resolves.toBe(true);
  });

  it('gives up after its bound with a warning, and no SIGKILL, when bird6 stays (stopped, not answering)', async () => {
    const { sup, signals, logs, pidPath, procRoot } = supervisor(false);
    writeFileSync(pidPath, '4242\n');
    fakeProcess(procRoot, 4242, 'bird6', 'T', birdArgs(pidPath));
    await sup.start();
    await expect(sup.shutDown(200)).resolves.toBe(false);
    expect(signals).toEqual([[4242, 'SIGTERM']]);
    const warning = parsed(logs).find((l) => /did not exit/.test(String(l.msg)));
    expect(warning).toMatchObject({ level: 'warn', pid: 4242 });
  });

  it('signals nothing it cannot prove is its bird6 (a recycled PID in the pid file), and nothing when no bird6 runs', async () => {
    const { sup, signals, pidPath, procRoot } = supervisor(false);
    writeFileSync(pidPath, '4242\n');
    fakeProcess(procRoot, 4242, 'nginx', 'S', ['nginx', '-c', pidPath]);
    sup.stop(); // not supervising: nothing was started
    await expect(sup.shutDown(500)).resolves.toBe(true);
    expect(signals).toEqual([]);
  });
});
