// The controller's own series (birdctl_*), from what the agent already publishes for every view:
// its events (config applies, endpoint passes, bird6 coming back) and its state (endpoints), plus
// the monitor's poll statistics. Counts start when the series are registered, so the agent
// registers them before its first apply.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PollStats } from '../monitor/types.ts';
import type { ConfigOutcome } from '../render/apply.ts';
import type { EndpointProgramState, StreamEvent, StreamSource } from '../stream/source.ts';

// Every value listed so each series exists from the first scrape at 0: rate() and increase() need
// the zero, and a `satisfies` over the producer's type makes a new outcome a compile error here.
const OUTCOMES = Object.keys({ unchanged: 1, applied: 1, reloaded: 1, pending: 1, rejected: 1, failed: 1 } satisfies Record<ConfigOutcome, 1>);
const ENDPOINT_STATES = Object.keys({ programmed: 1, pending: 1, failed: 1 } satisfies Record<EndpointProgramState, 1>) as EndpointProgramState[];

/** A config apply takes a render, `bird6 -p` and a `configure`: tens of ms to seconds. */
const APPLY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** An endpoint pass is one `ip -batch` and a few reads: ms to seconds. */
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface ControllerSeriesSources {
  /** the agent's state and events (AgentState) */
  state: StreamSource;
  pollStats: () => PollStats;
}

export interface ControllerSeries {
  /** Sets the series read at scrape time (endpoints, monitor polls). */
  update(): void;
  /** Stops following the agent's events. */
  close(): void;
}

const durationSeconds = (event: StreamEvent): number | undefined => {
  const ms = (event as { durationMs?: unknown }).durationMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
};

export function registerControllerSeries(registry: Registry, sources: ControllerSeriesSources): ControllerSeries {
  const registers = [registry];
  const applies = new Counter({ name: 'birdctl_config_applies_total', help: 'Attempts to put the rendered bird6.conf in service, by result', labelNames: ['result'], registers });
  const applyDuration = new Histogram({ name: 'birdctl_config_apply_duration_seconds', help: 'Time of one config apply (render, bird6 -p, write, configure)', buckets: APPLY_BUCKETS, registers });
  const lastSuccess = new Gauge({ name: 'birdctl_config_last_success_timestamp_seconds', help: 'When bird6 last confirmed running the rendered config (0: not since the agent started)', registers });
  const generation = new Gauge({ name: 'birdctl_topology_generation', help: 'Valid topologies the agent has taken in since it started; the one the last apply rendered', registers });
  const reconcileDuration = new Histogram({ name: 'birdctl_endpoint_reconcile_duration_seconds', help: 'Time of one endpoint pass (kernel routes, proxy NDP, dnsmasq)', buckets: RECONCILE_BUCKETS, registers });
  const endpoints = new Gauge({ name: 'birdctl_endpoints', help: "This node's endpoints by programming state", labelNames: ['state'], registers });
  const birdRestarts = new Counter({ name: 'birdctl_bird_restarts_total', help: 'Times bird6 came back after the monitor saw it down or found it restarted', registers });
  const polls = new Counter({ name: 'birdctl_monitor_polls_total', help: "Polls of bird6's status and protocols", registers });
  const pollErrors = new Counter({ name: 'birdctl_monitor_poll_errors_total', help: 'Polls whose reply could not be read (an unreachable bird6 is bird_socket_query_success 0)', registers });
  const pollDuration = new Gauge({ name: 'birdctl_monitor_poll_duration_seconds', help: 'Time of the last poll of bird6 (0 before the first)', registers });

  for (const result of OUTCOMES) applies.inc({ result }, 0);
  lastSuccess.set(0);

  const onEvent = (event: StreamEvent): void => {
    switch (event.type) {
      case 'configApplied':
      case 'configRejected': {
        const outcome = (event as { outcome?: unknown }).outcome;
        if (typeof outcome === 'string' && OUTCOMES.includes(outcome)) applies.inc({ result: outcome });
        const seconds = durationSeconds(event);
        if (seconds !== undefined) applyDuration.observe(seconds);
        if (event.type === 'configApplied') lastSuccess.set(event.at / 1000);
        const topologyGeneration = (event as { generation?: unknown }).generation;
        if (typeof topologyGeneration === 'number') generation.set(topologyGeneration);
        return;
      }
      case 'endpointsReconciled': {
        const seconds = durationSeconds(event);
        if (seconds !== undefined) reconcileDuration.observe(seconds);
        return;
      }
      case 'daemonUp':
        birdRestarts.inc();
        return;
    }
  };
  const unsubscribe = sources.state.subscribe(onEvent);

  return {
    update() {
      const byState = new Map<EndpointProgramState, number>(ENDPOINT_STATES.map((s) => [s, 0]));
      for (const endpoint of sources.state.state().endpoints) byState.set(endpoint.state, (byState.get(endpoint.state) ?? 0) + 1);
      for (const [state, count] of byState) endpoints.set({ state }, count);
      // The monitor keeps the totals; the counters mirror them (prom-client counters only go up by inc).
      const stats = sources.pollStats();
      polls.reset();
      polls.inc(stats.polls);
      pollErrors.reset();
      pollErrors.inc(stats.failures);
      pollDuration.set((stats.lastDurationMs ?? 0) / 1000);
    },
    close: unsubscribe,
  };
}
