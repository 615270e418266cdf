// The YAML fast path (src/topology/simple-yaml.ts) against the `yaml` package: every document it
// takes, it reads exactly as the library does, and it declines everything outside its subset so
// that the library's own value, errors and bounds still decide those.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import { parseSimpleYaml } from '../../src/topology/simple-yaml.ts';

/** The library's reading, as load.ts asks for it; undefined when it reports an error. */
function libraryValue(text: string): { value: unknown } | undefined {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) return undefined;
  try {
    return { value: doc.toJS() };
  } catch {
    return undefined;
  }
}

/** The property every document must have: declined, or read as the library reads it. */
function expectAgreement(text: string): void {
  const fast = parseSimpleYaml(text);
  if (fast === undefined) return;
  const library = libraryValue(text);
  expect(library, `the library refuses what the fast path took:\n${text}`).toBeDefined();
  expect(fast.value, text).toStrictEqual(library!.value);
}

const TOPOLOGIES = 'topology';
const shipped = readdirSync(TOPOLOGIES).filter((f) => f.endsWith('.yaml')).map((f) => join(TOPOLOGIES, f));

/** The endpoints bench's file (test/bench/endpoints-apply.ts): flow mappings and quoted addresses. */
function benchStyle(endpoints: number): string {
  const lines = ['apiVersion: bird6-controller/v1', 'cluster: {"name":"bench","asNumber":64512}', 'ipPools: [{"cidr":"fd00:10::/32"}]', 'nodes: [{"name":"node1","address":"fd00:ec::1"}]', 'endpoints:'];
  for (let i = 0; i < endpoints; i += 1) {
    const addresses = Array.from({ length: 5 }, (_, j) => `"fd00:10:${i + 1}::${j + 1}"`).join(', ');
    lines.push(`  - {name: ep-${i}, node: node1, kind: container, interface: epb-if${i}, addresses: [${addresses}]}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('the YAML fast path', () => {
  it.each(shipped)('reads %s as the library does', (file) => {
    const text = readFileSync(file, 'utf8');
    const fast = parseSimpleYaml(text);
    expect(fast).toBeDefined();
    expect(fast!.value).toStrictEqual(libraryValue(text)!.value);
  });

  it('reads the block style that yaml.stringify writes (the lab edits its file so) and the bench\'s flow style', () => {
    const lab = parseDocument(readFileSync(join(TOPOLOGIES, 'route-reflectors.yaml'), 'utf8')).toJS() as { endpoints: unknown[] };
    for (let i = 0; i < 20; i += 1) lab.endpoints.push({ name: `bench-${i}`, node: 'client1', kind: 'container', addresses: [`fd00:20::${i + 4096}`], netns: `b${i}` });
    for (const text of [stringify(lab), stringify(lab, { indentSeq: false }), benchStyle(30)]) {
      const fast = parseSimpleYaml(text);
      expect(fast, text).toBeDefined();
      expect(fast!.value).toStrictEqual(libraryValue(text)!.value);
    }
  });

  it('reads scalars with the core schema: null, booleans, decimal integers, strings that look like numbers', () => {
    const text = [
      'a: ~', 'b:', 'c: null', 'd: TRUE', 'e: False', 'f: 64512', 'g: -3', 'h: 0', 'i: 1.0.0.1', 'j: 02:00:00:00:00:10',
      'k: fd00:ec::1', 'l: "quoted: #1"', "m: 'it''s'", 'n: plain words # and a comment', 'o: [1, a, "b", [], {}]', 'p: {x: 1, y: [fd00::1]}',
      'q: yes', 'r: 64512:100', 's: 0123abc',
    ].join('\n');
    expect(parseSimpleYaml(text)!.value).toStrictEqual(libraryValue(text)!.value);
    expect(parseSimpleYaml(text)!.value).toMatchObject({ a: null, b: null, d: true, e: false, f: 64512, g: -3, i: '1.0.0.1', q: 'yes', s: '0123abc' });
  });

  // Each is either something the library refuses (and must report) or reads by rules the fast
  // path does not copy.
  it.each([
    ['an alias', 'a: &x [1]\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a duplicate key in a flow mapping', 'a: {b: 1, b: 2}\n'],
    ['a tab', 'a:\n\t- 1\n'],
    ['a carriage return', 'a: 1\r\nb: 2\r\n'],
    ['non-ASCII text', 'a: caf\u00e9\n'],
    ['a multi-line plain scalar', 'a: one\n  two\n'],
    ['a multi-line flow sequence', 'a: [1,\n  2]\n'],
    ['a block scalar', 'a: |\n  text\n'],
    ['a hexadecimal number', 'a: 0x10\n'],
    ['a float', 'a: 1.5\n'],
    ['an exponent', 'a: 1e3\n'],
    ['a leading zero', 'a: 012\n'],
    ['a plus sign', 'a: +1\n'],
    ['infinity', 'a: .inf\n'],
    ['an escape', 'a: "\\u0041"\n'],
    ['an escaped quote in a later scalar of a flow sequence', 'a: ["x", "y\\"", z]\n'],
    ['an escape at the end of a scalar', 'a: ["x\\\\", "y"]\n'],
    ['a quoted key', '"a": 1\n'],
    ['a directive', '%YAML 1.1\n---\na: 1\n'],
    ['two documents', 'a: 1\n---\nb: 2\n'],
    ['inconsistent indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['a sequence next to a key', 'a: 1\n- b\n'],
    ['a compact nested sequence', 'a:\n  - - 1\n'],
    ['an empty document', '# nothing\n'],
    ['a scalar document', 'hello\n'],
    ['a JSON document', '{"a": 1}\n'],
    ['a key with no space after the colon', 'a:1\n'],
    ['a nested mapping on one line', 'a: b: c\n'],
    ['a trailing comma', 'a: [1, 2,]\n'],
    ['a __proto__ key', '__proto__: {a: 1}\n'],
    ['flow collections nested too deep', `a: ${'['.repeat(40)}${']'.repeat(40)}\n`],
    ['blocks nested too deep', Array.from({ length: 80 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')],
  ])('declines %s', (_, text) => {
    expect(parseSimpleYaml(text)).toBeUndefined();
  });

  it('takes nothing the library refuses or reads otherwise, under thousands of random edits', () => {
    // A fixed seed: the same edits on every run, so a failure is reproducible.
    let seed = 13;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pieces = [' ', '  ', ':', ': ', '-', '- ', '#', ' #', '[', ']', '{', '}', ',', "'", '"', '\n', '\n  ', 'a', 'x: 1', '1', '0', '.', '&a', '*a', '!', '|', '>', '?', '~', 'null', 'true', '\\', '%', '---', 'e5', '"k":', "'q'", '\n- ', '\n    '];
    const samples = [
      readFileSync(join(TOPOLOGIES, 'route-reflectors.yaml'), 'utf8'),
      benchStyle(3),
      'a:\n- b: 1\n  c: [x, "y", {z: 2}]\n- d\nlist:\n  - 1\n  -\n    e: f\n',
    ];
    for (const sample of samples) {
      for (let round = 0; round < 1500; round += 1) {
        let text = sample;
        for (let edits = 1 + random(3); edits > 0; edits -= 1) {
          const at = random(text.length + 1);
          const piece = pieces[random(pieces.length)]!;
          const op = random(3);
          text = op === 0 ? text.slice(0, at) + piece + text.slice(at) : op === 1 ? text.slice(0, at) + text.slice(at + 1 + random(4)) : text.slice(0, at) + piece + text.slice(at + piece.length);
        }
        expectAgreement(text);
      }
    }
  });
});
