// The Dataplane interface in front of the kernel: read the actual state, apply a list of changes.
// The real implementation speaks `ip -json` and `ip -batch` (ip-dataplane.ts); an in-memory fake
// (fake-dataplane.ts) stands in for unit tests and can be told to fail.
import type { Claim } from './ledger.ts';
import type { ActualState, Neighbour, Proxy, ReadScope, Route, Sysctl } from './model.ts';
import { ownerKey, type Owner } from './owner.ts';

/** One kernel operation. Container operations act inside the endpoint's network namespace. */
export type Operation =
  | { op: 'create-veth'; name: string; netns: string; alias: string }
  | { op: 'delete-link'; name: string }
  | { op: 'set-link-up'; name: string }
  | { op: 'add-link-address'; name: string; address: string }
  | { op: 'delete-link-address'; name: string; address: string }
  | { op: 'replace-route'; route: Route }
  | { op: 'delete-route'; route: Route }
  | { op: 'replace-neighbour'; neighbour: Neighbour }
  | { op: 'delete-neighbour'; neighbour: Neighbour }
  | { op: 'replace-proxy'; proxy: Proxy }
  | { op: 'delete-proxy'; proxy: Proxy }
  | { op: 'set-sysctl'; sysctl: Sysctl }
  /**
   * DAD off in the container namespace and on its new eth0, before eth0 comes up: DESIGN.md §7
   * turns it off before a namespace's links exist, and a link's addresses start DAD only once it
   * is up (container-link-up, after this), so off before up is just as early.
   */
  | { op: 'prepare-container'; netns: string }
  /** `address` with its prefix length, as on the interface: fd00:10::10/128 */
  | { op: 'container-add-address'; netns: string; address: string }
  | { op: 'container-delete-address'; netns: string; address: string }
  | { op: 'container-link-up'; netns: string }
  | { op: 'container-default-route'; netns: string; gateway: string };

/** How a change counts in the summary. */
export type ChangeKind = 'add' | 'replace' | 'delete';

export interface Change {
  kind: ChangeKind;
  owner: Owner;
  operation: Operation;
  /**
   * The ownership claim the change makes (add, replace) or gives up (delete) in the programmer's
   * record (ledger.ts); absent for objects proven otherwise (routes, container link state).
   */
  claim?: Claim;
}

export interface ChangeFailure {
  change: Change;
  reason: string;
}

export interface ApplyOutcome {
  failures: ChangeFailure[];
  /** Changes not attempted because their owner failed in an earlier phase. */
  skipped: Change[];
}

/**
 * The phases of an apply, in order: everything in the host namespace first (links, addresses,
 * routes, neighbour and proxy entries), so a new endpoint's route waits for nothing slow (the
 * kernel takes a route through a veth whose host end is up while its peer is still down, and
 * bird6 learns it at once); then what needs the host's links: sysctls of their interfaces, and
 * DAD off inside container namespaces, whose eth0 the host phase made; then the container side.
 */
export const PHASES = ['host', 'links-ready', 'containers'] as const;
export type Phase = (typeof PHASES)[number];

export function phaseOf(o: Operation): Phase {
  switch (o.op) {
    case 'prepare-container':
    case 'set-sysctl':
      return 'links-ready';
    case 'container-add-address':
    case 'container-delete-address':
    case 'container-link-up':
    case 'container-default-route':
      return 'containers';
    default:
      return 'host';
  }
}

/**
 * The failure contract every Dataplane implements, by running its phases through this function:
 * phases run in order; within a phase every change of every owner still standing is attempted
 * (ip -force goes on after a failing line, so a real batch cannot stop half way through an owner);
 * an owner with a failed change is skipped in every later phase; other owners never are.
 * `run` attempts the changes of one phase and returns those that failed.
 */
export async function applyInPhases(changes: readonly Change[], run: (phase: Phase, changes: Change[]) => Promise<ChangeFailure[]>): Promise<ApplyOutcome> {
  const failures: ChangeFailure[] = [];
  const skipped: Change[] = [];
  const failedOwners = new Set<string>();
  // Sorted into phases in one loop, phaseOf once per change (20,000 from empty, issue 13).
  const byPhase = new Map<Phase, Change[]>(PHASES.map((p) => [p, []]));
  for (const change of changes) byPhase.get(phaseOf(change.operation))!.push(change);
  for (const phase of PHASES) {
    const inPhase = byPhase.get(phase)!;
    // No key made for every change of every phase while no owner has failed (the usual pass).
    const attempt = failedOwners.size === 0 ? inPhase : [];
    if (failedOwners.size > 0) for (const change of inPhase) (failedOwners.has(ownerKey(change.owner)) ? skipped : attempt).push(change);
    if (attempt.length === 0) continue;
    for (const failure of await run(phase, attempt)) {
      failures.push({ change: failure.change, reason: `${describeOperation(failure.change.operation)}: ${failure.reason}` });
      failedOwners.add(ownerKey(failure.change.owner));
    }
  }
  return { failures, skipped };
}

export interface Dataplane {
  /** The host's tables, the sysctls of scope.sysctlKeys and scope.linkSysctlKeys, and the namespaces asked for. */
  read(scope: ReadScope): Promise<ActualState>;
  /** Applies the changes in the order given, under the contract of applyInPhases. */
  apply(changes: readonly Change[]): Promise<ApplyOutcome>;
}

/** A short human description of an operation, for summaries and error reasons. */
export function describeOperation(o: Operation): string {
  switch (o.op) {
    case 'create-veth':
      return `create veth ${o.name} <-> ${o.netns}:eth0`;
    case 'delete-link':
      return `delete link ${o.name}`;
    case 'set-link-up':
      return `set ${o.name} up`;
    case 'add-link-address':
    case 'delete-link-address':
      return `address ${o.address} on ${o.name}`;
    case 'replace-route':
    case 'delete-route':
      return `route ${o.route.dst.includes('/') ? o.route.dst : `${o.route.dst}/128`} dev ${o.route.dev}`;
    case 'replace-neighbour':
    case 'delete-neighbour':
      return `neighbour ${o.neighbour.dst} lladdr ${o.neighbour.lladdr} dev ${o.neighbour.dev}`;
    case 'replace-proxy':
    case 'delete-proxy':
      return `proxy ${o.proxy.dst} dev ${o.proxy.dev}`;
    case 'set-sysctl':
      return `sysctl ${o.sysctl.key}=${o.sysctl.value}`;
    case 'prepare-container':
      return `DAD off in ${o.netns}`;
    case 'container-add-address':
    case 'container-delete-address':
      return `address ${o.address} on ${o.netns}:eth0`;
    case 'container-link-up':
      return `set ${o.netns}:eth0 up`;
    case 'container-default-route':
      return `default route via ${o.gateway} in ${o.netns}`;
  }
}
