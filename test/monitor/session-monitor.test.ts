import { afterEach, describe, expect, it } from 'vitest';
import type { BirdCommands, CommandOptions } from '../../src/birdc/client.ts';
import type { Reply } from '../../src/birdc/reply.ts';
import { BirdctlError } from '../../src/errors.ts';
import { createBirdMonitor, createSessionMonitor } from '../../src/monitor/session-monitor.ts';
import type { MonitorEvent, SessionMonitor } from '../../src/monitor/types.ts';
import { FakeBird } from '../birdc/fake-bird.ts';
import { fixtureBytes, fixtureReply, frame } from '../birdc/fixture.ts';

/** BIRD as a table of replies the test can change between polls; counts the commands it answers. */
class ScriptedBird implements BirdCommands {
  replies = new Map<string, Reply | Error>([
    ['show status', fixtureReply('r1-show-status.txt')],
    ['show protocols all', fixtureReply('epoch-show-protocols-all.txt')],
  ]);
  calls = 0;
  gate: Promise<void> | undefined;

  async command(command: string, options: CommandOptions = {}): Promise<Reply> {
    this.calls += 1;
    await this.gate;
    const reply = this.replies.get(command);
    if (reply === undefined) throw new Error(`unscripted ${command}`);
    if (reply instanceof Error) throw reply;
    for (const block of reply.blocks) options.onBlock?.(block);
    return reply;
  }
}

/** A read-only BIRD with one passive mesh session, as the monitor's connection sees it. */
function answerAsR2(command: string, socket: { write(data: Buffer | string): unknown }): void {
  const replies: Record<string, Buffer | string> = {
    restrict: '0016 Access restricted\n',
    'show status': fixtureBytes('r2-show-status.txt'),
    'show protocols all': fixtureBytes('passive-show-protocols-all.txt'),
  };
  socket.write(replies[command] ?? '9001 syntax error\n');
}

const monitors: SessionMonitor[] = [];
afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.stop()));
});

function monitor(bird: BirdCommands, options: { intervalMs?: number; onError?: (e: unknown) => void } = {}): SessionMonitor {
  let clock = 1_795_686_760_000;
  const m = createSessionMonitor({ bird, intervalMs: options.intervalMs ?? 60_000, now: () => (clock += 1000), onError: options.onError ?? ((e) => { throw e; }) });
  monitors.push(m);
  return m;
}

describe('createSessionMonitor', () => {
  it('says each warning of unreadable values once, however many polls see it, and a new one when it appears', async () => {
    const bird = new ScriptedBird();
    bird.replies.set('show status', fixtureReply('monthday-show-status.txt'));
    bird.replies.set('show protocols all', fixtureReply('monthday-show-protocols-all.txt'));
    const warned: string[] = [];
    const m = createSessionMonitor({ bird, intervalMs: 60_000, onWarning: (w) => warned.push(w), onError: (e) => { throw e; } });
    monitors.push(m);
    await m.start();
    await m.refresh();
    await m.refresh();
    expect(warned).toHaveLength(4);
    expect(new Set(warned).size).toBe(4);
    expect(m.current()!.peers).toMatchObject([{ name: 'Mesh_fd00_ec__9', since: null, timeInStateSeconds: null }]);
    bird.replies.set('show status', frame('1000-BIRD 1.6.8\n1011-Router ID is 10.255.0.3\n Current server time is 1795686760\n Last reboot on 1795686702\n0013 Daemon is up and running\n').replies[0]!);
    await m.refresh();
    expect(warned.slice(4)).toEqual(['`show status`: no `Last reconfiguration` line; shown as null']);
  });

  it('resolves start() with the first snapshot: daemon facts and BGP peers only', async () => {
    const m = monitor(new ScriptedBird());
    expect(m.current()).toBeUndefined();
    const first = await m.start();
    expect(m.current()).toBe(first);
    expect(first.daemon).toMatchObject({ up: true, version: '1.6.8', routerId: '10.255.0.1', gracefulRestart: false, error: null });
    expect(first.peers.map((p) => [p.name, p.bgpState])).toEqual([
      ['Global_fd00_ec__fe', 'Down'],
      ['Mesh_fd00_ec__2', 'Established'],
      ['Mesh_fd00_ec__9', 'Connect'],
      ['tor1', 'Connect'],
    ]);
  });

  it('reuses the parse of protocols whose text did not change between polls and reads the ones that did', async () => {
    const bird = new ScriptedBird();
    const m = monitor(bird);
    await m.start();
    // The second sighting of a block is parsed once more, from a copy of its own; reused from the third.
    const first = await m.refresh();
    const text = fixtureBytes('epoch-show-protocols-all.txt').toString('latin1');
    // Framed again: no string of the first reply is shared with the second.
    bird.replies.set('show protocols all', frame(text.replace('Connect       \n1006-  Preference:     100\n   Input filter:   ACCEPT\n   Output filter:  ACCEPT\n   Routes:         0 imported, 0 exported, 0 preferred\n   Route change stats:     received   rejected   filtered    ignored   accepted\n     Import updates:              0          0          0          0          0\n     Import withdraws:            0          0        ---          0          0\n     Export updates:              0          0          0        ---          0\n     Export withdraws:            0        ---        ---        ---          0\n   BGP state:          Connect\n     Neighbor address: fd00:ec::9', 'Active        \n1006-  Preference:     100\n   Input filter:   ACCEPT\n   Output filter:  ACCEPT\n   Routes:         0 imported, 0 exported, 0 preferred\n   Route change stats:     received   rejected   filtered    ignored   accepted\n     Import updates:              0          0          0          0          0\n     Import withdraws:            0          0        ---          0          0\n     Export updates:              0          0          0        ---          0\n     Export withdraws:            0        ---        ---        ---          0\n   BGP state:          Active\n     Neighbor address: fd00:ec::9')).replies[0]!);
    const second = await m.refresh();
    const peer = (s: typeof first, name: string) => s.peers.find((p) => p.name === name)!;
    expect(peer(second, 'Mesh_fd00_ec__9')).toMatchObject({ bgpState: 'Active', previousBgpState: 'Connect' });
    expect(peer(second, 'tor1').routeStats.importUpdates).toBe(peer(first, 'tor1').routeStats.importUpdates);
    expect(peer(second, 'Mesh_fd00_ec__9').routeStats.importUpdates).not.toBe(peer(first, 'Mesh_fd00_ec__9').routeStats.importUpdates);
  });

  it('polls a bird6 in graceful restart recovery (bird6 -R): kernel protocol in state "wait", reply 0024', async () => {
    const bird = new ScriptedBird();
    // As bird6 -R printed it in test/faults/bird-restart.test.ts while BGP had not yet resynchronised.
    const recovering = fixtureBytes('epoch-show-protocols-all.txt').toString('latin1').replace('1002-kernel1  Kernel   master   up  ', '1002-kernel1  Kernel   master   wait');
    bird.replies.set('show protocols all', frame(recovering).replies[0]!);
    bird.replies.set('show status', frame(fixtureBytes('r1-show-status.txt').toString('latin1').replace('0013 Daemon is up and running', '0024-Graceful restart recovery in progress\n0013 Daemon is up and running')).replies[0]!);
    const first = await monitor(bird).start();
    expect(first.daemon).toMatchObject({ up: true, gracefulRestart: true });
    expect(first.peers.find((p) => p.name === 'Mesh_fd00_ec__2')).toMatchObject({ bgpState: 'Established' });
  });

  it('counts polls and failed polls and keeps the duration of the last one, on its clock', async () => {
    const bird = new ScriptedBird();
    const m = monitor(bird, { onError: () => {} });
    expect(m.pollStats()).toEqual({ polls: 0, failures: 0, lastDurationMs: null });
    await m.start();
    // The test clock moves 1 s per reading: one when the poll starts, one when it ends.
    expect(m.pollStats()).toEqual({ polls: 1, failures: 0, lastDurationMs: 1000 });
    bird.replies.set('show protocols all', fixtureReply('r1-bad-command.txt'));
    await expect(m.refresh()).rejects.toThrow();
    expect(m.pollStats()).toMatchObject({ polls: 2, failures: 1 });
    // An unreachable BIRD is an observation (daemon down), not a failed poll.
    bird.replies.set('show status', new BirdctlError('BIRD_UNREACHABLE', 'no socket'));
    await m.refresh();
    expect(m.pollStats()).toMatchObject({ polls: 3, failures: 1 });
  });

  it('shares one poll between concurrent callers', async () => {
    const bird = new ScriptedBird();
    const m = monitor(bird);
    let open!: () => void;
    bird.gate = new Promise((resolve) => (open = resolve));
    const polls = [m.start(), m.refresh(), m.refresh()];
    open();
    const [a, b, c] = await Promise.all(polls);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(bird.calls).toBe(2);
  });

  it('tells every subscriber about a change, survives a throwing one, and stops telling after unsubscribe', async () => {
    const bird = new ScriptedBird();
    const errors: unknown[] = [];
    const m = monitor(bird, { onError: (e) => errors.push(e) });
    await m.start();
    const seen: MonitorEvent['type'][] = [];
    const other: MonitorEvent['type'][] = [];
    m.subscribe(() => {
      throw new Error('broken consumer');
    });
    const unsubscribe = m.subscribe((event) => seen.push(event.type));
    m.subscribe((event, snapshot) => {
      other.push(event.type);
      expect(snapshot).toBe(m.current());
    });
    bird.replies.set('show protocols all', fixtureReply('disabled-show-protocols-all.txt'));
    await m.refresh();
    expect(seen).toEqual(['peerDown', 'peerStateChanged', 'peerStateChanged', 'peerStateChanged']);
    expect(other).toEqual(seen);
    expect(errors).toHaveLength(4);
    unsubscribe();
    bird.replies.set('show protocols all', fixtureReply('epoch-show-protocols-all.txt'));
    await m.refresh();
    expect(seen).toHaveLength(4);
    expect(other.slice(4)).toContain('peerUp');
  });

  it('reports an unreachable BIRD as a down daemon, not an exception', async () => {
    const bird = new ScriptedBird();
    const m = monitor(bird);
    await m.start();
    const events: MonitorEvent[] = [];
    m.subscribe((e) => events.push(e));
    bird.replies.set('show status', new BirdctlError('BIRD_UNREACHABLE', 'cannot talk to BIRD at /x: the control socket does not exist'));
    const down = await m.refresh();
    expect(down.daemon).toMatchObject({ up: false, error: 'cannot talk to BIRD at /x: the control socket does not exist' });
    expect(down.peers).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['daemonDown']);
    bird.replies.set('show status', new BirdctlError('BIRD_TIMEOUT', 'no answer'));
    expect((await m.refresh()).daemon.error).toBe('no answer');
  });

  it('keeps the last snapshot and reports through onError when a reply cannot be parsed', async () => {
    const bird = new ScriptedBird();
    const errors: unknown[] = [];
    const m = monitor(bird, { onError: (e) => errors.push(e) });
    const first = await m.start();
    bird.replies.set('show protocols all', frame('2002-name proto table state since info extra\n0000 \n').replies[0]!);
    await expect(m.refresh()).rejects.toThrow(/heading/);
    expect(m.current()).toBe(first);
  });

  it('polls on its own at the interval until stopped', async () => {
    const bird = new ScriptedBird();
    const m = monitor(bird, { intervalMs: 10 });
    await m.start();
    await new Promise((r) => setTimeout(r, 100));
    await m.stop();
    const after = bird.calls;
    expect(after).toBeGreaterThanOrEqual(6);
    await new Promise((r) => setTimeout(r, 50));
    expect(bird.calls).toBe(after);
  });
});

describe('createBirdMonitor on a control socket', () => {
  const birds: FakeBird[] = [];
  afterEach(async () => {
    await Promise.all(birds.splice(0).map((b) => b.dispose()));
  });

  it('connects read-only, sees BIRD vanish (daemonDown) and come back (daemonUp)', async () => {
    const bird = new FakeBird();
    birds.push(bird);
    bird.handler = answerAsR2;
    const m = createBirdMonitor({ socketPath: bird.path, intervalMs: 20, onError: (e) => { throw e; } });
    monitors.push(m);
    expect((await m.start()).daemon.up).toBe(false);
    await bird.start();
    const events: MonitorEvent['type'][] = [];
    m.subscribe((e) => events.push(e.type));
    await waitUntil(() => m.current()?.daemon.up === true);
    expect(bird.commands[0]).toBe('restrict');
    expect(m.current()!.peers.map((p) => [p.name, p.bgpState, p.peerType])).toEqual([['Mesh_fd00_ec__1', 'Passive', 'node-to-node mesh']]);
    await bird.stop();
    await waitUntil(() => m.current()?.daemon.up === false);
    await bird.start();
    await waitUntil(() => m.current()?.daemon.up === true);
    expect(events).toEqual(['daemonUp', 'peerStateChanged', 'daemonDown', 'daemonUp', 'peerStateChanged']);
  });

  it('reports a BIRD that restarted between two polls (its connection dropped and came back) as daemonDown then daemonUp', async () => {
    const bird = new FakeBird();
    birds.push(bird);
    // The same times at every poll: within the jitter, a restart shows only in the connection.
    bird.handler = answerAsR2;
    await bird.start();
    const m = createBirdMonitor({ socketPath: bird.path, intervalMs: 60_000, onError: (e) => { throw e; } });
    monitors.push(m);
    expect((await m.start()).daemon.up).toBe(true);
    const events: MonitorEvent[] = [];
    m.subscribe((e) => events.push(e));
    await bird.stop();
    await bird.start();
    // The client reconnects in the background before the next poll.
    await waitUntil(() => bird.connections === 2 && bird.commands.filter((c) => c === 'restrict').length === 2);
    await m.refresh();
    expect(events.map((e) => e.type)).toEqual(['daemonDown', 'daemonUp']);
    expect(events[0]).toMatchObject({ daemon: { up: false, error: 'control connection lost between polls' } });
    await m.refresh();
    expect(events).toHaveLength(2);
  });
});

async function waitUntil(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
