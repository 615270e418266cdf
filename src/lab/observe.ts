// What the lab looks at: each node's BGP sessions, read through the session monitor's one poll
// (src/monitor) like every other view, never through birdc's parsers, and each node's kernel routes
// and each VM's DHCPv6 address (through `ip -json`).
import { BirdClient } from '../birdc/client.ts';
import type { Runner } from '../exec.ts';
import { observeBird, type Observation } from '../monitor/poll.ts';
import { canonicalIPv6 } from '../topology/ipv6.ts';

/** One poll of one bird6 on a read-only connection; rejects when bird6 is not answering. */
export async function observeNode(socketPath: string, now: () => Date): Promise<Observation> {
  const client = new BirdClient({ socketPath, restrict: true, reconnect: false, connectTimeoutMs: 1000, commandTimeoutMs: 2000 });
  try {
    await client.connect();
    return await observeBird(client, now().getTime());
  } finally {
    await client.close();
  }
}

export type Session = Observation['peers'][number];

export function isEstablished(session: Session): boolean {
  return session.bgpState === 'Established';
}

// `ip -json -6 route show` (fixtures/iproute2/ip-json-route-r3-proto-bird.json):
//   [{"dst":"fd00:10::20","gateway":"fd00:ec::2","dev":"eth0","metric":1024,"flags":[],"pref":"medium"}]
// A /128 prints without its length.
export interface KernelRoute {
  /** canonical; a /128 prints without its length */
  dst: string;
  dev?: string;
  gateway?: string;
  /** `bird` (or its number 12 where /etc/iproute2/rt_protos lacks the name), `kernel`, `80`... */
  protocol?: string;
}

/** A namespace's main IPv6 table; empty when the namespace is gone. */
export async function kernelRoutes(runner: Runner, netns: string): Promise<KernelRoute[]> {
  const result = await runner.run('ip', ['-n', netns, '-json', '-6', 'route', 'show']);
  if (result.exitCode !== 0) return [];
  const routes = JSON.parse(result.stdout || '[]') as KernelRoute[];
  return routes.map((r) => ({ ...r, dst: canonicalIPv6(r.dst) ?? r.dst }));
}

/** The /128 destinations in a namespace's main IPv6 table, canonical. */
export async function hostRoutes(runner: Runner, netns: string): Promise<Set<string>> {
  return new Set((await kernelRoutes(runner, netns)).filter((r) => !r.dst.includes('/')).map((r) => r.dst));
}

// `ip -json -6 addr show dev eth0`:
//   [{"ifindex":2,"ifname":"eth0",...,"addr_info":[{"family":"inet6","local":"fd00:10::30","prefixlen":128,"scope":"global",...}]}]
interface JsonLink {
  addr_info: Array<{ family: string; local: string; scope: string }>;
}

/** Global IPv6 addresses on an interface, canonical. */
export async function globalAddresses(runner: Runner, netns: string, ifname: string): Promise<Set<string>> {
  const result = await runner.run('ip', ['-n', netns, '-json', '-6', 'addr', 'show', 'dev', ifname]);
  if (result.exitCode !== 0) return new Set();
  const links = JSON.parse(result.stdout || '[]') as JsonLink[];
  return new Set(
    links.flatMap((l) => l.addr_info).filter((a) => a.scope === 'global').map((a) => canonicalIPv6(a.local) ?? a.local),
  );
}

/** Whether a namespace has an IPv6 default route (a VM's comes from the node's Router Advertisements). */
export async function hasDefaultRoute(runner: Runner, netns: string): Promise<boolean> {
  const result = await runner.run('ip', ['-n', netns, '-json', '-6', 'route', 'show', 'default']);
  return result.exitCode === 0 && (JSON.parse(result.stdout || '[]') as unknown[]).length > 0;
}
