// `lab status`: every node's BGP sessions (one poll of the session monitor per bird6) and every
// endpoint's state and route locations (every node's kernel), as text or as one JSON object.
import type { Runner } from '../exec.ts';
import { loadTopology, type Endpoint } from '../topology/index.ts';
import { endpointViews, formatEndpointViews, type EndpointView } from './endpoint-view.ts';
import { isAlive } from '../proc.ts';
import { isEstablished, kernelRoutes, observeNode, type Session } from './observe.ts';
import { isOrchestratorOf } from './orchestrator-process.ts';
import type { LabState } from './state.ts';

export interface NodeStatus {
  node: string;
  address: string;
  /** undefined when bird6 did not answer */
  sessions: Session[] | undefined;
  error?: string;
}

export interface LabStatus {
  nodes: NodeStatus[];
  endpoints: EndpointView[];
  /** why the endpoints are not shown (the topology the agents run could not be read) */
  endpointsError?: string;
  orchestrator: { pid: number; running: boolean } | null;
}

/** The endpoints the agents run: the lab's published copy, else the user's file. */
async function agentEndpoints(state: LabState): Promise<Endpoint[]> {
  return (await loadTopology(state.agentTopology ?? state.topologyFile)).endpoints;
}

export async function labStatus(state: LabState, stateDir: string, deps: { runner: Runner; now: () => Date }): Promise<LabStatus> {
  const nodes = Promise.all(
    state.nodes.map(async (node): Promise<NodeStatus> => {
      try {
        return { node: node.name, address: node.address, sessions: (await observeNode(node.socket, deps.now)).peers };
      } catch (error) {
        return { node: node.name, address: node.address, sessions: undefined, error: (error as Error).message };
      }
    }),
  );
  const tables = new Map(await Promise.all(state.nodes.map(async (n) => [n.name, await kernelRoutes(deps.runner, n.netns)] as const)));
  let endpoints: EndpointView[] = [];
  let endpointsError: string | undefined;
  try {
    endpoints = endpointViews(await agentEndpoints(state), tables, (name) => state.endpoints.find((e) => e.name === name)?.netns);
  } catch (error) {
    endpointsError = (error as Error).message;
  }
  const pid = state.orchestrator?.pid;
  const orchestrator = pid === undefined ? null : { pid, running: isAlive(pid) && isOrchestratorOf(pid, stateDir) };
  return { nodes: await nodes, endpoints, ...(endpointsError === undefined ? {} : { endpointsError }), orchestrator };
}

/** Exit 0 only when every node answers and every session is Established. */
export function allEstablished(status: LabStatus): boolean {
  return status.nodes.every((n) => n.sessions !== undefined && n.sessions.every(isEstablished));
}

function peerLabel(state: LabState, session: Session): string {
  const node = state.nodes.find((n) => n.address === session.peerAddress);
  const who = node?.name ?? session.peerAddress ?? session.name;
  return session.peerType === null ? who : `${who} (${session.peerType})`;
}

export function formatLabStatus(state: LabState, status: LabStatus): string {
  const lines = [`lab from ${state.topologyFile}, prefix ${state.prefix}, up since ${state.startedAt}${state.readyAt ? '' : ' (never converged)'}`];
  if (status.orchestrator !== null) lines.push(`orchestrator: pid ${status.orchestrator.pid}, ${status.orchestrator.running ? 'watching the topology' : 'not running: edits of the file no longer reach the lab'}`);
  for (const node of status.nodes) {
    lines.push(`${node.node} (${node.address}):`);
    if (node.sessions === undefined) {
      lines.push(`  bird6 not answering: ${node.error}`);
      continue;
    }
    if (node.sessions.length === 0) lines.push('  no BGP sessions configured');
    for (const s of node.sessions) {
      lines.push(`  ${peerLabel(state, s).padEnd(36)} ${s.state.padEnd(6)} ${s.bgpState.padEnd(12)} since ${s.since === null ? '-' : new Date(s.since * 1000).toISOString()}`);
    }
  }
  lines.push(`endpoints (${status.endpoints.length}):`);
  if (status.endpointsError !== undefined) lines.push(`  not shown: ${status.endpointsError}`);
  lines.push(...formatEndpointViews(status.endpoints));
  return `${lines.join('\n')}\n`;
}

/** `lab status --json`: sessions and endpoints in one object; times are epoch seconds. */
export function labStatusJson(state: LabState, status: LabStatus): Record<string, unknown> {
  return {
    lab: { prefix: state.prefix, topologyFile: state.topologyFile, startedAt: state.startedAt, readyAt: state.readyAt ?? null, orchestrator: status.orchestrator },
    nodes: status.nodes.map((n) => ({
      name: n.node,
      address: n.address,
      up: n.sessions !== undefined,
      ...(n.error === undefined ? {} : { error: n.error }),
      sessions: (n.sessions ?? []).map((s) => ({
        name: s.name,
        peer: state.nodes.find((x) => x.address === s.peerAddress)?.name ?? null,
        peerAddress: s.peerAddress,
        peerType: s.peerType,
        state: s.state,
        bgpState: s.bgpState,
        since: s.since,
        routesImported: s.routesImported,
        routesExported: s.routesExported,
      })),
    })),
    endpoints: status.endpoints,
    ...(status.endpointsError === undefined ? {} : { endpointsError: status.endpointsError }),
  };
}
