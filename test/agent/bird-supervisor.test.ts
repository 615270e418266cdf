import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/agent/backoff.ts';
import { BirdSupervisor } from '../../src/agent/bird-supervisor.ts';
import { createJsonLogger } from '../../src/agent/logger.ts';
import { FakeRunner } from '../support/fake-runner.ts';
import { waitFor } from '../support/netns.ts';

function supervisor(answering: boolean) {
  const runner = new FakeRunner();
  const logs: string[] = [];
  const sup = new BirdSupervisor({
    runner,
    configPath: '/etc/bird/bird6.conf',
    socketPath: '/run/bird/bird6.ctl',
    pidPath: '/run/bird/bird6.pid',
    logger: createJsonLogger({ write: (l) => logs.push(l), now: () => new Date() }),
    isAnswering: async () => answering,
    backoff: new Backoff(10, 40),
  });
  return { runner, sup, logs };
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
  it('starts bird6 in the foreground with its config, socket and pid file, detached', async () => {
    const { runner, sup } = supervisor(false);
    await sup.start();
    expect(runner.starts).toHaveLength(1);
    expect(runner.starts[0]).toMatchObject({
      file: 'bird6',
      args: ['-f', '-c', '/etc/bird/bird6.conf', '-s', '/run/bird/bird6.ctl', '-P', '/run/bird/bird6.pid'],
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
});
