// What the agent knows, as the WebSocket stream reads it: the monitor's last snapshot, the
// endpoints' programming state and the last config apply. It is the StreamSource: every change
// updates the state first and then emits the event, as the stream's contract requires.
import { downDaemon } from '../monitor/poll.ts';
import type { MonitorEvent, SessionMonitor } from '../monitor/types.ts';
import type { ConfigApply } from '../render/apply.ts';
import type { AgentEvent, EndpointState, StreamEvent, StreamListener, StreamSource, StreamState } from '../stream/source.ts';

/** Before the monitor's first poll nothing is known of the daemon. */
const NOT_POLLED = downDaemon('not polled yet');

export class AgentState implements StreamSource {
  private endpoints: EndpointState[] = [];
  private lastApply: ConfigApply | null = null;
  private readonly listeners = new Set<StreamListener>();

  constructor(private readonly monitor: SessionMonitor) {
    monitor.subscribe((event: MonitorEvent) => this.emit(event));
  }

  state(): StreamState {
    const snapshot = this.monitor.current();
    return { daemon: snapshot?.daemon ?? NOT_POLLED, peers: snapshot?.peers ?? [], endpoints: this.endpoints, lastApply: this.lastApply };
  }

  subscribe(listener: StreamListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  setEndpoints(endpoints: EndpointState[], event: AgentEvent): void {
    this.endpoints = endpoints;
    this.emit(event);
  }

  setLastApply(result: ConfigApply, event: AgentEvent): void {
    this.lastApply = result;
    this.emit(event);
  }

  /** An event that changes no state (an invalid topology edit). */
  notify(event: AgentEvent): void {
    this.emit(event);
  }

  private emit(event: StreamEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}
