// Values the topology may leave out and that must still be stable and unique: router IDs and
// endpoint interface names. Both are derived from a hash, so they do not change when unrelated
// objects are added to the file.
import { createHash } from 'node:crypto';
import { formatIPv4, parseIPv4 } from './ipv4.ts';
import type { TopologyInput } from './schema.ts';
import type { Endpoint, NodeSpec } from './model.ts';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * A router ID from the node's address: first octet in 1..223 without 127, so it is never
 * "this network", loopback or multicast. A collision (with an explicit ID or an earlier derived
 * one) is resolved by rehashing with a counter, in node-name order, so the result is stable.
 */
function deriveRouterId(address: string, taken: Set<number>): number {
  for (let attempt = 0; ; attempt += 1) {
    const bytes = digest(attempt === 0 ? address : `${address}#${attempt}`);
    let first = 1 + (bytes[0]! % 222); // 1..222
    if (first >= 127) first += 1; // skip 127, giving 1..126 and 128..223
    const value = ((first * 256 + bytes[1]!) * 256 + bytes[2]!) * 256 + bytes[3]!;
    if (!taken.has(value)) return value;
  }
}

export function resolveRouterIds(nodes: TopologyInput['nodes']): NodeSpec[] {
  const taken = new Set(nodes.flatMap((n) => (n.routerId === undefined ? [] : [parseIPv4(n.routerId)!])));
  // Keyed by position, not name: two nodes sharing a name (reported by the checks) must not share
  // a derived ID too, or the user would also see a router ID conflict they never wrote.
  const derived = new Map<number, string>();
  const byName = nodes.map((n, index) => ({ n, index }));
  // Code-unit order, not localeCompare: every host must derive the same IDs whatever its locale.
  byName.sort((a, b) => (a.n.name < b.n.name ? -1 : a.n.name > b.n.name ? 1 : a.index - b.index));
  for (const { n, index } of byName) {
    if (n.routerId !== undefined) continue;
    const value = deriveRouterId(n.address, taken);
    taken.add(value);
    derived.set(index, formatIPv4(value));
  }
  return nodes.map((n, index) => ({ ...n, routerId: n.routerId ?? derived.get(index)! }));
}

/** `cali` or `tap` and 11 hex digits of the endpoint's name: 14-15 characters, like Calico's names. */
export function deriveInterfaceName(endpoint: Pick<Endpoint, 'name' | 'kind'>): string {
  const prefix = endpoint.kind === 'vm' ? 'tap' : 'cali';
  return prefix + digest(endpoint.name).toString('hex').slice(0, 11);
}

export function resolveInterfaces(endpoints: TopologyInput['endpoints']): Endpoint[] {
  return endpoints.map((e) => ({ ...e, interface: e.interface ?? deriveInterfaceName(e) }));
}
