// Layer one: the shape of each field (src/topology/schema.ts) as the operator sees it through
// the loader: exact path, exact message, and a hint that says what to write instead.
import { describe, expect, it } from 'vitest';
import { parseTopology } from '../../src/topology/index.ts';
import { docWith, expectOneProblem, problemsOf, type Doc } from './documents.ts';

describe('unknown fields', () => {
  it('suggests nodeToNodeMesh for nodeToNodeMsh', () => {
    expectOneProblem(docWith((d) => (d.cluster.nodeToNodeMsh = true)), 'cluster.nodeToNodeMsh', 'unknown field "nodeToNodeMsh"', 'did you mean "nodeToNodeMesh"?');
  });

  it('suggests address for adress in nodes[1], and says address is then missing', () => {
    const doc = docWith((d) => (d.nodes[1] = { name: 'node2', adress: 'fd00:ec::2' }));
    expect(problemsOf(doc)).toEqual([
      { path: 'nodes[1].address', message: 'required field "address" is missing', hint: expect.stringContaining('add the required field "address"') },
      { path: 'nodes[1].adress', message: 'unknown field "adress"', hint: 'did you mean "address"?' },
    ]);
  });

  it.each([
    ['a top-level key', (d: Doc) => (d.ippools = []), 'ippools', '"ipPools"'],
    ['a bgp key', (d: Doc) => (d.cluster.bgp = { holdtime: 9 }), 'cluster.bgp.holdtime', '"holdTime"'],
    ['a peer key', (d: Doc) => (d.peers = [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 65001, nexthop: 'self' }]), 'peers[0].nexthop', '"nextHop"'],
    ['a route reflector key', (d: Doc) => (d.nodes[0]!.routeReflector = { clusterID: '1.0.0.1' }), 'nodes[0].routeReflector.clusterID', '"clusterId"'],
  ])('suggests the near key for %s', (_what, change, path, suggestion) => {
    const problem = problemsOf(docWith(change)).find((p) => p.path === path);
    expect(problem).toEqual({ path, message: `unknown field "${path.split('.').at(-1)}"`, hint: `did you mean ${suggestion}?` });
  });

  it('lists the allowed fields when no key is near', () => {
    expectOneProblem(
      docWith((d) => (d.endpoints[0]!.vlan = 12)),
      'endpoints[0].vlan',
      'unknown field "vlan"',
      'allowed fields here: name, node, kind, addresses, interface, mac, netns',
    );
  });
});

describe('AS numbers', () => {
  const range = 'AS numbers are 1..4294967295';
  it.each([
    [0, 'AS number 0 is out of range 1..4294967295'],
    [4294967296, 'AS number 4294967296 is out of range 1..4294967295'],
    [1.5, 'AS number 1.5 must be a whole number'],
    ['x', 'AS number must be a number, got "x"'],
  ])('refuses %j', (value, message) => {
    expectOneProblem(docWith((d) => (d.cluster.asNumber = value)), 'cluster.asNumber', message, range);
    expectOneProblem(docWith((d) => (d.nodes[2]!.asNumber = value)), 'nodes[2].asNumber', message, range);
  });

  it('accepts the ends of the range', () => {
    const topology = parseTopology(docWith((d) => {
      d.cluster.asNumber = 4294967295;
      d.peers = [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 1 }];
    }));
    expect([topology.cluster.asNumber, topology.peers[0]!.asNumber]).toEqual([4294967295, 1]);
  });
});

describe('router IDs and cluster IDs', () => {
  const hint = 'outside 0/8, 127/8 and 224/3';
  it.each([
    ['0.1.2.3', 'router ID "0.1.2.3" cannot be used: it is in 0.0.0.0/8 ("this network")'],
    ['127.0.0.1', 'router ID "127.0.0.1" cannot be used: it is in the loopback range 127.0.0.0/8'],
    ['224.0.0.1', 'router ID "224.0.0.1" cannot be used: it is a multicast or reserved address (224.0.0.0 and above)'],
    ['255.255.255.255', 'router ID "255.255.255.255" cannot be used: it is a multicast or reserved address (224.0.0.0 and above)'],
    ['01.2.3.4', '"01.2.3.4" is not a dotted-quad router ID such as 10.255.0.1'],
    ['1.2.3', '"1.2.3" is not a dotted-quad router ID such as 10.255.0.1'],
    ['1.2.3.256', '"1.2.3.256" is not a dotted-quad router ID such as 10.255.0.1'],
  ])('refuses router ID %s', (routerId, message) => {
    expectOneProblem(docWith((d) => (d.nodes[1]!.routerId = routerId)), 'nodes[1].routerId', message, hint);
  });

  it('refuses a router ID written as a number', () => {
    expectOneProblem(docWith((d) => (d.nodes[1]!.routerId = 167772161)), 'nodes[1].routerId', 'Invalid input: expected string, received number', hint);
  });

  it('refuses a reserved cluster ID', () => {
    expectOneProblem(
      docWith((d) => (d.nodes[0]!.routeReflector = { clusterId: '0.0.0.1' })),
      'nodes[0].routeReflector.clusterId',
      'cluster ID "0.0.0.1" cannot be used: it is in 0.0.0.0/8 ("this network")',
      'dotted-quad such as 1.0.0.1',
    );
  });
});

describe('interface names', () => {
  const hint = 'at most 15 characters';
  it.each([['cali0123456789ab'], ['a/b'], ['a b'], ['-cali'], ['']])('refuses %j', (name) => {
    expectOneProblem(
      docWith((d) => (d.endpoints[0]!.interface = name)),
      'endpoints[0].interface',
      `${JSON.stringify(name)} is not a usable interface name: at most 15 characters of letters, digits, '_', '.' and '-'`,
      hint,
    );
  });

  it('accepts 15 characters', () => {
    expect(parseTopology(docWith((d) => (d.endpoints[0]!.interface = 'cali0123456789a'))).endpoints[0]!.interface).toBe('cali0123456789a');
  });
});

describe('document shape', () => {
  it('refuses an empty node list', () => {
    expectOneProblem(docWith((d) => (d.nodes = [])), 'nodes', 'the topology has no nodes: add at least one under nodes', 'list at least one node');
  });

  it('refuses another apiVersion and a missing one', () => {
    const hint = 'start the file with apiVersion: bird6-controller/v1';
    expectOneProblem(docWith((d) => (d.apiVersion = 'bird6-controller/v2')), 'apiVersion', 'apiVersion must be "bird6-controller/v1", got "bird6-controller/v2"', hint);
    expectOneProblem(docWith((d) => delete d.apiVersion), 'apiVersion', 'required field "apiVersion" is missing', hint);
  });

  it('names every missing required field', () => {
    expect(problemsOf({ apiVersion: 'bird6-controller/v1' })).toEqual([
      { path: 'cluster', message: 'required field "cluster" is missing', hint: 'add the required field "cluster"' },
      { path: 'nodes', message: 'required field "nodes" is missing', hint: 'add the required field "nodes"; list at least one node with name and address' },
    ]);
    expect(problemsOf(docWith((d) => (d.endpoints[0] = { name: 'web-1' })))).toEqual(
      ['node', 'kind', 'addresses'].map((field) => ({
        path: `endpoints[0].${field}`,
        message: `required field "${field}" is missing`,
        hint: expect.stringContaining(`add the required field "${field}"`),
      })),
    );
  });

  it('does not call a value of the wrong type missing', () => {
    expectOneProblem(docWith((d) => (d.cluster.bgp = { holdTime: '6' })), 'cluster.bgp.holdTime', 'Invalid input: expected number, received string', 'holdTime is whole seconds');
  });

  it.each([[null], ['just text'], [[1, 2]]])('refuses a document that is not a mapping: %j', (doc) => {
    expect(problemsOf(doc)).toEqual([{ path: '', message: expect.stringContaining('expected object'), hint: 'the file must be a mapping that starts with apiVersion: bird6-controller/v1' }]);
  });

  it('refuses an endpoint without addresses and an unknown kind', () => {
    expectOneProblem(docWith((d) => (d.endpoints[0]!.addresses = [])), 'endpoints[0].addresses', 'an endpoint needs at least one address', 'list unicast IPv6 addresses');
    expectOneProblem(docWith((d) => (d.endpoints[0]!.kind = 'pod')), 'endpoints[0].kind', 'Invalid option: expected one of "container"|"vm"', 'kind is container or vm');
  });
});

describe('addresses and pools', () => {
  const hint = 'write a unicast IPv6 address such as fd00:ec::1';
  it.each([
    ['ff02::1', '"ff02::1" is a multicast address, not a routable host address'],
    ['fe80::1', '"fe80::1" is a link-local address, not a routable host address'],
    ['febf::1', '"febf::1" is a link-local address, not a routable host address'],
    ['::1', '"::1" is the loopback address, not a routable host address'],
    ['::', '"::" is the unspecified address, not a routable host address'],
    ['fd00:ec::1/64', '"fd00:ec::1/64" is not an IPv6 address'],
    ['fd00:ec::1%eth0', '"fd00:ec::1%eth0" is not an IPv6 address'],
    ['10.0.0.1', '"10.0.0.1" is not an IPv6 address'],
  ])('refuses node address %s', (address, message) => {
    expectOneProblem(docWith((d) => (d.nodes[2]!.address = address)), 'nodes[2].address', message, hint);
  });

  it('refuses a multicast endpoint address at its index', () => {
    expectOneProblem(
      docWith((d) => (d.endpoints[0]!.addresses = ['fd00:10::10', 'ff05::2'])),
      'endpoints[0].addresses[1]',
      '"ff05::2" is a multicast address, not a routable host address',
      'list unicast IPv6 addresses',
    );
  });

  it('refuses a pool with host bits set and proposes the network', () => {
    expectOneProblem(
      docWith((d) => (d.ipPools[0]!.cidr = 'fd00:10::1/48')),
      'ipPools[0].cidr',
      '"fd00:10::1/48" has bits set after the prefix length; did you mean fd00:10::/48?',
      'write an IPv6 network such as fd00:10::/48',
    );
  });

  it('refuses a pool without a length', () => {
    expectOneProblem(docWith((d) => (d.ipPools[0]!.cidr = 'fd00:10::')), 'ipPools[0].cidr', '"fd00:10::" is not an IPv6 prefix such as fd00:10::/48', 'write an IPv6 network');
  });

  it('stores canonical addresses and pools', () => {
    const topology = parseTopology(docWith((d) => {
      d.ipPools[0]!.cidr = 'FD00:0010:0::/48';
      d.nodes[0]!.address = 'FD00:EC:0::0001';
    }));
    expect([topology.ipPools[0]!.cidr, topology.nodes[0]!.address]).toEqual(['fd00:10::/48', 'fd00:ec::1']);
  });

  it('stores canonical endpoint addresses and leaves the document as written', () => {
    const doc = docWith((d) => (d.endpoints[0]!.addresses = ['FD00:10:0::0010', 'fd00:10::11']));
    expect(parseTopology(doc).endpoints[0]!.addresses).toEqual(['fd00:10::10', 'fd00:10::11']);
    expect(doc.endpoints[0]!.addresses).toEqual(['FD00:10:0::0010', 'fd00:10::11']);
  });

  it('reports every bad endpoint address of a list at once, also beside an entry that is not a string', () => {
    const doc = docWith((d) => (d.endpoints[0]!.addresses = ['fd00:10::10', 'fd00:10::1/64', 7, '::1']));
    const hint = expect.stringContaining('list unicast IPv6 addresses');
    // The entry that is not a string is reported by the element's schema, before the list's check.
    expect(problemsOf(doc).sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'endpoints[0].addresses[1]', message: '"fd00:10::1/64" is not an IPv6 address', hint },
      { path: 'endpoints[0].addresses[2]', message: 'Invalid input: expected string, received number', hint },
      { path: 'endpoints[0].addresses[3]', message: '"::1" is the loopback address, not a routable host address', hint },
    ]);
  });

  it('says an endpoint address list that is not a list is one', () => {
    expectOneProblem(docWith((d) => (d.endpoints[0]!.addresses = 'fd00:10::10')), 'endpoints[0].addresses', 'Invalid input: expected array, received string', 'list unicast IPv6 addresses');
  });
});

describe('MAC text', () => {
  it.each([['02:00:00:00:00'], ['02-00-00-00-00-01'], ['0200.0000.0001'], ['02:00:00:00:00:0g']])('refuses %j', (mac) => {
    expectOneProblem(
      docWith((d) => d.endpoints.push({ name: 'vm-1', node: 'node2', kind: 'vm', addresses: ['fd00:10::30'], mac })),
      'endpoints[1].mac',
      `${JSON.stringify(mac)} is not a MAC address such as 02:00:00:00:00:10`,
      'six hex octets separated by colons',
    );
  });
});

describe('passwords', () => {
  const message = 'password must be 1-80 printable ASCII characters without spaces, quotes or backslashes';
  it.each([['a"b'], ["a'b"], ['a b'], ['a\\b'], ['a\nb'], ['a\tb'], [''], ['x'.repeat(81)], ['pässword']])('refuses %j on the cluster and on a peer', (password) => {
    expectOneProblem(docWith((d) => (d.cluster.bgp = { password })), 'cluster.bgp.password', message, 'printable ASCII');
    expectOneProblem(docWith((d) => (d.peers = [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 65001, password }])), 'peers[0].password', message, 'printable ASCII');
  });

  it('accepts 80 characters of punctuation that cannot leave a double-quoted BIRD string', () => {
    const password = '!#$%&()*+,-./:;<=>?@[]^_`{|}~'.padEnd(80, 'x');
    expect(parseTopology(docWith((d) => (d.cluster.bgp = { password }))).cluster.bgp.password).toBe(password);
  });
});

describe('hostile strings in free-text fields', () => {
  // What an attacker would put in a field to break out of its place in bird6.conf or dnsmasq.conf.
  const HOSTILE = [
    'x"; }',
    "x'",
    'x { }',
    'x;',
    'x\nprotocol static {}',
    'include "/etc/passwd";',
    'include /etc/passwd',
    'x\\',
    'x\r',
    '$(reboot)',
  ];
  const FIELDS: Array<[string, (d: Doc, value: string) => void]> = [
    ['cluster.name', (d, v) => (d.cluster.name = v)],
    ['nodes[0].name', (d, v) => (d.nodes[0]!.name = v)],
    ['peers[0].name', (d, v) => (d.peers = [{ name: v, address: 'fd00:ec::fe', asNumber: 65001 }])],
    ['peers[0].node', (d, v) => (d.peers = [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 65001, node: v }])],
    ['endpoints[0].name', (d, v) => (d.endpoints[0]!.name = v)],
    ['endpoints[0].node', (d, v) => (d.endpoints[0]!.node = v)],
    ['endpoints[0].interface', (d, v) => (d.endpoints[0]!.interface = v)],
    ['endpoints[0].netns', (d, v) => (d.endpoints[0]!.netns = v)],
    ['endpoints[0].addresses[0]', (d, v) => (d.endpoints[0]!.addresses = [v])],
    ['endpoints[0].mac', (d, v) => (d.endpoints[0]!.mac = v)],
    ['nodes[0].address', (d, v) => (d.nodes[0]!.address = v)],
    ['nodes[0].routerId', (d, v) => (d.nodes[0]!.routerId = v)],
    ['nodes[0].routeReflector.clusterId', (d, v) => (d.nodes[0]!.routeReflector = { clusterId: v })],
    ['nodes[1].routeReflectorClient.clusterId', (d, v) => (d.nodes[1]!.routeReflectorClient = { clusterId: v })],
    ['ipPools[0].cidr', (d, v) => (d.ipPools[0]!.cidr = v)],
  ];
  const cases = FIELDS.flatMap(([path, set]) => HOSTILE.map((value) => [path, value, set] as const));

  it.each(cases)('%s refuses %j', (path, value, set) => {
    const problems = problemsOf(docWith((d) => set(d, value)));
    // The value is refused where it stands, and the message quotes it with JSON escapes, so a
    // newline in it cannot forge another line of birdctl's output either.
    expect(problems.find((p) => p.path === path)).toMatchObject({ path, message: expect.stringContaining(JSON.stringify(value)) });
    for (const p of problems) expect(p.message).not.toMatch(/[\n\r]/);
  });

  // A password sits inside a double-quoted BIRD string, where braces, semicolons and `include`
  // are plain text; what could end the string or the line is refused. Its message never echoes
  // the secret.
  it.each(HOSTILE.filter((v) => /["'\\\s]/.test(v)))('passwords refuse %j without echoing it', (password) => {
    for (const problem of [
      ...problemsOf(docWith((d) => (d.cluster.bgp = { password }))),
      ...problemsOf(docWith((d) => (d.peers = [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 65001, password }]))),
    ]) {
      expect(problem.path).toMatch(/^(cluster\.bgp|peers\[0\])\.password$/);
      expect(problem.message).not.toContain(password);
    }
  });
});

describe('special IPv6 ranges', () => {
  it.each([
    ['::ffff:10.0.0.1', '"::ffff:10.0.0.1" is an IPv4-mapped address, not a routable host address'],
    ['::ffff:a00:1', '"::ffff:a00:1" is an IPv4-mapped address, not a routable host address'],
    ['::10.0.0.1', '"::10.0.0.1" is a deprecated IPv4-compatible address, not a routable host address'],
    ['::2', '"::2" is a deprecated IPv4-compatible address, not a routable host address'],
    ['fec0::1', '"fec0::1" is a deprecated site-local address, not a routable host address'],
  ])('refuses %s as a node, peer and endpoint address', (address, message) => {
    const hint = 'write a unicast IPv6 address';
    expectOneProblem(docWith((d) => (d.nodes[2]!.address = address)), 'nodes[2].address', message, hint);
    expectOneProblem(docWith((d) => (d.peers = [{ name: 'tor', address, asNumber: 65001 }])), 'peers[0].address', message, hint);
    expect(problemsOf(docWith((d) => (d.endpoints[0]!.addresses = [address]))).find((p) => p.path === 'endpoints[0].addresses[0]')?.message).toBe(message);
  });

  it.each([
    ['fe80::/64', '"fe80::/64" overlaps the link-local range fe80::/10'],
    ['fe80::/10', '"fe80::/10" overlaps the link-local range fe80::/10'],
    ['ff00::/8', '"ff00::/8" overlaps the multicast range ff00::/8'],
    ['ff05::/16', '"ff05::/16" overlaps the multicast range ff00::/8'],
    ['::ffff:0:0/96', '"::ffff:0:0/96" overlaps the IPv4-mapped range ::ffff:0:0/96'],
    ['::ffff:a00:0/120', '"::ffff:a00:0/120" overlaps the IPv4-mapped range ::ffff:0:0/96'],
    ['::/96', '"::/96" overlaps the unspecified address ::/128'],
    ['::/0', '"::/0" overlaps the unspecified address ::/128'],
    ['8000::/1', '"8000::/1" overlaps the link-local range fe80::/10'],
  ])('refuses the pool %s', (cidr, message) => {
    const problems = problemsOf(docWith((d) => {
      d.ipPools[0]!.cidr = cidr;
      d.endpoints = [];
    }));
    expect(problems).toEqual([{ path: 'ipPools[0].cidr', message: `${message}; a pool holds routable unicast addresses`, hint: expect.stringContaining('write an IPv6 network') }]);
  });

  it('accepts documentation, ULA and global pools', () => {
    const topology = parseTopology(docWith((d) => {
      d.ipPools = [{ cidr: '2001:db8::/32' }, { cidr: 'fd00:10::/48' }, { cidr: '2a01:4f8::/32' }];
    }));
    expect(topology.ipPools).toHaveLength(3);
  });
});

describe('AS_TRANS', () => {
  const message = 'AS number 23456 is AS_TRANS (RFC 6793), which stands in for a 4-byte AS number and is never a router\'s own';
  it('refuses 23456 as the cluster, a node and a peer AS number', () => {
    expectOneProblem(docWith((d) => (d.cluster.asNumber = 23456)), 'cluster.asNumber', message, '23456 (AS_TRANS)');
    expectOneProblem(docWith((d) => (d.nodes[1]!.asNumber = 23456)), 'nodes[1].asNumber', message, '23456 (AS_TRANS)');
    expectOneProblem(docWith((d) => (d.peers = [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 23456 }])), 'peers[0].asNumber', message, '23456 (AS_TRANS)');
  });

  it('accepts its neighbours', () => {
    expect(parseTopology(docWith((d) => (d.cluster.asNumber = 23455))).cluster.asNumber).toBe(23455);
    expect(parseTopology(docWith((d) => (d.cluster.asNumber = 23457))).cluster.asNumber).toBe(23457);
  });
});
