import { describe, expect, it } from 'vitest';
import type { BgpPeer } from '../../src/birdc/peers.ts';
import { advance } from '../../src/monitor/advance.ts';
import { downDaemon, type Observation } from '../../src/monitor/poll.ts';
import type { DaemonState, MonitorEvent, MonitorSnapshot, PeerSnapshot } from '../../src/monitor/types.ts';

const T0 = 1795686700;

function daemon(overrides: Partial<DaemonState> = {}): DaemonState {
  return { up: true, version: '1.6.8', routerId: '10.255.0.1', serverTime: T0 + 100, lastReboot: T0, lastReconfiguration: T0, gracefulRestart: false, error: null, ...overrides };
}

function peer(name: string, overrides: Partial<BgpPeer> = {}): BgpPeer {
  return {
    name,
    peerAddress: 'fd00:ec::2',
    peerType: 'node-to-node mesh',
    state: 'up',
    bgpState: 'Established',
    since: T0 + 4,
    info: 'Established',
    neighborAs: 64512,
    neighborId: '10.255.0.2',
    localAs: 64512,
    sourceAddress: 'fd00:ec::1',
    routesImported: 1,
    routesExported: 2,
    importUpdates: 1,
    lastError: null,
    routeStats: { inputFilter: 'ACCEPT', outputFilter: 'ACCEPT', routes: null, importUpdates: null, importWithdraws: null, exportUpdates: null, exportWithdraws: null },
    ...overrides,
  };
}

const down = (name: string, overrides: Partial<BgpPeer> = {}) => peer(name, { state: 'start', bgpState: 'Active', info: 'Active', neighborId: null, since: T0 + 50, ...overrides });

/** Runs observations through advance() like the monitor does; returns the snapshots and the events of each step. */
function run(...observations: Observation[]): { snapshots: MonitorSnapshot[]; events: MonitorEvent[][] } {
  const known = new Map<string, PeerSnapshot>();
  let previous: MonitorSnapshot | undefined;
  const snapshots: MonitorSnapshot[] = [];
  const events: MonitorEvent[][] = [];
  observations.forEach((observed, i) => {
    const step = advance(previous, known, observed, 1000 * (i + 1));
    for (const p of step.snapshot.peers) known.set(p.name, p);
    previous = step.snapshot;
    snapshots.push(step.snapshot);
    events.push(step.events);
  });
  return { snapshots, events };
}

const kinds = (events: MonitorEvent[]) => events.map((e) => ('peer' in e ? `${e.type}:${e.peer.name}` : e.type));

describe('advance', () => {
  it('takes the first poll as the baseline: no events, counters from what it sees', () => {
    const { snapshots, events } = run({ daemon: daemon(), peers: [peer('a'), down('b')] });
    expect(events[0]).toEqual([]);
    expect(snapshots[0]!.takenAt).toBe(1000);
    expect(snapshots[0]!.peers.map((p) => [p.name, p.establishedTransitions, p.timeInStateSeconds, p.previousBgpState])).toEqual([
      ['a', 1, 96, null],
      ['b', 0, 50, null],
    ]);
  });

  it('emits peerDown and peerUp on leaving and entering Established, and counts transitions', () => {
    const { snapshots, events } = run(
      { daemon: daemon(), peers: [peer('a')] },
      { daemon: daemon(), peers: [down('a')] },
      { daemon: daemon(), peers: [peer('a', { since: T0 + 60 })] },
    );
    expect(events.map(kinds)).toEqual([[], ['peerDown:a'], ['peerUp:a']]);
    const [, wentDown, cameBack] = snapshots.map((s) => s.peers[0]!);
    expect(wentDown).toMatchObject({ bgpState: 'Active', previousBgpState: 'Established', establishedTransitions: 1 });
    expect(cameBack).toMatchObject({ bgpState: 'Established', previousBgpState: 'Active', establishedTransitions: 2 });
    const up = events[2]![0]!;
    expect(up.type === 'peerUp' && up.previous?.bgpState).toBe('Active');
  });

  it('emits peerStateChanged for other changes and nothing when only figures change', () => {
    const { events } = run(
      { daemon: daemon(), peers: [down('a', { bgpState: 'Connect' })] },
      { daemon: daemon(), peers: [down('a', { bgpState: 'Active' })] },
      { daemon: daemon(), peers: [down('a', { bgpState: 'Active', routesImported: 7 })] },
      { daemon: daemon(), peers: [down('a', { state: 'down', bgpState: 'Down' })] },
    );
    expect(events.map(kinds)).toEqual([[], ['peerStateChanged:a'], [], ['peerStateChanged:a']]);
  });

  it('tolerates one second of since jitter but reports a flap between polls as down then up', () => {
    const { snapshots, events } = run(
      { daemon: daemon(), peers: [peer('a')] },
      { daemon: daemon(), peers: [peer('a', { since: T0 + 5 })] },
      { daemon: daemon(), peers: [peer('a', { since: T0 + 40 })] },
    );
    expect(events.map(kinds)).toEqual([[], [], ['peerDown:a', 'peerUp:a']]);
    expect(snapshots[2]!.peers[0]!.establishedTransitions).toBe(2);
  });

  it('reports peers added and removed by reconfiguration', () => {
    const { events } = run(
      { daemon: daemon(), peers: [peer('a')] },
      { daemon: daemon({ lastReconfiguration: T0 + 90 }), peers: [peer('a'), peer('b'), down('c')] },
      { daemon: daemon({ lastReconfiguration: T0 + 95 }), peers: [down('c')] },
    );
    expect(events.map(kinds)).toEqual([
      [],
      ['reconfigured', 'peerUp:b', 'peerStateChanged:c'],
      ['reconfigured', 'peerDown:a', 'peerStateChanged:a', 'peerDown:b', 'peerStateChanged:b'],
    ]);
    const removed = events[2]!.find((e) => e.type === 'peerStateChanged');
    expect(removed).toMatchObject({ removed: true, peer: { name: 'a' } });
    expect(events[2]![1]).toMatchObject({ type: 'peerDown', peer: { bgpState: 'Down', previousBgpState: 'Established' } });
  });

  it('reports the daemon going down (no peers) and up, keeping counters across the outage', () => {
    const { snapshots, events } = run(
      { daemon: daemon(), peers: [peer('a')] },
      { daemon: downDaemon('cannot talk to BIRD'), peers: [] },
      { daemon: downDaemon('cannot talk to BIRD'), peers: [] },
      { daemon: daemon({ lastReboot: T0 + 200, serverTime: T0 + 210 }), peers: [down('a', { since: T0 + 200 })] },
      { daemon: daemon({ lastReboot: T0 + 200, serverTime: T0 + 215 }), peers: [peer('a', { since: T0 + 212 })] },
    );
    expect(events.map(kinds)).toEqual([[], ['daemonDown'], [], ['daemonUp', 'peerStateChanged:a'], ['peerUp:a']]);
    expect(snapshots[1]).toMatchObject({ daemon: { up: false, error: 'cannot talk to BIRD', version: null }, peers: [] });
    expect(snapshots[4]!.peers[0]).toMatchObject({ establishedTransitions: 2, timeInStateSeconds: 3 });
  });

  it('reports a restart between two polls as daemonDown then daemonUp, and a reconfiguration alone as reconfigured', () => {
    const { events } = run(
      { daemon: daemon(), peers: [] },
      { daemon: daemon({ lastReboot: T0 + 30, lastReconfiguration: T0 + 30 }), peers: [] },
      { daemon: daemon({ lastReboot: T0 + 30, lastReconfiguration: T0 + 80 }), peers: [] },
      { daemon: daemon({ lastReboot: T0 + 30, lastReconfiguration: T0 + 80, gracefulRestart: true }), peers: [] },
    );
    expect(events.map(kinds)).toEqual([[], ['daemonDown', 'daemonUp'], ['reconfigured'], []]);
  });

  // BIRD 1.6 prints every time as its wall clock minus the age on its monotonic clock, both whole
  // seconds read at different moments, so `Last reboot` and `Last reconfiguration` of one healthy
  // daemon wobble together by a second from poll to poll while `Current server time` runs on.
  it('emits nothing when Last reboot and Last reconfiguration wobble by the 1 s jitter of a healthy bird6', () => {
    const poll = (serverTime: number, shift: number) => ({ daemon: daemon({ serverTime, lastReboot: T0 + shift, lastReconfiguration: T0 + 40 + shift }), peers: [peer('a')] });
    const { events } = run(poll(T0 + 100, 0), poll(T0 + 101, 1), poll(T0 + 102, 0), poll(T0 + 103, -1), poll(T0 + 104, 0), poll(T0 + 105, 1));
    expect(events.map(kinds)).toEqual([[], [], [], [], [], []]);
  });

  it('sees a restart shortly after the last one by the uptime going back, though Last reboot moved within the jitter', () => {
    const { events } = run(
      { daemon: daemon({ lastReboot: T0, lastReconfiguration: T0, serverTime: T0 + 5 }), peers: [] },
      // uptime (server time minus last reboot) 5 s, then 4 s: a new daemon.
      { daemon: daemon({ lastReboot: T0 + 2, lastReconfiguration: T0 + 2, serverTime: T0 + 6 }), peers: [] },
    );
    expect(events.map(kinds)).toEqual([[], ['daemonDown', 'daemonUp']]);
  });

  it('reports a restart when the control connection dropped between two polls, whatever the times say', () => {
    const { events } = run(
      { daemon: daemon({ serverTime: T0 + 100 }), peers: [peer('a')] },
      { daemon: daemon({ serverTime: T0 + 101 }), peers: [peer('a')], reconnected: true },
      { daemon: daemon({ serverTime: T0 + 102 }), peers: [peer('a')] },
    );
    expect(events.map(kinds)).toEqual([[], ['daemonDown', 'daemonUp'], []]);
  });

  it('reports a reconfiguration a second after the last one (the jitter moves reboot and reconfiguration together)', () => {
    const { events } = run(
      { daemon: daemon({ serverTime: T0 + 100, lastReboot: T0, lastReconfiguration: T0 + 99 }), peers: [] },
      { daemon: daemon({ serverTime: T0 + 101, lastReboot: T0 + 1, lastReconfiguration: T0 + 101 }), peers: [] },
    );
    expect(events.map(kinds)).toEqual([[], ['reconfigured']]);
  });

  it('emits one peerUp when a session enters Established, not a second event when its protocol moves from feed to up', () => {
    const { events } = run(
      { daemon: daemon(), peers: [down('a')] },
      { daemon: daemon(), peers: [peer('a', { state: 'feed', since: T0 + 60 })] },
      { daemon: daemon(), peers: [peer('a', { state: 'up', since: T0 + 60 })] },
    );
    expect(events.map(kinds)).toEqual([[], ['peerUp:a'], []]);
  });
});
