// The real dataplane: reads the kernel with `ip -json` and writes it with `ip -6 -batch - -force`,
// all through the Runner. A whole apply costs one ip process for the host namespace, one per
// container namespace that changes, and one `sysctl` process; a read costs one ip process, one
// `sysctl`, and one ip process per container namespace.
import { BirdctlError } from '../errors.ts';
import type { RunOptions, Runner } from '../exec.ts';
import { ENDPOINT_ROUTE_PROTOCOL } from '../topology/index.ts';
import { describeOperation, type Change, type ChangeFailure, type Dataplane } from './dataplane.ts';
import { containerLines, hostLines, parseBatchErrors } from './ip-batch.ts';
import {
  parseAddresses,
  parseContainer,
  parseJsonLine,
  parseLinks,
  parseNamespaces,
  parseNeighbours,
  parseProxies,
  parseRoutes,
  parseSysctls,
} from './ip-json.ts';
import { CONTAINER_INTERFACE, type ActualState, type ReadScope, type Sysctl } from './model.ts';

export interface IpDataplaneOptions {
  runner: Runner;
  /** The namespace acting as the host (tests, the lab, benchmarks); default: the caller's own. */
  netns?: string;
  timeoutMs?: number;
}

const HOST_READ = ['link show', 'addr show', `route show proto ${ENDPOINT_ROUTE_PROTOCOL}`, 'neigh show', 'neigh show proxy'];
const CONTAINER_READ = ['link show', 'addr show', 'route show default'];

/** `/proc/sys` path of a dotted sysctl key (a slash in a key stands for a dot in an interface name). */
function sysctlPath(key: string): string {
  return key
    .split('.')
    .map((part) => part.replaceAll('/', '.'))
    .join('/');
}

export class IpDataplane implements Dataplane {
  private readonly runner: Runner;
  private readonly netns: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: IpDataplaneOptions) {
    this.runner = options.runner;
    this.netns = options.netns;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  private options(extra: RunOptions = {}): RunOptions {
    return { timeoutMs: this.timeoutMs, ...(this.netns === undefined ? {} : { netns: this.netns }), ...extra };
  }

  /** Runs ip and fails loudly: a read that does not work must not look like an empty kernel. */
  private async ip(args: string[], input?: string): Promise<string> {
    const result = await this.runner.run('ip', args, this.options(input === undefined ? {} : { input }));
    if (result.exitCode !== 0) {
      throw new BirdctlError('DATAPLANE', `ip ${args.join(' ')} failed: ${result.stderr.trim() || `exit ${result.exitCode}`}`, {
        hint: 'the endpoint programmer needs root (CAP_NET_ADMIN) and iproute2 with JSON output',
      });
    }
    return result.stdout;
  }

  async interfaceWithAddress(address: string): Promise<string | undefined> {
    const json = parseJsonLine('addr show to', await this.ip(['-6', '-json', 'addr', 'show', 'to', `${address}/128`]));
    return [...parseAddresses(json, 'all').keys()][0];
  }

  async read(scope: ReadScope): Promise<ActualState> {
    const [host, namespaces, sysctls] = await Promise.all([
      this.ip(['-6', '-json', '-batch', '-'], `${HOST_READ.join('\n')}\n`),
      scope.containerNamespaces.length === 0 ? Promise.resolve('') : this.ip(['-json', 'netns', 'list']),
      this.readSysctls(scope.sysctlKeys),
    ]);
    const [links, addrs, routes, neighbours, proxies] = HOST_READ.map((what, i) => parseJsonLine(what, host.split('\n')[i]));
    const existing = parseNamespaces(parseJsonLine('netns list', namespaces));
    const containers = new Map(
      await Promise.all(
        scope.containerNamespaces
          .filter((ns) => existing.has(ns))
          .map(async (ns) => {
            const out = (await this.ip(['-n', ns, '-6', '-json', '-batch', '-'], `${CONTAINER_READ.join('\n')}\n`)).split('\n');
            const [l, a, r] = CONTAINER_READ.map((what, i) => parseJsonLine(what, out[i]));
            return [ns, parseContainer(l, a, r, CONTAINER_INTERFACE)] as const;
          }),
      ),
    );
    return {
      links: parseLinks(links, addrs),
      routes: parseRoutes(routes),
      neighbours: parseNeighbours(neighbours),
      proxies: parseProxies(proxies),
      sysctls,
      namespaces: existing,
      containers,
    };
  }

  private async readSysctls(keys: readonly string[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    // Exit 1 when a key is missing (an interface not there yet); the others are still printed.
    const result = await this.runner.run('sysctl', ['-e', ...keys], this.options());
    return parseSysctls(result.stdout);
  }

  async apply(changes: readonly Change[]): Promise<ChangeFailure[]> {
    const failures: ChangeFailure[] = [];
    const failedOwners = new Set<string>();
    const fail = (change: Change, reason: string) => {
      failures.push({ change, reason: `${describeOperation(change.operation)}: ${reason}` });
      failedOwners.add(change.owner);
    };
    const live = (list: readonly Change[]) => list.filter((c) => !failedOwners.has(c.owner));

    // 1. DAD off inside container namespaces before their links are made (namespaces are
    //    independent, so their processes run side by side).
    const keys = ['all', 'default'].map((k) => `net.ipv6.conf.${k}.accept_dad=0`);
    await Promise.all(
      changes.map(async (change) => {
        if (change.operation.op !== 'prepare-container') return;
        const result = await this.runner.run('sysctl', ['-qw', ...keys], { timeoutMs: this.timeoutMs, netns: change.operation.netns });
        if (result.exitCode !== 0) fail(change, result.stderr.trim() || `sysctl exit ${result.exitCode}`);
      }),
    );

    // 2. Everything ip does in the host namespace, in one batch.
    const host = live(changes).flatMap((c) => (hostLines(c.operation) ?? []).map((line) => ({ change: c, line })));
    if (host.length > 0) await this.batch(['-6', '-batch', '-', '-force'], host, fail);

    // 3. Sysctls, now that the interfaces they name exist, and 4. inside each container
    //    namespace: addresses after the move, then the link, then the route. Neither depends on
    //    the other, and the namespaces not on each other: their processes run side by side.
    const byNetns = new Map<string, Array<{ change: Change; line: string }>>();
    for (const change of live(changes)) {
      const inside = containerLines(change.operation);
      if (inside === undefined) continue;
      const lines = byNetns.get(inside.netns) ?? [];
      lines.push(...inside.lines.map((line) => ({ change, line })));
      byNetns.set(inside.netns, lines);
    }
    await Promise.all([
      this.writeSysctls(live(changes).filter((c) => c.operation.op === 'set-sysctl'), fail),
      ...[...byNetns].map(([netns, lines]) => this.batch(['-n', netns, '-6', '-batch', '-', '-force'], lines, fail)),
    ]);
    return failures;
  }

  /** Runs one batch and charges each failed line to the change it came from. */
  private async batch(args: string[], lines: Array<{ change: Change; line: string }>, fail: (c: Change, reason: string) => void): Promise<void> {
    const result = await this.runner.run('ip', args, this.options({ input: `${lines.map((l) => l.line).join('\n')}\n` }));
    if (result.exitCode === 0) return;
    const errors = parseBatchErrors(result.stderr);
    if (errors.size === 0) {
      // ip failed without naming a line (it could not start the batch at all): nothing applied.
      for (const change of new Set(lines.map((l) => l.change))) fail(change, result.stderr.trim() || `ip exit ${result.exitCode}`);
      return;
    }
    const charged = new Set<Change>();
    for (const [lineNumber, message] of errors) {
      const entry = lines[lineNumber - 1];
      if (entry !== undefined && !charged.has(entry.change)) {
        charged.add(entry.change);
        fail(entry.change, message);
      }
    }
  }

  private async writeSysctls(changes: readonly Change[], fail: (c: Change, reason: string) => void): Promise<void> {
    if (changes.length === 0) return;
    const sysctlOf = (c: Change) => (c.operation as { sysctl: Sysctl }).sysctl;
    const result = await this.runner.run('sysctl', ['-qw', ...changes.map((c) => `${sysctlOf(c).key}=${sysctlOf(c).value}`)], this.options());
    if (result.exitCode === 0) return;
    // sysctl goes on after a key it cannot set and names it on stderr, by path or by key.
    const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
    let charged = 0;
    for (const change of changes) {
      const { key } = sysctlOf(change);
      const line = lines.find((l) => l.includes(`/proc/sys/${sysctlPath(key)}:`) || l.includes(`"${key}"`));
      if (line !== undefined) {
        fail(change, line.replace(/^sysctl: /, ''));
        charged += 1;
      }
    }
    // A failure that names no key (sysctl itself broken): none can be trusted to have been set.
    if (charged === 0) for (const change of changes) fail(change, result.stderr.trim() || `sysctl exit ${result.exitCode}`);
  }
}
