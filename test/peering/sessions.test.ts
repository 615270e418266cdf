import { describe, expect, it } from 'vitest';
import { sessionsOf } from '../../src/peering/sessions.ts';
import { parseTopology, findNode, type Topology } from '../../src/topology/index.ts';
import { prng, randomTopology } from '../support/random-topology.ts';

function topology(extra: Record<string, unknown> = {}, nodes?: unknown[]): Topology {
  return parseTopology({
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'c', asNumber: 64512 },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes: nodes ?? [
      { name: 'a', address: 'fd00:ec::a' },
      { name: 'b', address: 'fd00:ec::10' },
      { name: 'c', address: 'fd00:ec::9' },
    ],
    ...extra,
  });
}

const sessions = (t: Topology, name: string) => sessionsOf(t, findNode(t, name)!);

describe('BGP sessions', () => {
  it('mesh: every node peers with every other node, never with itself', () => {
    const t = topology();
    for (const node of t.nodes) {
      const s = sessions(t, node.name);
      expect(s.map((x) => x.peerName).sort()).toEqual(t.nodes.filter((n) => n !== node).map((n) => n.name).sort());
      expect(s.every((x) => x.neighborAddress !== node.address && x.peerType === 'node-to-node mesh')).toBe(true);
    }
  });

  it('passive side is the numerically higher address, not the textually higher one', () => {
    // "fd00:ec::a" > "fd00:ec::10" as text, but 0xa < 0x10 as numbers.
    const t = topology();
    const fromA = sessions(t, 'a').find((s) => s.peerName === 'b')!;
    const fromB = sessions(t, 'b').find((s) => s.peerName === 'a')!;
    expect(fromA.passive).toBe(false);
    expect(fromB.passive).toBe(true);
  });

  it('exactly one side of every node pair is passive, in random topologies', () => {
    const random = prng(7);
    for (let run = 0; run < 50; run += 1) {
      const t = parseTopology(randomTopology(Math.floor(random() * 1e9)));
      for (const node of t.nodes) {
        for (const s of sessions(t, node.name).filter((x) => x.peerType !== 'global' && x.peerType !== 'node specific')) {
          const back = sessions(t, s.peerName).find((x) => x.neighborAddress === node.address);
          expect(back, `${s.peerName} must peer back with ${node.name}`).toBeDefined();
          expect(back!.passive).toBe(!s.passive);
        }
      }
    }
  });

  it('route reflectors: clients peer only with their reflectors; reflectors with clients and each other', () => {
    const t = topology({ cluster: { name: 'c', asNumber: 64512, nodeToNodeMesh: false } }, [
      { name: 'rr1', address: 'fd00:ec::1', routeReflector: { clusterId: '1.0.0.1' } },
      { name: 'rr2', address: 'fd00:ec::2', routeReflector: { clusterId: '1.0.0.1' } },
      { name: 'c1', address: 'fd00:ec::11', routeReflectorClient: { clusterId: '1.0.0.1' } },
      { name: 'c2', address: 'fd00:ec::12', routeReflectorClient: { clusterId: '1.0.0.1' } },
    ]);
    expect(sessions(t, 'c1').map((s) => [s.peerName, s.peerType, s.rrClusterId])).toEqual([
      ['rr1', 'route reflector', undefined],
      ['rr2', 'route reflector', undefined],
    ]);
    const rr1 = sessions(t, 'rr1');
    expect(rr1.map((s) => [s.peerName, s.peerType])).toEqual([
      ['c1', 'route reflector client'],
      ['c2', 'route reflector client'],
      ['rr2', 'route reflector'],
    ]);
    expect(rr1.filter((s) => s.peerType === 'route reflector client').every((s) => s.rrClusterId === '1.0.0.1')).toBe(true);
    expect(rr1.find((s) => s.peerName === 'rr2')!.rrClusterId).toBeUndefined();
  });

  it('with the mesh on, non-clients mesh and clients still use only reflectors', () => {
    const t = topology({}, [
      { name: 'rr1', address: 'fd00:ec::1', routeReflector: { clusterId: '1.0.0.1' } },
      { name: 'm1', address: 'fd00:ec::5' },
      { name: 'c1', address: 'fd00:ec::11', routeReflectorClient: { clusterId: '1.0.0.1' } },
    ]);
    expect(sessions(t, 'm1').map((s) => [s.peerName, s.peerType])).toEqual([['rr1', 'node-to-node mesh']]);
    expect(sessions(t, 'c1').map((s) => s.peerName)).toEqual(['rr1']);
  });

  it('explicit peers: global on every node, node specific only on its node, with their options', () => {
    const t = topology({
      peers: [
        { name: 'tor', address: 'fd00:ec::fe', asNumber: 65001 },
        { name: 'edge', address: 'fd00:ed::1', asNumber: 65002, node: 'b', port: 1790, password: 'pw', passive: true, multihop: 3, nextHop: 'keep' },
      ],
    });
    expect(sessions(t, 'a').filter((s) => s.peerType === 'global').map((s) => s.protocol)).toEqual(['Global_fd00_ec__fe']);
    expect(sessions(t, 'a').some((s) => s.peerType === 'node specific')).toBe(false);
    expect(sessions(t, 'b').find((s) => s.peerType === 'node specific')).toMatchObject({
      protocol: 'Node_fd00_ed__1', neighborAs: 65002, localAs: 64512, port: 1790, password: 'pw', passive: true, reach: { kind: 'multihop', ttl: 3 },
    });
    expect(sessions(t, 'b').find((s) => s.peerType === 'node specific')!.external).toMatchObject({ nextHop: 'keep' });
  });

  it('uses the node AS override as local AS and the other node\'s AS as neighbour AS', () => {
    const t = topology({}, [
      { name: 'a', address: 'fd00:ec::1', asNumber: 65010 },
      { name: 'b', address: 'fd00:ec::2' },
    ]);
    expect(sessions(t, 'a')[0]).toMatchObject({ localAs: 65010, neighborAs: 64512 });
    expect(sessions(t, 'b')[0]).toMatchObject({ localAs: 64512, neighborAs: 65010 });
  });

  it('node sessions are multihop whether or not the nodes share a segment; explicit peers are direct unless multihop', () => {
    const t = topology({ peers: [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 65001 }] });
    const all = sessions(t, 'a');
    expect(all.filter((s) => s.external === undefined).every((s) => s.reach.kind === 'multihop' && s.reach.ttl === undefined)).toBe(true);
    expect(all.find((s) => s.peerName === 'tor')!.reach).toEqual({ kind: 'direct' });
  });

  it('an external peer without settings gets the safe ToR policy: pool aggregates out, default route in, BIRD\'s next hop', () => {
    const t = topology({ peers: [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 65001 }] });
    expect(sessions(t, 'a').find((s) => s.peerName === 'tor')).toMatchObject({
      external: { export: 'pools', import: 'default', importLimit: undefined, communities: [], nextHop: 'auto' },
      bfd: false,
      timers: undefined,
    });
  });

  it('cluster.bgp sets the defaults and each peer overrides them', () => {
    const t = topology({
      cluster: { name: 'c', asNumber: 64512, bgp: { export: 'endpoints', import: 'all', importLimit: 10, communities: ['1:2'], nextHop: 'self', bfd: true } },
      peers: [
        { name: 'tor', address: 'fd00:ec::fe', asNumber: 65001 },
        { name: 'rs', address: 'fd00:ec::fd', asNumber: 65002, export: 'pools', import: 'default', importLimit: 5, communities: ['3:4:5'], nextHop: 'keep', bfd: false, holdTime: 30, keepaliveTime: 10, localAsNumber: 65100 },
      ],
    });
    const [rs, tor] = sessions(t, 'a').filter((s) => s.external !== undefined);
    expect(tor).toMatchObject({ bfd: true, localAs: 64512, external: { export: 'endpoints', import: 'all', importLimit: 10, communities: [{ large: false, parts: [1, 2] }], nextHop: 'self' } });
    expect(rs).toMatchObject({
      bfd: false,
      localAs: 65100,
      timers: { holdTime: 30, keepaliveTime: 10 },
      external: { export: 'pools', import: 'default', importLimit: 5, communities: [{ large: true, parts: [3, 4, 5] }], nextHop: 'keep' },
    });
    // cluster.bgp.bfd covers the node sessions too.
    expect(sessions(t, 'a').filter((s) => s.external === undefined).every((s) => s.bfd)).toBe(true);
  });
});
