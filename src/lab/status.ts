// `lab status`: every node's BGP sessions, read from each node's bird6 through its control socket.
import { parseProtocolName } from '../birdc/protocol-names.ts';
import type { ProtocolRow } from '../birdc/parse-protocols.ts';
import { bgpSessions, isEstablished } from './observe.ts';
import type { LabState } from './state.ts';

export interface NodeStatus {
  node: string;
  address: string;
  /** undefined when bird6 did not answer */
  sessions: ProtocolRow[] | undefined;
  error?: string;
}

export async function labStatus(state: LabState, now: () => Date): Promise<NodeStatus[]> {
  return Promise.all(
    state.nodes.map(async (node) => {
      try {
        return { node: node.name, address: node.address, sessions: await bgpSessions(node.socket, now) };
      } catch (error) {
        return { node: node.name, address: node.address, sessions: undefined, error: (error as Error).message };
      }
    }),
  );
}

export function allEstablished(status: readonly NodeStatus[]): boolean {
  return status.every((n) => n.sessions !== undefined && n.sessions.every(isEstablished));
}

export function formatLabStatus(state: LabState, status: readonly NodeStatus[]): string {
  const peerName = new Map(state.nodes.map((n) => [n.address, n.name]));
  const lines = [`lab from ${state.topologyFile}, prefix ${state.prefix}, up since ${state.startedAt}${state.readyAt ? '' : ' (never converged)'}`];
  for (const node of status) {
    lines.push(`${node.node} (${node.address}):`);
    if (node.sessions === undefined) {
      lines.push(`  bird6 not answering: ${node.error}`);
      continue;
    }
    if (node.sessions.length === 0) lines.push('  no BGP sessions configured');
    for (const row of node.sessions) {
      const peer = parseProtocolName(row.name);
      const who = peer ? `${peerName.get(peer.peerAddress) ?? peer.peerAddress} (${peer.peerType})` : row.name;
      lines.push(`  ${who.padEnd(36)} ${row.state.padEnd(6)} ${row.info || '-'}  since ${row.since === null ? row.sinceText : new Date(row.since * 1000).toISOString()}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
