import { describe, expect, it } from 'vitest';
import { parseShowRoute, parseShowRouteCount } from '../../src/birdc/parse-route.ts';
import type { Reply } from '../../src/birdc/reply.ts';
import { fixtureReply, frame } from './fixture.ts';

const local = (y: number, mo: number, d: number, h: number, mi: number, s: number) => new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;
const REF = local(2026, 11, 26, 9, 55, 0);
const one = (text: string): Reply => frame(text).replies[0]!;

describe('parseShowRoute', () => {
  it('reads a BGP route with all its attributes (r2)', () => {
    const routes = parseShowRoute(fixtureReply('r2-show-route-all.txt'), REF);
    expect(routes).toHaveLength(2);
    expect(routes[0]).toEqual({
      prefix: 'fd00:10::10/128',
      destination: 'router',
      gateway: 'fd00:ec::1',
      interface: 'eth0',
      nextHops: [],
      protocol: 'r1',
      since: local(2026, 11, 26, 7, 54, 40),
      from: null,
      primary: true,
      kernelSyncError: false,
      preference: 100,
      info: '[i]',
      type: 'BGP unicast univ',
      attributes: { 'BGP.origin': 'IGP', 'BGP.as_path': '', 'BGP.next_hop': 'fd00:ec::1 fe80::44fe:29ff:fe59:10df', 'BGP.local_pref': '100' },
      bgp: { origin: 'IGP', asPath: [], nextHop: ['fd00:ec::1', 'fe80::44fe:29ff:fe59:10df'], localPref: 100, med: null, communities: [] },
    });
    expect(routes[1]).toMatchObject({ prefix: 'fd00:ec::/64', destination: 'device', gateway: null, interface: 'eth0', protocol: 'direct1', preference: 240, type: 'device unicast univ', bgp: null });
  });

  it('reads kernel attributes (r1), a single route (show route protocol) and every fixture', () => {
    const [kernel] = parseShowRoute(fixtureReply('r1-show-route-all.txt'), REF);
    expect(kernel).toMatchObject({ protocol: 'kernel1', type: 'inherit unicast univ', attributes: { 'Kernel.source': '3', 'Kernel.metric': '1024', 'Kernel.scope': '0' }, bgp: null });
    expect(parseShowRoute(fixtureReply('r2-show-route-protocol-r1.txt'), REF)).toMatchObject([{ prefix: 'fd00:10::10/128', protocol: 'r1', type: null, attributes: {} }]);
  });

  it('reads unreachable and multipath routes with their next hops, with and without all', () => {
    const plain = parseShowRoute(fixtureReply('multipath-show-route.txt'), REF);
    const all = parseShowRoute(fixtureReply('multipath-show-route-all.txt'), REF);
    expect(plain.map((r) => [r.prefix, r.destination, r.primary, r.kernelSyncError, r.nextHops.length])).toEqual([
      ['fd00:10::/64', 'unreachable', true, false, 0],
      ['fd00:11::/64', 'multipath', true, true, 2],
      ['fd00:20::/64', 'router', true, false, 0],
    ]);
    expect(all[1]!.nextHops).toEqual([
      { gateway: 'fd00:ec::3', interface: 'eth0', weight: 2 },
      { gateway: 'fd00:ec::2', interface: 'eth0', weight: 1 },
    ]);
    expect(all.map((r) => r.type)).toEqual(['static unicast univ', 'static unicast univ', 'BGP unicast univ']);
    expect(all.map(({ type: _t, attributes: _a, bgp: _b, ...rest }) => rest)).toEqual(plain.map(({ type: _t, attributes: _a, bgp: _b, ...rest }) => rest));
  });

  it('reads a second route for the same network, a from address, AS paths and communities', () => {
    const reply = one(
      [
        '1007-fd00:30::/64       via fd00:ec::2 on eth0 [Mesh_fd00_ec__2 1795686703 from fd00:ec::9] * (100/?) [AS65001i]',
        '1012-\tBGP.as_path: 65001 {65002 65003}',
        ' \tBGP.community: (65000,1) (65000,2)',
        ' \tBGP.med: 5',
        '1007-                   via fd00:ec::3 on eth0 [Mesh_fd00_ec__3 08:00:00] (100) [AS65001i]',
        '0000 ',
        '',
      ].join('\n'),
    );
    const [first, second] = parseShowRoute(reply, REF);
    expect(first).toMatchObject({ from: 'fd00:ec::9', since: 1795686703, info: '/? [AS65001i]', bgp: { asPath: [65001, 65002, 65003], communities: ['(65000,1)', '(65000,2)'], med: 5 } });
    expect(second).toMatchObject({ prefix: 'fd00:30::/64', gateway: 'fd00:ec::3', primary: false, since: local(2026, 11, 26, 8, 0, 0) });
  });

  it('reads an empty table', () => {
    expect(parseShowRoute(one('0000 \n'), REF)).toEqual([]);
  });

  it.each([
    ['a line that is not a route', '1007-fd00::/64 somewhere\n0000 \n', /route line/],
    ['a continuation route with no network before it', '1007-                   dev eth0 [direct1 07:54:00] * (240)\n0000 \n', /without a network/],
    ['a next hop outside a multipath route', '1007-fd00::/64 dev eth0 [direct1 07:54:00] * (240)\n \tvia fd00::1 on eth0 weight 1\n0000 \n', /outside a multipath/],
    ['an unknown block code', '1007-fd00::/64 dev eth0 [direct1 07:54:00] * (240)\n1009-\tfoo\n0000 \n', /code 1009/],
    ['an attribute before any route', '1012-\tBGP.origin: IGP\n0000 \n', /attribute line/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseShowRoute(one(text), REF)).toThrow(message);
  });
});

describe('parseShowRouteCount', () => {
  it('reads both fixtures', () => {
    expect(parseShowRouteCount(fixtureReply('r1-show-route-count.txt'))).toEqual({ shown: 2, routes: 2, networks: 2 });
    expect(parseShowRouteCount(one('0014 0 of 7 routes for 5 networks\n'))).toEqual({ shown: 0, routes: 7, networks: 5 });
  });

  it.each(['0014 two routes\n', '0013 2 of 2 routes for 2 networks\n', '1007-x\n0014 2 of 2 routes for 2 networks\n'])('rejects %j', (text) => {
    expect(() => parseShowRouteCount(one(text))).toThrow(/show route count/);
  });
});
