import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { bgpProtocols, sessionChanges, sessionSummaryLine } from '../../src/plan/bird-sessions.ts';
import { render } from '../../src/render/render.ts';
import { parseTopology, type Topology } from '../../src/topology/index.ts';
import { TOPOLOGY_DIR } from '../support/examples.ts';

// The topology as a plain object, edited per test, then validated like a file.
const example = () => parse(readFileSync(join(TOPOLOGY_DIR, 'example.yaml'), 'utf8')) as Record<string, any>;
const conf = (doc: Record<string, any>, node = 'node1') => render(parseTopology(doc as unknown) as Topology, node);

describe('bgpProtocols', () => {
  it('reads each protocol bgp of a rendered config with its template statements first', () => {
    const protocols = bgpProtocols(conf(example()));
    expect(protocols.map((p) => p.name)).toEqual(['Mesh_fd00_ec__2', 'Mesh_fd00_ec__3']);
    expect(protocols[0]!.statements).toEqual(expect.arrayContaining(['source address fd00:ec::1', 'hold time 6', 'import filter bgp_pool_routes', 'neighbor fd00:ec::2 as 64512', 'description "node2 (node-to-node mesh)"']));
    expect(protocols[0]!.statements.indexOf('hold time 6')).toBeLessThan(protocols[0]!.statements.indexOf('neighbor fd00:ec::2 as 64512'));
  });

  it('ignores comments and keeps # and ; inside strings', () => {
    const text = [
      '# protocol bgp Commented from t { }',
      'template bgp t { hold time 6; /* protocol bgp Nope { } */ }',
      'protocol bgp A from t { description "a # b; c"; neighbor fd00::1 as 1; import filter { accept; }; }',
    ].join('\n');
    expect(bgpProtocols(text)).toEqual([{ name: 'A', statements: ['hold time 6', 'description "a # b; c"', 'neighbor fd00::1 as 1', 'import filter { accept; }'] }]);
  });
});

describe('sessionChanges', () => {
  it('is empty for the same config', () => {
    expect(sessionChanges(conf(example()), conf(example()))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('finds a node added and a node removed', () => {
    const grown = example();
    grown.nodes.push({ name: 'node4', address: 'fd00:ec::4' });
    expect(sessionChanges(conf(example()), conf(grown))).toEqual({ added: ['Mesh_fd00_ec__4'], removed: [], changed: [] });
    const shrunk = example();
    shrunk.nodes = shrunk.nodes.filter((n: { name: string }) => n.name !== 'node3');
    shrunk.endpoints = shrunk.endpoints.filter((e: { node: string }) => e.node !== 'node3');
    expect(sessionChanges(conf(example()), conf(shrunk))).toEqual({ added: [], removed: ['Mesh_fd00_ec__3'], changed: [] });
  });

  it('restarts every session of a changed template option (hold time) and says what changed', () => {
    const slower = example();
    slower.cluster.bgp.holdTime = 9;
    const changes = sessionChanges(conf(example()), conf(slower));
    expect(changes.changed.map((c) => [c.name, c.restart])).toEqual([['Mesh_fd00_ec__2', true], ['Mesh_fd00_ec__3', true]]);
    expect(changes.changed[0]).toMatchObject({ removed: ['hold time 6', 'startup hold time 6'], added: ['hold time 9', 'startup hold time 9'] });
  });

  it('restarts one session whose password changes, and only that one', () => {
    const withPeer = example();
    withPeer.peers = [{ name: 'tor1', address: 'fd00:ec::fe', asNumber: 65001, node: 'node1' }];
    const withPassword = example();
    withPassword.peers = [{ name: 'tor1', address: 'fd00:ec::fe', asNumber: 65001, node: 'node1', password: 'secret1' }];
    const changes = sessionChanges(conf(withPeer), conf(withPassword));
    expect(changes).toEqual({ added: [], removed: [], changed: [{ name: 'Node_fd00_ec__fe', restart: true, removed: [], added: ['password "secret1"'] }] });
  });

  it('reconfigures in place when only filters, description or preference differ', () => {
    const before = 'template bgp t { hold time 6; import filter a; }\nprotocol bgp A from t { neighbor fd00::1 as 1; description "x"; }\n';
    const after = 'template bgp t { hold time 6; import filter b; }\nprotocol bgp A from t { neighbor fd00::1 as 1; description "y"; export none; preference 120; }\n';
    expect(sessionChanges(before, after).changed).toEqual([
      { name: 'A', restart: false, removed: ['import filter a', 'description "x"'], added: ['import filter b', 'description "y"', 'export none', 'preference 120'] },
    ]);
  });

  it('sums the changes up in one bounded line', () => {
    const names = Array.from({ length: 25 }, (_, i) => `P${i}`);
    const line = sessionSummaryLine({ added: names, removed: ['Q'], changed: [{ name: 'R', restart: true, removed: [], added: [] }, { name: 'S', restart: false, removed: [], added: [] }] });
    expect(line).toBe(`sessions: added 25 (${names.slice(0, 20).join(', ')}, and 5 more), removed 1 (Q), restarted 1 (R), changed in place 1 (S)`);
  });
});
