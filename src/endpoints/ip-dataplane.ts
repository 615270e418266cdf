// The real dataplane: reads the kernel with `ip -json` and writes it with `ip -6 -batch - -force`,
// all through the Runner. A whole apply costs one ip process for the host namespace, one per
// container namespace that changes, and one `sysctl` process per command line's worth of keys; a
// read costs one ip process, the same `sysctl` processes, and one ip process per container namespace
// asked for, all started at once (at most CONTAINER_READS_AT_ONCE container reads in flight).
// Acting in its own namespace (no `netns`) and given ownFiles, a read lists the namespaces and reads the sysctls from
// their files instead: node's spawn is synchronous and blocks the agent for 2 ms idle and 20-35 ms
// under load, on the way to a new endpoint's route (issue 13).
import { readdir, readFile } from 'node:fs/promises';
import { BirdctlError } from '../errors.ts';
import type { RunOptions, Runner } from '../exec.ts';
import { ENDPOINT_ROUTE_PROTOCOL } from '../topology/index.ts';
import { mapBounded } from './bounded-map.ts';
import { applyInPhases, type ApplyOutcome, type Change, type ChangeFailure, type Dataplane, type Phase } from './dataplane.ts';
import { CHECKPOINT_LINE, containerLines, hostLines, parseBatchErrors } from './ip-batch.ts';
import {
  parseContainer,
  parseJsonLine,
  parseLinks,
  parseNamespaces,
  parseNeighbours,
  parseProxies,
  parseRoutes,
  parseSysctls,
} from './ip-json.ts';
import { CONTAINER_INTERFACE, type ActualContainer, type ActualState, type ReadScope, type Sysctl } from './model.ts';
import { ownerKey, type Owner } from './owner.ts';

export interface IpDataplaneOptions {
  runner: Runner;
  /** The namespace acting as the host (tests, the lab, benchmarks); default: the caller's own. */
  netns?: string;
  timeoutMs?: number;
  /**
   * The kernel route protocol number of the programmer's routes: the only routes it reads,
   * replaces or deletes. Default ENDPOINT_ROUTE_PROTOCOL, the number bird6's kernel protocol
   * imports (src/render); another number needs the same in the rendered filter.
   */
  routeProtocol?: number;
  /**
   * Acting in the caller's own namespace (no `netns`), read the namespace list and the sysctls
   * from these files rather than with a process each: the agent passes OWN_KERNEL_FILES; tests
   * inject a directory of their own. Without it, `ip -json netns list` and `sysctl -e`.
   */
  ownFiles?: OwnKernelFiles;
}

export interface OwnKernelFiles {
  /** the directory `ip netns list` lists: one file per named namespace */
  netnsDir: string;
  /** the calling process's own sysctls (/proc/sys/net is the reader's network namespace's) */
  procSysDir: string;
}

export const OWN_KERNEL_FILES: OwnKernelFiles = { netnsDir: '/run/netns', procSysDir: '/proc/sys' };

/**
 * Bytes of arguments per sysctl process. Linux refuses an exec whose arguments and environment
 * exceed ARG_MAX (2 MiB by default) with E2BIG; 13,000 endpoints' sysctls do. 128 KiB leaves the
 * environment ample room and still sets about 2,500 keys per process.
 */
const SYSCTL_ARGV_BYTES = 128 * 1024;

/** Splits arguments into runs whose total size (with their NUL terminators) stays within `budget`. */
function chunkArguments(args: readonly string[], budget: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const arg of args) {
    const bytes = Buffer.byteLength(arg) + 1;
    if (current.length > 0 && size + bytes > budget) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(arg);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The last thing ip printed, bounded: the reason it stopped. */
function lastWords(stderr: string, exitCode: number): string {
  const lines = stderr.split('\n').map((l) => l.trim());
  const last = lines.findLastIndex((l) => /^Command failed /.test(l));
  const words = lines.slice(last + 1).filter((l) => l !== '').join(' ');
  return words === '' ? `ip exit ${exitCode}` : words.length > 300 ? `${words.slice(0, 300)}...` : words;
}

const CONTAINER_READ = ['link show', 'addr show', 'route show default'];

/**
 * Container namespace reads in flight at once: each is an ip process of 25-40 ms on a loaded
 * 2-core host, so a node's 25 containers take four rounds instead of 25 in a row, without
 * starting a process per container at once on a node with hundreds.
 */
const CONTAINER_READS_AT_ONCE = 8;

/**
 * Proxy entries from which a host phase writes them in an ip process of their own, beside the
 * other lines: below it, their share of the batch (ip takes about 9 ms for 1,000) is no more than
 * starting another process costs (2 ms idle, 20-35 ms on a loaded host).
 */
const PROXY_BATCH_APART_LINES = 1000;

function isProxyOperation(o: Change['operation']): boolean {
  return o.op === 'replace-proxy' || o.op === 'delete-proxy';
}

/** /proc/sys files read at once (thread-pool jobs): all of a usual node's keys in one round. */
const SYSCTL_READS_AT_ONCE = 64;

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
  private readonly routeProtocol: number;
  private readonly hostRead: string[];
  /** set only when acting in the caller's own namespace with ownFiles */
  private readonly files: OwnKernelFiles | undefined;
  /** The host tables' output of a read started by startHostRead(), for the next read() to take. */
  private hostAhead: Promise<string> | undefined;
  /** True once hostAhead has its output. */
  private hostAheadIn = false;

  constructor(options: IpDataplaneOptions) {
    this.files = options.netns === undefined ? options.ownFiles : undefined;
    this.runner = options.runner;
    this.netns = options.netns;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.routeProtocol = options.routeProtocol ?? ENDPOINT_ROUTE_PROTOCOL;
    this.hostRead = ['link show', 'addr show', `route show proto ${this.routeProtocol}`, 'neigh show', 'neigh show proxy'];
  }

  private options(extra: RunOptions = {}): RunOptions {
    return { timeoutMs: this.timeoutMs, ...(this.netns === undefined ? {} : { netns: this.netns }), ...extra };
  }

  /** Runs ip and fails loudly: a read that does not work must not look like an empty kernel. */
  private async ip(args: string[], input?: string, extra: RunOptions = {}): Promise<string> {
    const result = await this.runner.run('ip', args, this.options({ ...extra, ...(input === undefined ? {} : { input }) }));
    if (result.exitCode !== 0) {
      throw new BirdctlError('DATAPLANE', `ip ${args.join(' ')} failed: ${result.stderr.trim() || `exit ${result.exitCode}`}`, {
        hint: 'the endpoint programmer needs root (CAP_NET_ADMIN) and iproute2 with JSON output',
      });
    }
    return result.stdout;
  }

  /** The host tables' ip output; through a file (RunOptions.stdoutToFile): 1.5 MB for 10,000 endpoints. */
  private readHostTables(): Promise<string> {
    return this.ip(['-6', '-json', '-batch', '-'], `${this.hostRead.join('\n')}\n`, { stdoutToFile: true });
  }

  /**
   * Starts the host tables' read now, for the next read() to take: what it reads depends on the
   * route protocol alone, not on the topology, so `birdctl endpoints apply` starts it before the
   * topology loads and the ip process runs while the load keeps this one busy (issue 13: the
   * 20,000 entries of a 10,000-endpoint host take ip about 100 ms to print). The tables are then
   * as old as the load, as any read is as old as the diff that follows it.
   */
  startHostRead(): void {
    if (this.hostAhead !== undefined) return;
    const reading = this.readHostTables();
    // A caller that fails before its read (a topology that does not load) must not leave an
    // unhandled rejection behind; the read that takes it still gets the error.
    reading.then(
      () => (this.hostAheadIn = this.hostAhead === reading),
      () => {},
    );
    this.hostAhead = reading;
    this.hostAheadIn = false;
  }

  async read(scope: ReadScope): Promise<ActualState> {
    // Every read at once: the container namespaces are read beside the namespace list rather than
    // after it (a pass for one new endpoint is otherwise two process rounds long before its route).
    // The list only decides afterwards which answers count: a namespace it does not show is one
    // that is not there, whatever its read said.
    const host = this.hostAhead ?? this.readHostTables();
    // A read started ahead and done (the topology loaded meanwhile) gives the links first, and the
    // keys that depend on them go in the one sysctl process with the others: `birdctl endpoints
    // apply` from empty is a process round shorter on the way to its first kernel line (issue 13).
    const hostIn = this.hostAhead !== undefined && this.hostAheadIn;
    this.hostAhead = undefined;
    this.hostAheadIn = false;
    // The links first: the keys that depend on them are known from them, and the routes and
    // entries (20,000 on a large host) are parsed afterwards, while the sysctls are read.
    const linksOf = async () => {
      const output = (await host).split('\n');
      const [links, addrs] = [0, 1].map((i) => parseJsonLine(this.hostRead[i]!, output[i]));
      return { output, links: parseLinks(links, addrs) };
    };
    const linkKeys = (links: ActualState['links']) => (scope.linkSysctlKeys?.(links) ?? []).filter((key) => !scope.sysctlKeys.includes(key));
    const linksFirst = hostIn ? await linksOf() : undefined;
    const rest = Promise.all([
      scope.containerNamespaces.length === 0 && (scope.unreadNamespaces ?? []).length === 0 ? Promise.resolve(new Set<string>()) : this.listNamespaces(),
      this.readSysctls(linksFirst === undefined ? scope.sysctlKeys : [...scope.sysctlKeys, ...linkKeys(linksFirst.links)]),
      mapBounded(scope.containerNamespaces, CONTAINER_READS_AT_ONCE, (ns) => this.readContainer(ns)),
    ]);
    // If the host read fails, the rest is not waited for.
    rest.catch(() => {});
    const { output, links } = linksFirst ?? (await linksOf());
    // Otherwise the links' keys are read as soon as the links are known, beside what still runs.
    const later = linksFirst === undefined ? linkKeys(links) : [];
    const laterSysctls = later.length === 0 ? undefined : this.readSysctls(later);
    laterSysctls?.catch(() => {});
    const [routes, neighbours, proxies] = [2, 3, 4].map((i) => parseJsonLine(this.hostRead[i]!, output[i]));
    const known = scope.canonicalAddresses;
    const tables = { links, routes: parseRoutes(routes, known), neighbours: parseNeighbours(neighbours, known), proxies: parseProxies(proxies, known) };
    const [namespaces, sysctls, insides] = await rest;
    if (laterSysctls !== undefined) for (const [key, value] of await laterSysctls) sysctls.set(key, value);
    const containers = new Map<string, ActualContainer>();
    scope.containerNamespaces.forEach((ns, i) => {
      if (!namespaces.has(ns)) return;
      const inside = insides[i]!;
      // A namespace that is there but cannot be read must not look empty.
      if (inside instanceof Error) throw inside;
      containers.set(ns, inside);
    });
    return {
      ...tables,
      sysctls,
      namespaces,
      containers,
    };
  }

  /** One container namespace's eth0 and default route, or the error for a namespace that may not exist. */
  private async readContainer(ns: string): Promise<ActualContainer | Error> {
    try {
      const out = (await this.ip(['-n', ns, '-6', '-json', '-batch', '-'], `${CONTAINER_READ.join('\n')}\n`)).split('\n');
      const [l, a, r] = CONTAINER_READ.map((what, i) => parseJsonLine(what, out[i]));
      return parseContainer(l, a, r, CONTAINER_INTERFACE);
    } catch (error) {
      return error as Error;
    }
  }

  /** The named namespaces: `ip netns list`, or its directory (ownFiles). */
  private async listNamespaces(): Promise<Set<string>> {
    if (this.files === undefined) return parseNamespaces(parseJsonLine('netns list', await this.ip(['-json', 'netns', 'list'])));
    try {
      return new Set(await readdir(this.files.netnsDir));
    } catch (error) {
      // No directory: no namespace was ever named, and `ip netns list` prints nothing either.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw new BirdctlError('DATAPLANE', `cannot list ${this.files.netnsDir}: ${(error as Error).message}`, { hint: 'the endpoint programmer needs root' });
    }
  }

  private async readSysctls(keys: readonly string[]): Promise<Map<string, string>> {
    if (this.files !== undefined) return this.readOwnSysctls(keys, this.files.procSysDir);
    const values = new Map<string, string>();
    for (const chunk of chunkArguments(keys, SYSCTL_ARGV_BYTES)) {
      // Exit 1 when a key is missing (an interface not there yet); the others are still printed.
      const result = await this.runner.run('sysctl', ['-e', ...chunk], this.options());
      for (const [key, value] of parseSysctls(result.stdout)) values.set(key, value);
    }
    return values;
  }

  /**
   * Our own namespace's sysctls from their /proc/sys files, as `sysctl -e` prints them: a file that
   * cannot be read (missing: an interface not there yet; or any other error, of which `sysctl -e`
   * only complained on stderr) is left out, the value trimmed as parseSysctls trims it. At most
   * SYSCTL_READS_AT_ONCE files open at once, for a node with thousands of keys.
   */
  private async readOwnSysctls(keys: readonly string[], procSysDir: string): Promise<Map<string, string>> {
    const read = await mapBounded(keys, SYSCTL_READS_AT_ONCE, (key) => readFile(`${procSysDir}/${sysctlPath(key)}`, 'utf8').then((value) => value.trim(), () => undefined));
    const values = new Map<string, string>();
    keys.forEach((key, i) => {
      const value = read[i];
      if (value !== undefined) values.set(key, value);
    });
    return values;
  }

  apply(changes: readonly Change[]): Promise<ApplyOutcome> {
    return applyInPhases(changes, (phase, attempt) => this.applyPhase(phase, attempt));
  }

  private async applyPhase(phase: Phase, changes: Change[]): Promise<ChangeFailure[]> {
    switch (phase) {
      case 'host': {
        const args = ['-6', '-batch', '-', '-force'];
        const proxyChanges: Change[] = [];
        const restChanges: Change[] = [];
        for (const change of changes) {
          if (isProxyOperation(change.operation)) proxyChanges.push(change);
          else restChanges.push(change);
        }
        // Proxy lines after the rest, in one batch or beside it: they need nothing the rest makes (below).
        if (proxyChanges.length < PROXY_BATCH_APART_LINES) return this.batch(args, restChanges.concat(proxyChanges), this.hostLinesOf);
        // Proxy entries hang off the uplink, which is no endpoint's link (diff.ts blocks an
        // endpoint there), so they need nothing the other lines make and go in a process of their
        // own beside them: the kernel's work on two cores (issue 13: 10,000 routes and 10,000
        // proxy entries in 133 ms instead of 193). The rest keeps its order in one batch. The
        // proxy batch starts first, before the other lines are even built: it is the one the pass
        // waits for (10,000 proxy entries took the kernel 215 ms where 10,000 routes took 140; it
        // keeps proxy entries in few hash chains).
        const proxyFailures = this.batch(args, proxyChanges, this.hostLinesOf);
        return (await Promise.all([this.batch(args, restChanges, this.hostLinesOf), proxyFailures])).flat();
      }
      case 'links-ready': {
        // Sysctls and each container namespace's DAD off depend on the host's links only, not
        // on each other: run side by side.
        const results = await Promise.all([
          this.writeSysctls(changes.filter((c) => c.operation.op === 'set-sysctl')),
          ...changes.filter((c) => c.operation.op === 'prepare-container').map((c) => this.prepareContainer(c)),
        ]);
        return results.flat();
      }
      case 'containers': {
        // Each container namespace (addresses after the move, then the link, then the route) on
        // its own, side by side.
        const byNetns = new Map<string, Change[]>();
        for (const change of changes) {
          const inside = containerLines(change.operation);
          if (inside === undefined) continue;
          const inNetns = byNetns.get(inside.netns) ?? [];
          inNetns.push(change);
          byNetns.set(inside.netns, inNetns);
        }
        const linesOf = (c: Change) => containerLines(c.operation)!.lines;
        return (await Promise.all([...byNetns].map(([netns, inNetns]) => this.batch(['-n', netns, '-6', '-batch', '-', '-force'], inNetns, linesOf)))).flat();
      }
    }
  }

  /** A change's lines in the host namespace (none for an operation of another phase). */
  private readonly hostLinesOf = (c: Change): readonly string[] => hostLines(c.operation, this.routeProtocol) ?? [];

  /** DAD off inside a container namespace, for its new eth0 too, before eth0 comes up. */
  private async prepareContainer(change: Change): Promise<ChangeFailure[]> {
    if (change.operation.op !== 'prepare-container') return [];
    const keys = ['all', 'default', CONTAINER_INTERFACE].map((k) => `net.ipv6.conf.${k}.accept_dad=0`);
    const result = await this.runner.run('sysctl', ['-qw', ...keys], { timeoutMs: this.timeoutMs, netns: change.operation.netns });
    return result.exitCode === 0 ? [] : [{ change, reason: result.stderr.trim().slice(0, 300) || `sysctl exit ${result.exitCode}` }];
  }

  /**
   * Runs batch lines and charges each failed line to the change it came from. ip -force goes on
   * after a failing line, but some errors (usage, an argument it cannot parse) end ip at once and
   * the lines after never run. So the lines go grouped by owner, each group followed by a
   * checkpoint line (CHECKPOINT_LINE): when ip dies, the first group without its checkpoint is the
   * one it died in; that owner fails, and the groups after it go again in a new batch.
   */
  private async batch(args: string[], changes: readonly Change[], linesOf: (c: Change) => readonly string[]): Promise<ChangeFailure[]> {
    // Changes, not lines, are grouped, and each change's lines are made as the input is written:
    // no object per line (20,000 from empty, issue 13).
    const groups = new Map<string, Change[]>();
    // Owner objects are shared by a plan's changes (diff.ts): the key is made once per object, not per change.
    const groupOf = new Map<Owner, Change[]>();
    for (const change of changes) {
      let group = groupOf.get(change.owner);
      if (group === undefined) {
        const key = ownerKey(change.owner);
        group = groups.get(key);
        if (group === undefined) groups.set(key, (group = []));
        groupOf.set(change.owner, group);
      }
      group.push(change);
    }
    let remaining = [...groups.values()];
    const failures: ChangeFailure[] = [];
    const charged = new Set<Change>();
    const fail = (change: Change, reason: string) => {
      if (charged.has(change)) return;
      charged.add(change);
      failures.push({ change, reason });
    };
    let runsWithoutALine = 0;
    while (remaining.length > 0) {
      // The change of each line, by line number less one; undefined for a checkpoint.
      const lines: Array<Change | undefined> = [];
      const checkpoints: number[] = [];
      let input = '';
      for (const group of remaining) {
        for (const change of group) {
          const own = linesOf(change);
          for (let i = 0; i < own.length; i += 1) {
            lines.push(change);
            input += `${own[i]}\n`;
          }
        }
        lines.push(undefined);
        input += `${CHECKPOINT_LINE}\n`;
        checkpoints.push(lines.length);
      }
      const result = await this.runner.run('ip', args, this.options({ input }));
      if (result.exitCode === 0) break;
      const errors = parseBatchErrors(result.stderr);
      for (const [lineNumber, message] of errors) {
        const change = lines[lineNumber - 1];
        if (change !== undefined) fail(change, message);
      }
      const stoppedIn = checkpoints.findIndex((n) => !errors.has(n));
      if (stoppedIn === -1) break;
      const reason = `ip stopped in this endpoint's lines: ${lastWords(result.stderr, result.exitCode)}`;
      // ip that runs no line twice (it cannot start: no such namespace, out of memory) will not
      // run one a third time: everything left fails rather than one ip process per owner.
      runsWithoutALine = errors.size === 0 ? runsWithoutALine + 1 : 0;
      const casualties = runsWithoutALine >= 2 ? remaining.slice(stoppedIn) : [remaining[stoppedIn]!];
      for (const group of casualties) for (const change of group) fail(change, reason);
      remaining = runsWithoutALine >= 2 ? [] : remaining.slice(stoppedIn + 1);
    }
    return failures;
  }

  private async writeSysctls(changes: readonly Change[]): Promise<ChangeFailure[]> {
    const sysctlOf = (c: Change) => (c.operation as { sysctl: Sysctl }).sysctl;
    const byArgument = new Map<string, Change>(changes.map((c) => [`${sysctlOf(c).key}=${sysctlOf(c).value}`, c]));
    const failures: ChangeFailure[] = [];
    for (const chunk of chunkArguments([...byArgument.keys()], SYSCTL_ARGV_BYTES)) {
      const result = await this.runner.run('sysctl', ['-qw', ...chunk], this.options());
      if (result.exitCode === 0) continue;
      // sysctl goes on after a key it cannot set and names it on stderr, by path or by key.
      const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
      const before = failures.length;
      for (const argument of chunk) {
        const change = byArgument.get(argument)!;
        const { key } = sysctlOf(change);
        const line = lines.find((l) => l.includes(`/proc/sys/${sysctlPath(key)}:`) || l.includes(`"${key}"`));
        if (line !== undefined) failures.push({ change, reason: line.replace(/^sysctl: /, '') });
      }
      // A failure that names no key (sysctl itself broken): none of the chunk can be trusted set.
      if (failures.length === before) for (const argument of chunk) failures.push({ change: byArgument.get(argument)!, reason: result.stderr.trim().slice(0, 300) || `sysctl exit ${result.exitCode}` });
    }
    return failures;
  }
}
