// Reading files: YAML and JSON syntax errors with positions, a missing file, the one-line-per-
// problem error format, and problems of both validation layers reported in one run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BirdctlError, formatError } from '../../src/errors.ts';
import { loadTopology, parseTopologyText } from '../../src/topology/index.ts';
import { docWith, loadError, problemsOf } from './documents.ts';

const FIXTURES = 'test/fixtures/topologies';
const scratch = mkdtempSync(join(tmpdir(), 'birdctl-topotests-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function textError(text: string, source: string): BirdctlError {
  try {
    parseTopologyText(text, source);
  } catch (error) {
    if (error instanceof BirdctlError) return error;
    throw error;
  }
  throw new Error('expected the text to be refused');
}

describe('YAML', () => {
  it('gives the line and column of a syntax error', async () => {
    const error = await loadError(`${FIXTURES}/yaml-syntax-error.yaml`);
    expect(error.code).toBe('TOPOLOGY_INVALID');
    expect(error.problems).toEqual([{
      path: '',
      message: 'YAML syntax error at line 8, column 1: All mapping items must start at the same column',
      hint: expect.stringContaining('indentation'),
    }]);
  });

  it('reports every syntax error and duplicate keys', () => {
    const error = textError('apiVersion: bird6-controller/v1\ncluster: {name: a}\ncluster: {name: b}\nnodes:\n\t- name: x\n', 'dup.yaml');
    expect(error.problems.map((p) => p.message)).toEqual([
      'YAML syntax error at line 3, column 1: Map keys must be unique',
      'YAML syntax error at line 5, column 1: Tabs are not allowed as indentation',
    ]);
  });

  it('refuses an empty file as a document that is not a mapping', () => {
    expect(textError('', 'empty.yaml').problems).toEqual([{ path: '', message: expect.stringContaining('expected object'), hint: expect.stringContaining('apiVersion: bird6-controller/v1') }]);
  });

  it('reads the MAC, addresses and dotted quads of a YAML file as strings', () => {
    const topology = parseTopologyText(
      [
        'apiVersion: bird6-controller/v1',
        'cluster: {name: lab, asNumber: 64512}',
        'ipPools: [{cidr: "fd00:10::/48"}]',
        'nodes:',
        '  - {name: node1, address: fd00:ec::1, routerId: 10.0.0.1, routeReflector: {clusterId: 1.0.0.1}}',
        'endpoints:',
        '  - {name: vm-1, node: node1, kind: vm, addresses: [fd00:10::1], mac: 02:00:00:00:00:10}',
      ].join('\n'),
      'flow.yaml',
    );
    expect(topology.endpoints[0]).toMatchObject({ mac: '02:00:00:00:00:10', addresses: ['fd00:10::1'] });
    expect(topology.nodes[0]).toMatchObject({ routerId: '10.0.0.1', routeReflector: { clusterId: '1.0.0.1' } });
  });
});

describe('JSON', () => {
  it('loads a .json file with its own parser', async () => {
    const topology = await loadTopology(`${FIXTURES}/valid.json`);
    expect(topology.source).toBe(`${FIXTURES}/valid.json`);
    expect(topology.cluster).toMatchObject({ name: 'json-lab', bgp: { holdTime: 9, keepaliveTime: 3, connectRetryTime: 1, gracefulRestart: true } });
    expect(topology.peers[0]).toMatchObject({ name: 'tor', node: 'node2', port: 1179 });
    expect(topology.endpoints[0]!.interface).toMatch(/^tap[0-9a-f]{11}$/);
  });

  it('reports a syntax error in a .json file, on one line', async () => {
    const error = await loadError(`${FIXTURES}/json-syntax-error.json`);
    expect(error.problems).toEqual([{ path: '', message: "JSON syntax error: Unexpected token ']'", hint: expect.stringContaining('JSON linter') }]);
    expect(formatError(error).split('\n')).toHaveLength(3);
  });

  it('gives the line and column when the parser names an offset', () => {
    expect(textError('{\n  "apiVersion": "bird6-controller/v1",\n  "cluster": {}\n} }', 'pos.json').problems[0]!.message).toBe(
      'JSON syntax error at line 4, column 3: Unexpected non-whitespace character after JSON',
    );
  });
});

describe('reading', () => {
  it('gives TOPOLOGY_READ with the path for a missing file', async () => {
    const error = await loadError(join(scratch, 'absent.yaml'));
    expect(error.code).toBe('TOPOLOGY_READ');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`cannot read topology ${join(scratch, 'absent.yaml')}: no such file`);
    expect(error.hint).toContain('topology/example.yaml');
  });

  it('gives TOPOLOGY_READ for a directory', async () => {
    const error = await loadError(scratch);
    expect(error.code).toBe('TOPOLOGY_READ');
    expect(error.message).toContain(`cannot read topology ${scratch}: `);
  });

  it('treats any other extension as YAML', async () => {
    const file = join(scratch, 'topology.txt');
    writeFileSync(file, JSON.stringify(docWith(() => {})));
    expect((await loadTopology(file)).nodes).toHaveLength(3);
  });
});

describe('several problems at once', () => {
  it('reports schema and whole-topology problems of one file together, at their places in the file', async () => {
    const error = await loadError(`${FIXTURES}/several-errors.yaml`);
    expect(error.problems.map((p) => [p.path, p.message])).toEqual([
      ['cluster.nodeToNodeMsh', 'unknown field "nodeToNodeMsh"'],
      ['nodes[1].address', 'required field "address" is missing'],
      ['nodes[1].adress', 'unknown field "adress"'],
      ['endpoints[1].interface', '"this-name-is-far-too-long" is not a usable interface name: at most 15 characters of letters, digits, \'_\', \'.\' and \'-\''],
      ['nodes[2].address', 'address "fd00:ec::1" is already used by nodes[0].address'],
      ['ipPools[1].cidr', 'pool "fd00:10:0:8::/64" overlaps ipPools[0].cidr ("fd00:10::/48")'],
      ['endpoints[0].mac', 'VM endpoint "web-1" has no mac'],
    ]);
  });

  it('renumbers paths and messages past entries that failed the schema', () => {
    const problems = problemsOf(docWith((d) => {
      d.nodes.unshift({ name: 'Bad Name', address: 'fd00:ec::9' });
      d.nodes.push({ name: 'node4', address: 'fd00:ec::2' });
    }));
    expect(problems.slice(1)).toEqual([{ path: 'nodes[4].address', message: 'address "fd00:ec::2" is already used by nodes[2].address', hint: expect.any(String) }]);
  });

  it('does not report consequences of a schema error as further problems', () => {
    // nodes[0]'s address is invalid, so the node is left out of the checks; the endpoint on it,
    // the reflector's clients and the endpoint in the misspelt pool must not be reported too.
    const problems = problemsOf(docWith((d) => {
      d.nodes[0]!.address = 'fd00:ec::zz';
      d.nodes[0]!.routeReflector = { clusterId: '1.0.0.1' };
      d.nodes[1]!.routeReflectorClient = { clusterId: '1.0.0.1' };
      d.ipPools[0] = { cidr: 'fd00:10::/480' };
      d.cluster.bgp = { holdTime: 6, keepaliveTime: 'x' };
    }));
    expect(problems.map((p) => p.path)).toEqual(['cluster.bgp.keepaliveTime', 'ipPools[0].cidr', 'nodes[0].address']);
  });

  it('does not report endpoints outside every pool when the pools key is misspelt', () => {
    const problems = problemsOf(docWith((d) => {
      d.ippools = d.ipPools;
      delete (d as Partial<typeof d>).ipPools;
    }));
    expect(problems).toEqual([{ path: 'ippools', message: 'unknown field "ippools"', hint: 'did you mean "ipPools"?' }]);
  });

  it('still checks the lists that parsed when the cluster or apiVersion is wrong', () => {
    const problems = problemsOf(docWith((d) => {
      d.apiVersion = 'v1';
      d.cluster.asNumber = 0;
      d.nodes[2]!.name = 'node1';
    }));
    expect(problems.map((p) => p.path)).toEqual(['apiVersion', 'cluster.asNumber', 'nodes[2].name']);
  });
});

describe('formatError', () => {
  it('prints error[TOPOLOGY_INVALID]: FILE: PATH: message and a hint line per problem', () => {
    const error = textError(JSON.stringify(docWith((d) => {
      d.nodes[1]!.address = 'fd00:ec::1';
      d.cluster.nodeToNodeMsh = true;
    })), 'cluster.yaml');
    expect(formatError(error)).toBe(
      'error[TOPOLOGY_INVALID]: cluster.yaml: cluster.nodeToNodeMsh: unknown field "nodeToNodeMsh"\n' +
        'hint: did you mean "nodeToNodeMesh"?\n' +
        'error[TOPOLOGY_INVALID]: cluster.yaml: nodes[1].address: address "fd00:ec::1" is already used by nodes[0].address\n' +
        'hint: addresses are compared in canonical form (fd00::1 equals fd00:0::0001); every node, peer and endpoint address must be unique\n',
    );
  });

  it('leaves the path out for a problem with the file as a whole', () => {
    expect(formatError(textError('a: [', 'broken.yaml'))).toMatch(/^error\[TOPOLOGY_INVALID\]: broken\.yaml: YAML syntax error at line \d+, column \d+: .+\nhint: .+\n$/);
  });
});

describe('JSON written into a .yaml file', () => {
  it('reads it as YAML would, the same topology', () => {
    const doc = docWith(() => {});
    expect({ ...parseTopologyText(JSON.stringify(doc), 'in.yaml'), source: '' }).toEqual({ ...parseTopologyText(JSON.stringify(doc), 'in.json'), source: '' });
  });

  it('still refuses a duplicate key, with both positions', () => {
    const text = '{\n  "apiVersion": "bird6-controller/v1",\n  "cluster": {"name": "a", "asNumber": 64512},\n  "cluster": {"name": "b", "asNumber": 64512},\n  "nodes": [{"name": "n1", "address": "fd00:ec::1"}]\n}';
    expect(textError(text, 'dup.yaml').problems).toEqual([expect.objectContaining({ path: 'cluster', message: expect.stringContaining('duplicate key "cluster", already set at line 3, column 3') })]);
  });

  it('takes a flow mapping that is YAML but not JSON as YAML', () => {
    const doc = docWith(() => {});
    // Unquoted keys: YAML, not JSON.
    const flow = `{${Object.entries(doc).map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(', ')}}`;
    expect({ ...parseTopologyText(flow, 'flow.yaml'), source: '' }).toEqual({ ...parseTopologyText(JSON.stringify(doc), 'in.json'), source: '' });
  });
});

describe('JSON duplicate keys', () => {
  it('refuses a duplicate top-level key with both positions, instead of keeping the last', () => {
    const text = '{\n  "apiVersion": "bird6-controller/v1",\n  "cluster": {"name": "a", "asNumber": 64512},\n  "cluster": {"name": "b", "asNumber": 64512},\n  "nodes": [{"name": "n1", "address": "fd00:ec::1"}]\n}';
    expect(textError(text, 'dup.json').problems).toEqual([{
      path: 'cluster',
      message: 'JSON syntax error at line 4, column 3: duplicate key "cluster", already set at line 3, column 3',
      hint: expect.stringContaining('keep one'),
    }]);
  });

  it('finds duplicates inside lists, compares keys after unescaping and reports every one', () => {
    const doc = docWith(() => {});
    const text = JSON.stringify(doc, null, 1)
      .replace('"name": "node2"', '"name": "node2", "n\\u0061me": "node9"')
      .replace('"asNumber": 64512', '"asNumber": 64512, "asNumber": 1');
    expect(textError(text, 'dup.json').problems.map((p) => [p.path, p.message.replace(/ at line.*already/, ' … already')])).toEqual([
      ['cluster.asNumber', 'JSON syntax error … already set at line 5, column 3'],
      ['nodes[1].name', 'JSON syntax error … already set at line 18, column 4'],
    ]);
  });

  it('does not take a string value for a key', () => {
    const text = JSON.stringify(docWith((d) => (d.cluster.name = 'nodes')));
    expect(parseTopologyText(text, 'ok.json').cluster.name).toBe('nodes');
  });

  it('quotes an odd duplicate key in a bounded way', () => {
    const key = `"}{[${'k'.repeat(1000)}`;
    const text = `{"apiVersion": "bird6-controller/v1", ${JSON.stringify(key)}: 1, ${JSON.stringify(key)}: 2}`;
    const [problem] = textError(text, 'dup.json').problems;
    expect(problem!.message).toContain('(924 more characters)');
    expect(formatError(textError(text, 'dup.json')).length).toBeLessThan(600);
  });
});

describe('YAML alias bomb', () => {
  it('refuses a "billion laughs" document as an invalid topology (exit 2), not an internal error', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i += 1) {
      const name = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    }
    const error = textError(lines.join('\n'), 'bomb.yaml');
    expect(error.code).toBe('TOPOLOGY_INVALID');
    expect(error.exitCode).toBe(2);
    expect(error.problems).toEqual([{
      path: '',
      message: 'YAML aliases expand too far: Excessive alias count indicates a resource exhaustion attack',
      hint: expect.stringContaining('write the repeated values out'),
    }]);
  });

  it('still accepts a few aliases', () => {
    const text = [
      'apiVersion: bird6-controller/v1',
      'cluster: {name: lab, asNumber: &as 64512}',
      'nodes:',
      '  - {name: node1, address: fd00:ec::1, asNumber: *as}',
    ].join('\n');
    expect(parseTopologyText(text, 'alias.yaml').nodes[0]!.asNumber).toBe(64512);
  });
});
