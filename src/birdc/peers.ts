// The peer model: BGP protocols of `show protocols all` as the peers an operator thinks in. A
// protocol named by the renderer (protocolName) maps back to its peer address and peer type; any
// other BGP protocol (hand-written config, a foreign name) is still listed, by its neighbour address.
import { canonicalIPv6 } from '../topology/ipv6.ts';
import type { ProtocolDetails, RouteChangeStats } from './parse-protocols.ts';
import { parseProtocolName, type PeerType } from '../peering/protocol-names.ts';
import type { BgpState, LastError, ProtocolState } from './protocol-states.ts';

export interface BgpPeer {
  name: string;
  /** canonical IPv6; null only for a neighbour address BIRD printed that is not IPv6 */
  peerAddress: string | null;
  /** null for a protocol outside the naming scheme */
  peerType: PeerType | null;
  state: ProtocolState;
  bgpState: BgpState;
  /** epoch seconds; null when BIRD printed it in a format the parser cannot read */
  since: number | null;
  info: string;
  /** null when BIRD did not print it readably */
  neighborAs: number | null;
  neighborId: string | null;
  /** BIRD 1.6 does not print the local AS; for an internal session it equals the neighbour's */
  localAs: number | null;
  sourceAddress: string | null;
  routesImported: number;
  routesExported: number;
  /** accepted import updates; 0 while down (BIRD prints no statistics then) */
  importUpdates: number;
  lastError: LastError | null;
  /** filters and route counters as BIRD prints them, for views that export them whole (metrics) */
  routeStats: PeerRouteStats;
}

/**
 * `Input filter`/`Output filter`, `Routes` and `Route change stats` of the protocol, the objects
 * parse-protocols made (not copies: this is built for every peer on every poll). The counters are
 * null while the protocol is down, as BIRD prints none then.
 */
export interface PeerRouteStats {
  inputFilter: string | null;
  outputFilter: string | null;
  routes: ProtocolDetails['routes'];
  importUpdates: RouteChangeStats | null;
  importWithdraws: RouteChangeStats | null;
  exportUpdates: RouteChangeStats | null;
  exportWithdraws: RouteChangeStats | null;
}

// parseProtocolName parses and re-formats an IPv6 address (bigint arithmetic): for 1,000 peers that
// was most of a poll. Names repeat from poll to poll, so remember them; the bound only guards
// against a daemon whose protocol names keep changing.
const NAMES_REMEMBERED = 20_000;
// A name outside the scheme is remembered as null, so that one lookup answers both cases.
const namedCache = new Map<string, NonNullable<ReturnType<typeof parseProtocolName>> | null>();

function peerOfName(name: string): ReturnType<typeof parseProtocolName> {
  const known = namedCache.get(name);
  if (known !== undefined) return known ?? undefined;
  if (namedCache.size >= NAMES_REMEMBERED) namedCache.clear();
  const named = parseProtocolName(name);
  namedCache.set(name, named ?? null);
  return named;
}

export function bgpPeers(protocols: readonly ProtocolDetails[]): BgpPeer[] {
  const peers: BgpPeer[] = [];
  for (const p of protocols) {
    if (p.bgp === null) continue;
    const named = peerOfName(p.name);
    peers.push({
      name: p.name,
      peerAddress: named?.peerAddress ?? (p.bgp.neighborAddress === null ? null : canonicalIPv6(p.bgp.neighborAddress) ?? null),
      peerType: named?.peerType ?? null,
      state: p.state,
      bgpState: p.bgp.state,
      since: p.since,
      info: p.info,
      neighborAs: p.bgp.neighborAs,
      neighborId: p.bgp.neighborId,
      localAs: p.bgp.sessionType === 'internal' ? p.bgp.neighborAs : null,
      sourceAddress: p.bgp.sourceAddress,
      routesImported: p.routes?.imported ?? 0,
      routesExported: p.routes?.exported ?? 0,
      importUpdates: p.importUpdates?.accepted ?? 0,
      lastError: p.bgp.lastError,
      routeStats: {
        inputFilter: p.inputFilter,
        outputFilter: p.outputFilter,
        routes: p.routes,
        importUpdates: p.importUpdates,
        importWithdraws: p.importWithdraws,
        exportUpdates: p.exportUpdates,
        exportWithdraws: p.exportWithdraws,
      },
    });
  }
  return peers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
