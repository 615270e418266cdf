// kill -9 the agent at random points of 30 topology edits (seeded, so a failure replays), restarting
// it each time, with real bird6: after every kill the bird6.conf on disk passes `bird6 -p`; at the
// end bird6 runs the last topology; and the mesh session was never reset, watched from the peer
// every 50 ms (Established at every look, `since` unchanged beyond BIRD's 1 s print jitter).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIntegration } from '../support/integration.ts';
import { stop } from '../support/netns.ts';
import { prng } from '../support/random-topology.ts';
import { ConfigFaultBed } from './config-bed.ts';

const SEED = 42;
const EDITS = 30;
/** Share of edits followed by a kill: each restart costs about 2 s of tsx start-up. */
const KILL_SHARE = 0.15;
/** A kill lands this long after the edit at most: before the read, in the apply, or after it. */
const KILL_WINDOW_MS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeIntegration('kill -9 the agent during topology edits', { netns: true, binaries: ['bird6'] }, () => {
  const faults = new ConfigFaultBed('fcfg-kill');

  beforeAll(async () => {
    await faults.setUp([0]);
  });

  afterAll(async () => {
    await faults.stopAgent();
    await faults.cleanUp();
  });

  it('keeps a valid bird6.conf, ends on the last topology and resets no session', async () => {
    const random = prng(SEED);
    const sinceBefore = (await faults.established('n2'))!.since;
    let watching = true;
    let looks = 0;
    const resets: string[] = [];
    const watcher = (async () => {
      while (watching) {
        const mesh = await faults.established('n2').catch(() => undefined);
        if (mesh === undefined) resets.push(`not Established at look ${looks}`);
        else if (mesh.since === null || sinceBefore === null || Math.abs(mesh.since - sinceBefore) > 1) resets.push(`since moved from ${sinceBefore} to ${mesh.since}`);
        looks += 1;
        await sleep(50);
      }
    })();

    const began = Date.now();
    let peers: number[] = [0];
    let kills = 0;
    let started = faults.log.length;
    faults.startAgent();
    await faults.logged(/"msg":"agent starting"/, 10_000, started);
    for (let edit = 1; edit <= EDITS; edit += 1) {
      // One to three peers, numbered after the edit, so every edit changes the config.
      peers = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) => edit * 4 + i);
      faults.edit(peers);
      const delay = Math.floor(random() * KILL_WINDOW_MS);
      if (random() >= KILL_SHARE && edit !== EDITS) {
        await sleep(delay);
        continue;
      }
      await sleep(delay);
      await stop(faults.agent!, 'SIGKILL');
      kills += 1;
      expect(() => faults.checkOnDisk(), `bird6.conf after kill ${kills} (edit ${edit}, ${delay} ms)`).not.toThrow();
      started = faults.log.length;
      faults.startAgent();
      await faults.logged(/"msg":"agent starting"/, 10_000, started);
    }
    let convergedMs: number;
    try {
      convergedMs = await faults.runs(peers, 5000);
    } finally {
      watching = false;
      await watcher;
    }
    faults.checkOnDisk();
    console.log(`agent kill -9: ${kills} kills in ${EDITS} edits, ${Date.now() - began} ms; last topology running ${convergedMs} ms after the last restart's start; ${looks} looks at the session`);
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(resets).toEqual([]);
    expect(looks).toBeGreaterThan(100);
  }, 50_000);
});
