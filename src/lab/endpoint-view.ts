// Where each endpoint's /128 is, read from every node's kernel (pure: the caller reads the
// tables). On its own node the agent programs it through the endpoint's interface; on every other
// node bird6 installs it as BGP carried it (`proto bird`). An endpoint is programmed when its own
// node routes every address through its interface, pending until then.
import type { Endpoint } from '../topology/index.ts';
import type { KernelRoute } from './observe.ts';

/** How one node reaches one address. */
export type RouteLocation =
  | { node: string; address: string; via: 'interface'; dev: string }
  | { node: string; address: string; via: 'bgp'; dev?: string; gateway?: string }
  /** a route, but not the one expected there (another interface, another protocol) */
  | { node: string; address: string; via: 'other'; dev?: string; gateway?: string; protocol?: string }
  | { node: string; address: string; via: 'missing' };

export interface EndpointView {
  name: string;
  node: string;
  kind: Endpoint['kind'];
  interface: string;
  addresses: string[];
  /** the namespace the lab stands in with, when it has one */
  netns: string | null;
  state: 'programmed' | 'pending';
  /** pending only: what is missing on its own node */
  reason?: string;
  /** every address on every other node, learnt through BGP */
  everywhere: boolean;
  routes: RouteLocation[];
}

// bird6's routes carry protocol 12, which iproute2 prints as `bird` where rt_protos names it.
const isBird = (protocol: string | undefined) => protocol === 'bird' || protocol === '12';

function locate(endpoint: Endpoint, node: string, address: string, table: readonly KernelRoute[]): RouteLocation {
  const route = table.find((r) => r.dst === address);
  if (route === undefined) return { node, address, via: 'missing' };
  if (node === endpoint.node && route.dev === endpoint.interface) return { node, address, via: 'interface', dev: route.dev };
  if (node !== endpoint.node && isBird(route.protocol)) return { node, address, via: 'bgp', ...(route.dev ? { dev: route.dev } : {}), ...(route.gateway ? { gateway: route.gateway } : {}) };
  return { node, address, via: 'other', ...(route.dev ? { dev: route.dev } : {}), ...(route.gateway ? { gateway: route.gateway } : {}), ...(route.protocol ? { protocol: route.protocol } : {}) };
}

/**
 * `tables` holds each node's main IPv6 table, in the order the nodes are listed; addresses are
 * canonical on both sides (the topology's and observe.ts's).
 */
export function endpointViews(
  endpoints: readonly Endpoint[],
  tables: ReadonlyMap<string, readonly KernelRoute[]>,
  netnsOf: (endpoint: string) => string | undefined,
): EndpointView[] {
  return endpoints.map((e) => {
    const routes = [...tables].flatMap(([node, table]) => e.addresses.map((a) => locate(e, node, a, table)));
    const home = routes.filter((r) => r.node === e.node);
    const notHome = home.filter((r) => r.via !== 'interface');
    const programmed = home.length === e.addresses.length && notHome.length === 0;
    const reason = !tables.has(e.node)
      ? `node ${e.node} is not one of the lab's nodes`
      : notHome.map((r) => (r.via === 'missing' ? `no route to ${r.address} on ${e.node}` : `${r.address} on ${e.node} goes ${r.via === 'other' && r.dev ? `via ${r.dev}` : 'elsewhere'}, not ${e.interface}`)).join('; ');
    return {
      name: e.name,
      node: e.node,
      kind: e.kind,
      interface: e.interface,
      addresses: e.addresses,
      netns: netnsOf(e.name) ?? null,
      state: programmed ? 'programmed' : 'pending',
      ...(programmed ? {} : { reason }),
      everywhere: routes.filter((r) => r.node !== e.node).every((r) => r.via === 'bgp'),
      routes,
    };
  });
}

/** One line per endpoint: its state, then which nodes route it and how. */
export function formatEndpointViews(views: readonly EndpointView[]): string[] {
  const nodes = (view: EndpointView, via: RouteLocation['via']) => [...new Set(view.routes.filter((r) => r.node !== view.node && r.via === via).map((r) => r.node))];
  return views.map((v) => {
    const where = [v.state === 'programmed' ? `on ${v.node} via ${v.interface}` : (v.reason ?? '')];
    const bgp = nodes(v, 'bgp');
    where.push(`via BGP on ${bgp.length > 0 ? bgp.join(', ') : 'no other node'}`);
    const missing = nodes(v, 'missing');
    if (missing.length > 0) where.push(`missing on ${missing.join(', ')}`);
    const other = nodes(v, 'other');
    if (other.length > 0) where.push(`routed otherwise on ${other.join(', ')}`);
    return `  ${v.name.padEnd(12)} ${v.kind.padEnd(9)} ${v.node.padEnd(10)} ${v.addresses.join(',').padEnd(24)} ${v.state.padEnd(10)} ${where.join('; ')}`;
  });
}
