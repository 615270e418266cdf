// Derived router IDs and interface names: stable (pinned values, and unchanged when unrelated
// nodes are added), unique, and never in a reserved range, checked over many random clusters
// drawn from a seeded generator so that any failure reproduces.
import { describe, expect, it } from 'vitest';
import { parseTopology, type Topology } from '../../src/topology/index.ts';
import { deriveInterfaceName, resolveRouterIds } from '../../src/topology/derive.ts';
import { parseIPv4 } from '../../src/topology/ipv4.ts';
import { formatIPv6 } from '../../src/topology/ipv6.ts';
import { prng } from '../support/random-topology.ts';
import { validDoc, type Entry } from './documents.ts';

/** A random cluster of 1..80 nodes with unique names and addresses outside the base pool. */
function randomNodes(random: () => number): Entry[] {
  const count = 1 + Math.floor(random() * 80);
  const used = new Set<bigint>();
  return Array.from({ length: count }, (_, i) => {
    let value: bigint;
    do {
      value = (0xfd00n << 112n) | (BigInt(Math.floor(random() * 2 ** 32)) << 32n) | BigInt(Math.floor(random() * 2 ** 16));
    } while (used.has(value) || value >> 80n === 0xfd000010n);
    used.add(value);
    return { name: `n${i}-${Math.floor(random() * 1e6).toString(36)}`, address: formatIPv6(value) };
  });
}

function clusterOf(nodes: Entry[]): Topology {
  const doc = validDoc();
  doc.nodes = nodes;
  doc.endpoints = [];
  return parseTopology(doc);
}

function firstOctet(routerId: string): number {
  return Math.floor(parseIPv4(routerId)! / 2 ** 24);
}

describe('derived router IDs', () => {
  it('are pinned: a release must not renumber the router IDs of running clusters', () => {
    const topology = clusterOf([
      { name: 'node1', address: 'fd00:ec::1' },
      { name: 'node2', address: 'fd00:ec::2' },
    ]);
    expect(topology.nodes.map((n) => n.routerId)).toEqual(['12.22.192.246', '87.39.177.21']);
  });

  it('depend on the address, not on how it is written or where the node is listed', () => {
    const a = clusterOf([{ name: 'node1', address: 'fd00:ec::1' }, { name: 'node2', address: 'fd00:ec::2' }]);
    const b = clusterOf([{ name: 'node2', address: 'FD00:EC:0::0002' }, { name: 'node1', address: 'fd00:ec:0:0::1' }]);
    expect(b.nodes.map((n) => n.routerId)).toEqual([a.nodes[1]!.routerId, a.nodes[0]!.routerId]);
  });

  it('are unique, in 1..223 without 127, stable and unmoved by new nodes, over 200 random clusters', () => {
    const random = prng(0x6b697264);
    for (let round = 0; round < 200; round += 1) {
      const nodes = randomNodes(random);
      const ids = clusterOf(nodes).nodes.map((n) => n.routerId);
      expect(new Set(ids).size, `round ${round}`).toBe(ids.length);
      for (const id of ids) {
        const octet = firstOctet(id);
        expect(octet >= 1 && octet <= 223 && octet !== 127, `round ${round}: ${id}`).toBe(true);
      }
      expect(clusterOf(structuredClone(nodes)).nodes.map((n) => n.routerId)).toEqual(ids);
      const grown = clusterOf([...nodes, ...randomNodes(random).filter((n) => !nodes.some((m) => m.address === n.address)).map((n) => ({ ...n, name: `x${n.name as string}` }))]);
      expect(grown.nodes.slice(0, nodes.length).map((n) => n.routerId), `round ${round}`).toEqual(ids);
    }
  });

  it('keep explicit IDs and step around them, even when an explicit ID is another node\'s derived one', () => {
    const random = prng(42);
    for (let round = 0; round < 100; round += 1) {
      const nodes = randomNodes(random);
      if (nodes.length < 2) continue;
      const derived = clusterOf(nodes).nodes.map((n) => n.routerId);
      // Give the first node, explicitly, the ID the last node would have derived.
      nodes[0] = { ...nodes[0], routerId: derived.at(-1) };
      const ids = clusterOf(nodes).nodes.map((n) => n.routerId);
      expect(ids[0]).toBe(derived.at(-1));
      expect(ids.at(-1)).not.toBe(derived.at(-1));
      expect(new Set(ids).size, `round ${round}`).toBe(ids.length);
      expect(firstOctet(ids.at(-1)!)).not.toBe(127);
    }
  });

  it('give nodes sharing an address (a reported error) distinct IDs all the same', () => {
    const nodes = resolveRouterIds([
      { name: 'a', address: 'fd00:ec::1' },
      { name: 'b', address: 'fd00:ec::1' },
    ]);
    expect(nodes[0]!.routerId).not.toBe(nodes[1]!.routerId);
  });
});

describe('derived interface names', () => {
  it('are pinned: renaming would orphan the interfaces of running endpoints', () => {
    expect(deriveInterfaceName({ name: 'a', kind: 'container' })).toBe('calica978112ca1');
    expect(deriveInterfaceName({ name: 'a', kind: 'vm' })).toBe('tapca978112ca1');
  });

  it('are cali/tap and 11 hex digits, at most 15 characters, and distinct across 5000 random names', () => {
    const random = prng(7);
    const seen = new Map<string, string>();
    const names = new Set<string>();
    for (let i = 0; i < 5000; i += 1) {
      const name = `ep-${Math.floor(random() * 2 ** 40).toString(36)}`;
      if (names.has(name)) continue;
      names.add(name);
      const kind = random() < 0.5 ? 'container' : 'vm';
      const derived = deriveInterfaceName({ name, kind });
      expect(derived).toMatch(kind === 'vm' ? /^tap[0-9a-f]{11}$/ : /^cali[0-9a-f]{11}$/);
      expect(derived.length).toBeLessThanOrEqual(15);
      expect(deriveInterfaceName({ name, kind })).toBe(derived);
      expect(seen.get(derived), `${name} and ${seen.get(derived)} collide`).toBeUndefined();
      seen.set(derived, name);
    }
  });

  it('are used only where the file names no interface', () => {
    const doc = validDoc();
    doc.endpoints.push({ name: 'web-2', node: 'node1', kind: 'container', addresses: ['fd00:10::11'], interface: 'veth-web-2' });
    expect(parseTopology(doc).endpoints.map((e) => e.interface)).toEqual([deriveInterfaceName({ name: 'web-1', kind: 'container' }), 'veth-web-2']);
  });
});
