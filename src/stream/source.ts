// What the WebSocket stream shows, and where it gets it from. The agent implements `StreamSource`
// (it owns the monitor, the endpoint reconciler and the config apply loop); the stream server only
// reads it, so the stream can never change routing state and can be tested with a fake source.
import type { DaemonState, MonitorEvent, PeerSnapshot } from '../monitor/types.ts';
import type { ConfigApply } from '../render/apply.ts';

/** How far the controller got with an endpoint on this node. */
export type EndpointProgramState = 'programmed' | 'pending' | 'failed';

export interface EndpointState {
  name: string;
  node: string;
  kind: 'container' | 'vm';
  /** canonical IPv6 addresses */
  addresses: readonly string[];
  /** the host-side interface (veth or tap) */
  interface: string;
  state: EndpointProgramState;
  /** why it is pending or failed; absent when programmed */
  reason?: string;
}

/** The whole picture a client receives on connect (and again after it fell behind). */
export interface StreamState {
  daemon: DaemonState;
  peers: readonly PeerSnapshot[];
  endpoints: readonly EndpointState[];
  /** the last config apply that did something (render/apply owns the shape) */
  lastApply: ConfigApply | null;
}

/** Event types the agent emits besides the monitor's; the set is open so new ones need no change here. */
export type AgentEventType = 'configApplied' | 'configRejected' | 'topologyInvalid' | 'endpointsReconciled';

/**
 * An event from the agent itself. `at` is epoch milliseconds; the other fields are the event's
 * details and must be JSON-serialisable. `(string & {})` keeps editor completion for the known
 * types while still accepting any other name.
 */
export interface AgentEvent {
  type: AgentEventType | (string & {});
  at: number;
  [detail: string]: unknown;
}

/** Everything that reaches a client after the snapshot: the monitor's events plus the agent's. */
export type StreamEvent = MonitorEvent | AgentEvent;

export type StreamListener = (event: StreamEvent) => void;

/**
 * Contract: `state()` already reflects every event delivered to listeners so far (update the state,
 * then emit), because a snapshot is stamped with the seq of the last event and a client that was
 * resynced must not miss the change that event announced.
 */
export interface StreamSource {
  /** The current state; called on every connect and on every resync of a slow client. */
  state(): StreamState;
  /** Every event from now on, in order; returns the unsubscribe function. */
  subscribe(listener: StreamListener): () => void;
}
