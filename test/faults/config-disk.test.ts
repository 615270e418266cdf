// Faults under a running agent's config apply, with real bird6: the config directory full (ENOSPC
// on a small tmpfs) or read-only (EROFS), and bird6 hung (SIGSTOP) while the agent applies an edit.
// Each time the edit is lost at first, and bird6 must run it within one resync interval (1 s here)
// of the fault going away, without another edit; no staged file may be left behind.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIntegration } from '../support/integration.ts';
import { ConfigFaultBed, RESYNC_MS } from './config-bed.ts';

/** What the fault may add on top of one interval: the apply itself on a busy 2-core machine. */
const SLACK_MS = 1000;

describeIntegration('config apply faults heal within one resync interval', { netns: true, binaries: ['bird6'] }, () => {
  const faults = new ConfigFaultBed('fcfg-disk');
  const etc = faults.bed.path('n1-etc');
  let mounted = false;
  const recovery: Record<string, number> = {};

  const staged = () => readdirSync(etc).filter((f) => f.endsWith('.tmp'));

  beforeAll(async () => {
    faults.bed.run(undefined, 'mkdir', ['-p', etc]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'fcfg-disk', etc]);
    mounted = true;
    await faults.setUp([1], etc);
    faults.startAgent();
    await faults.logged(/"msg":"bird6 config reloaded"/, 10_000);
  });

  afterAll(async () => {
    await faults.stopAgent();
    for (const host of Object.values(faults.hosts)) host.bird.kill('SIGCONT');
    // Lazily: the test's bird6 may still be running, but it keeps no file of the tmpfs open.
    if (mounted) execFileSync('umount', ['-l', etc]);
    await faults.cleanUp();
    console.log(`config fault recovery (ms): ${JSON.stringify(recovery)}`);
  });

  it('ENOSPC: a full config directory loses the edit; freeing space heals it within one resync', async () => {
    const filler = join(etc, 'filler');
    // Fill the tmpfs to the last block.
    const chunk = Buffer.alloc(4096, 0x61);
    let size = 0;
    for (;;) {
      try {
        writeFileSync(filler, chunk, { flag: 'a' });
        size += chunk.length;
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
        break;
      }
    }
    expect(size).toBeGreaterThan(0);
    const from = faults.log.length;
    faults.edit([1, 2]);
    await faults.logged(/"msg":"bird6 config not applied".*ENOSPC/, 5000, from);
    expect(await faults.runningBgp()).not.toContain('Global_fd00_ec__102');
    expect(staged()).toEqual([]);
    rmSync(filler);
    recovery.enospc = await faults.runs([1, 2], RESYNC_MS + SLACK_MS);
    expect(staged()).toEqual([]);
    faults.checkOnDisk();
  });

  it('EROFS: a read-only config directory loses the edit; remounting read-write heals it within one resync', async () => {
    execFileSync('mount', ['-o', 'remount,ro', etc]);
    const from = faults.log.length;
    faults.edit([2, 3]);
    await faults.logged(/"msg":"bird6 config not applied".*EROFS/, 5000, from);
    expect(await faults.runningBgp()).toContain('Global_fd00_ec__101');
    execFileSync('mount', ['-o', 'remount,rw', etc]);
    recovery.erofs = await faults.runs([2, 3], RESYNC_MS + SLACK_MS);
    expect(staged()).toEqual([]);
  });

  it('a hung bird6 during the apply: a clear timeout in the log, and a resync loads the edit once bird6 runs again', async () => {
    const bird = faults.hosts.n1.bird;
    bird.kill('SIGSTOP');
    try {
      const from = faults.log.length;
      faults.edit([3, 4]);
      const line = await faults.logged(/"msg":"bird6 config written, not confirmed loaded"/, 10_000, from);
      expect(line).toMatch(/"level":"warn".*(no greeting within \d+ ms|did not answer .*configure.* within \d+ ms)/);
    } finally {
      bird.kill('SIGCONT');
    }
    recovery.hung = await faults.runs([3, 4], RESYNC_MS + SLACK_MS);
    // The session survived (its hold time is longer than the stop).
    expect(await faults.established('n2')).toBeDefined();
  });
});
