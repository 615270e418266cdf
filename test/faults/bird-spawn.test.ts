// A bird6 that cannot be started, with the real process runner: a binary that does not exist is
// what a host sees while a package upgrade has removed bird6. The supervisor must log it and try
// again with its backoff; an unhandled rejection here would fail this file (vitest reports it) and
// would end a real agent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Backoff } from '../../src/agent/backoff.ts';
import { BirdSupervisor } from '../../src/agent/bird-supervisor.ts';
import { createJsonLogger } from '../../src/agent/logger.ts';
import { processRunner } from '../../src/exec.ts';
import { describeIntegration } from '../support/integration.ts';
import { waitFor } from '../support/netns.ts';

describeIntegration('faults: bird6 binary missing', {}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbird-spawn-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('logs each failed start and retries with the backoff, without an unhandled rejection', async () => {
    const logs: Array<Record<string, unknown>> = [];
    const supervisor = new BirdSupervisor({
      runner: processRunner,
      birdBinary: join(dir, 'no-such-bird6'),
      configPath: join(dir, 'bird6.conf'),
      socketPath: join(dir, 'bird6.ctl'),
      pidPath: join(dir, 'bird6.pid'),
      logger: createJsonLogger({ write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>), now: () => new Date() }),
      isAnswering: async () => false,
      backoff: new Backoff(20, 80),
    });
    try {
      await supervisor.start();
      await supervisor.ensureRunning();
      const failures = await waitFor('three failed starts', () => {
        const found = logs.filter((l) => l.msg === 'could not start bird6; retrying');
        return found.length >= 3 ? found : undefined;
      }, 5000, 10);
      expect(failures[0]).toMatchObject({ level: 'error', error: expect.anything() });
      expect(failures.map((f) => f.restartInMs).slice(0, 3)).toEqual([20, 40, 80]);
      expect(supervisor.pid).toBeUndefined();
    } finally {
      supervisor.stop();
    }
  });
});
