// Builders for topology documents in tests: a small valid cluster that each test breaks in one
// place, a helper that returns the problems the loader reports for a document, and one that
// returns the error loading a file fails with.
import { expect } from 'vitest';
import { BirdctlError, type Problem } from '../../src/errors.ts';
import { loadTopology, parseTopology } from '../../src/topology/index.ts';

export type Entry = Record<string, unknown>;
export interface Doc {
  apiVersion?: unknown;
  cluster: Entry & { bgp?: Entry };
  ipPools: Entry[];
  nodes: Entry[];
  peers: Entry[];
  endpoints: Entry[];
  [key: string]: unknown;
}

/** Three mesh nodes, one pool, one container endpoint: valid as it stands. */
export function validDoc(): Doc {
  return {
    apiVersion: 'bird6-controller/v1',
    cluster: { name: 'lab', asNumber: 64512 },
    ipPools: [{ cidr: 'fd00:10::/48' }],
    nodes: [
      { name: 'node1', address: 'fd00:ec::1' },
      { name: 'node2', address: 'fd00:ec::2' },
      { name: 'node3', address: 'fd00:ec::3' },
    ],
    peers: [],
    endpoints: [{ name: 'web-1', node: 'node1', kind: 'container', addresses: ['fd00:10::10'] }],
  };
}

/** The valid document with one change applied. */
export function docWith(change: (doc: Doc) => void): Doc {
  const doc = validDoc();
  change(doc);
  return doc;
}

/** Every problem the loader reports for `doc`; fails the test when the document is accepted. */
export function problemsOf(doc: unknown): Problem[] {
  try {
    parseTopology(doc, 'test.yaml');
  } catch (error) {
    if (error instanceof BirdctlError && error.code === 'TOPOLOGY_INVALID') return [...error.problems];
    throw error;
  }
  throw new Error('expected the topology to be refused, but it was accepted');
}

/** Asserts that `doc` has exactly one problem, at `path`, with `message`, and a hint containing `hint`. */
export function expectOneProblem(doc: unknown, path: string, message: string, hint: string): void {
  expect(problemsOf(doc)).toEqual([{ path, message, hint: expect.stringContaining(hint) }]);
}

/** The BirdctlError that loading `file` fails with; fails the test when it loads or fails otherwise. */
export async function loadError(file: string): Promise<BirdctlError> {
  const error = await loadTopology(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof BirdctlError)) throw new Error(`expected a BirdctlError from ${file}, got ${String(error)}`);
  return error;
}
