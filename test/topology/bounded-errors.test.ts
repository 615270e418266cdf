// An error report about a topology is small whatever the topology holds: a quoted value is an
// excerpt with the count of what was left out, a path quotes an odd key the same way, and a
// report lists a bounded number of problems and says how many more there are.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BirdctlError, formatError } from '../../src/errors.ts';
import { loadTopology, parseTopology } from '../../src/topology/index.ts';
import { MAX_PROBLEMS, quote } from '../../src/topology/excerpt.ts';
import { docWith, problemsOf } from './documents.ts';

const scratch = mkdtempSync(join(tmpdir(), 'ftload-bounded-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const MiB = 1024 * 1024;

function errorOf(run: () => unknown): BirdctlError {
  try {
    run();
  } catch (error) {
    if (error instanceof BirdctlError) return error;
    throw error;
  }
  throw new Error('expected a BirdctlError');
}

describe('quote', () => {
  it('quotes a short string whole, as JSON', () => {
    expect(quote('node\n1')).toBe('"node\\n1"');
  });

  it('quotes the first 80 characters of a long string and counts the rest', () => {
    expect(quote('a'.repeat(80))).toBe(`"${'a'.repeat(80)}"`);
    expect(quote('a'.repeat(81))).toBe(`"${'a'.repeat(80)}"… (1 more character)`);
    expect(quote('b'.repeat(50 * MiB))).toBe(`"${'b'.repeat(80)}"… (${50 * MiB - 80} more characters)`);
  });

  it('does not cut a surrogate pair in half', () => {
    const text = `${'a'.repeat(79)}😀tail`;
    expect(quote(text)).toBe(`"${'a'.repeat(79)}"… (6 more characters)`);
  });

  it('names lists and mappings instead of serialising them', () => {
    expect(quote(Array(1e6).fill('x'))).toBe('a list of 1000000 entries');
    expect(quote({ a: 1, b: 2 })).toBe('a mapping of 2 keys');
    expect(quote(12)).toBe('12');
    expect(quote(Infinity)).toBe('Infinity');
    expect(quote(null)).toBe('null');
    expect(quote(undefined)).toBe('undefined');
  });
});

describe('a 50 MB value', () => {
  const big = 'A'.repeat(50 * MiB);

  it.each([
    ['a node name', (v: string) => docWith((d) => (d.nodes[0]!.name = v)), 'nodes[0].name'],
    ['a node address', (v: string) => docWith((d) => (d.nodes[0]!.address = v)), 'nodes[0].address'],
    ['a pool', (v: string) => docWith((d) => (d.ipPools[0]!.cidr = v)), 'ipPools[0].cidr'],
    ['a MAC', (v: string) => docWith((d) => (d.endpoints[0]!.mac = v)), 'endpoints[0].mac'],
    ['a netns', (v: string) => docWith((d) => (d.endpoints[0]!.netns = v)), 'endpoints[0].netns'],
    ['a router ID', (v: string) => docWith((d) => (d.nodes[0]!.routerId = v)), 'nodes[0].routerId'],
    ['an AS number', (v: string) => docWith((d) => (d.cluster.asNumber = v)), 'cluster.asNumber'],
    ['the apiVersion', (v: string) => docWith((d) => (d.apiVersion = v)), 'apiVersion'],
  ])('in %s gives an error of a few hundred characters that says how much was left out', (_what, make, path) => {
    const error = errorOf(() => parseTopology(make(big), 'big.yaml'));
    const text = formatError(error);
    expect(text.length).toBeLessThan(1000);
    expect(error.problems.find((p) => p.path === path)?.message).toContain(`"${'A'.repeat(80)}"… (${50 * MiB - 80} more characters)`);
  });

  it('as an unknown key quotes an excerpt of the key in the path and message', () => {
    const error = errorOf(() => parseTopology(docWith((d) => (d.cluster[big] = 1)), 'big.yaml'));
    const [problem] = error.problems;
    expect(problem!.path).toBe(`cluster[${quote(big)}]`);
    expect(problem!.message).toBe(`unknown field ${quote(big)}`);
    expect(formatError(error).length).toBeLessThan(1000);
  });

  it('in a list of 1,000,000 entries where a string belongs is named, not printed', () => {
    const error = errorOf(() => parseTopology(docWith((d) => (d.nodes[0]!.name = Array(1e6).fill(big.slice(0, 100)))), 'big.yaml'));
    expect(formatError(error).length).toBeLessThan(1000);
  });

  it('in a file within the size cap gives a bounded error', async () => {
    const file = join(scratch, 'ten-mb.json');
    writeFileSync(file, JSON.stringify(docWith((d) => (d.nodes[1]!.name = 'x'.repeat(10 * MiB)))));
    const error = await loadTopology(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BirdctlError);
    expect(formatError(error).length).toBeLessThan(1000);
  });
});

describe('many problems', () => {
  it(`lists the first ${MAX_PROBLEMS} and says how many more there are`, () => {
    const doc = docWith((d) => {
      d.nodes = Array.from({ length: 1000 }, (_, i) => ({ name: `Bad_${i}`, address: `fd00:ec::${(i + 1).toString(16)}` }));
      d.endpoints = [];
    });
    const problems = problemsOf(doc);
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems[0]!.path).toBe('nodes[0].name');
    expect(problems.at(-1)).toEqual({ path: '', message: `and ${1000 - MAX_PROBLEMS} more problems`, hint: expect.stringContaining('fix the problems above') });
  });

  it('lists all problems when there are exactly as many as the bound', () => {
    const doc = docWith((d) => {
      d.nodes = Array.from({ length: MAX_PROBLEMS }, (_, i) => ({ name: `Bad_${i}`, address: `fd00:ec::${(i + 1).toString(16)}` }));
      d.endpoints = [];
    });
    expect(problemsOf(doc)).toHaveLength(MAX_PROBLEMS);
  });

  it('bounds a report of 100,000 unknown keys', () => {
    const doc = docWith((d) => {
      for (let i = 0; i < 100_000; i += 1) d.cluster[`k${i}`] = i;
    });
    const error = errorOf(() => parseTopology(doc, 'keys.yaml'));
    expect(error.problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(formatError(error).length).toBeLessThan(MAX_PROBLEMS * 400);
  });
});
