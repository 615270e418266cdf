// Layer two: one test per whole-topology rule of src/topology/checks.ts, each asserting the exact
// path and message, and a hint that tells the operator what to change.
import { describe, expect, it } from 'vitest';
import { parseTopology } from '../../src/topology/index.ts';
import { deriveInterfaceName } from '../../src/topology/derive.ts';
import { docWith, expectOneProblem, problemsOf, validDoc } from './documents.ts';

describe('duplicate names', () => {
  it('refuses two nodes with one name', () => {
    expectOneProblem(
      docWith((d) => (d.nodes[2]!.name = 'node1')),
      'nodes[2].name',
      'name "node1" is already used by nodes[0]',
      'give every entry of nodes its own name',
    );
  });

  it('refuses two peers with one name', () => {
    const doc = docWith((d) => {
      d.peers = [
        { name: 'tor', address: 'fd00:ec::fe', asNumber: 65001 },
        { name: 'tor', address: 'fd00:ec::fd', asNumber: 65001 },
      ];
    });
    expectOneProblem(doc, 'peers[1].name', 'name "tor" is already used by peers[0]', 'give every entry of peers its own name');
  });

  it('refuses two endpoints with one name, even on different nodes', () => {
    const doc = docWith((d) => d.endpoints.push({ name: 'web-1', node: 'node2', kind: 'container', addresses: ['fd00:10::11'] }));
    expectOneProblem(doc, 'endpoints[1].name', 'name "web-1" is already used by endpoints[0]', 'give every entry of endpoints its own name');
  });

  it('allows a node, a peer and an endpoint to share a name: they are different kinds of object', () => {
    const doc = docWith((d) => {
      d.peers = [{ name: 'node1', address: 'fd00:ec::fe', asNumber: 65001 }];
      d.endpoints[0]!.name = 'node1';
    });
    expect(() => parseTopology(doc)).not.toThrow();
  });
});

describe('duplicate addresses, compared in canonical form', () => {
  const hint = 'fd00::1 equals fd00:0::0001';

  it('refuses fd00::1 and fd00:0::0001 on two nodes', () => {
    const doc = docWith((d) => {
      d.nodes[0]!.address = 'fd00::1';
      d.nodes[1]!.address = 'fd00:0::0001';
    });
    expectOneProblem(doc, 'nodes[1].address', 'address "fd00::1" is already used by nodes[0].address', hint);
  });

  it('refuses a peer with a node\'s address written in upper case with leading zeros', () => {
    const doc = docWith((d) => (d.peers = [{ name: 'tor', address: 'FD00:EC:0:0:0:0:0:0002', asNumber: 65001 }]));
    expectOneProblem(doc, 'peers[0].address', 'address "fd00:ec::2" is already used by nodes[1].address', hint);
  });

  it('refuses an endpoint address that a peer already has', () => {
    const doc = docWith((d) => (d.peers = [{ name: 'svc', address: 'fd00:10:0::10', asNumber: 65001 }]));
    expectOneProblem(doc, 'endpoints[0].addresses[0]', 'address "fd00:10::10" is already used by peers[0].address', hint);
  });

  it('refuses one address on two endpoints and twice in one endpoint', () => {
    const doc = docWith((d) => {
      d.endpoints[0]!.addresses = ['fd00:10::10', 'fd00:10::0:10'];
      d.endpoints.push({ name: 'web-2', node: 'node2', kind: 'container', addresses: ['fd00:0010::0010'] });
    });
    expect(problemsOf(doc)).toEqual([
      { path: 'endpoints[0].addresses[1]', message: 'address "fd00:10::10" is already used by endpoints[0].addresses[0]', hint: expect.stringContaining(hint) },
      { path: 'endpoints[1].addresses[0]', message: 'address "fd00:10::10" is already used by endpoints[0].addresses[0]', hint: expect.stringContaining(hint) },
    ]);
  });

  it('names the first holder of each address among lists of many lengths, beside an entry the schema refused', () => {
    const address = (i: number, j: number) => `fd00:10:${i}::${j + 1}`;
    const sizes = [3, 1, 4, 1, 5, 9, 2, 6];
    const doc = docWith((d) => {
      d.peers = [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 65001 }];
      d.endpoints = sizes.map((size, i) => ({ name: `web-${i}`, node: 'node1', kind: 'container', addresses: Array.from({ length: size }, (_, j) => address(i, j)) }));
      // One entry that fails the schema: its list is left out of the checks, and paths are renumbered.
      d.endpoints.splice(2, 0, { name: 'broken', node: 'node1', kind: 'container', addresses: [] });
      d.endpoints.push({ name: 'again', node: 'node1', kind: 'container', addresses: ['fd00:ec::fe', address(7, 5), 'fd00:ec::3', address(0, 0), address(5, 8)] });
    });
    const duplicates = problemsOf(doc).filter((p) => p.message.includes('is already used by'));
    expect(duplicates.map((p) => `${p.path} ${p.message}`)).toEqual([
      'endpoints[9].addresses[0] address "fd00:ec::fe" is already used by peers[0].address',
      'endpoints[9].addresses[1] address "fd00:10:7::6" is already used by endpoints[8].addresses[5]',
      'endpoints[9].addresses[2] address "fd00:ec::3" is already used by nodes[2].address',
      'endpoints[9].addresses[3] address "fd00:10::1" is already used by endpoints[0].addresses[0]',
      'endpoints[9].addresses[4] address "fd00:10:5::9" is already used by endpoints[6].addresses[8]',
    ]);
  });
});

describe('router IDs', () => {
  it('refuses two nodes with one explicit router ID', () => {
    const doc = docWith((d) => {
      d.nodes[0]!.routerId = '10.255.0.1';
      d.nodes[2]!.routerId = '10.255.0.1';
    });
    expectOneProblem(doc, 'nodes[2].routerId', 'router ID "10.255.0.1" is already used by nodes[0]', 'remove routerId to have one derived');
  });
});

describe('IP pools', () => {
  it('refuses an endpoint address outside every pool and names the pools', () => {
    const doc = docWith((d) => d.endpoints[0]!.addresses = ['fd00:10::10', 'fd00:11::10']);
    expectOneProblem(doc, 'endpoints[0].addresses[1]', 'address "fd00:11::10" of endpoint "web-1" is outside every IP pool', 'use an address inside fd00:10::/48 or add a pool');
  });

  it('says to add a pool when there is none', () => {
    const doc = docWith((d) => (d.ipPools = []));
    expectOneProblem(doc, 'endpoints[0].addresses[0]', 'address "fd00:10::10" of endpoint "web-1" is outside every IP pool', 'add an ipPools entry that contains it');
  });

  it('refuses a node address inside a pool', () => {
    const doc = docWith((d) => (d.nodes[1]!.address = 'fd00:10::2'));
    expectOneProblem(doc, 'nodes[1].address', 'node address "fd00:10::2" lies inside the endpoint pool "fd00:10::/48"', 'node addresses belong to the hosts\' network');
  });

  it('refuses a pool inside another and names the earlier one', () => {
    const doc = docWith((d) => d.ipPools.push({ cidr: 'fd00:10:0:1::/64' }));
    expectOneProblem(doc, 'ipPools[1].cidr', 'pool "fd00:10:0:1::/64" overlaps ipPools[0].cidr ("fd00:10::/48")', 'IP pools must not overlap');
  });

  it('refuses the same pool spelt twice differently, quoting the canonical form', () => {
    const doc = docWith((d) => d.ipPools.push({ cidr: 'FD00:0010:0::/48' }));
    expectOneProblem(doc, 'ipPools[1].cidr', 'pool "fd00:10::/48" overlaps ipPools[0].cidr ("fd00:10::/48")', 'IP pools must not overlap');
  });

  it('accepts adjacent pools and endpoints in any of them', () => {
    const doc = docWith((d) => {
      d.ipPools.push({ cidr: 'fd00:11::/48' });
      d.endpoints.push({ name: 'web-2', node: 'node2', kind: 'container', addresses: ['fd00:11::1'] });
    });
    expect(parseTopology(doc).ipPools.map((p) => p.cidr)).toEqual(['fd00:10::/48', 'fd00:11::/48']);
  });
});

describe('references to nodes', () => {
  it('refuses a peer bound to an unknown node and suggests the near name', () => {
    const doc = docWith((d) => (d.peers = [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 65001, node: 'node4' }]));
    expectOneProblem(doc, 'peers[0].node', 'node "node4" is not defined', 'did you mean "node1"?');
  });

  it('refuses an endpoint on an unknown node and lists the nodes when none is near', () => {
    const doc = docWith((d) => (d.endpoints[0]!.node = 'compute-7'));
    expectOneProblem(doc, 'endpoints[0].node', 'node "compute-7" is not defined', 'use one of: node1, node2, node3');
  });

  it('lists only a few names of a large cluster', () => {
    const doc = docWith((d) => {
      d.nodes = Array.from({ length: 50 }, (_, i) => ({ name: `host-${i}`, address: `fd00:ec::${i + 1}` }));
      d.endpoints[0]!.node = 'compute-7';
    });
    const [problem] = problemsOf(doc);
    expect(problem).toMatchObject({ path: 'endpoints[0].node', message: 'node "compute-7" is not defined' });
    expect(problem!.hint).toBe('use one of the names under nodes, such as host-0, host-1, host-2, host-3, host-4, host-5, host-6, host-7, host-8, host-9');
  });
});

describe('interfaces on a node', () => {
  it('refuses two endpoints with one explicit interface on a node', () => {
    const doc = docWith((d) => {
      d.endpoints[0]!.interface = 'cali-web';
      d.endpoints.push({ name: 'web-2', node: 'node1', kind: 'container', addresses: ['fd00:10::11'], interface: 'cali-web' });
    });
    expectOneProblem(doc, 'endpoints[1].interface', 'interface "cali-web" is already used on the same node by endpoints[0]', 'each endpoint on a node needs its own interface');
  });

  it('refuses an explicit interface equal to the name derived for another endpoint', () => {
    const derived = deriveInterfaceName({ name: 'web-1', kind: 'container' });
    const doc = docWith((d) => d.endpoints.push({ name: 'web-2', node: 'node1', kind: 'container', addresses: ['fd00:10::11'], interface: derived }));
    expectOneProblem(doc, 'endpoints[1].interface', `interface "${derived}" is already used on the same node by endpoints[0]`, 'needs its own interface');
  });

  it('allows one interface name on different nodes', () => {
    const doc = docWith((d) => {
      d.endpoints[0]!.interface = 'cali-web';
      d.endpoints.push({ name: 'web-2', node: 'node2', kind: 'container', addresses: ['fd00:10::11'], interface: 'cali-web' });
    });
    expect(parseTopology(doc).endpoints.map((e) => e.interface)).toEqual(['cali-web', 'cali-web']);
  });
});

describe('VM endpoints', () => {
  const vm = (extra: Record<string, unknown>) =>
    docWith((d) => d.endpoints.push({ name: 'vm-1', node: 'node2', kind: 'vm', addresses: ['fd00:10::30'], ...extra }));

  it('refuses a VM without a MAC', () => {
    expectOneProblem(vm({}), 'endpoints[1].mac', 'VM endpoint "vm-1" has no mac', 'DHCPv6 reservation');
  });

  it('refuses a multicast MAC, quoted in lower case', () => {
    expectOneProblem(vm({ mac: '01:00:5E:00:00:01' }), 'endpoints[1].mac', 'MAC "01:00:5e:00:00:01" is a multicast address', 'lowest bit of the first octet must be 0');
    expectOneProblem(vm({ mac: '33:33:00:00:00:01' }), 'endpoints[1].mac', 'MAC "33:33:00:00:00:01" is a multicast address', 'lowest bit of the first octet must be 0');
  });

  it('refuses the all-zero MAC', () => {
    expectOneProblem(vm({ mac: '00:00:00:00:00:00' }), 'endpoints[1].mac', 'MAC "00:00:00:00:00:00" is all zeros', 'use the MAC the hypervisor gives the VM');
  });

  it('refuses a netns on a VM', () => {
    expectOneProblem(vm({ mac: '02:00:00:00:00:30', netns: 'vm-1' }), 'endpoints[1].netns', 'VM endpoint "vm-1" cannot have a netns', 'netns is for container endpoints');
  });

  it('accepts a VM with a unicast MAC and a container without one', () => {
    const topology = parseTopology(vm({ mac: '02:AB:00:00:00:30' }));
    expect(topology.endpoints.map((e) => e.mac)).toEqual([undefined, '02:ab:00:00:00:30']);
  });
});

describe('route reflector roles', () => {
  it('refuses clients of a cluster that has no reflector', () => {
    const doc = docWith((d) => {
      d.nodes[0]!.routeReflector = { clusterId: '1.0.0.1' };
      d.nodes[1]!.routeReflectorClient = { clusterId: '1.0.0.2' };
    });
    expectOneProblem(doc, 'nodes[1].routeReflectorClient.clusterId', 'route reflector cluster "1.0.0.2" has clients but no reflector', 'give at least one node routeReflector with this clusterId');
  });

  it('refuses a node that is both reflector and client', () => {
    const doc = docWith((d) => {
      d.nodes[0]!.routeReflector = { clusterId: '1.0.0.1' };
      d.nodes[1]!.routeReflector = { clusterId: '1.0.0.1' };
      d.nodes[1]!.routeReflectorClient = { clusterId: '1.0.0.1' };
    });
    expectOneProblem(doc, 'nodes[1].routeReflectorClient', 'node "node2" is both a route reflector and a route reflector client', 'keep one of routeReflector and routeReflectorClient');
  });
});

describe('BGP timers', () => {
  it.each([
    [6, 6],
    [6, 10],
  ])('refuses hold time %i with keepalive %i', (holdTime, keepaliveTime) => {
    const doc = docWith((d) => (d.cluster.bgp = { holdTime, keepaliveTime }));
    expectOneProblem(doc, 'cluster.bgp.keepaliveTime', `keepalive time ${keepaliveTime} must be shorter than hold time ${holdTime}`, 'a third of the hold time');
  });

  it('refuses the default keepalive against a hold time at its minimum only when not shorter', () => {
    expect(() => parseTopology(docWith((d) => (d.cluster.bgp = { holdTime: 3 })))).not.toThrow();
    expectOneProblem(docWith((d) => (d.cluster.bgp = { holdTime: 3, keepaliveTime: 3 })), 'cluster.bgp.keepaliveTime', 'keepalive time 3 must be shorter than hold time 3', 'a third');
  });
});

describe('external peer options', () => {
  const TOR = { name: 'tor', address: 'fd00:ec::fe', asNumber: 65001 };

  it('refuses a peer keepalive not shorter than its hold time, the cluster\'s filling in the other', () => {
    expectOneProblem(docWith((d) => (d.peers = [{ ...TOR, keepaliveTime: 6 }])), 'peers[0].keepaliveTime', 'keepalive time 6 of peer "tor" must be shorter than its hold time 6', 'a third of the hold time');
    const inherited = docWith((d) => {
      d.cluster.bgp = { holdTime: 9, keepaliveTime: 3 };
      d.peers = [{ ...TOR, holdTime: 3 }];
    });
    expectOneProblem(inherited, 'peers[0].holdTime', 'keepalive time 3 of peer "tor" must be shorter than its hold time 3', 'a third of the hold time');
    expect(() => parseTopology(docWith((d) => (d.peers = [{ ...TOR, holdTime: 30, keepaliveTime: 10 }])))).not.toThrow();
  });

  it('refuses an import limit on a peer nothing is imported from', () => {
    expectOneProblem(docWith((d) => (d.peers = [{ ...TOR, import: 'none', importLimit: 10 }])), 'peers[0].importLimit', 'peer "tor" has an import limit but imports nothing (import: none)', 'remove importLimit, or import default or all');
  });

  it('refuses a cluster-wide import limit inherited by a peer that imports nothing, once, at the cluster field', () => {
    const doc = docWith((d) => {
      d.cluster.bgp = { importLimit: 10 };
      d.peers = [{ ...TOR, import: 'none' }, { ...TOR, name: 'tor2', address: 'fd00:ec::fd', import: 'none' }];
    });
    expectOneProblem(doc, 'cluster.bgp.importLimit', 'peer "tor" has an import limit but imports nothing (import: none)', 'remove importLimit');
  });

  it('refuses communities on a peer that is sent nothing', () => {
    expectOneProblem(docWith((d) => (d.peers = [{ ...TOR, export: 'none', communities: ['64512:1'] }])), 'peers[0].communities', 'peer "tor" has communities but is sent nothing (export: none)', 'remove communities, or export pools or endpoints');
  });

  it('refuses a local AS that equals the peer\'s AS', () => {
    expectOneProblem(docWith((d) => (d.peers = [{ ...TOR, localAsNumber: 65001 }])), 'peers[0].localAsNumber', 'localAsNumber 65001 equals the AS of peer "tor"', 'localAsNumber gives an eBGP session another local AS');
  });

  it('refuses a graceful restart time with graceful restart off', () => {
    expectOneProblem(docWith((d) => (d.cluster.bgp = { gracefulRestart: false, gracefulRestartTime: 60 })), 'cluster.bgp.gracefulRestartTime', 'gracefulRestartTime is set but gracefulRestart is false', 'remove gracefulRestartTime or set gracefulRestart: true');
  });

  it('refuses communities that are not BGP communities, with the field\'s path', () => {
    for (const bad of ['65536:1', '1:2:4294967296', '1', 'a:b', '1:2:3:4']) {
      const problems = problemsOf(docWith((d) => (d.peers = [{ ...TOR, communities: [bad] }])));
      expect(problems.map((p) => p.path), bad).toEqual(['peers[0].communities[0]']);
      expect(problems[0]!.message).toContain('is not a BGP community');
    }
    expect(() => parseTopology(docWith((d) => (d.peers = [{ ...TOR, communities: ['65535:65535', '4294967295:0:4294967295'] }])))).not.toThrow();
  });
});

describe('all rules run', () => {
  it('reports every whole-topology problem at once, in rule order', () => {
    const doc = docWith((d) => {
      d.nodes[1]!.name = 'node1';
      d.ipPools.push({ cidr: 'fd00:10:0:1::/64' });
      d.endpoints[0]!.node = 'node9';
      d.cluster.bgp = { holdTime: 6, keepaliveTime: 6 };
    });
    expect(problemsOf(doc).map((p) => p.path)).toEqual(['nodes[1].name', 'ipPools[1].cidr', 'endpoints[0].node', 'cluster.bgp.keepaliveTime']);
  });

  it('accepts the base document used by these tests', () => {
    expect(parseTopology(validDoc()).nodes).toHaveLength(3);
  });
});

describe('host interfaces', () => {
  it.each(['lo', 'eth0'])('refuses an endpoint that names the host interface %s', (name) => {
    expectOneProblem(
      docWith((d) => (d.endpoints[0]!.interface = name)),
      'endpoints[0].interface',
      `interface "${name}" of endpoint "web-1" is a host interface`,
      'remove interface to have one derived',
    );
  });
});

describe('every node has a BGP session', () => {
  const hint = 'without the node-to-node mesh, nodes peer only with route reflectors';
  const noMesh = (change: (d: ReturnType<typeof validDoc>) => void = () => {}) =>
    docWith((d) => {
      d.cluster.nodeToNodeMesh = false;
      change(d);
    });

  it('refuses nodeToNodeMesh false without route reflectors, naming the nodes left alone', () => {
    expectOneProblem(noMesh(), 'cluster.nodeToNodeMesh', 'with nodeToNodeMesh false, nodes "node1", "node2" and "node3" would have no BGP session at all', hint);
  });

  it('names only the nodes that no reflector reaches', () => {
    const doc = noMesh((d) => {
      d.nodes[0]!.routeReflector = { clusterId: '1.0.0.1' };
      d.nodes[1]!.routeReflectorClient = { clusterId: '1.0.0.1' };
    });
    expectOneProblem(doc, 'cluster.nodeToNodeMesh', 'with nodeToNodeMesh false, node "node3" would have no BGP session at all', hint);
  });

  it('refuses a lone reflector without clients, and lists at most five names', () => {
    const doc = noMesh((d) => {
      d.nodes = Array.from({ length: 8 }, (_, i) => ({ name: `n${i}`, address: `fd00:ec::${i + 1}` }));
      d.nodes[0]!.routeReflector = { clusterId: '1.0.0.1' };
      d.endpoints[0]!.node = 'n0';
    });
    expectOneProblem(doc, 'cluster.nodeToNodeMesh', 'with nodeToNodeMesh false, nodes "n0", "n1", "n2", "n3", "n4" and 3 more would have no BGP session at all', hint);
  });

  it('reports a client whose reflector cluster is missing once, as the missing reflector', () => {
    const doc = noMesh((d) => {
      d.nodes[0]!.routeReflector = { clusterId: '1.0.0.1' };
      d.nodes[1]!.routeReflectorClient = { clusterId: '1.0.0.1' };
      d.nodes[2]!.routeReflectorClient = { clusterId: '1.0.0.2' };
    });
    expectOneProblem(doc, 'nodes[2].routeReflectorClient.clusterId', 'route reflector cluster "1.0.0.2" has clients but no reflector', 'give at least one node routeReflector');
  });

  it('accepts a single node without the mesh: it has nobody to peer with', () => {
    expect(() => parseTopology(noMesh((d) => (d.nodes = [d.nodes[0]!])))).not.toThrow();
  });

  it('accepts nodes without the mesh that peer with a router (a global or a node-specific peer)', () => {
    const doc = noMesh((d) => {
      d.peers = [
        { name: 'tor', address: 'fd00:ec::fe', asNumber: 65001, node: 'node1' },
        { name: 'tor2', address: 'fd00:ec::fd', asNumber: 65001, node: 'node2' },
        { name: 'tor3', address: 'fd00:ec::fc', asNumber: 65001, node: 'node3' },
      ];
    });
    expect(() => parseTopology(doc)).not.toThrow();
    expect(() => parseTopology(noMesh((d) => (d.peers = [{ name: 'tor', address: 'fd00:ec::fe', asNumber: 65001 }])))).not.toThrow();
  });

  it('accepts two reflectors without clients: they peer with each other', () => {
    const doc = noMesh((d) => {
      d.nodes = d.nodes.slice(0, 2);
      d.nodes[0]!.routeReflector = { clusterId: '1.0.0.1' };
      d.nodes[1]!.routeReflector = { clusterId: '1.0.0.2' };
    });
    expect(() => parseTopology(doc)).not.toThrow();
  });
});

describe('network namespaces', () => {
  it('refuses two containers in one netns on a node', () => {
    const doc = docWith((d) => {
      d.endpoints[0]!.netns = 'web';
      d.endpoints.push({ name: 'web-2', node: 'node1', kind: 'container', addresses: ['fd00:10::11'], netns: 'web' });
    });
    expectOneProblem(doc, 'endpoints[1].netns', 'netns "web" is already used on the same node by endpoints[0]', 'each container has its own network namespace');
  });

  it('allows one netns name on different nodes: a namespace belongs to its host', () => {
    const doc = docWith((d) => {
      d.endpoints[0]!.netns = 'web';
      d.endpoints.push({ name: 'web-2', node: 'node2', kind: 'container', addresses: ['fd00:10::11'], netns: 'web' });
    });
    expect(() => parseTopology(doc)).not.toThrow();
  });
});

describe('MAC addresses', () => {
  it('refuses one MAC on two VM endpoints, compared in lower case, on any nodes', () => {
    const doc = docWith((d) => {
      d.endpoints.push({ name: 'vm-1', node: 'node2', kind: 'vm', addresses: ['fd00:10::30'], mac: '02:00:00:00:00:aa' });
      d.endpoints.push({ name: 'vm-2', node: 'node3', kind: 'vm', addresses: ['fd00:10::31'], mac: '02:00:00:00:00:AA' });
    });
    expectOneProblem(doc, 'endpoints[2].mac', 'MAC "02:00:00:00:00:aa" is already used by endpoints[1]', 'every VM needs its own MAC');
  });
});

describe('subnet-router anycast addresses', () => {
  it.each([
    ['fd00:10::', 'fd00:10::/64'],
    ['fd00:10:0:7::', 'fd00:10:0:7::/64'],
    ['FD00:0010:0000:0007:0000:0000:0000:0000', 'fd00:10:0:7::/64'],
  ])('refuses endpoint address %s, the anycast address of %s', (address, subnet) => {
    expectOneProblem(
      docWith((d) => (d.endpoints[0]!.addresses = ['fd00:10::10', address])),
      'endpoints[0].addresses[1]',
      `address ${JSON.stringify(subnet.replace('/64', ''))} of endpoint "web-1" is the subnet-router anycast address of ${subnet}`,
      'RFC 4291',
    );
  });

  it('accepts an address whose last 64 bits are not all zero', () => {
    expect(() => parseTopology(docWith((d) => (d.endpoints[0]!.addresses = ['fd00:10:0:7::1', 'fd00:10:0:8:1::'])))).not.toThrow();
  });
});
