// An in-memory kernel for unit tests. It keeps the same tables the real dataplane reads, enforces
// the kernel rules the reconciler depends on (no route through a missing or down link, deleting a
// link takes its routes and entries with it, a veth needs its namespace), and can be told to fail
// chosen operations. Tests assert on its final state, not on the calls made. It applies under the
// same failure contract as the real dataplane (applyInPhases in dataplane.ts).
import { ENDPOINT_ROUTE_PROTOCOL } from '../topology/index.ts';
import { interfaceSysctlKey } from './sysctl-keys.ts';
import { applyInPhases, type ApplyOutcome, type Change, type Dataplane, type Operation } from './dataplane.ts';
import { CONTAINER_INTERFACE, type ActualContainer, type ActualLink, type ActualNeighbour, type ActualState, type Proxy, type ReadScope } from './model.ts';

export interface FakeRoute {
  dst: string;
  dev: string;
  protocol: number;
}

interface FakeLink extends ActualLink {
  /** For a veth: the namespace holding its peer, which is eth0 there. */
  peerNetns?: string;
}

interface InjectedFailure {
  matches: (operation: Operation) => boolean;
  reason: string;
  remaining: number;
}

export class FakeDataplane implements Dataplane {
  readonly links = new Map<string, FakeLink>();
  routes: FakeRoute[] = [];
  neighbours: ActualNeighbour[] = [];
  proxies: Proxy[] = [];
  readonly sysctls = new Map<string, string>([['net.ipv6.conf.all.forwarding', '0']]);
  readonly namespaces = new Set<string>();
  readonly containers = new Map<string, ActualContainer & { dadOff?: boolean }>();
  /** Every operation attempted, in order, for tests that count work done. */
  readonly applied: Operation[] = [];
  private readonly failures: InjectedFailure[] = [];
  /** The protocol number of the programmer's routes, as IpDataplaneOptions.routeProtocol. */
  readonly routeProtocol: number;

  constructor(options: { routeProtocol?: number } = {}) {
    this.routeProtocol = options.routeProtocol ?? ENDPOINT_ROUTE_PROTOCOL;
  }

  /** Makes the next `times` operations matching `matches` fail with `reason`. */
  failWhen(matches: (operation: Operation) => boolean, reason = 'injected failure', times = Number.POSITIVE_INFINITY): void {
    this.failures.push({ matches, reason, remaining: times });
  }

  /** An interface made by someone else (a hypervisor's tap, a CNI plugin's veth), up by default. */
  addLink(name: string, options: { up?: boolean; addresses?: string[]; alias?: string } = {}): void {
    this.links.set(name, { name, up: options.up ?? true, addresses: options.addresses ?? [], ...(options.alias ? { alias: options.alias } : {}) });
    // Kernel defaults for a new interface.
    for (const [setting, value] of [['accept_ra', '1'], ['accept_dad', '1'], ['proxy_ndp', '0']] as const) this.sysctls.set(interfaceSysctlKey(name, setting), value);
  }

  deleteLink(name: string): void {
    const link = this.links.get(name);
    if (link === undefined) return;
    this.links.delete(name);
    // Deleting either end of a veth deletes the pair.
    const peer = link.peerNetns === undefined ? undefined : this.containers.get(link.peerNetns);
    if (peer !== undefined) delete peer.link;
    this.routes = this.routes.filter((r) => r.dev !== name);
    this.neighbours = this.neighbours.filter((n) => n.dev !== name);
    this.proxies = this.proxies.filter((p) => p.dev !== name);
    for (const key of [...this.sysctls.keys()]) if (key.startsWith(interfaceSysctlKey(name, ''))) this.sysctls.delete(key);
  }

  addNamespace(name: string): void {
    this.namespaces.add(name);
    this.containers.set(name, {});
  }

  private readSysctls(keys: readonly string[]): Map<string, string> {
    return new Map(keys.flatMap((k) => (this.sysctls.has(k) ? [[k, this.sysctls.get(k)!] as const] : [])));
  }

  async read(scope: ReadScope): Promise<ActualState> {
    const copy = <T>(value: T): T => structuredClone(value);
    const links = new Map([...this.links].map(([name, l]) => [name, { name, up: l.up, addresses: [...l.addresses], ...(l.alias ? { alias: l.alias } : {}) }]));
    return {
      links,
      routes: this.routes.filter((r) => r.protocol === this.routeProtocol).map((r) => ({ dst: r.dst, dev: r.dev })),
      neighbours: copy(this.neighbours),
      proxies: copy(this.proxies),
      sysctls: this.readSysctls([...scope.sysctlKeys, ...(scope.linkSysctlKeys?.(links) ?? [])]),
      namespaces: new Set(this.namespaces),
      containers: new Map(
        scope.containerNamespaces.flatMap((ns) => {
          const c = this.containers.get(ns);
          return c === undefined ? [] : [[ns, copy({ ...(c.link ? { link: c.link } : {}), ...(c.defaultGateway ? { defaultGateway: c.defaultGateway } : {}) })] as const];
        }),
      ),
    };
  }

  apply(changes: readonly Change[]): Promise<ApplyOutcome> {
    return applyInPhases(changes, async (_phase, attempt) =>
      attempt.flatMap((change) => {
        this.applied.push(change.operation);
        const reason = this.injected(change.operation) ?? this.execute(change.operation);
        return reason === undefined ? [] : [{ change, reason }];
      }),
    );
  }

  private injected(operation: Operation): string | undefined {
    const failure = this.failures.find((f) => f.remaining > 0 && f.matches(operation));
    if (failure === undefined) return undefined;
    failure.remaining -= 1;
    return failure.reason;
  }

  /** Carries out one operation; returns the kernel's complaint, or undefined on success. */
  private execute(o: Operation): string | undefined {
    const usable = (dev: string) => (!this.links.has(dev) ? `Cannot find device "${dev}"` : this.links.get(dev)!.up ? undefined : 'Nexthop device is not up.');
    const container = (netns: string) => this.containers.get(netns);
    switch (o.op) {
      case 'create-veth': {
        if (!this.namespaces.has(o.netns)) return `Invalid "netns" value "${o.netns}"`;
        if (this.links.has(o.name) || container(o.netns)!.link) return 'RTNETLINK answers: File exists';
        this.addLink(o.name, { up: false, alias: o.alias });
        this.links.get(o.name)!.peerNetns = o.netns;
        container(o.netns)!.link = { up: false, addresses: [] };
        return undefined;
      }
      case 'delete-link':
        if (!this.links.has(o.name)) return `Cannot find device "${o.name}"`;
        this.deleteLink(o.name);
        return undefined;
      case 'set-link-up':
        if (!this.links.has(o.name)) return `Cannot find device "${o.name}"`;
        this.links.get(o.name)!.up = true;
        return undefined;
      case 'add-link-address': {
        const link = this.links.get(o.name);
        if (link === undefined) return `Cannot find device "${o.name}"`;
        if (link.addresses.includes(o.address)) return 'RTNETLINK answers: File exists';
        link.addresses.push(o.address);
        return undefined;
      }
      case 'delete-link-address': {
        const link = this.links.get(o.name);
        if (link === undefined) return `Cannot find device "${o.name}"`;
        if (!link.addresses.includes(o.address)) return 'RTNETLINK answers: Cannot assign requested address';
        link.addresses = link.addresses.filter((a) => a !== o.address);
        return undefined;
      }
      case 'replace-route': {
        const problem = usable(o.route.dev);
        if (problem) return problem;
        this.routes = this.routes.filter((r) => r.dst !== o.route.dst);
        this.routes.push({ ...o.route, protocol: this.routeProtocol });
        return undefined;
      }
      case 'delete-route': {
        const before = this.routes.length;
        this.routes = this.routes.filter((r) => !(r.dst === o.route.dst && r.dev === o.route.dev && r.protocol === this.routeProtocol));
        return this.routes.length === before ? 'RTNETLINK answers: No such process' : undefined;
      }
      case 'replace-neighbour': {
        if (!this.links.has(o.neighbour.dev)) return `Cannot find device "${o.neighbour.dev}"`;
        this.neighbours = this.neighbours.filter((n) => !(n.dst === o.neighbour.dst && n.dev === o.neighbour.dev));
        this.neighbours.push({ ...o.neighbour, permanent: true });
        return undefined;
      }
      case 'delete-neighbour': {
        const before = this.neighbours.length;
        this.neighbours = this.neighbours.filter((n) => !(n.dst === o.neighbour.dst && n.dev === o.neighbour.dev));
        return this.neighbours.length === before ? 'RTNETLINK answers: No such file or directory' : undefined;
      }
      case 'replace-proxy': {
        if (!this.links.has(o.proxy.dev)) return `Cannot find device "${o.proxy.dev}"`;
        if (!this.proxies.some((p) => p.dst === o.proxy.dst && p.dev === o.proxy.dev)) this.proxies.push({ ...o.proxy });
        return undefined;
      }
      case 'delete-proxy': {
        const before = this.proxies.length;
        this.proxies = this.proxies.filter((p) => !(p.dst === o.proxy.dst && p.dev === o.proxy.dev));
        return this.proxies.length === before ? 'RTNETLINK answers: No such file or directory' : undefined;
      }
      case 'set-sysctl':
        if (!this.sysctls.has(o.sysctl.key)) return `cannot stat /proc/sys/${o.sysctl.key.replaceAll('.', '/')}: No such file or directory`;
        this.sysctls.set(o.sysctl.key, o.sysctl.value);
        return undefined;
      case 'prepare-container':
        if (!this.namespaces.has(o.netns)) return `Cannot open network namespace "${o.netns}"`;
        // The real one sets eth0's own accept_dad too, which needs eth0 there.
        if (container(o.netns)!.link === undefined) return `sysctl: cannot stat /proc/sys/net/ipv6/conf/${CONTAINER_INTERFACE}/accept_dad: No such file or directory`;
        container(o.netns)!.dadOff = true;
        return undefined;
      case 'container-add-address': {
        const link = container(o.netns)?.link;
        if (link === undefined) return `Cannot find device "${CONTAINER_INTERFACE}"`;
        if (link.addresses.includes(o.address)) return 'RTNETLINK answers: File exists';
        link.addresses.push(o.address);
        return undefined;
      }
      case 'container-delete-address': {
        const link = container(o.netns)?.link;
        if (link === undefined || !link.addresses.includes(o.address)) return 'RTNETLINK answers: Cannot assign requested address';
        link.addresses = link.addresses.filter((a) => a !== o.address);
        return undefined;
      }
      case 'container-link-up': {
        const link = container(o.netns)?.link;
        if (link === undefined) return `Cannot find device "${CONTAINER_INTERFACE}"`;
        link.up = true;
        return undefined;
      }
      case 'container-default-route': {
        const c = container(o.netns);
        if (c?.link === undefined) return `Cannot find device "${CONTAINER_INTERFACE}"`;
        if (!c.link.up) return 'Nexthop device is not up.';
        c.defaultGateway = o.gateway;
        return undefined;
      }
    }
  }
}
