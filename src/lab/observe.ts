// What the lab looks at to decide it is up: each node's BGP sessions (through bird6's control
// socket), each node's kernel routes and each VM's DHCPv6 address (through `ip -json`).
import { BirdClient } from '../birdc/client.ts';
import { parseShowProtocols, type ProtocolRow } from '../birdc/parse-protocols.ts';
import type { Runner } from '../exec.ts';
import { canonicalIPv6 } from '../topology/ipv6.ts';

/** The BGP rows of `show protocols` from one bird6; rejects when bird6 is not answering. */
export async function bgpSessions(socketPath: string, now: () => Date): Promise<ProtocolRow[]> {
  const client = new BirdClient({ socketPath, reconnect: false, connectTimeoutMs: 1000, commandTimeoutMs: 2000 });
  try {
    await client.connect();
    const reply = await client.command('show protocols');
    return parseShowProtocols(reply, Math.floor(now().getTime() / 1000)).filter((row) => row.proto === 'BGP');
  } finally {
    await client.close();
  }
}

export function isEstablished(row: ProtocolRow): boolean {
  return row.state === 'up' && /^Established\b/.test(row.info);
}

// `ip -json -6 route show` (fixtures/iproute2/ip-json-route-r3-proto-bird.json):
//   [{"dst":"fd00:10::20","gateway":"fd00:ec::2","dev":"eth0","metric":1024,"flags":[],"pref":"medium"}]
// A /128 prints without its length.
interface JsonRoute {
  dst: string;
}

/** The /128 destinations in a namespace's main IPv6 table, canonical. */
export async function hostRoutes(runner: Runner, netns: string): Promise<Set<string>> {
  const result = await runner.run('ip', ['-n', netns, '-json', '-6', 'route', 'show']);
  if (result.exitCode !== 0) return new Set();
  const routes = JSON.parse(result.stdout || '[]') as JsonRoute[];
  return new Set(routes.filter((r) => !r.dst.includes('/')).map((r) => canonicalIPv6(r.dst) ?? r.dst));
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
