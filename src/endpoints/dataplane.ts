// The Dataplane interface in front of the kernel: read the actual state, apply a list of changes.
// The real implementation speaks `ip -json` and `ip -batch` (ip-dataplane.ts); an in-memory fake
// (fake-dataplane.ts) stands in for unit tests and can be told to fail.
import type { ActualState, Neighbour, Proxy, ReadScope, Route, Sysctl } from './model.ts';

/** One kernel operation. Container operations act inside the endpoint's network namespace. */
export type Operation =
  | { op: 'create-veth'; name: string; netns: string; alias: string }
  | { op: 'delete-link'; name: string }
  | { op: 'set-link-up'; name: string }
  | { op: 'add-link-address'; name: string; address: string }
  | { op: 'replace-route'; route: Route }
  | { op: 'delete-route'; route: Route }
  | { op: 'replace-neighbour'; neighbour: Neighbour }
  | { op: 'delete-neighbour'; neighbour: Neighbour }
  | { op: 'replace-proxy'; proxy: Proxy }
  | { op: 'delete-proxy'; proxy: Proxy }
  | { op: 'set-sysctl'; sysctl: Sysctl }
  /** DAD off in the container namespace, before its links exist (DESIGN.md §7). */
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
  /** The endpoint the change belongs to; for a stale object, the endpoint it was left by, if known. */
  owner: string;
  operation: Operation;
}

export interface ChangeFailure {
  change: Change;
  reason: string;
}

export interface Dataplane {
  /**
   * The interface carrying this IPv6 address in the host namespace, or undefined. Used to find
   * the uplink, where the host's proxy NDP entries for its endpoints go.
   */
  interfaceWithAddress(address: string): Promise<string | undefined>;
  read(scope: ReadScope): Promise<ActualState>;
  /**
   * Applies the changes in the order given. A failing change fails its owner: the owner's later
   * changes may be skipped (the fake skips them all; the ip dataplane skips the owner's later
   * phases), while every other owner's changes are still applied. Returns the failures.
   */
  apply(changes: readonly Change[]): Promise<ChangeFailure[]>;
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
      return `address ${o.address} on ${o.name}`;
    case 'replace-route':
    case 'delete-route':
      return `route ${o.route.dst}/128 dev ${o.route.dev}`;
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
