// The agent's endpoint programmer: one reconcile of this node's endpoints (see endpoints/reconcile)
// plus dnsmasq for its VMs, run on start, on every topology change, on a periodic resync and
// whenever a link appears or disappears (a VM's tap coming up is what turns a pending endpoint
// into a programmed one). Failures are logged and retried on the next trigger. The resync and link
// events read everything; a topology change looks inside only the container namespaces of the
// endpoints it added or changed (one ip process each, which made a pass on a node with 25
// containers a second long), and leaves the others' insides to the next full pass.
import type { Dataplane } from '../endpoints/dataplane.ts';
import { DnsmasqService } from '../endpoints/dnsmasq-process.ts';
import type { LedgerStore } from '../endpoints/ledger.ts';
import { ownerLabel } from '../endpoints/owner.ts';
import { formatSummary, isNoop, reconcile, type ReconcileSummary } from '../endpoints/reconcile.ts';
import type { Runner, RunningProcess } from '../exec.ts';
import type { EndpointState } from '../stream/source.ts';
import type { Topology } from '../topology/index.ts';
import { parseLinkEvent, type LinkEvent } from './link-events.ts';
import type { Logger } from './logger.ts';

export interface EndpointLoopOptions {
  runner: Runner;
  dataplane: Dataplane;
  /** The programmer's record of what it made (endpoints/ledger.ts). */
  ledger: LedgerStore;
  nodeName: string;
  uplink?: string;
  dnsmasqDir: string;
  logger: Logger;
}

/** Each endpoint of the node with how far programming got, for the stream. */
export function endpointStates(topology: Topology, nodeName: string, summary: ReconcileSummary | undefined, error?: string): EndpointState[] {
  // By name once: this runs after every pass, and a node may have thousands pending at once.
  const failed = new Map(summary?.failed.flatMap((f) => (f.owner.kind === 'endpoint' ? [[f.owner.name, f.reasons.join('; ')] as const] : [])));
  const pending = new Map(summary?.pending.map((p) => [p.endpoint, p.reason]));
  return topology.endpoints
    .filter((e) => e.node === nodeName)
    .map((e) => {
      const base = { name: e.name, node: e.node, kind: e.kind, addresses: e.addresses, interface: e.interface };
      if (summary === undefined) return { ...base, state: 'failed' as const, reason: error ?? 'not reconciled yet' };
      const failure = failed.get(e.name);
      if (failure !== undefined) return { ...base, state: 'failed' as const, reason: failure };
      const waiting = pending.get(e.name);
      if (waiting !== undefined) return { ...base, state: 'pending' as const, reason: waiting };
      return { ...base, state: 'programmed' as const };
    });
}

/** What this node's endpoint programming depends on in the topology. */
function nodeEndpointsKey(topology: Topology, nodeName: string): string {
  return JSON.stringify({
    pools: topology.ipPools,
    node: topology.nodes.find((n) => n.name === nodeName),
    endpoints: topology.endpoints.filter((e) => e.node === nodeName),
  });
}

export class EndpointLoop {
  readonly dnsmasq: DnsmasqService;
  private linkMonitor: RunningProcess | undefined;
  /** The key of the last pass that left nothing pending or failed; undefined forces a pass. */
  private settledKey: string | undefined;
  private lastResult: { summary?: ReconcileSummary; error?: string } = {};
  /**
   * Each endpoint the last pass left programmed, with its definition then: on a topology change,
   * one still defined so is settled (ReconcileOptions.settledEndpoints) and not looked inside.
   */
  private programmed = new Map<string, string>();
  /** The reason each pending endpoint was last reported with: said once, not on every resync. */
  private pendingReported = new Map<string, string>();

  constructor(private readonly options: EndpointLoopOptions) {
    this.dnsmasq = new DnsmasqService({ runner: options.runner, dir: options.dnsmasqDir });
  }

  /**
   * A pass for a topology change. Skipped when nothing this node programs changed and the last pass
   * settled everything: every agent of the cluster sees every edit, and on a small host a dozen
   * agents re-reading their kernels at once would delay the one node that has work. The periodic
   * resync and link events still run full passes (resync()), so drift is repaired regardless.
   */
  async onTopology(topology: Topology): Promise<{ summary?: ReconcileSummary; error?: string; skipped?: true }> {
    if (nodeEndpointsKey(topology, this.options.nodeName) === this.settledKey) return { ...this.lastResult, skipped: true };
    const settled = new Set(this.nodeEndpoints(topology).flatMap(([name, definition]) => (this.programmed.get(name) === definition ? [name] : [])));
    return this.pass(topology, settled);
  }

  /** One full pass; never throws (the next trigger retries). Returns the summary, or the error. */
  run(topology: Topology): Promise<{ summary?: ReconcileSummary; error?: string }> {
    return this.pass(topology, undefined);
  }

  /** This node's endpoints by name, each with its definition as a comparable string. */
  private nodeEndpoints(topology: Topology): Array<[string, string]> {
    return topology.endpoints.filter((e) => e.node === this.options.nodeName).map((e) => [e.name, JSON.stringify(e)]);
  }

  private async pass(topology: Topology, settledEndpoints: ReadonlySet<string> | undefined): Promise<{ summary?: ReconcileSummary; error?: string }> {
    const { dataplane, ledger, nodeName, uplink, logger } = this.options;
    this.settledKey = undefined;
    // Until this pass says otherwise, nothing is known programmed (a pass that throws may have
    // done any part of its work).
    this.programmed = new Map();
    let summary: ReconcileSummary;
    const started = performance.now();
    try {
      summary = await reconcile({ dataplane, ledger, topology, nodeName, ...(uplink === undefined ? {} : { uplink }), ...(settledEndpoints === undefined ? {} : { settledEndpoints }) });
    } catch (error) {
      logger.error('endpoint reconcile failed; retrying on the next trigger', { error });
      this.lastResult = { error: (error as Error).message };
      return this.lastResult;
    }
    const programmed = new Set(endpointStates(topology, nodeName, summary).flatMap((s) => (s.state === 'programmed' ? [s.name] : [])));
    this.programmed = new Map(this.nodeEndpoints(topology).filter(([name]) => programmed.has(name)));
    const log = summary.failed.length > 0 ? logger.warn : isNoop(summary) ? logger.debug : logger.info;
    log('endpoints reconciled', {
      durationMs: Math.round(performance.now() - started),
      ...(settledEndpoints === undefined ? {} : { settled: settledEndpoints.size }),
      added: summary.added,
      replaced: summary.replaced,
      removed: summary.removed,
      unchanged: summary.unchanged,
      pending: summary.pending.map((p) => p.endpoint),
      failed: summary.failed.map((f) => ({ owner: ownerLabel(f.owner), reasons: f.reasons })),
      summary: formatSummary(summary).trim(),
    });
    this.reportPending(summary);
    let dnsmasqOk = true;
    try {
      const action = await this.dnsmasq.update(topology, nodeName);
      if (action !== 'unchanged' && action !== 'not needed') logger.info(`dnsmasq ${action}`, { pid: this.dnsmasq.pid, config: this.dnsmasq.configFile });
    } catch (error) {
      dnsmasqOk = false;
      logger.error('dnsmasq not updated', { error });
    }
    if (dnsmasqOk && summary.failed.length === 0 && summary.pending.length === 0) this.settledKey = nodeEndpointsKey(topology, nodeName);
    this.lastResult = { summary };
    return this.lastResult;
  }

  /**
   * A pending endpoint waits for something outside the agent (a container's namespace, a VM's tap):
   * an operator must see what at the default level, once per endpoint and reason. One that stops
   * being pending is forgotten, so pending again is said again.
   */
  private reportPending(summary: ReconcileSummary): void {
    const now = new Map(summary.pending.map((p) => [p.endpoint, p.reason]));
    for (const [endpoint, reason] of now) {
      if (this.pendingReported.get(endpoint) !== reason) this.options.logger.info('endpoint pending', { endpoint, reason });
    }
    this.pendingReported = now;
  }

  /** Calls `onEvent` for every link notification (`ip -o monitor link`). */
  watchLinks(onEvent: (event: LinkEvent) => void): void {
    this.linkMonitor = this.options.runner.start('ip', ['-o', 'monitor', 'link'], {
      onLine: (line) => {
        const event = parseLinkEvent(line);
        if (event !== undefined) onEvent(event);
      },
    });
  }

  async stop(): Promise<void> {
    this.linkMonitor?.kill('SIGTERM');
    // VMs keep their leases; RAs and DHCP pause only while the agent restarts.
    await this.dnsmasq.stop();
  }
}
