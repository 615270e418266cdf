// A StreamSource the tests drive by hand, standing in for the agent.
import type { StreamEvent, StreamListener, StreamSource, StreamState } from '../../src/stream/source.ts';
import { daemonState, peerSnapshot } from '../support/fake-monitor.ts';

export class FakeStreamSource implements StreamSource {
  current: StreamState = {
    daemon: daemonState(),
    peers: [peerSnapshot()],
    endpoints: [{ name: 'web-1', node: 'node1', kind: 'container', addresses: ['fd00:10::10'], interface: 'cali-web-1', state: 'programmed' }],
    lastApply: { at: 1_700_000_000_000, ok: true, outcome: 'reloaded', summary: 'reloaded' },
  };
  private readonly listeners = new Set<StreamListener>();

  state(): StreamState {
    return this.current;
  }

  subscribe(listener: StreamListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: StreamEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  listenerCount(): number {
    return this.listeners.size;
  }
}
