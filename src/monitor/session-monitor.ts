// The session monitor: one poll loop per BIRD, shared by every consumer (status --watch, the
// WebSocket stream, the SNMP agent). Polls never overlap: the next one is scheduled when the last
// has finished, and refresh() during a poll joins it instead of starting another.
import { BirdClient, type BirdCommands } from '../birdc/client.ts';
import { ProtocolBlocksCache } from '../birdc/protocol-blocks-cache.ts';
import { advance } from './advance.ts';
import { pollBird } from './poll.ts';
import type { MonitorListener, MonitorSnapshot, PeerSnapshot, PollStats, SessionMonitor } from './types.ts';

export interface SessionMonitorOptions {
  bird: BirdCommands & { close?: () => Promise<void> };
  /** Between the end of one poll and the start of the next. Default 1000. */
  intervalMs?: number;
  /** Epoch milliseconds; injected so tests and consumers agree on time. */
  now?: () => number;
  /**
   * A poll that failed for a reason other than an unreachable BIRD (a reply the parsers do not
   * understand): the last snapshot stays, polling goes on. Default: written to stderr.
   */
  onError?: (error: unknown) => void;
  /**
   * How many times the control connection has been lost so far. A loss between two polls that both
   * reached BIRD means the daemon went away and came back (restarted) though its times may not show it.
   */
  connectionLosses?: () => number;
  /**
   * A value BIRD printed that the parsers could not read (shown as null). Each distinct warning is
   * said once per monitor, not at every poll. Default: written to stderr.
   */
  onWarning?: (message: string) => void;
}

/** Distinct warnings remembered as said; past this the memory starts over (a daemon printing ever new values). */
const WARNINGS_REMEMBERED = 1000;

export function createSessionMonitor(options: SessionMonitorOptions): SessionMonitor {
  const intervalMs = options.intervalMs ?? 1000;
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((error: unknown) => process.stderr.write(`monitor: poll failed: ${(error as Error).message}\n`));
  const listeners = new Set<MonitorListener>();
  const known = new Map<string, PeerSnapshot>();
  let snapshot: MonitorSnapshot | undefined;
  let inFlight: Promise<MonitorSnapshot> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let started: Promise<MonitorSnapshot> | undefined;
  let running = false;
  let lossesSeen = options.connectionLosses?.() ?? 0;
  const onWarning = options.onWarning ?? ((message: string) => process.stderr.write(`monitor: ${message}\n`));
  const warned = new Set<string>();
  // Polls of one BIRD repeat most protocols' text: each poll parses only the blocks that changed.
  const blocks = new ProtocolBlocksCache();

  const stats: PollStats = { polls: 0, failures: 0, lastDurationMs: null };

  async function pollOnce(): Promise<MonitorSnapshot> {
    const startedAt = now();
    let observed;
    try {
      observed = await pollBird(options.bird, startedAt, blocks);
    } catch (error) {
      stats.polls += 1;
      stats.failures += 1;
      stats.lastDurationMs = now() - startedAt;
      throw error;
    }
    const losses = options.connectionLosses?.() ?? 0;
    if (losses !== lossesSeen) observed.reconnected = true;
    lossesSeen = losses;
    for (const warning of observed.warnings ?? []) {
      if (warned.has(warning)) continue;
      if (warned.size >= WARNINGS_REMEMBERED) warned.clear();
      warned.add(warning);
      onWarning(warning);
    }
    const at = now();
    stats.polls += 1;
    stats.lastDurationMs = at - startedAt;
    const { snapshot: next, events } = advance(snapshot, known, observed, at);
    snapshot = next;
    for (const peer of next.peers) known.set(peer.name, peer);
    for (const event of events) {
      for (const listener of [...listeners]) {
        try {
          listener(event, next);
        } catch (error) {
          // One broken consumer must not starve the others of events.
          onError(error);
        }
      }
    }
    return next;
  }

  function poll(): Promise<MonitorSnapshot> {
    inFlight ??= pollOnce().finally(() => (inFlight = undefined));
    return inFlight;
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(() => {
      poll()
        .catch(onError)
        .finally(schedule);
    }, intervalMs);
  }

  return {
    current: () => snapshot,
    pollStats: () => ({ ...stats }),
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    start() {
      if (started === undefined) {
        running = true;
        started = poll().finally(schedule);
      }
      return started;
    },
    refresh: poll,
    async stop() {
      running = false;
      clearTimeout(timer);
      await inFlight?.catch(() => {});
      await options.bird.close?.();
    },
  };
}

export interface BirdMonitorOptions {
  socketPath: string;
  intervalMs?: number;
  now?: () => number;
  onError?: (error: unknown) => void;
  onWarning?: (message: string) => void;
  /** Per command. Default 5000. */
  commandTimeoutMs?: number;
}

/**
 * A monitor on its own read-only (`restrict`) connection to BIRD's control socket. The client's
 * reconnect backoff is capped near the poll interval, so a restarted BIRD is seen within a poll or two.
 */
export function createBirdMonitor(options: BirdMonitorOptions): SessionMonitor {
  const intervalMs = options.intervalMs ?? 1000;
  let losses = 0;
  const bird = new BirdClient({
    socketPath: options.socketPath,
    restrict: true,
    commandTimeoutMs: options.commandTimeoutMs ?? 5000,
    maxBackoffMs: Math.max(intervalMs, 250),
    onStateChange: (state) => {
      if (state === 'disconnected') losses += 1;
    },
  });
  return createSessionMonitor({ bird, intervalMs, now: options.now, onError: options.onError, onWarning: options.onWarning, connectionLosses: () => losses });
}
