// Parsers for the `ip -json` output the real dataplane reads (iproute2 6.1). Each is pure and has
// a real sample above it; a shape they do not expect is an error, never silently skipped.
import { BirdctlError } from '../errors.ts';
import { canonicalIPv6 } from '../topology/ipv6.ts';
import type { ActualContainer, ActualLink, ActualNeighbour, Proxy, Route } from './model.ts';

type Json = Record<string, unknown>;

function malformed(what: string, value: unknown): BirdctlError {
  return new BirdctlError('DATAPLANE', `unexpected ip -json output for ${what}: ${JSON.stringify(value)?.slice(0, 200)}`, {
    hint: 'this build expects iproute2 >= 5 with JSON output; check `ip -V`',
  });
}

function list(what: string, value: unknown): Json[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null)) throw malformed(what, value);
  return value as Json[];
}

function text(what: string, entry: Json, field: string): string {
  const value = entry[field];
  if (typeof value !== 'string') throw malformed(what, entry);
  return value;
}

/**
 * An address field in canonical form. A string of `known` (all canonical: ReadScope.canonicalAddresses)
 * is one already, and is taken as it is; any other is parsed and formatted.
 */
function address(what: string, entry: Json, field: string, known?: ReadonlySet<string>): string {
  const raw = text(what, entry, field);
  if (known?.has(raw)) return raw;
  const value = canonicalIPv6(raw);
  if (value === undefined) throw malformed(what, entry);
  return value;
}

/** Parses one line of `ip -json` output; an empty line (some commands print nothing) is []. */
export function parseJsonLine(what: string, line: string | undefined): unknown {
  if (line === undefined) throw malformed(what, '<missing>');
  if (line.trim() === '') return [];
  try {
    return JSON.parse(line);
  } catch {
    throw malformed(what, line);
  }
}

// `ip -json link show`:
// [{"ifindex":2,"link_index":2,"ifname":"v1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,
//   "qdisc":"noqueue","operstate":"UP","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether",
//   "address":"62:1e:70:f0:41:18","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"ifalias":"bird6-controller:web-1"}]
// `ip -6 -json addr show`:
// [{"ifindex":2,"ifname":"v1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"operstate":"UP",
//   "txqlen":1000,"addr_info":[{"family":"inet6","local":"fe80::601e:70ff:fef0:4118","prefixlen":64,"scope":"link",
//   "tentative":true,"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6",
//   "local":"fe80::1","prefixlen":64,"scope":"link","nodad":true,...}]}]
/** Links with their admin state, alias and IPv6 addresses (`addr/len`). */
export function parseLinks(linkJson: unknown, addrJson: unknown): Map<string, ActualLink> {
  const links = new Map<string, ActualLink>();
  for (const entry of list('link show', linkJson)) {
    const name = text('link show', entry, 'ifname');
    const flags = entry.flags;
    if (!Array.isArray(flags)) throw malformed('link show', entry);
    const alias = typeof entry.ifalias === 'string' ? entry.ifalias : undefined;
    links.set(name, { name, up: flags.includes('UP'), addresses: [], ...(alias === undefined ? {} : { alias }) });
  }
  for (const [name, addresses] of parseAddresses(addrJson, 'all')) {
    const link = links.get(name);
    if (link !== undefined) link.addresses = addresses;
  }
  return links;
}

/** IPv6 addresses (`addr/len`) by interface; `global` keeps only global-scope ones. */
export function parseAddresses(addrJson: unknown, scope: 'all' | 'global'): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const entry of list('addr show', addrJson)) {
    const name = text('addr show', entry, 'ifname');
    const info = entry.addr_info === undefined ? [] : list('addr show', entry.addr_info);
    const addresses = info
      .filter((a) => a.family === 'inet6' && (scope === 'all' || a.scope === 'global'))
      .map((a) => {
        if (typeof a.prefixlen !== 'number') throw malformed('addr show', a);
        return `${address('addr show', a, 'local')}/${a.prefixlen}`;
      });
    result.set(name, addresses);
  }
  return result;
}

// `ip -6 -json route show proto 80`:
// [{"dst":"fd00:10::10","dev":"v1","metric":1024,"flags":[],"pref":"medium"}]
/** `known`: addresses known canonical (ReadScope.canonicalAddresses), here and in the parsers below. */
export function parseRoutes(json: unknown, known?: ReadonlySet<string>): Route[] {
  return list('route show', json).map((r) => {
    const dst = text('route show', r, 'dst');
    // The kernel prints a /128 without its length; anything else with proto 80 is not ours to
    // keep (the programmer only installs /128s), so it is returned with its length and deleted.
    return { dst: dst.includes('/') ? dst : address('route show', r, 'dst', known), dev: text('route show', r, 'dev') };
  });
}

// `ip -6 -json neigh show` (entries still being resolved have no lladdr):
// [{"dst":"fd00:10::10","dev":"v1","lladdr":"02:00:00:00:00:10","state":["PERMANENT"]},
//  {"dst":"fe80::1","dev":"eth0","state":["FAILED"]}]
export function parseNeighbours(json: unknown, known?: ReadonlySet<string>): ActualNeighbour[] {
  return list('neigh show', json).flatMap((n) => {
    if (typeof n.lladdr !== 'string') return [];
    const state = Array.isArray(n.state) ? n.state : [];
    return [{ dst: address('neigh show', n, 'dst', known), dev: text('neigh show', n, 'dev'), lladdr: n.lladdr.toLowerCase(), permanent: state.includes('PERMANENT') }];
  });
}

// `ip -6 -json neigh show proxy`:
// [{"dst":"fd00:10::10","dev":"eth0","proxy":null}]
export function parseProxies(json: unknown, known?: ReadonlySet<string>): Proxy[] {
  return list('neigh show proxy', json).map((p) => ({ dst: address('neigh show proxy', p, 'dst', known), dev: text('neigh show proxy', p, 'dev') }));
}

// `ip -json netns list` (prints nothing at all when there are none):
// [{"name":"web-1","id":0},{"name":"db-1"}]
export function parseNamespaces(json: unknown): Set<string> {
  return new Set(list('netns list', json).map((n) => text('netns list', n, 'name')));
}

// Inside a container namespace, `ip -json link show`, `ip -6 -json addr show` (which leaves out
// links without IPv6 addresses, hence the link list) and `ip -6 -json route show default`:
// [{"ifindex":2,"link_index":3,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],...,"link_netnsid":0}]
// [{"ifindex":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],...,"addr_info":[{"family":"inet6",
//   "local":"fd00:10::10","prefixlen":128,"scope":"global","nodad":true,...},{"family":"inet6","local":"fe80::834:7cff:feeb:8c6d",
//   "prefixlen":64,"scope":"link","tentative":true,...}]}]
// [{"dst":"default","gateway":"fe80::1","dev":"eth0","metric":1024,"flags":[],"pref":"medium"}]
export function parseContainer(linkJson: unknown, addrJson: unknown, routeJson: unknown, ifname: string): ActualContainer {
  const link = parseLinks(linkJson, []).get(ifname);
  const route = list('route show default', routeJson).find((r) => r.dev === ifname && typeof r.gateway === 'string');
  const result: ActualContainer = {};
  if (link !== undefined) result.link = { up: link.up, addresses: parseAddresses(addrJson, 'global').get(ifname) ?? [] };
  if (route !== undefined) result.defaultGateway = address('route show default', route, 'gateway');
  return result;
}

// `sysctl KEY...` (a missing key goes to stderr and is left out):
// net.ipv6.conf.all.forwarding = 0
// net.ipv6.conf.v1.accept_ra = 1
export function parseSysctls(stdout: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const match = /^(\S+) = (.*)$/.exec(line);
    if (!match) throw malformed('sysctl', line);
    values.set(match[1]!, match[2]!.trim());
  }
  return values;
}
