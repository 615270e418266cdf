// No topology value can change the structure of bird6.conf: hostile strings in every free-text
// field are refused by the schema, and if one ever slipped past it, the template filters refuse
// to print it.
import { describe, expect, it } from 'vitest';
import { BirdctlError } from '../../src/errors.ts';
import { quoted, symbol, ipv6, ipv4, ipv6Prefix, integer } from '../../src/render/value-filters.ts';
import { render } from '../../src/render/render.ts';
import { parseTopology, type Topology } from '../../src/topology/index.ts';

const HOSTILE = ['a"b', 'x}; protocol static { ', 'a;b', 'a\nb', 'include "/etc/passwd";', "a'b", 'a\\b', '{', 'a b'];

function base(): Record<string, any> {
  return {
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'c', asNumber: 64512, bgp: { password: 'ok' } },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes: [
      { name: 'a', address: 'fd00:ec::1', routerId: '10.0.0.1', routeReflector: { clusterId: '1.0.0.1' } },
      { name: 'b', address: 'fd00:ec::2', routeReflectorClient: { clusterId: '1.0.0.1' } },
    ],
    peers: [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 65001, password: 'ok' }],
    endpoints: [
      { name: 'vm', node: 'a', kind: 'vm', addresses: ['fd00:10::1'], interface: 'tap0', mac: '02:00:00:00:00:01' },
      { name: 'ct', node: 'b', kind: 'container', addresses: ['fd00:10::2'], netns: 'ct' },
    ],
  };
}

type Setter = (doc: Record<string, any>, value: string) => void;
const PASSWORDS: Array<[string, Setter]> = [
  ['cluster.bgp.password', (d, v) => (d.cluster.bgp.password = v)],
  ['peers[0].password', (d, v) => (d.peers[0].password = v)],
];
const FIELDS: Array<[string, Setter]> = [
  ['cluster.name', (d, v) => (d.cluster.name = v)],
  ['nodes[0].name', (d, v) => (d.nodes[0].name = v)],
  ['nodes[0].address', (d, v) => (d.nodes[0].address = v)],
  ['nodes[0].routerId', (d, v) => (d.nodes[0].routerId = v)],
  ['nodes[0].routeReflector.clusterId', (d, v) => (d.nodes[0].routeReflector.clusterId = v)],
  ['ipPools[0].cidr', (d, v) => (d.ipPools[0].cidr = v)],
  ['peers[0].name', (d, v) => (d.peers[0].name = v)],
  ['peers[0].address', (d, v) => (d.peers[0].address = v)],
  ['peers[0].nextHop', (d, v) => (d.peers[0].nextHop = v)],
  ['endpoints[0].name', (d, v) => (d.endpoints[0].name = v)],
  ['endpoints[0].interface', (d, v) => (d.endpoints[0].interface = v)],
  ['endpoints[0].mac', (d, v) => (d.endpoints[0].mac = v)],
  ['endpoints[0].addresses[0]', (d, v) => (d.endpoints[0].addresses[0] = v)],
  ['endpoints[1].netns', (d, v) => (d.endpoints[1].netns = v)],
];

describe('hostile strings', () => {
  it('the unmodified document is valid (so each refusal below is caused by the hostile value)', () => {
    expect(() => parseTopology(base())).not.toThrow();
  });

  it.each(FIELDS)('are refused in %s with that path', (path, set) => {
    for (const value of HOSTILE) {
      const doc = base();
      set(doc, value);
      let error: unknown;
      try {
        parseTopology(doc);
      } catch (e) {
        error = e;
      }
      expect(error, `${path} = ${JSON.stringify(value)}`).toBeInstanceOf(BirdctlError);
      expect((error as BirdctlError).problems.map((p) => p.path)).toContain(path);
    }
  });

  // Passwords may legitimately hold `;`, `{` or `'`: those are kept, but only ever inside their
  // quoted string; quotes, backslashes, spaces and newlines are refused.
  it.each(PASSWORDS)('in %s are refused or stay inside the quoted string', (path, set) => {
    const benign = base();
    set(benign, 'placeholder');
    const reference = parseTopology(benign);
    for (const value of HOSTILE) {
      const doc = base();
      set(doc, value);
      let topology: Topology;
      try {
        topology = parseTopology(doc);
      } catch (error) {
        expect((error as BirdctlError).problems.map((p) => p.path), value).toContain(path);
        expect(value).toMatch(/["'\\\n ]/);
        continue;
      }
      for (const node of ['a', 'b']) {
        expect(render(topology, node)).toBe(render(reference, node).replaceAll('"placeholder"', `"${value}"`));
      }
    }
  });

  it('template filters refuse values that would break out of their place', () => {
    for (const value of HOSTILE.filter((v) => /["\\\n]/.test(v))) expect(() => quoted(value)).toThrow(/refusing/);
    expect(quoted('node2 (node-to-node mesh)')).toBe('"node2 (node-to-node mesh)"');
    for (const value of HOSTILE) {
      expect(() => symbol(value)).toThrow(/refusing/);
      expect(() => ipv6(value)).toThrow(/refusing/);
      expect(() => ipv4(value)).toThrow(/refusing/);
      expect(() => ipv6Prefix(value)).toThrow(/refusing/);
    }
    expect(() => integer('1; }')).toThrow(/refusing/);
    expect(() => integer(-1)).toThrow(/refusing/);
  });

  it('render refuses a hostile value that bypassed the schema', () => {
    const topology: Topology = parseTopology(base());
    const tampered: Topology = { ...topology, peers: [{ ...topology.peers[0]!, password: 'x"; }\ninclude "/etc/shadow' }] };
    expect(() => render(tampered, 'a')).toThrow(/refusing to render/);
    const tamperedRouterId: Topology = { ...topology, nodes: [{ ...topology.nodes[0]!, routerId: '10.0.0.1; include "x"' }, topology.nodes[1]!] };
    expect(() => render(tamperedRouterId, 'a')).toThrow(/refusing to render/);
  });
});
