// The monitor's state machine as a pure function: the previous snapshot plus a new observation
// gives the next snapshot and the events between them. Counters a BIRD restart would lose
// (established transitions, previous BGP state) are carried in `known`, the last snapshot of every
// peer ever seen, because a snapshot lists no peers while the daemon is down.
import type { BgpPeer } from '../birdc/peers.ts';
import type { Observation } from './poll.ts';
import type { DaemonState, MonitorEvent, MonitorSnapshot, PeerSnapshot } from './types.ts';

/**
 * BIRD 1.6 prints every time (`since`, `Last reboot`, `Last reconfiguration`) as its wall clock
 * minus the age on its monotonic clock, two whole seconds read at different moments: one instant
 * reads a second apart in two polls. Only a larger jump is a real change.
 */
const TIME_JITTER_SECONDS = 2;

export interface Advanced {
  snapshot: MonitorSnapshot;
  events: MonitorEvent[];
}

const established = (peer: { bgpState: string } | undefined) => peer?.bgpState === 'Established';

/**
 * `previous` undefined means the first poll: it is the baseline and gives no events, so a consumer
 * that starts with the monitor is not told that every session "came up".
 */
export function advance(previous: MonitorSnapshot | undefined, known: ReadonlyMap<string, PeerSnapshot>, observed: Observation, at: number): Advanced {
  const events: MonitorEvent[] = [];
  const daemon = observed.daemon;
  if (previous !== undefined) daemonEvents(previous.daemon, daemon, observed.reconnected === true, at, events);

  const before = new Map<string, PeerSnapshot>();
  for (const p of previous?.peers ?? []) before.set(p.name, p);
  let stayed = 0;
  const peers = observed.peers.map((peer) => {
    const last = before.get(peer.name);
    if (last !== undefined) stayed += 1;
    const next = track(peer, last ?? known.get(peer.name), last, daemon);
    if (previous !== undefined) peerEvents(last, next, at, events);
    return next;
  });
  // Names are unique in a snapshot, so when every previous peer was seen again none is gone and
  // the search below (a set of 1,000 names at every poll) is skipped.
  if (previous !== undefined && stayed < before.size) {
    const now = new Set(peers.map((p) => p.name));
    for (const gone of before.values()) {
      if (now.has(gone.name)) continue;
      // A peer disappears either with the whole daemon (daemonDown says so) or by reconfiguration.
      if (!daemon.up) continue;
      if (established(gone)) events.push({ type: 'peerDown', peer: { ...gone, state: 'down', bgpState: 'Down', previousBgpState: gone.bgpState }, previous: gone, at });
      events.push({ type: 'peerStateChanged', peer: gone, previous: gone, removed: true, at });
    }
  }
  return { snapshot: { takenAt: at, daemon, peers }, events };
}

function daemonEvents(before: DaemonState, after: DaemonState, reconnected: boolean, at: number, events: MonitorEvent[]): void {
  if (before.up && !after.up) events.push({ type: 'daemonDown', daemon: after, previous: before, at });
  else if (!before.up && after.up) events.push({ type: 'daemonUp', daemon: after, previous: before, at });
  else if (before.up && after.up && (reconnected || restarted(before, after))) {
    // Restarted between two polls: report the outage the polls did not see.
    events.push({ type: 'daemonDown', daemon: { ...after, up: false, error: reconnected ? 'control connection lost between polls' : 'restarted between polls' }, previous: before, at });
    events.push({ type: 'daemonUp', daemon: after, previous: before, at });
  } else if (before.up && after.up && reconfigured(before, after)) {
    events.push({ type: 'reconfigured', daemon: after, previous: before, at });
  }
}

/**
 * The differences of two times of one `show status` reply are exact, as the jitter moves them
 * together: server time minus last reboot is the uptime on BIRD's monotonic clock, which only a
 * new daemon makes go back. A reboot time that moved by more than the jitter is a new daemon too
 * (one that restarted longer ago than the last poll's uptime).
 */
function restarted(before: DaemonState, after: DaemonState): boolean {
  if (before.lastReboot === null || after.lastReboot === null || before.serverTime === null || after.serverTime === null) return before.lastReboot !== after.lastReboot;
  const uptimeWentBack = after.serverTime - after.lastReboot < before.serverTime - before.lastReboot;
  return uptimeWentBack || Math.abs(after.lastReboot - before.lastReboot) > TIME_JITTER_SECONDS;
}

/** Last reconfiguration minus last reboot is exact too (see restarted): it changes only with a reconfiguration. */
function reconfigured(before: DaemonState, after: DaemonState): boolean {
  if (before.lastReconfiguration === null || after.lastReconfiguration === null || before.lastReboot === null || after.lastReboot === null) {
    return before.lastReconfiguration !== after.lastReconfiguration;
  }
  return after.lastReconfiguration - after.lastReboot !== before.lastReconfiguration - before.lastReboot;
}

/** The peer as the monitor reports it: BIRD's view plus what only a watcher over time knows. */
function track(peer: BgpPeer, memory: PeerSnapshot | undefined, last: PeerSnapshot | undefined, daemon: DaemonState): PeerSnapshot {
  const entered = established(peer) && (!established(last) || flapped(last!, peer));
  const changed = memory !== undefined && memory.bgpState !== peer.bgpState;
  // Listed field by field rather than spread: this runs for every peer on every poll.
  return {
    name: peer.name,
    peerAddress: peer.peerAddress,
    peerType: peer.peerType,
    state: peer.state,
    bgpState: peer.bgpState,
    since: peer.since,
    info: peer.info,
    neighborAs: peer.neighborAs,
    neighborId: peer.neighborId,
    localAs: peer.localAs,
    sourceAddress: peer.sourceAddress,
    routesImported: peer.routesImported,
    routesExported: peer.routesExported,
    importUpdates: peer.importUpdates,
    lastError: peer.lastError,
    routeStats: peer.routeStats,
    establishedTransitions: (memory?.establishedTransitions ?? 0) + (entered ? 1 : 0),
    timeInStateSeconds: daemon.serverTime === null || peer.since === null ? null : Math.max(0, daemon.serverTime - peer.since),
    previousBgpState: changed ? memory.bgpState : (memory?.previousBgpState ?? null),
  };
}

/** A `since` the parser could not read (null) shows no flap: only the state tells then. */
function flapped(before: Pick<PeerSnapshot, 'since'>, after: Pick<BgpPeer, 'since'>): boolean {
  return before.since !== null && after.since !== null && after.since - before.since > TIME_JITTER_SECONDS;
}

function peerEvents(before: PeerSnapshot | undefined, after: PeerSnapshot, at: number, events: MonitorEvent[]): void {
  const wasUp = established(before);
  const isUp = established(after);
  if (before === undefined) {
    events.push(isUp ? { type: 'peerUp', peer: after, previous: null, at } : { type: 'peerStateChanged', peer: after, previous: null, removed: false, at });
  } else if (wasUp && !isUp) {
    events.push({ type: 'peerDown', peer: after, previous: before, at });
  } else if (!wasUp && isUp) {
    events.push({ type: 'peerUp', peer: after, previous: before, at });
  } else if (wasUp && isUp) {
    // Established in both polls: a newer `since` is a flap between the polls. The protocol state
    // moving alone (`feed` to `up` once the routes are exported, or once bird6 -R ends graceful
    // restart recovery) is no change of the session: peerUp has already said it is Established.
    if (flapped(before, after)) {
      events.push({ type: 'peerDown', peer: { ...before, state: 'down', bgpState: 'Down' }, previous: before, at });
      events.push({ type: 'peerUp', peer: after, previous: before, at });
    }
  } else if (before.state !== after.state || before.bgpState !== after.bgpState) {
    events.push({ type: 'peerStateChanged', peer: after, previous: before, removed: false, at });
  }
}
