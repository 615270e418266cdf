// The pure diff: desired state against actual state gives the changes to make, the number of
// objects already right, and the endpoints that cannot be programmed yet (pending) or at all
// (blocked). It only ever plans to delete what the programmer owns: routes with its protocol
// number (the only ones read), permanent neighbour and proxy entries for pool addresses or for
// addresses of its own routes, and links carrying its alias. Foreign objects are invisible to it.
import { parseIPv6, parsePrefix, prefixContains, type Prefix } from '../topology/ipv6.ts';
import type { Change, ChangeKind, Operation } from './dataplane.ts';
import {
  CONTAINER_INTERFACE,
  OWNED_LINK_ALIAS_PREFIX,
  type ActualState,
  type DesiredEndpoint,
  type DesiredState,
  type Neighbour,
  type Proxy,
  type Sysctl,
} from './model.ts';

export interface EndpointNote {
  endpoint: string;
  reason: string;
}

export interface Plan {
  changes: Change[];
  /** Objects already as desired. */
  unchanged: number;
  /** Endpoints waiting for something outside the controller (a tap, a namespace); retried next run. */
  pending: EndpointNote[];
  /** Endpoints the controller refuses to program (an interface it does not own is in the way). */
  blocked: EndpointNote[];
}

export function ownerAlias(endpoint: string): string {
  return `${OWNED_LINK_ALIAS_PREFIX}${endpoint}`;
}

/** The endpoint named in a link alias of ours, or undefined for a link we did not create. */
export function aliasOwner(alias: string | undefined): string | undefined {
  return alias?.startsWith(OWNED_LINK_ALIAS_PREFIX) ? alias.slice(OWNED_LINK_ALIAS_PREFIX.length) : undefined;
}

/** Why an endpoint cannot be programmed yet, or undefined when it can. */
function pendingReason(e: DesiredEndpoint, actual: ActualState): string | undefined {
  if (e.container !== undefined) {
    return actual.namespaces.has(e.container.netns) ? undefined : `network namespace ${e.container.netns} does not exist yet`;
  }
  const link = actual.links.get(e.interface);
  const what = e.kind === 'vm' ? 'tap' : 'interface';
  if (link === undefined) return `${what} ${e.interface} does not exist yet${e.kind === 'vm' ? ' (VM not started?)' : ''}`;
  // The kernel refuses IPv6 routes through a link that is administratively down.
  if (!link.up) return `${what} ${e.interface} is down`;
  return undefined;
}

class PlanBuilder {
  readonly changes: Change[] = [];
  unchanged = 0;

  add(kind: ChangeKind, owner: string, operation: Operation): void {
    this.changes.push({ kind, owner, operation });
  }
}

function sysctlChanges(plan: PlanBuilder, owner: string, sysctls: readonly Sysctl[], actual: ActualState): void {
  for (const s of sysctls) {
    const current = actual.sysctls.get(s.key);
    if (current === s.value) plan.unchanged += 1;
    else plan.add(current === undefined ? 'add' : 'replace', owner, { op: 'set-sysctl', sysctl: s });
  }
}

/**
 * The veth and the container side of a container endpoint with a network namespace. Returns true
 * when it deletes the existing host end, taking the routes through it along.
 */
function containerChanges(plan: PlanBuilder, e: DesiredEndpoint, actual: ActualState, recreate: boolean): boolean {
  const c = e.container!;
  const link = recreate ? undefined : actual.links.get(e.interface);
  const inside = recreate ? undefined : actual.containers.get(c.netns)?.link;
  const fresh = link === undefined || inside === undefined;
  if (link !== undefined && inside === undefined) {
    // The veth is ours but its peer is not eth0 in the namespace (the namespace was recreated,
    // or the peer was renamed): start over rather than repair a pair we cannot see both ends of.
    plan.add('delete', e.name, { op: 'delete-link', name: e.interface });
  }
  const kind: ChangeKind = fresh && link !== undefined ? 'replace' : 'add';
  if (fresh) {
    plan.add(kind, e.name, { op: 'prepare-container', netns: c.netns });
    plan.add(kind, e.name, { op: 'create-veth', name: e.interface, netns: c.netns, alias: ownerAlias(e.name) });
  }
  const check = (ok: boolean | undefined, operation: Operation) => (ok ? (plan.unchanged += 1) : plan.add(kind, e.name, operation));
  check(!fresh && link!.up, { op: 'set-link-up', name: e.interface });
  for (const address of e.hostAddresses) check(!fresh && link!.addresses.includes(address), { op: 'add-link-address', name: e.interface, address });
  const wanted = new Set(c.addresses.map((a) => `${a}/128`));
  for (const address of inside?.addresses ?? []) {
    if (!wanted.has(address) && !fresh) {
      plan.add('delete', e.name, { op: 'container-delete-address', netns: c.netns, address });
    }
  }
  for (const address of wanted) {
    check(!fresh && inside!.addresses.includes(address), { op: 'container-add-address', netns: c.netns, address });
  }
  check(!fresh && inside!.up, { op: 'container-link-up', netns: c.netns });
  check(!fresh && actual.containers.get(c.netns)?.defaultGateway === c.gateway, {
    op: 'container-default-route',
    netns: c.netns,
    gateway: c.gateway,
  });
  return link !== undefined && inside === undefined;
}

function inPools(pools: readonly Prefix[], address: string): boolean {
  const value = parseIPv6(address);
  return value !== undefined && pools.some((p) => prefixContains(p, value));
}

export function diff(desired: DesiredState, actual: ActualState): Plan {
  const plan = new PlanBuilder();
  const pending: EndpointNote[] = [];
  const blocked: EndpointNote[] = [];
  const desiredNames = new Set(desired.endpoints.map((e) => e.name));
  const ready: DesiredEndpoint[] = [];
  const recreate = new Set<string>();
  /** Keys of objects that belong to pending or blocked endpoints: left exactly as they are. */
  const protectedKeys = new Set<string>();
  const protect = (e: DesiredEndpoint) => {
    for (const r of e.routes) protectedKeys.add(`route ${r.dst}`);
    for (const n of e.neighbours) protectedKeys.add(`neigh ${n.dst} ${n.dev}`);
    for (const p of e.proxies) protectedKeys.add(`proxy ${p.dst} ${p.dev}`);
    protectedKeys.add(`link ${e.interface}`);
  };

  for (const e of desired.endpoints) {
    const reason = pendingReason(e, actual);
    if (reason !== undefined) {
      pending.push({ endpoint: e.name, reason });
      protect(e);
      continue;
    }
    const link = actual.links.get(e.interface);
    const owner = aliasOwner(link?.alias);
    if (e.container !== undefined && link !== undefined && owner !== e.name) {
      if (owner === undefined || desiredNames.has(owner)) {
        blocked.push({
          endpoint: e.name,
          reason: `interface ${e.interface} exists but was not created for this endpoint${owner ? ` (it belongs to ${owner})` : ''}; remove it or set another interface name`,
        });
        protect(e);
        continue;
      }
      // A veth of ours left by an endpoint that is gone (renamed): it is deleted as stale below
      // and this endpoint gets a fresh one.
      recreate.add(e.name);
    }
    ready.push(e);
  }

  // Stale links first. Deleting a link takes the routes and neighbour entries through it along,
  // so those are not planned separately (the delete would fail on an entry already gone).
  const deletedLinks = new Set<string>();
  for (const link of actual.links.values()) {
    const owner = aliasOwner(link.alias);
    if (owner === undefined || protectedKeys.has(`link ${link.name}`)) continue;
    const wanted = ready.find((e) => e.interface === link.name && e.container !== undefined);
    if (wanted === undefined || recreate.has(wanted.name)) {
      plan.add('delete', owner, { op: 'delete-link', name: link.name });
      deletedLinks.add(link.name);
    }
  }

  for (const e of ready) {
    if (e.container !== undefined) {
      if (containerChanges(plan, e, actual, recreate.has(e.name))) deletedLinks.add(e.interface);
      continue;
    }
    const link = actual.links.get(e.interface)!;
    for (const address of e.hostAddresses) {
      if (link.addresses.includes(address)) plan.unchanged += 1;
      else plan.add('add', e.name, { op: 'add-link-address', name: e.interface, address });
    }
  }

  // Routes: keyed by destination; a route of ours through another interface is replaced.
  const desiredRoutes = new Map(ready.flatMap((e) => e.routes.map((r) => [r.dst, { route: r, owner: e.name }] as const)));
  const routeOwner = new Map(desired.endpoints.flatMap((e) => e.addresses.map((a) => [a, e.name] as const)));
  const seenRoutes = new Set<string>();
  for (const r of actual.routes) {
    if (protectedKeys.has(`route ${r.dst}`) || deletedLinks.has(r.dev)) continue;
    const want = desiredRoutes.get(r.dst);
    if (want === undefined || seenRoutes.has(r.dst)) {
      plan.add('delete', routeOwner.get(r.dst) ?? 'stale', { op: 'delete-route', route: r });
    } else {
      seenRoutes.add(r.dst);
      if (r.dev === want.route.dev) plan.unchanged += 1;
      else plan.add('replace', want.owner, { op: 'replace-route', route: want.route });
    }
  }
  for (const [dst, want] of desiredRoutes) if (!seenRoutes.has(dst)) plan.add('add', want.owner, { op: 'replace-route', route: want.route });

  // Neighbour and proxy entries carry no owner mark: ours are those for pool addresses or for
  // addresses our own routes point at.
  const pools = desired.pools.map((p) => parsePrefix(p)!);
  const routeDsts = new Set(actual.routes.map((r) => r.dst));
  const owned = (address: string) => routeDsts.has(address) || inPools(pools, address);

  const desiredNeighbours = new Map<string, { n: Neighbour; owner: string }>(ready.flatMap((e) => e.neighbours.map((n) => [`neigh ${n.dst} ${n.dev}`, { n, owner: e.name }] as const)));
  const seenNeighbours = new Set<string>();
  for (const n of actual.neighbours) {
    if (deletedLinks.has(n.dev)) continue;
    const key = `neigh ${n.dst} ${n.dev}`;
    const want = desiredNeighbours.get(key);
    if (want !== undefined) {
      seenNeighbours.add(key);
      if (n.permanent && n.lladdr === want.n.lladdr) plan.unchanged += 1;
      else plan.add('replace', want.owner, { op: 'replace-neighbour', neighbour: want.n });
    } else if (n.permanent && owned(n.dst) && !protectedKeys.has(key)) {
      plan.add('delete', routeOwner.get(n.dst) ?? 'stale', { op: 'delete-neighbour', neighbour: { dst: n.dst, dev: n.dev, lladdr: n.lladdr } });
    }
  }
  for (const [key, want] of desiredNeighbours) if (!seenNeighbours.has(key)) plan.add('add', want.owner, { op: 'replace-neighbour', neighbour: want.n });

  const desiredProxies = new Map<string, { p: Proxy; owner: string }>(ready.flatMap((e) => e.proxies.map((p) => [`proxy ${p.dst} ${p.dev}`, { p, owner: e.name }] as const)));
  const seenProxies = new Set<string>();
  for (const p of actual.proxies) {
    const key = `proxy ${p.dst} ${p.dev}`;
    if (desiredProxies.has(key)) {
      seenProxies.add(key);
      plan.unchanged += 1;
    } else if (owned(p.dst) && !protectedKeys.has(key)) {
      plan.add('delete', routeOwner.get(p.dst) ?? 'stale', { op: 'delete-proxy', proxy: p });
    }
  }
  for (const [key, want] of desiredProxies) if (!seenProxies.has(key)) plan.add('add', want.owner, { op: 'replace-proxy', proxy: want.p });

  sysctlChanges(plan, 'host', desired.sysctls, actual);
  for (const e of ready) sysctlChanges(plan, e.name, e.sysctls, actual);

  return { changes: plan.changes, unchanged: plan.unchanged, pending, blocked };
}
