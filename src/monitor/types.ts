// The monitor's public shapes. `birdctl status`, the WebSocket stream and the SNMP agent all read
// BGP sessions through these types only, never through birdc replies, so a change in BIRD's output
// is absorbed by the parsers and the monitor and stops there.
//
// Two clocks appear here and are kept apart by name and comment: times BIRD reports (`since`,
// `serverTime`, `lastReboot`, `lastReconfiguration`) are epoch SECONDS, BIRD's own resolution;
// times the monitor stamps (`takenAt`, `at`) are epoch MILLISECONDS from the injected clock.
import type { BgpPeer } from '../birdc/peers.ts';
import type { BgpState } from '../birdc/protocol-states.ts';

// The state vocabularies live with the parsers that read them; consumers import them from here.
export type { PeerType } from '../peering/protocol-names.ts';
export type { BgpState, LastError, ProtocolState } from '../birdc/protocol-states.ts';

export interface DaemonState {
  /** true when the control socket answered `show status` in the last poll */
  up: boolean;
  /** `1.6.8`; null while down */
  version: string | null;
  routerId: string | null;
  /** epoch seconds, as BIRD reported it */
  serverTime: number | null;
  /** epoch seconds */
  lastReboot: number | null;
  /** epoch seconds */
  lastReconfiguration: number | null;
  /** reply 0024 `Graceful restart recovery in progress` instead of 0013 */
  gracefulRestart: boolean;
  /** why the daemon is considered down (socket missing, permission denied, timeout); null while up */
  error: string | null;
}

/** A BGP peer as BIRD reports it (birdc/peers.ts), plus what only a watcher over time knows. */
export interface PeerSnapshot extends BgpPeer {
  /** transitions into Established seen by this monitor (including one found Established at first sight) */
  establishedTransitions: number;
  /** seconds since `since`, measured against BIRD's server time of the same poll */
  timeInStateSeconds: number | null;
  /** the BGP state before the last change the monitor saw; null until it saw one */
  previousBgpState: BgpState | null;
}

export interface MonitorSnapshot {
  /** epoch milliseconds when this poll finished */
  takenAt: number;
  daemon: DaemonState;
  /** BGP protocols only, sorted by name; empty while the daemon is down (peers are unknown then) */
  peers: readonly PeerSnapshot[];
}

/**
 * What changed between two polls. `at` is epoch milliseconds. A session that flapped between two
 * polls (Established both times, a newer `since`) gives a peerDown then a peerUp.
 */
export type MonitorEvent =
  /** the peer entered Established */
  | { type: 'peerUp'; peer: PeerSnapshot; previous: PeerSnapshot | null; at: number }
  /** the peer left Established (also when it was removed from the config while Established) */
  | { type: 'peerDown'; peer: PeerSnapshot; previous: PeerSnapshot; at: number }
  /** any other change of state or BGP state, a new peer not yet Established, or a peer removed (`removed: true`) */
  | { type: 'peerStateChanged'; peer: PeerSnapshot; previous: PeerSnapshot | null; removed: boolean; at: number }
  | { type: 'daemonDown'; daemon: DaemonState; previous: DaemonState; at: number }
  | { type: 'daemonUp'; daemon: DaemonState; previous: DaemonState | null; at: number }
  /** BIRD's last reconfiguration time moved forward while it stayed up */
  | { type: 'reconfigured'; daemon: DaemonState; previous: DaemonState; at: number };

export type MonitorEventType = MonitorEvent['type'];

export type MonitorListener = (event: MonitorEvent, snapshot: MonitorSnapshot) => void;

/** How the polls have gone since the monitor started, for views that report the monitor's health (metrics). */
export interface PollStats {
  /** polls finished, failed ones included */
  polls: number;
  /** polls whose reply the parsers did not understand (an unreachable BIRD is an observation, not a failure) */
  failures: number;
  /** milliseconds the last poll took, failed or not; null before the first */
  lastDurationMs: number | null;
}

/** One poll loop shared by every consumer. */
export interface SessionMonitor {
  pollStats(): PollStats;
  /** The last snapshot, or undefined before the first poll finished. */
  current(): MonitorSnapshot | undefined;
  /** Events from the next poll on; returns the unsubscribe function. A throwing listener does not stop the others. */
  subscribe(listener: MonitorListener): () => void;
  /** Polls once at once (resolves with that first snapshot), then every interval. Idempotent. */
  start(): Promise<MonitorSnapshot>;
  /** Polls now, outside the interval (still one poll at a time), and returns the new snapshot. */
  refresh(): Promise<MonitorSnapshot>;
  /** Stops polling and closes the control-socket connection. */
  stop(): Promise<void>;
}
