// render(topology, nodeName): the node's complete bird6.conf, a pure function of its input.
import { ENDPOINT_ROUTE_PROTOCOL, requireNode, type Topology } from '../topology/index.ts';
import { createEnvironment, TEMPLATE_DIR } from './environment.ts';
import { sessionsOf } from './sessions.ts';

/** One compiled environment per template directory (templates are compiled once, then cached). */
const environments = new Map<string, ReturnType<typeof createEnvironment>>();

/** The template context: everything the templates print, already decided. */
export function renderContext(topology: Topology, nodeName: string, routeProtocol = ENDPOINT_ROUTE_PROTOCOL) {
  const node = requireNode(topology, nodeName);
  const sessions = sessionsOf(topology, node);
  return {
    cluster: topology.cluster,
    node,
    pools: topology.ipPools.map((p) => p.cidr),
    endpointRouteProtocol: routeProtocol,
    bgp: topology.cluster.bgp,
    sessions,
    hasExternalPeers: sessions.some((s) => s.external),
  };
}

export interface RenderOptions {
  /** A site's own copy of bird-templates/ (`birdctl agent --templates`); default the shipped one. */
  templateDir?: string;
  /** The kernel protocol number of the endpoint routes the kernel protocol imports (`--route-protocol`). */
  routeProtocol?: number;
}

export function render(topology: Topology, nodeName: string, options: RenderOptions = {}): string {
  const dir = options.templateDir ?? TEMPLATE_DIR;
  let environment = environments.get(dir);
  if (environment === undefined) {
    environment = createEnvironment(dir);
    environments.set(dir, environment);
  }
  return environment.render('bird6.conf.njk', renderContext(topology, nodeName, options.routeProtocol));
}
