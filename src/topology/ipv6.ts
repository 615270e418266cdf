// IPv6 addresses as numbers. Addresses are compared and ordered on their numeric value, never on
// their text: `fd00::1` and `fd00:0::0001` are one address, and which side of a BGP pair is
// passive must not depend on how somebody typed it.
import { isIPv6 } from 'node:net';

const BITS = 128n;
const MAX = (1n << BITS) - 1n;

/** The numeric value of an IPv6 address, or undefined when the text is not one (zones refused). */
export function parseIPv6(text: string): bigint | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let groups = text.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(groups);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    groups = groups.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = groups.split('::') as [string, string | undefined];
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headParts.length - tailParts.length;
  const parts = [...headParts, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailParts];
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part, 16)), 0n);
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
export function formatIPv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Canonical text of an address, or undefined when it is not one. */
export function canonicalIPv6(text: string): string | undefined {
  const value = parseIPv6(text);
  return value === undefined ? undefined : formatIPv6(value);
}

export interface Prefix {
  network: bigint;
  length: number;
}

export function prefixMask(length: number): bigint {
  return length === 0 ? 0n : (MAX >> BigInt(128 - length)) << BigInt(128 - length);
}

/** Parses `addr/len`; `hostBitsSet` tells whether the address had bits beyond the length. */
export function parsePrefix(text: string): (Prefix & { hostBitsSet: boolean }) | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const value = parseIPv6(match[1]!);
  const length = Number(match[2]);
  if (value === undefined || length > 128) return undefined;
  const network = value & prefixMask(length);
  return { network, length, hostBitsSet: network !== value };
}

export function formatPrefix(prefix: Prefix): string {
  return `${formatIPv6(prefix.network)}/${prefix.length}`;
}

export function prefixContains(prefix: Prefix, address: bigint): boolean {
  return (address & prefixMask(prefix.length)) === prefix.network;
}

export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  const shorter = a.length <= b.length ? a : b;
  const longer = shorter === a ? b : a;
  return prefixContains(shorter, longer.network);
}

/** Addresses that can never be a host's or an endpoint's unicast address. */
export function specialIPv6Kind(value: bigint): string | undefined {
  if (value === 0n) return 'the unspecified address';
  if (value === 1n) return 'the loopback address';
  if (value >> 120n === 0xffn) return 'a multicast address';
  if (value >> 118n === 0x3fan) return 'a link-local address';
  return undefined;
}
