// The value filters remember the values they accepted (value-filters.ts): what they print and
// what they refuse must be the same on every call, however many values came before.
import { describe, expect, it } from 'vitest';
import { ipv6, quoted, symbol } from '../../src/render/value-filters.ts';

const FILTERS: Array<[string, (value: unknown) => string, string, string, (i: number) => string, (v: string) => string]> = [
  ['quoted', quoted, 'node1 (node-to-node mesh)', 'node1" ; include "x', (i) => `node${i}`, (v) => `"${v}"`],
  ['symbol', symbol, 'Mesh_fd00_ec__1', 'Mesh;', (i) => `n${i}`, (v) => v],
  ['ipv6', ipv6, 'fd00:ec::1', 'fd00:ec::1;', (i) => `fd00::${i.toString(16)}`, (v) => v],
];

describe.each(FILTERS)('%s', (_name, filter, good, bad, distinct, printed) => {
  it('refuses a value on every call, also after accepting others', () => {
    for (let i = 0; i < 3; i++) {
      expect(filter(good)).toBe(printed(good));
      expect(() => filter(bad)).toThrow(/^refusing to render /);
    }
    expect(() => filter(123)).toThrow(/^refusing to render /);
  });

  it('prints the same for a value seen again after more values than it remembers', () => {
    expect(filter(good)).toBe(printed(good));
    for (let i = 0; i < 12_000; i++) expect(filter(distinct(i))).toBe(printed(distinct(i)));
    expect(filter(good)).toBe(printed(good));
    expect(() => filter(bad)).toThrow(/^refusing to render /);
  });
});
