import { describe, expect, it } from 'vitest';
import { canonicalIPv6, formatIPv6, parseIPv6, parseIPv6Groups, parsePrefix, prefixesOverlap, specialIPv6Kind } from '../../src/topology/ipv6.ts';

describe('IPv6 canonical form', () => {
  it.each([
    ['fd00:0::0001', 'fd00::1'],
    ['FD00:EC:0:0:0:0:0:2', 'fd00:ec::2'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ['fd00::1', 'fd00::1'],
    ['fd00::A', 'fd00::a'],
    ['fd00::0:1', 'fd00::1'],
    ['fd00::1:0', 'fd00::1:0'],
    ['1:0:0:2::3:4', '1::2:0:0:3:4'],
    ['1::2:0:0:3:4', '1::2:0:0:3:4'],
    ['1:2:3:4:5:6::7', '1:2:3:4:5:6:0:7'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ['fd00:ec::', 'fd00:ec::'],
    ['fd00:ec::0', 'fd00:ec::'],
    ['::ffff:a00:1', '::ffff:a00:1'],
  ])('%s is %s', (input, expected) => {
    expect(canonicalIPv6(input)).toBe(expected);
  });

  it('refuses text that is not an address, and zones', () => {
    expect(parseIPv6('fd00::zz')).toBeUndefined();
    expect(parseIPv6('fe80::1%eth0')).toBeUndefined();
    expect(parseIPv6('10.0.0.1')).toBeUndefined();
  });

  it('orders on the numeric value', () => {
    expect(parseIPv6('fd00::a')! < parseIPv6('fd00::10')!).toBe(true);
    expect(formatIPv6(parseIPv6('fd00::10')!)).toBe('fd00::10');
  });

  it('parses prefixes and detects host bits and overlaps', () => {
    expect(parsePrefix('fd00:10::/48')).toMatchObject({ length: 48, hostBitsSet: false });
    expect(parsePrefix('fd00:10::1/48')?.hostBitsSet).toBe(true);
    expect(parsePrefix('fd00::/129')).toBeUndefined();
    expect(prefixesOverlap(parsePrefix('fd00:10::/48')!, parsePrefix('fd00:10:0:1::/64')!)).toBe(true);
    expect(prefixesOverlap(parsePrefix('fd00:10::/48')!, parsePrefix('fd00:11::/48')!)).toBe(false);
  });
});

describe('special addresses', () => {
  it.each([
    ['::', 'the unspecified address'],
    ['::1', 'the loopback address'],
    ['::2', 'a deprecated IPv4-compatible address'],
    ['::ffff:0:1', 'an IPv4-mapped address'],
    ['::fffe:0:1', undefined],
    ['0:0:0:0:1::', undefined],
    ['1::', undefined],
    ['fe7f:ffff::1', undefined],
    ['fe80::', 'a link-local address'],
    ['febf:ffff::1', 'a link-local address'],
    ['fec0::1', 'a deprecated site-local address'],
    ['feff:ffff::1', 'a deprecated site-local address'],
    ['ff00::', 'a multicast address'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'a multicast address'],
    ['fd00:10::1', undefined],
  ])('%s is %s', (address, kind) => {
    expect(specialIPv6Kind(parseIPv6Groups(address)!)).toBe(kind);
  });
});

describe('IPv6 parser agrees with node:net on what is an address', () => {
  it('for mutations of valid addresses', async () => {
    const { isIPv6 } = await import('node:net');
    const seeds = ['fd00:ec::1', '::', '::1', '1::', '1:2:3:4:5:6:7:8', '::ffff:10.0.0.1', '1:2:3:4:5:6:1.2.3.4', '2001:db8::1:0:0:1'];
    const alphabet = ['0', '1', 'a', 'f', 'g', ':', '::', '.', '%', '255', '256', 'FFFF', '00000', ''];
    let state = 42;
    const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let checked = 0;
    for (const seed of seeds) {
      for (let i = 0; i < 400; i += 1) {
        const at = Math.floor(random() * (seed.length + 1));
        const cut = Math.floor(random() * 3);
        const text = seed.slice(0, at) + alphabet[Math.floor(random() * alphabet.length)] + seed.slice(at + cut);
        expect(parseIPv6(text) !== undefined, text).toBe(isIPv6(text) && !text.includes('%'));
        // The WHATWG URL parser writes an IPv6 host in RFC 5952 form as well.
        if (parseIPv6(text) !== undefined) expect(canonicalIPv6(text), text).toBe(new URL(`http://[${text}]/`).hostname.slice(1, -1));
        checked += 1;
      }
    }
    expect(checked).toBe(3200);
  });
});
