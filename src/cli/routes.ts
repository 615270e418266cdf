// `birdctl routes`: the routes in the local bird6's table with next hop, interface, protocol, age,
// primary flag and BGP attributes, read through the native client on a read-only connection and
// parsed by birdc/parse-route.ts. --peer and --prefix end up in a BIRD command line, so each is
// checked against a strict shape first and re-printed from its parsed form: no text given on the
// command line reaches BIRD as typed. Exit codes as `status`: 0, 1 BIRD unreachable, 2 usage.
import { BirdClient, type BirdCommands } from '../birdc/client.ts';
import { ProtocolsParser } from '../birdc/parse-protocols.ts';
import { parseShowRoute, type RouteEntry } from '../birdc/parse-route.ts';
import { parseShowStatus } from '../birdc/parse-status.ts';
import { ParseWarnings } from '../birdc/parse-warnings.ts';
import { bgpPeers } from '../birdc/peers.ts';
import { BirdReplyError } from '../birdc/reply.ts';
import { resolveSocketPath } from '../birdc/socket-path.ts';
import { EXIT } from '../errors.ts';
import { canonicalIPv6, formatPrefix, parsePrefix } from '../topology/ipv6.ts';
import { parseCommandArgs, usageError, type Command, type CommandContext } from './command.ts';
import { formatAge } from './status.ts';

const HELP = `Usage: birdctl routes [--socket PATH] [--peer NAME|ADDRESS] [--prefix P] [--json]

Shows the routes in the local bird6's table (\`show route all\` over its control socket, on a
read-only connection): each route's network, next hop, interface, the protocol it came from, its
age, whether BIRD selected it (primary), and for BGP routes the AS path, local preference and
communities.

Options:
  --socket PATH        bird6's control socket (default: /run/bird/bird6.ctl, else /var/run/bird6.ctl)
  --peer NAME|ADDRESS  only the routes learnt from one BGP protocol: its BIRD name
                       (Mesh_fd00_ec__2) or its neighbour's IPv6 address (fd00:ec::2)
  --prefix P           only the routes of the network that best matches P, an IPv6 address or
                       prefix (BIRD's \`show route for P\`)
  --json               one JSON object: {"routes": [{prefix, destination, nextHop, interface,
                       nextHops, protocol, since, ageSeconds, primary, from, type, bgp: {origin,
                       asPath, localPref, med, communities, nextHop} | null}]}; times in epoch
                       seconds, null where BIRD printed a time birdctl cannot read

A value bird6 prints in a format birdctl cannot read is shown as null (\`-\`) with one warning on
stderr.

Exit codes: 0 shown (no routes included), 1 BIRD cannot be reached, 2 bad usage (a malformed
--peer or --prefix, or a peer bird6 has no BGP protocol for).`;

/** A BIRD symbol as BIRD 1.6's lexer reads one (conf/cf-lex.l): a letter or `_`, then letters, digits, `_`. */
const PROTOCOL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export interface RoutesJson {
  routes: {
    prefix: string;
    destination: string;
    nextHop: string | null;
    interface: string | null;
    nextHops: { gateway: string; interface: string; weight: number }[];
    protocol: string;
    since: number | null;
    ageSeconds: number | null;
    primary: boolean;
    from: string | null;
    type: string | null;
    bgp: { origin: string | null; asPath: number[]; localPref: number | null; med: number | null; communities: string[]; nextHop: string[] } | null;
  }[];
}

/** The peer as BIRD names it: a protocol name as given, an address looked up among the BGP protocols. */
type PeerFilter = { protocol: string } | { address: string };

function parsePeer(value: string | undefined): PeerFilter | undefined {
  if (value === undefined) return undefined;
  const address = canonicalIPv6(value);
  if (address !== undefined) return { address };
  if (PROTOCOL_NAME.test(value)) return { protocol: value };
  throw usageError('routes', `--peer must be a BGP protocol name or an IPv6 address, got ${JSON.stringify(value.slice(0, 80))}`);
}

/** An address is the /128 it names; re-printed canonically so BIRD sees only what was parsed. */
function parsePrefixOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const address = canonicalIPv6(value);
  if (address !== undefined) return address;
  const prefix = parsePrefix(value);
  if (prefix === undefined) throw usageError('routes', `--prefix must be an IPv6 address or prefix, got ${JSON.stringify(value.slice(0, 80))}`);
  if (prefix.hostBitsSet) throw usageError('routes', `--prefix ${value} has host bits set; did you mean ${formatPrefix(prefix)}?`);
  return formatPrefix(prefix);
}

/** The BGP protocol whose neighbour is `address` (by the renderer's name or BIRD's neighbour line). */
async function protocolOfAddress(bird: BirdCommands, address: string, referenceSeconds: number, warnings: ParseWarnings): Promise<string> {
  const parser = new ProtocolsParser(referenceSeconds, true, warnings);
  const protocols = parser.finish(await bird.command('show protocols all', { onBlock: (block) => parser.block(block) }));
  const peer = bgpPeers(protocols).find((p) => p.peerAddress === address);
  if (peer === undefined) throw usageError('routes', `bird6 has no BGP protocol for the neighbour ${address}`);
  return peer.name;
}

export function routesCommandLine(filter: { protocol?: string; prefix?: string }): string {
  return ['show route', filter.prefix === undefined ? '' : ` for ${filter.prefix}`, filter.protocol === undefined ? '' : ` protocol ${filter.protocol}`, ' all'].join('');
}

function routesJson(routes: readonly RouteEntry[], serverTime: number | null): RoutesJson {
  return {
    routes: routes.map((r) => ({
      prefix: r.prefix,
      destination: r.destination,
      nextHop: r.gateway,
      interface: r.interface,
      nextHops: r.nextHops,
      protocol: r.protocol,
      since: r.since,
      ageSeconds: r.since === null || serverTime === null ? null : Math.max(0, serverTime - r.since),
      primary: r.primary,
      from: r.from,
      type: r.type,
      bgp: r.bgp === null ? null : { origin: r.bgp.origin, asPath: r.bgp.asPath, localPref: r.bgp.localPref, med: r.bgp.med, communities: r.bgp.communities, nextHop: r.bgp.nextHop },
    })),
  };
}

function nextHopCell(r: RoutesJson['routes'][number]): string {
  if (r.nextHops.length > 0) return r.nextHops.map((h) => h.gateway).join(', ');
  return r.nextHop ?? (r.destination === 'device' ? 'direct' : r.destination);
}

function renderRoutes(json: RoutesJson): string {
  if (json.routes.length === 0) return 'No routes.\n';
  const header = ['PREFIX', 'NEXT HOP', 'INTERFACE', 'PROTOCOL', 'AGE', 'PRIMARY', 'AS PATH', 'LOCAL PREF', 'COMMUNITIES'];
  const rows = json.routes.map((r) => [
    r.prefix,
    nextHopCell(r),
    r.nextHops.length > 0 ? [...new Set(r.nextHops.map((h) => h.interface))].join(', ') : (r.interface ?? '-'),
    r.protocol,
    formatAge(r.ageSeconds),
    r.primary ? '*' : '',
    r.bgp === null ? '-' : r.bgp.asPath.length === 0 ? '(local AS)' : r.bgp.asPath.join(' '),
    r.bgp?.localPref === null || r.bgp === null ? '-' : String(r.bgp.localPref),
    r.bgp === null || r.bgp.communities.length === 0 ? '-' : r.bgp.communities.join(' '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  const line = (cells: string[]) => `|${cells.map((c, i) => ` ${c.padEnd(widths[i]!)} `).join('|')}|\n`;
  return `${rule}${line(header)}${rule}${rows.map(line).join('')}${rule}${json.routes.length} route${json.routes.length === 1 ? '' : 's'}\n`;
}

async function showRoutes(bird: BirdCommands, filter: { peer: PeerFilter | undefined; prefix: string | undefined }, context: CommandContext): Promise<RoutesJson> {
  const warnings = new ParseWarnings();
  const nowSeconds = Math.floor(context.now().getTime() / 1000);
  // BIRD's own clock places times printed without a date, and measures the ages.
  const status = parseShowStatus(await bird.command('show status'), nowSeconds, warnings);
  const reference = status.serverTime ?? nowSeconds;
  const protocol = filter.peer === undefined ? undefined : 'protocol' in filter.peer ? filter.peer.protocol : await protocolOfAddress(bird, filter.peer.address, reference, warnings);
  let routes: RouteEntry[];
  try {
    routes = parseShowRoute(await bird.command(routesCommandLine({ protocol, prefix: filter.prefix })), reference, warnings);
  } catch (error) {
    // 8001 `Network not in table`: `show route for` found no network covering the prefix.
    if (!(error instanceof BirdReplyError && error.replyCode === 8001)) throw error;
    routes = [];
  }
  for (const warning of warnings.list()) context.warn?.(warning);
  return routesJson(routes, status.serverTime);
}

export const routesCommand: Command = {
  help: HELP,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs('routes', argv, { socket: { type: 'string' }, peer: { type: 'string' }, prefix: { type: 'string' }, json: { type: 'boolean' } }, false);
    if (positionals.length > 0) throw usageError('routes', 'takes no positional arguments');
    const filter = { peer: parsePeer(values.peer), prefix: parsePrefixOption(values.prefix) };
    const socketPath = resolveSocketPath(values.socket);
    const bird = new BirdClient({ socketPath, restrict: true, reconnect: false });
    try {
      const json = await showRoutes(bird, filter, context);
      return { output: values.json ? `${JSON.stringify(json)}\n` : renderRoutes(json), exitCode: EXIT.ok };
    } finally {
      await bird.close();
    }
  },
};
