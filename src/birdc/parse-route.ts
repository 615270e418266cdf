// `show route [all] [protocol P | for PREFIX]` and `show route count`. Real BIRD 1.6.8 replies
// (fixtures/bird-1.6.8/r2-show-route-all.txt, r2-show-route-count.txt):
//
//   1007-fd00:10::10/128    via fd00:ec::1 on eth0 [r1 07:54:40] * (100) [i]
//   1008-	Type: BGP unicast univ
//   1012-	BGP.origin: IGP
//    	BGP.as_path:
//    	BGP.next_hop: fd00:ec::1 fe80::44fe:29ff:fe59:10df
//    	BGP.local_pref: 100
//   1007-fd00:ec::/64       dev eth0 [direct1 07:54:00] * (240)
//   1008-	Type: device unicast univ
//   0000
//
//   0014 2 of 2 routes for 2 networks
//
// Without `all` consecutive routes share one 1007 block (BIRD prints ` ` instead of a repeated code).
// A second route for the same network leaves the prefix blank; a multipath route is followed by
// `\tvia GW on IF weight N` lines (nest/rt-table.c rt_show_rte).
//
// As in parse-protocols.ts, the codes are strict and a `since` in a time format parseBirdTime cannot
// read is null with one warning (fixtures isolong-show-route-all.txt prints `iso long`).
import { parseBirdTime } from './bird-time.ts';
import { ParseWarnings, quote } from './parse-warnings.ts';
import { unexpectedReply, type Reply } from './reply.ts';

export type RouteDestination = 'router' | 'device' | 'multipath' | 'blackhole' | 'unreachable' | 'prohibited';

export interface NextHop {
  gateway: string;
  interface: string;
  weight: number;
}

export interface BgpRouteAttributes {
  origin: string | null;
  /** AS numbers in order; the members of an AS set `{...}` are listed in place */
  asPath: number[];
  nextHop: string[];
  localPref: number | null;
  med: number | null;
  /** `(65000,100)` as printed */
  communities: string[];
}

export interface RouteEntry {
  prefix: string;
  destination: RouteDestination;
  /** for `via GW on IF` */
  gateway: string | null;
  interface: string | null;
  nextHops: NextHop[];
  protocol: string;
  /** epoch seconds; null in a time format parseBirdTime cannot read */
  since: number | null;
  /** `from` address of a BGP route learnt from someone other than the gateway */
  from: string | null;
  /** `*` or `!`: the route BIRD selected for this network */
  primary: boolean;
  /** `!`: selected, but BIRD failed to install it in the kernel */
  kernelSyncError: boolean;
  preference: number;
  /** what follows the preference: `/?` IGP metric and `[AS65001i]` origin tag, as printed */
  info: string;
  /** `Type:` line with `all`: `BGP unicast univ` */
  type: string | null;
  /** every attribute line with `all`, by name (`BGP.local_pref`, `Kernel.metric`) */
  attributes: Record<string, string>;
  bgp: BgpRouteAttributes | null;
}

export interface RouteCount {
  shown: number;
  routes: number;
  networks: number;
}

const ROUTE = new RegExp(
  String.raw`^(\S*)\s+(via (\S+) on (\S+)|dev (\S+)|multipath|blackhole|unreachable|prohibited) \[(\S+) ([^\]]+?)(?: from (\S+))?\]( [*!])? \((\d+)([^)]*)\)(.*)$`,
);
// Continuation lines are read whatever their indentation (BIRD 1.6.8 prints one tab).
const NEXT_HOP = /^\s+via (\S+) on (\S+) weight (\d+)$/;
const ATTRIBUTE = /^\s+([^:]+):\s?(.*)$/;

/** `show route ...` with or without `all`; an empty table gives []. */
export function parseShowRoute(reply: Reply, referenceSeconds: number, warnings: ParseWarnings = new ParseWarnings()): RouteEntry[] {
  const what = '`show route`';
  if (reply.code !== 0) throw unexpectedReply(what, `final code ${reply.code} ${JSON.stringify(reply.text)}`);
  const routes: RouteEntry[] = [];
  for (const block of reply.blocks) {
    for (const line of block.lines) {
      const last = routes.at(-1);
      switch (block.code) {
        case 1007: {
          const hop = NEXT_HOP.exec(line);
          if (hop !== null) {
            if (last?.destination !== 'multipath') throw unexpectedReply(what, `a next hop outside a multipath route: ${JSON.stringify(line)}`);
            last.nextHops.push({ gateway: hop[1]!, interface: hop[2]!, weight: Number(hop[3]) });
            break;
          }
          routes.push(parseRouteLine(line, last?.prefix, referenceSeconds, warnings));
          break;
        }
        case 1008: {
          const m = /^\s+Type: (.*)$/.exec(line);
          if (m === null || last === undefined) throw unexpectedReply(what, `type line ${JSON.stringify(line)}`);
          last.type = m[1]!;
          break;
        }
        case 1012: {
          const m = ATTRIBUTE.exec(line);
          if (m === null || last === undefined) throw unexpectedReply(what, `attribute line ${JSON.stringify(line)}`);
          last.attributes[m[1]!] = m[2]!.trim();
          break;
        }
        default:
          throw unexpectedReply(what, `code ${block.code} ${JSON.stringify(line)}`);
      }
    }
  }
  for (const route of routes) route.bgp = bgpAttributes(route.attributes);
  return routes;
}

function parseRouteLine(line: string, previousPrefix: string | undefined, referenceSeconds: number, warnings: ParseWarnings): RouteEntry {
  const m = ROUTE.exec(line);
  if (m === null) throw unexpectedReply('`show route`', `route line ${JSON.stringify(line)}`);
  const prefix = m[1] !== '' ? m[1]! : previousPrefix;
  if (prefix === undefined) throw unexpectedReply('`show route`', `a route without a network: ${JSON.stringify(line)}`);
  const dest = m[2]!;
  const since = parseBirdTime(m[7]!, referenceSeconds);
  if (since === null) warnings.add('since', `\`show route\`: time ${quote(m[7]!)} (route ${quote(prefix)}) is in a time format bird6-controller cannot read; shown as null (timeformat route "%s" or iso long reads)`);
  const destination: RouteDestination = dest.startsWith('via ') ? 'router' : dest.startsWith('dev ') ? 'device' : (dest as RouteDestination);
  return {
    prefix,
    destination,
    gateway: m[3] ?? null,
    interface: m[4] ?? m[5] ?? null,
    nextHops: [],
    protocol: m[6]!,
    since,
    from: m[8] ?? null,
    primary: m[9] !== undefined,
    kernelSyncError: m[9] === ' !',
    preference: Number(m[10]),
    info: `${m[11]!}${m[12]!}`.trim(),
    type: null,
    attributes: {},
    bgp: null,
  };
}

function bgpAttributes(attributes: Record<string, string>): BgpRouteAttributes | null {
  if (!Object.keys(attributes).some((k) => k.startsWith('BGP.'))) return null;
  const number = (key: string) => (attributes[key] === undefined ? null : Number(attributes[key]));
  const list = (key: string) => (attributes[key] ?? '').split(/\s+/).filter(Boolean);
  return {
    origin: attributes['BGP.origin'] ?? null,
    asPath: list('BGP.as_path')
      .map((t) => t.replace(/[{}]/g, ''))
      .filter(Boolean)
      .map(Number),
    nextHop: list('BGP.next_hop'),
    localPref: number('BGP.local_pref'),
    med: number('BGP.med'),
    communities: (attributes['BGP.community'] ?? '').match(/\(\d+,\d+\)/g) ?? [],
  };
}

/** `show route count`: `0014 2 of 2 routes for 2 networks`. */
export function parseShowRouteCount(reply: Reply): RouteCount {
  const m = /^(\d+) of (\d+) routes for (\d+) networks$/.exec(reply.text);
  if (reply.code !== 14 || reply.blocks.length > 0 || m === null) {
    throw unexpectedReply('`show route count`', `${reply.code} ${JSON.stringify(reply.text)}`);
  }
  return { shown: Number(m[1]), routes: Number(m[2]), networks: Number(m[3]) };
}
