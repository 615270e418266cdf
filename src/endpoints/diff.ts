// The diff: desired state against actual state and the programmer's record (ledger.ts) gives the
// changes to make, the number of objects already right, and the endpoints that cannot be
// programmed yet (pending) or at all (blocked). Every table goes through one keyed diff
// (delta.ts) with one ownership policy: an object under the key of a desired one (an endpoint's
// address on its own interface, a sysctl it needs) is written as desired and claimed; any other
// object is deleted, or a sysctl restored, only when the programmer can prove it made it:
//   routes             its protocol number (the only ones read) and a destination inside a pool;
//   links              its alias naming the endpoint, and a claim in the record with that alias;
//   neighbour, proxy, addresses (host end, container eth0), sysctls: a claim in the record,
//                      written before the change that made the object. A sysctl is restored to
//                      the value it had before, and only while it still has the value set.
// Objects without such proof are foreign and never touched, whatever they look like.
import { parseIPv6, parsePrefix, prefixContains, type Prefix } from '../topology/ipv6.ts';
import type { Change, ChangeKind, Operation } from './dataplane.ts';
import { PlanBuilder, planTable, type TableSpec, type Wanted } from './delta.ts';
import { interfaceSysctlKey } from './sysctl-keys.ts';
import type { Ledger, LedgerTable } from './ledger.ts';
import { OWNED_LINK_ALIAS_PREFIX, type ActualLink, type ActualNeighbour, type ActualState, type DesiredEndpoint, type DesiredState, type Proxy, type Route, type Sysctl } from './model.ts';
import { endpointOwner, leftoverOwner, NODE_OWNER, type Owner } from './owner.ts';

export interface EndpointNote {
  endpoint: string;
  reason: string;
}

export interface Plan {
  changes: Change[];
  /** Claims to drop from the record without a change (their object is gone). */
  releases: Array<{ table: LedgerTable; key: string }>;
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

/** The endpoint named in a link alias of ours, or undefined for an alias without our prefix. */
export function aliasOwner(alias: string | undefined): string | undefined {
  return alias?.startsWith(OWNED_LINK_ALIAS_PREFIX) ? alias.slice(OWNED_LINK_ALIAS_PREFIX.length) : undefined;
}

/** The endpoint a link was created for, when the link is provably ours; otherwise undefined. */
function linkOwner(link: ActualLink | undefined, ledger: Ledger): string | undefined {
  if (link?.alias === undefined || ledger.note('link', link.name) !== link.alias) return undefined;
  return aliasOwner(link.alias);
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

function inPools(pools: readonly Prefix[], dst: string): boolean {
  const prefix = dst.includes('/') ? parsePrefix(dst) : undefined;
  const value = prefix?.network ?? parseIPv6(dst);
  const length = prefix?.length ?? 128;
  return value !== undefined && pools.some((p) => length >= p.length && prefixContains(p, value));
}

/** A route's key: its destination (the programmer keeps one route per destination). */
const ROUTES_KEY = (r: Route) => r.dst;

const ROUTES = (pools: readonly Prefix[]): TableSpec<Route> => ({
  key: ROUTES_KEY,
  satisfies: (a, d) => a.dev === d.dev,
  put: (route) => ({ op: 'replace-route', route }),
  remove: (route) => ({ op: 'delete-route', route }),
  owned: (r) => inPools(pools, r.dst),
});

const NEIGHBOURS: TableSpec<ActualNeighbour> = {
  ledgerTable: 'neighbour',
  key: (n) => `${n.dst} ${n.dev}`,
  satisfies: (a, d) => a.permanent && a.lladdr === d.lladdr,
  put: ({ dst, dev, lladdr }) => ({ op: 'replace-neighbour', neighbour: { dst, dev, lladdr } }),
  remove: ({ dst, dev, lladdr }) => ({ op: 'delete-neighbour', neighbour: { dst, dev, lladdr } }),
  // An entry that is no longer permanent was replaced by someone else (or learnt anew).
  owned: (n) => n.permanent,
};

const PROXIES: TableSpec<Proxy> = {
  ledgerTable: 'proxy',
  key: (p) => `${p.dst} ${p.dev}`,
  satisfies: () => true,
  put: (proxy) => ({ op: 'replace-proxy', proxy }),
  remove: (proxy) => ({ op: 'delete-proxy', proxy }),
};

interface LinkAddress {
  name: string;
  address: string;
}

const LINK_ADDRESSES: TableSpec<LinkAddress> = {
  ledgerTable: 'link-address',
  key: (a) => `${a.name} ${a.address}`,
  satisfies: () => true,
  put: (a) => ({ op: 'add-link-address', ...a }),
  remove: (a) => ({ op: 'delete-link-address', ...a }),
};

interface ContainerAddress {
  netns: string;
  address: string;
}

const CONTAINER_ADDRESSES: TableSpec<ContainerAddress> = {
  ledgerTable: 'container-address',
  key: (a) => `${a.netns} ${a.address}`,
  satisfies: () => true,
  put: (a) => ({ op: 'container-add-address', ...a }),
  remove: (a) => ({ op: 'container-delete-address', ...a }),
};

/** A sysctl claim's note: the value before the programmer's first write, and the value it wrote. */
function sysctlNote(before: string | undefined, set: string): string {
  return JSON.stringify([before ?? '', set]);
}

function parseSysctlNote(note: string | undefined): [string, string] | undefined {
  // No claim yet (every key of a pass from empty): no exception thrown and caught for it.
  if (note === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(note);
    return Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string') ? (value as [string, string]) : undefined;
  } catch {
    return undefined;
  }
}

const SYSCTLS: TableSpec<Sysctl> = {
  ledgerTable: 'sysctl',
  key: (s) => s.key,
  satisfies: (a, d) => a.value === d.value,
  put: (sysctl) => ({ op: 'set-sysctl', sysctl }),
  // Put back what was there, unless someone has set another value since: then it is theirs.
  remove: (actual, note) => {
    const [before, set] = parseSysctlNote(note) ?? [];
    return before === undefined || before === '' || actual.value !== set || before === actual.value ? undefined : { op: 'set-sysctl', sysctl: { key: actual.key, value: before } };
  },
  note: (desired, actual, previous) => sysctlNote(parseSysctlNote(previous)?.[0] ?? actual?.value, desired.value),
};

/** Everything the diff needs while planning one pass. */
class Planner {
  readonly plan: PlanBuilder;
  readonly pending: EndpointNote[] = [];
  readonly blocked: EndpointNote[] = [];
  readonly ready: DesiredEndpoint[] = [];
  /** Endpoints whose veth is a leftover of ours to be deleted and made again. */
  readonly recreate = new Set<string>();
  /**
   * Keys of objects of pending or blocked endpoints, by table: left exactly as they are. Kept
   * apart per table so every object the diff looks at is checked by its own key, not a string
   * made for it (a no-op pass checks 20,000).
   */
  readonly protectedKeys = { route: new Set<string>(), neighbour: new Set<string>(), proxy: new Set<string>(), link: new Set<string>() };
  readonly deletedLinks = new Set<string>();
  /** The endpoint owning each address, for charging deletions. */
  private readonly addressOwner: Map<string, string>;

  constructor(
    readonly desired: DesiredState,
    readonly actual: ActualState,
    readonly ledger: Ledger,
  ) {
    this.plan = new PlanBuilder(ledger);
    this.addressOwner = new Map();
    for (const e of desired.endpoints) for (const a of e.addresses) this.addressOwner.set(a, e.name);
  }

  /**
   * A namespace that exists but was not read (ReadScope.unreadNamespaces): what is inside is
   * unknown, so nothing there is planned, deleted or given up.
   */
  insideUnread(netns: string): boolean {
    return this.actual.namespaces.has(netns) && !this.actual.containers.has(netns);
  }

  ownerOfAddress(address: string): Owner {
    const name = this.addressOwner.get(address);
    return name === undefined ? leftoverOwner(undefined) : endpointOwner(name);
  }

  protect(e: DesiredEndpoint): void {
    for (const r of e.routes) this.protectedKeys.route.add(ROUTES_KEY(r));
    for (const n of e.neighbours) this.protectedKeys.neighbour.add(NEIGHBOURS.key({ ...n, permanent: true }));
    for (const p of e.proxies) this.protectedKeys.proxy.add(PROXIES.key(p));
    this.protectedKeys.link.add(e.interface);
  }

  /** Sorts the endpoints into ready, pending and blocked. */
  classify(): void {
    const desiredNames = new Set(this.desired.endpoints.map((e) => e.name));
    const uplinks = new Set([this.desired.nodeInterface, this.desired.uplink].filter((i) => i !== undefined));
    for (const e of this.desired.endpoints) {
      if (uplinks.has(e.interface)) {
        // Programming an endpoint there would turn off RAs and add routes and addresses on the
        // node's own link (Calico's CNI refuses host interfaces the same way).
        const why = e.interface === this.desired.nodeInterface ? `carries the node address ${this.desired.nodeAddress}` : 'is the uplink for proxy NDP';
        this.blocked.push({ endpoint: e.name, reason: `interface ${e.interface} ${why}: it is the node's own interface, not an endpoint's; set the endpoint's interface to its tap or veth` });
        continue;
      }
      const reason = pendingReason(e, this.actual);
      if (reason !== undefined) {
        this.pending.push({ endpoint: e.name, reason });
        this.protect(e);
        continue;
      }
      const link = this.actual.links.get(e.interface);
      const owner = linkOwner(link, this.ledger);
      if (e.container !== undefined && link !== undefined && owner !== e.name) {
        if (owner === undefined || desiredNames.has(owner)) {
          this.blocked.push({
            endpoint: e.name,
            reason: `interface ${e.interface} exists but was not created for this endpoint${owner ? ` (it belongs to ${owner})` : ''}; remove it or set another interface name`,
          });
          this.protect(e);
          continue;
        }
        // A veth of ours left by an endpoint that is gone (renamed): it is deleted as a leftover
        // below and this endpoint gets a fresh one.
        this.recreate.add(e.name);
      }
      this.ready.push(e);
    }
  }

  /** Leftover links first: deleting a link takes the routes, entries and addresses on it along. */
  leftoverLinks(): void {
    for (const link of this.actual.links.values()) {
      const owner = linkOwner(link, this.ledger);
      if (owner === undefined || this.protectedKeys.link.has(link.name)) continue;
      const wanted = this.ready.find((e) => e.interface === link.name && e.container !== undefined);
      if (wanted === undefined || this.recreate.has(wanted.name)) {
        this.plan.add('delete', leftoverOwner(owner), { op: 'delete-link', name: link.name }, { table: 'link', key: link.name, note: link.alias! });
        this.deletedLinks.add(link.name);
      }
    }
  }

  /** The veth and the container side of a container endpoint with a network namespace. */
  container(e: DesiredEndpoint): void {
    const c = e.container!;
    const owner = endpointOwner(e.name);
    const link = this.recreate.has(e.name) ? undefined : this.actual.links.get(e.interface);
    if (link !== undefined && this.insideUnread(c.netns)) {
      // The caller vouches for the inside (ReconcileOptions.settledEndpoints): the host end only.
      if (link.up) this.plan.unchanged += 1;
      else this.plan.add('replace', owner, { op: 'set-link-up', name: e.interface });
      this.linkAddresses(e, link.addresses);
      return;
    }
    const inside = link === undefined ? undefined : this.actual.containers.get(c.netns)?.link;
    const fresh = link === undefined || inside === undefined;
    if (link !== undefined && inside === undefined) {
      // The veth is ours but its peer is not eth0 in the namespace (the namespace was recreated,
      // or the peer was renamed): start over rather than repair a pair we cannot see both ends of.
      this.plan.add('delete', owner, { op: 'delete-link', name: e.interface }, { table: 'link', key: e.interface, note: link.alias! });
      this.deletedLinks.add(e.interface);
    }
    const kind: ChangeKind = fresh && link !== undefined ? 'replace' : 'add';
    if (fresh) {
      this.plan.add(kind, owner, { op: 'prepare-container', netns: c.netns });
      const alias = ownerAlias(e.name);
      this.plan.add(kind, owner, { op: 'create-veth', name: e.interface, netns: c.netns, alias }, { table: 'link', key: e.interface, note: alias });
    }
    const check = (ok: boolean | undefined, operation: Operation) => (ok ? (this.plan.unchanged += 1) : this.plan.add(kind, owner, operation));
    check(!fresh && link!.up, { op: 'set-link-up', name: e.interface });
    this.linkAddresses(e, fresh ? [] : link!.addresses);
    // A new veth's eth0 starts empty; whatever the namespace showed before belongs to someone else.
    const wanted = c.addresses.map((a) => ({ value: { netns: c.netns, address: `${a}/128` }, owner }));
    const present = fresh ? [] : inside!.addresses.map((address) => ({ netns: c.netns, address }));
    planTable(this.plan, CONTAINER_ADDRESSES, wanted, present, { keep: () => false, ownerOf: () => owner });
    check(!fresh && inside!.up, { op: 'container-link-up', netns: c.netns });
    check(!fresh && this.actual.containers.get(c.netns)?.defaultGateway === c.gateway, { op: 'container-default-route', netns: c.netns, gateway: c.gateway });
  }

  /** The host end's addresses of one endpoint (a VM's /64, a veth's gateway address). */
  linkAddresses(e: DesiredEndpoint, present: readonly string[]): void {
    const owner = endpointOwner(e.name);
    const wanted = e.hostAddresses.map((address) => ({ value: { name: e.interface, address }, owner }));
    planTable(this.plan, LINK_ADDRESSES, wanted, present.map((address) => ({ name: e.interface, address })), { keep: () => false, ownerOf: () => owner });
  }

  /** Addresses of ours on links no ready endpoint uses any more (a VM tap left behind). */
  leftoverLinkAddresses(): void {
    const inUse = new Set(this.ready.map((e) => e.interface));
    const present = [...this.actual.links.values()]
      .filter((l) => !inUse.has(l.name) && !this.deletedLinks.has(l.name) && !this.protectedKeys.link.has(l.name))
      .flatMap((l) => l.addresses.map((address) => ({ name: l.name, address })));
    planTable(this.plan, LINK_ADDRESSES, [], present, { keep: () => false, ownerOf: (a) => leftoverOwner(aliasOwner(this.actual.links.get(a.name)?.alias)) });
  }

  tables(): void {
    const onDeletedLink = (dev: string) => this.deletedLinks.has(dev);
    // One owner object per endpoint, shared by its objects: the dataplane groups by owner. Plain
    // loops: flatMap and map cost a no-op pass of 10,000 endpoints 35 ms here (issue 13).
    const wantedOf = <T>(pick: (e: DesiredEndpoint) => T[]): Array<Wanted<T>> => {
      const wanted: Array<Wanted<T>> = [];
      for (const e of this.ready) {
        const owner = endpointOwner(e.name);
        for (const value of pick(e)) wanted.push({ value, owner });
      }
      return wanted;
    };
    const pools = this.desired.pools.map((p) => parsePrefix(p)!);
    planTable(this.plan, ROUTES(pools), wantedOf((e) => e.routes), this.actual.routes, {
      keep: (key, r) => this.protectedKeys.route.has(key) || onDeletedLink(r.dev),
      ownerOf: (r) => this.ownerOfAddress(r.dst),
    });
    const neighbours = wantedOf((e) => e.neighbours).map((w) => ({ ...w, value: { ...w.value, permanent: true } }));
    planTable(this.plan, NEIGHBOURS, neighbours, this.actual.neighbours, {
      keep: (key, n) => this.protectedKeys.neighbour.has(key) || onDeletedLink(n.dev),
      ownerOf: (n) => this.ownerOfAddress(n.dst),
    });
    planTable(this.plan, PROXIES, wantedOf((e) => e.proxies), this.actual.proxies, {
      keep: (key, p) => this.protectedKeys.proxy.has(key) || onDeletedLink(p.dev),
      ownerOf: (p) => this.ownerOfAddress(p.dst),
    });
    const sysctls: Array<Wanted<Sysctl>> = [...this.desired.sysctls.map((value) => ({ value, owner: NODE_OWNER })), ...wantedOf((e) => e.sysctls)];
    const protectedInterfaces = this.protectedKeys.link;
    // A pending endpoint's interface keeps its settings; a deleted link's go with it. A setting's
    // name has no dot (interfaceSysctlKey spells an interface's dots as slashes), so a key up to
    // its last dot names its interface: one lookup per key, however many endpoints are pending.
    const keptPrefixes = new Set([...this.deletedLinks, ...protectedInterfaces].map((i) => interfaceSysctlKey(i, '')));
    planTable(this.plan, SYSCTLS, sysctls, [...this.actual.sysctls].map(([key, value]) => ({ key, value })), {
      keep: (key) => keptPrefixes.has(key.slice(0, key.lastIndexOf('.') + 1)),
      ownerOf: () => leftoverOwner(undefined),
    });
  }

  /** Claims whose object no longer exists and that no change renews: dropped from the record. */
  deadClaims(): Array<{ table: LedgerTable; key: string }> {
    const present: Record<LedgerTable, Set<string>> = {
      link: new Set([...this.actual.links.values()].filter((l) => l.alias !== undefined && this.ledger.note('link', l.name) === l.alias).map((l) => l.name)),
      neighbour: new Set(this.actual.neighbours.filter((n) => n.permanent).map((n) => NEIGHBOURS.key(n))),
      proxy: new Set(this.actual.proxies.map((p) => PROXIES.key(p))),
      'link-address': new Set([...this.actual.links.values()].flatMap((l) => l.addresses.map((a) => `${l.name} ${a}`))),
      'container-address': new Set([
        ...[...this.actual.containers].flatMap(([ns, c]) => (c.link?.addresses ?? []).map((a) => `${ns} ${a}`)),
        // Not read is not gone: those claims wait for a pass that looks.
        ...this.ledger.keys('container-address').filter((key) => this.insideUnread(key.split(' ')[0]!)),
      ]),
      sysctl: new Set(this.actual.sysctls.keys()),
    };
    // By table, so the claims' own key strings are looked up, not a string made per claim.
    const renewed = new Map<LedgerTable, Set<string>>((Object.keys(present) as LedgerTable[]).map((table) => [table, new Set()]));
    for (const c of this.plan.changes) if (c.claim !== undefined && c.kind !== 'delete') renewed.get(c.claim.table)!.add(c.claim.key);
    return (Object.keys(present) as LedgerTable[]).flatMap((table) =>
      this.ledger
        .keys(table)
        .filter((key) => !present[table].has(key) && !renewed.get(table)!.has(key))
        .map((key) => ({ table, key })),
    );
  }
}

export function diff(desired: DesiredState, actual: ActualState, ledger: Ledger): Plan {
  const p = new Planner(desired, actual, ledger);
  p.classify();
  p.leftoverLinks();
  for (const e of p.ready) {
    if (e.container !== undefined) p.container(e);
    else p.linkAddresses(e, actual.links.get(e.interface)!.addresses);
  }
  p.leftoverLinkAddresses();
  p.tables();
  return { changes: p.plan.changes, releases: [...p.plan.releases, ...p.deadClaims()], unchanged: p.plan.unchanged, pending: p.pending, blocked: p.blocked };
}

