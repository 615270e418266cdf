// render(topology, nodeName): the node's complete bird6.conf, a pure function of its input.
import { BirdctlError } from '../errors.ts';
import { ENDPOINT_ROUTE_PROTOCOL, findNode, type Topology } from '../topology/index.ts';
import { createEnvironment } from './environment.ts';
import { sessionsOf } from './sessions.ts';

let environment: ReturnType<typeof createEnvironment> | undefined;

/** The template context: everything the templates print, already decided. */
export function renderContext(topology: Topology, nodeName: string) {
  const node = findNode(topology, nodeName);
  if (node === undefined) {
    throw new BirdctlError('NODE_UNKNOWN', `node ${JSON.stringify(nodeName)} is not in ${topology.source}`, {
      hint: `use one of: ${topology.nodes.map((n) => n.name).join(', ')}`,
    });
  }
  const sessions = sessionsOf(topology, node);
  return {
    cluster: topology.cluster,
    node,
    pools: topology.ipPools.map((p) => p.cidr),
    endpointRouteProtocol: ENDPOINT_ROUTE_PROTOCOL,
    bgp: topology.cluster.bgp,
    sessions,
    hasExternalPeers: sessions.some((s) => s.peerType === 'global' || s.peerType === 'node specific'),
  };
}

export function render(topology: Topology, nodeName: string): string {
  environment ??= createEnvironment();
  return environment.render('bird6.conf.njk', renderContext(topology, nodeName));
}
