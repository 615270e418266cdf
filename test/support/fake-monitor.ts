// A SessionMonitor that tests drive by hand: push a snapshot, emit an event, and every consumer
// (stream, SNMP agent) sees exactly what a real monitor would hand it, without BIRD.
import type { DaemonState, MonitorEvent, MonitorListener, MonitorSnapshot, PeerSnapshot, PollStats, SessionMonitor } from '../../src/monitor/types.ts';

export function daemonState(overrides: Partial<DaemonState> = {}): DaemonState {
  return {
    up: true,
    version: '1.6.8',
    routerId: '10.255.0.1',
    serverTime: 1_700_000_100,
    lastReboot: 1_700_000_000,
    lastReconfiguration: 1_700_000_000,
    gracefulRestart: false,
    error: null,
    ...overrides,
  };
}

export function peerSnapshot(overrides: Partial<PeerSnapshot> = {}): PeerSnapshot {
  return {
    name: 'Mesh_fd00_ec__2',
    peerAddress: 'fd00:ec::2',
    peerType: 'node-to-node mesh',
    state: 'up',
    bgpState: 'Established',
    since: 1_700_000_050,
    info: 'Established',
    neighborAs: 64512,
    neighborId: '10.255.0.2',
    localAs: 64512,
    sourceAddress: 'fd00:ec::1',
    routesImported: 3,
    routesExported: 2,
    importUpdates: 7,
    lastError: null,
    routeStats: {
      inputFilter: 'ACCEPT',
      outputFilter: 'mesh_export',
      routes: { imported: 3, filtered: null, exported: 2, preferred: 3 },
      importUpdates: { received: 9, rejected: 0, filtered: 2, ignored: 0, accepted: 7 },
      importWithdraws: { received: 4, rejected: 0, filtered: null, ignored: 1, accepted: 3 },
      exportUpdates: { received: 12, rejected: 1, filtered: 3, ignored: null, accepted: 8 },
      exportWithdraws: { received: 5, rejected: null, filtered: null, ignored: null, accepted: 5 },
    },
    establishedTransitions: 1,
    timeInStateSeconds: 50,
    previousBgpState: null,
    ...overrides,
  };
}

export class FakeMonitor implements SessionMonitor {
  private snapshot: MonitorSnapshot | undefined;
  private readonly listeners = new Set<MonitorListener>();
  private started = false;
  /** what pollStats() reports; tests set it as the polls they pretend to have made went */
  stats: PollStats = { polls: 0, failures: 0, lastDurationMs: null };

  constructor(initial?: MonitorSnapshot) {
    this.snapshot = initial;
  }

  /** Replaces the current snapshot, as a poll without events would. */
  push(snapshot: MonitorSnapshot): void {
    this.snapshot = snapshot;
  }

  /** Replaces the snapshot and hands the event to every listener, as a poll with a change would. */
  emit(event: MonitorEvent, snapshot: MonitorSnapshot): void {
    this.snapshot = snapshot;
    for (const listener of this.listeners) listener(event, snapshot);
  }

  listenerCount(): number {
    return this.listeners.size;
  }

  isStarted(): boolean {
    return this.started;
  }

  pollStats(): PollStats {
    return { ...this.stats };
  }

  current(): MonitorSnapshot | undefined {
    return this.snapshot;
  }

  subscribe(listener: MonitorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<MonitorSnapshot> {
    this.started = true;
    return this.requireSnapshot();
  }

  async refresh(): Promise<MonitorSnapshot> {
    return this.requireSnapshot();
  }

  async stop(): Promise<void> {
    this.started = false;
  }

  private requireSnapshot(): MonitorSnapshot {
    if (this.snapshot === undefined) throw new Error('FakeMonitor: push a snapshot first');
    return this.snapshot;
  }
}

export function snapshotOf(peers: readonly PeerSnapshot[], overrides: Partial<MonitorSnapshot> = {}): MonitorSnapshot {
  return { takenAt: 1_700_000_100_000, daemon: daemonState(), peers, ...overrides };
}
