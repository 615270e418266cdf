// Node sessions on a routed (L3) fabric, with real bird6: two racks on two subnets joined by a
// router namespace, two nodes and their endpoints in each rack. The topology has no field saying
// which nodes share a segment: the full mesh and then route reflection must work across the
// router, with direct next hops inside a rack, and every endpoint must reach every other. The
// router is the fabric's ToR, an eBGP peer of every node that is sent each node's own endpoints
// (export: endpoints) and gives nothing. Also loop prevention: the router holds an upstream
// aggregate of the pool pointing back into the cluster, so without the nodes' unreachable pool
// routes a packet to an unassigned pool address loops until its hop limit runs out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIntegration } from '../support/integration.ts';
import { NetnsTestbed, waitFor } from '../support/netns.ts';
import {
  addEndpoint, allEstablished, birdCommand, kernelRoutes, ping, protocols, reconfigure, startBirdWith, startNodeBird, topologyOf, type BirdHost,
} from './bgp-bed.ts';

const NODES = [
  { name: 'r1rr', address: 'fd00:a1::10', rack: 1, endpoint: 'fd00:40::1' },
  { name: 'r1n1', address: 'fd00:a1::11', rack: 1, endpoint: 'fd00:40::2' },
  { name: 'r2rr', address: 'fd00:a2::10', rack: 2, endpoint: 'fd00:40::3' },
  { name: 'r2n1', address: 'fd00:a2::11', rack: 2, endpoint: 'fd00:40::4' },
] as const;
const ROUTER = { 1: 'fd00:a1::fe', 2: 'fd00:a2::fe' } as const;
const UNASSIGNED = 'fd00:40::99';

function fabricTopology(reflectors: boolean) {
  return topologyOf({
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'fabric', asNumber: 64512, nodeToNodeMesh: !reflectors, bgp: { holdTime: 6, keepaliveTime: 2 } },
    ipPools: [{ cidr: 'fd00:40::/48' }],
    nodes: NODES.map((n) => ({
      name: n.name,
      address: n.address,
      ...(reflectors ? (n.name.endsWith('rr') ? { routeReflector: { clusterId: '1.0.0.1' } } : { routeReflectorClient: { clusterId: '1.0.0.1' } }) : {}),
    })),
    // One router address for every node: a hop away from rack 2.
    peers: [{ name: 'fabric', address: ROUTER[1], asNumber: 65000, multihop: 2, export: 'endpoints', import: 'none' }],
  });
}

/**
 * The fabric router's bird6: learns the endpoints from the nodes and installs them, sends nothing;
 * its connected subnets (protocol direct) resolve the nodes' next hops.
 */
const ROUTER_CONFIG = `router id 10.0.0.254;
log stderr all;
protocol device { scan time 10; }
protocol direct { interface "*"; }
protocol kernel { scan time 10; export where source = RTS_BGP; }
template bgp node {
  local as 65000;
  source address ${ROUTER[1]};
  multihop;
  gateway recursive;
  hold time 6; keepalive time 2; connect retry time 1; connect delay time 1; error wait time 1, 5;
  import all;
  export none;
}
${NODES.map((n) => `protocol bgp ${n.name} from node { neighbor ${n.address} as 64512; }`).join('\n')}
`;

describeIntegration('routed fabric: node sessions across subnets', { root: true, netns: true, binaries: ['bird6', 'ip', 'ping'] }, () => {
  const bed = new NetnsTestbed('bgpf');
  const hosts = new Map<string, BirdHost>();
  const endpoints = new Map<string, string>();
  let router: BirdHost;
  let routerNs: string;
  const host = (name: string) => hosts.get(name)!;

  /** Waits until every endpoint answers every other endpoint's ping. */
  async function everyEndpointReachesEveryOther(): Promise<void> {
    for (const from of NODES) {
      for (const to of NODES) {
        if (from === to) continue;
        await waitFor(`${from.endpoint} -> ${to.endpoint}`, () => (ping(bed, endpoints.get(from.name)!, to.endpoint).ok ? true : undefined), 20_000, 200);
      }
    }
  }

  beforeAll(async () => {
    routerNs = bed.addNamespace('rtr');
    const ns = new Map(NODES.map((n) => [n.name, bed.addNamespace(n.name)]));
    for (const rack of [1, 2] as const) {
      const members = NODES.filter((n) => n.rack === rack);
      bed.connect(
        [...members.map((n) => ({ netns: ns.get(n.name)!, ifname: 'eth0', cidr: `${n.address}/64` })), { netns: routerNs, ifname: `eth${rack}`, cidr: `${ROUTER[rack]}/64` }],
        `sw${rack}`,
      );
      for (const n of members) bed.run(ns.get(n.name)!, 'ip', ['-6', 'route', 'add', 'default', 'via', ROUTER[rack]]);
    }
    // The upstream aggregate of the pool, pointing back into the cluster.
    bed.run(routerNs, 'ip', ['-6', 'route', 'add', 'fd00:40::/48', 'via', NODES[0].address]);
    NODES.forEach((n, i) => endpoints.set(n.name, addEndpoint(bed, ns.get(n.name)!, `e${i + 1}`, n.endpoint, `cali-e${i + 1}`)));
    router = startBirdWith(bed, routerNs, 'router', ROUTER_CONFIG);
    const mesh = fabricTopology(false);
    for (const n of NODES) hosts.set(n.name, startNodeBird(bed, ns.get(n.name)!, mesh, n.name));
    for (const n of NODES) await waitFor(`${n.name} sessions`, () => allEstablished(host(n.name), 4), 20_000, 200);
  }, 40_000);

  afterAll(async () => {
    await bed.cleanup();
  });

  describe('full mesh', () => {
    it('every node runs a mesh session with every other across the router', async () => {
      for (const n of NODES) {
        const mesh = (await protocols(host(n.name))).filter((p) => p.name.startsWith('Mesh_'));
        expect(mesh.map((p) => p.info), n.name).toEqual(['Established', 'Established', 'Established']);
      }
    });

    it('every endpoint pings every other', async () => {
      await everyEndpointReachesEveryOther();
    }, 60_000);

    it('a node in the same rack is its own next hop; one in the other rack is reached through the host\'s router', () => {
      const r1n1 = `${bed.prefix}-r1n1`;
      expect(kernelRoutes(bed, r1n1, 'fd00:40::1/128')).toMatch(/^fd00:40::1 via fd00:a1::10 dev eth0 proto bird/);
      expect(kernelRoutes(bed, r1n1, 'fd00:40::3/128')).toMatch(/^fd00:40::3 via fd00:a1::fe dev eth0 proto bird/);
      expect(kernelRoutes(bed, `${bed.prefix}-r2n1`, 'fd00:40::2/128')).toMatch(/^fd00:40::2 via fd00:a2::fe dev eth0 proto bird/);
    });

    it('the router is sent each endpoint by its own node only, and nothing of the hosts\' own routes', async () => {
      const table = await birdCommand(router, 'show route where source = RTS_BGP');
      const lines = table.split('\n').filter((l) => /^\S/.test(l));
      expect(lines.map((l) => l.split(/\s+/)[0]).sort()).toEqual(NODES.map((n) => `${n.endpoint}/128`).sort());
      for (const n of NODES) expect(await birdCommand(router, `show route ${n.endpoint}/128`), n.endpoint).toMatch(new RegExp(`via ${n.address} on eth${n.rack} \\[${n.name} `));
      // One route per endpoint: no other node re-advertised it with itself as next hop.
      expect(table.split('\n').filter((l) => l.includes(' via ')).length).toBe(NODES.length);
    });

    it('the host\'s default route stays the only one in its kernel, never written back by bird6', () => {
      for (const n of NODES) expect(kernelRoutes(bed, `${bed.prefix}-${n.name}`, 'default'), n.name).toBe(`default via ${ROUTER[n.rack]} dev eth0 metric 1024 pref medium`);
    });
  });

  describe('loop prevention', () => {
    it('a packet to an unassigned pool address dies at the first host with ICMPv6 unreachable', async () => {
      const result = ping(bed, endpoints.get('r1n1')!, UNASSIGNED);
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/From fd00:a1::11 icmp_seq=1 Destination unreachable: No route/);
      expect(kernelRoutes(bed, `${bed.prefix}-r1n1`, 'fd00:40::/48')).toMatch(/^unreachable fd00:40::\/48 dev lo proto bird/);
    });

    it('without the unreachable pool routes the same packet loops between hosts and router (the test can fail)', async () => {
      for (const n of NODES) await birdCommand(host(n.name), 'disable pool_routes');
      try {
        await waitFor('pool routes gone', () => (kernelRoutes(bed, `${bed.prefix}-r1n1`, 'fd00:40::/48') === '' ? true : undefined), 5000, 100);
        const result = ping(bed, endpoints.get('r1n1')!, UNASSIGNED);
        expect(result.output).toMatch(/Time exceeded: Hop limit/);
      } finally {
        for (const n of NODES) await birdCommand(host(n.name), 'enable pool_routes');
      }
      await waitFor('pool routes back', () => (kernelRoutes(bed, `${bed.prefix}-r1n1`, 'fd00:40::/48') !== '' ? true : undefined), 5000, 100);
    });

    it('the unreachable pool route never shadows an endpoint, local or remote', () => {
      expect(ping(bed, endpoints.get('r1n1')!, 'fd00:40::1').ok).toBe(true);
      expect(ping(bed, endpoints.get('r1n1')!, 'fd00:40::4').ok).toBe(true);
    });
  });

  describe('route reflectors', () => {
    it('after reconfiguring to one reflector per rack, clients peer with the reflectors only', async () => {
      const reflected = fabricTopology(true);
      for (const n of NODES) await reconfigure(host(n.name), reflected);
      for (const n of NODES) {
        await waitFor(`${n.name} reflector sessions`, async () => {
          const bgp = (await protocols(host(n.name))).filter((p) => p.proto === 'BGP');
          return bgp.some((p) => p.name.startsWith('Mesh_')) ? undefined : allEstablished(host(n.name), n.name.endsWith('rr') ? 4 : 3);
        }, 20_000, 200);
      }
      expect((await protocols(host('r2n1'))).filter((p) => p.proto === 'BGP').map((p) => p.name).sort()).toEqual(['Global_fd00_a1__fe', 'RR_fd00_a1__10', 'RR_fd00_a2__10']);
    }, 40_000);

    it('every endpoint pings every other, with next hops resolved across the router', async () => {
      await everyEndpointReachesEveryOther();
      // r2n1 learns r1n1's endpoint through a reflector; the next hop stays r1n1, reached through the router.
      expect(await birdCommand(host('r2n1'), 'show route fd00:40::2/128 all')).toMatch(/BGP.next_hop: fd00:a1::11/);
      expect(kernelRoutes(bed, `${bed.prefix}-r2n1`, 'fd00:40::2/128')).toMatch(/^fd00:40::2 via fd00:a2::fe dev eth0 proto bird/);
      expect(kernelRoutes(bed, `${bed.prefix}-r2n1`, 'fd00:40::3/128')).toMatch(/^fd00:40::3 via fd00:a2::10 dev eth0 proto bird/);
    }, 60_000);
  });
});
