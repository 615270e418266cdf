// render(topology, nodeName): the node's complete bird6.conf, a pure function of its input.
import { ENDPOINT_ROUTE_PROTOCOL, requireNode, type Topology } from '../topology/index.ts';
import { createEnvironment, TEMPLATE_DIR } from './environment.ts';
import { sessionsOf } from '../peering/sessions.ts';
import type { ImportPolicy } from '../peering/policy.ts';

/** One compiled environment per template directory (templates are compiled once, then cached). */
const environments = new Map<string, ReturnType<typeof createEnvironment>>();

/**
 * The kernel metric of routes from outside the pools (a ToR's): above the 1024 Linux gives a
 * static or RA route, so a ToR's default route lies beside the host's own and never replaces it.
 */
const EXTERNAL_ROUTE_METRIC = 4096;

/** BFD: 5 missed packets 100 ms apart, so a dead peer is noticed in 0.5 s. */
const BFD_INTERVAL_MS = 100;
const BFD_MULTIPLIER = 5;

/** The template context: everything the templates print, already decided. */
export function renderContext(topology: Topology, nodeName: string, routeProtocol = ENDPOINT_ROUTE_PROTOCOL) {
  const node = requireNode(topology, nodeName);
  const sessions = sessionsOf(topology, node);
  // One pass, no array per session: a full mesh has a session for every other node.
  const externalImports = new Set<ImportPolicy>();
  let bfd = false;
  for (const s of sessions) {
    if (s.external !== undefined) externalImports.add(s.external.import);
    bfd ||= s.bfd;
  }
  return {
    cluster: topology.cluster,
    node,
    pools: topology.ipPools.map((p) => p.cidr),
    endpointRouteProtocol: routeProtocol,
    bgp: topology.cluster.bgp,
    sessions,
    hasExternalPeers: externalImports.size > 0,
    /** the import policies some external session uses: only their filters are written */
    externalImports: [...externalImports],
    externalRouteMetric: EXTERNAL_ROUTE_METRIC,
    bfd,
    bfdIntervalMs: BFD_INTERVAL_MS,
    bfdMultiplier: BFD_MULTIPLIER,
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
