// IPv6 addresses as numbers. Addresses are compared and ordered on their numeric value, never on
// their text: `fd00::1` and `fd00:0::0001` are one address, and which side of a BGP pair is
// passive must not depend on how somebody typed it.

const BITS = 128n;
const MAX = (1n << BITS) - 1n;

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function hexGroups(part: string): number[] | undefined {
  if (part === '') return [];
  const groups = part.split(':');
  return groups.every((g) => HEX_GROUP.test(g)) ? groups.map((g) => parseInt(g, 16)) : undefined;
}

/** The general parser: handles an embedded dotted quad (`::ffff:10.0.0.1`); used when the fast one cannot. */
function parseGroupsWithQuad(text: string): number[] | undefined {
  const lastColon = text.lastIndexOf(':');
  if (lastColon < 0 || text.length > 45) return undefined;
  let body = text;
  const v4Groups: number[] = [];
  if (text.includes('.', lastColon)) {
    const quad = DOTTED_QUAD.exec(text.slice(lastColon + 1));
    if (!quad) return undefined;
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    v4Groups.push((a << 8) | b, (c << 8) | d);
    body = text.endsWith('::', lastColon + 1) ? text.slice(0, lastColon + 1) : text.slice(0, lastColon);
  }
  const gap = body.indexOf('::');
  if (gap < 0) {
    const groups = hexGroups(body);
    return groups && groups.length + v4Groups.length === 8 ? [...groups, ...v4Groups] : undefined;
  }
  if (body.includes('::', gap + 1)) return undefined;
  const head = hexGroups(body.slice(0, gap));
  const tail = hexGroups(body.slice(gap + 2));
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length - v4Groups.length;
  return missing >= 1 ? [...head, ...Array<number>(missing).fill(0), ...tail, ...v4Groups] : undefined;
}

/**
 * The value of each ASCII hex digit's char code, -1 for every other code: a table read, not a
 * call per character (issue 13: a load parses every one of tens of thousands of addresses).
 */
const HEX_VALUES = Int8Array.from({ length: 128 }, (_, code) => {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
});

/**
 * The eight 16-bit groups of an IPv6 address, or undefined when the text is not one (zones are
 * refused). One pass over the characters: the renderer canonicalises a thousand addresses per
 * config, and this is several times faster than splitting and matching. Text with a dot (an
 * embedded IPv4 address) goes to the general parser.
 */
export function parseIPv6Groups(text: string): number[] | undefined {
  const n = text.length;
  if (n < 2 || n > 39) return n > 39 ? parseGroupsWithQuad(text) : undefined;
  const groups: number[] = [];
  let gap = -1;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < n; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 58) {
      if (text.charCodeAt(i + 1) === 58) {
        // `::` may come once, at the start or after a group.
        if (gap >= 0 || (digits === 0 && i !== 0)) return undefined;
        if (digits > 0) groups.push(value);
        gap = groups.length;
        i += 1;
      } else {
        // A single `:` ends a group and must be followed by another.
        if (digits === 0 || i === n - 1) return undefined;
        groups.push(value);
      }
      value = 0;
      digits = 0;
      continue;
    }
    const digit = code < 128 ? HEX_VALUES[code]! : -1;
    if (digit < 0) return code === 46 ? parseGroupsWithQuad(text) : undefined;
    if (++digits > 4) return undefined;
    value = value * 16 + digit;
  }
  if (digits > 0) groups.push(value);
  const written = groups.length;
  if (gap < 0) return written === 8 ? groups : undefined;
  if (written > 7) return undefined;
  // The groups after `::` move to the end and zeros fill the gap, in place: no spread or
  // temporary array for each of a topology's tens of thousands of addresses (issue 13).
  for (let i = written; i < 8; i += 1) groups.push(0);
  for (let from = written - 1, to = 7; from >= gap; from -= 1, to -= 1) groups[to] = groups[from]!;
  for (let i = gap; i < gap + 8 - written; i += 1) groups[i] = 0;
  return groups;
}

/** Orders two addresses' groups numerically (negative, zero, positive). */
export function compareIPv6Groups(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 8; i += 1) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * Where RFC 5952 writes `::`: the start of the first longest run of two or more zero groups, or -1.
 * Numbers, not a [start, length] pair: this runs for every address a load canonicalises.
 */
function zeroRunStart(groups: readonly number[]): number {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  return bestStart;
}

/** How many zero groups follow from `start` on. */
function zeroRunLength(groups: readonly number[], start: number): number {
  let end = start;
  while (end < 8 && groups[end] === 0) end += 1;
  return end - start;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
export function formatIPv6Groups(groups: readonly number[]): string {
  const bestStart = zeroRunStart(groups);
  const bestLength = bestStart < 0 ? 1 : zeroRunLength(groups, bestStart);
  // One string built in place, no arrays: every address of the topology and of the kernel's
  // tables passes through here.
  let text = '';
  for (let i = 0; i < 8; i += 1) {
    if (i === bestStart) {
      text += '::';
      i += bestLength - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLength) text += ':';
    text += groups[i]!.toString(16);
  }
  return text;
}

const HEX_DIGITS = '0123456789abcdef';

/** Whether `text` is the RFC 5952 text of `groups`, compared as formatIPv6Groups would write it. */
function isFormatted(text: string, groups: readonly number[]): boolean {
  const bestStart = zeroRunStart(groups);
  const bestLength = bestStart < 0 ? 1 : zeroRunLength(groups, bestStart);
  let at = 0;
  for (let i = 0; i < 8; i += 1) {
    if (i === bestStart) {
      if (text.charCodeAt(at) !== 58 || text.charCodeAt(at + 1) !== 58) return false;
      at += 2;
      i += bestLength - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLength) {
      if (text.charCodeAt(at) !== 58) return false;
      at += 1;
    }
    const value = groups[i]!;
    for (let shift = value >= 0x1000 ? 12 : value >= 0x100 ? 8 : value >= 0x10 ? 4 : 0; shift >= 0; shift -= 4) {
      if (text.charCodeAt(at) !== HEX_DIGITS.charCodeAt((value >> shift) & 15)) return false;
      at += 1;
    }
  }
  return at === text.length;
}

/**
 * The RFC 5952 text of `groups`, parsed from `text`: `text` itself when it is written so already,
 * as nearly every address in a topology or the kernel's tables is. Comparing builds no string,
 * where formatting concatenates a dozen pieces (issue 13: tens of thousands of addresses a load).
 */
export function canonicalText(text: string, groups: readonly number[]): string {
  return isFormatted(text, groups) ? text : formatIPv6Groups(groups);
}

/** The numeric value of an IPv6 address, or undefined when the text is not one (zones refused). */
export function parseIPv6(text: string): bigint | undefined {
  const groups = parseIPv6Groups(text);
  if (groups === undefined) return undefined;
  // Four 32-bit pieces (exact as Numbers), not eight BigInt conversions and sixteen BigInt
  // operations: a 10,000-endpoint topology parses every address several times (issue 13).
  const [a, b, c, d, e, f, g, h] = groups as [number, number, number, number, number, number, number, number];
  return (BigInt(a * 65536 + b) << 96n) | (BigInt(c * 65536 + d) << 64n) | (BigInt(e * 65536 + f) << 32n) | BigInt(g * 65536 + h);
}

export function formatIPv6(value: bigint): string {
  return formatIPv6Groups(groupsOf(value));
}

/** The eight 16-bit groups of a 128-bit value. */
function groupsOf(value: bigint): number[] {
  return Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
}

/** Canonical text of an address, or undefined when it is not one. */
export function canonicalIPv6(text: string): string | undefined {
  const groups = parseIPv6Groups(text);
  return groups === undefined ? undefined : canonicalText(text, groups);
}

export interface Prefix {
  network: bigint;
  length: number;
}

function computeMask(length: number): bigint {
  return length === 0 ? 0n : (MAX >> BigInt(128 - length)) << BigInt(128 - length);
}

/** Every mask, computed once: each address check asks for several (specialIPv6Kind, pools). */
const MASKS: readonly bigint[] = Array.from({ length: 129 }, (_, length) => computeMask(length));

export function prefixMask(length: number): bigint {
  return MASKS[length] ?? computeMask(length);
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

/**
 * A test of addresses given as groups against one prefix, with the network's and the mask's
 * groups computed once: validating a topology checks every address against the special ranges
 * and the pools, and this makes no BigInt per address (issue 13).
 */
export function groupsMatcher(prefix: Prefix): (groups: readonly number[]) => boolean {
  const network = groupsOf(prefix.network);
  const mask = groupsOf(prefixMask(prefix.length));
  return (groups) => {
    for (let i = 0; i < 8; i += 1) if ((groups[i]! & mask[i]!) !== network[i]) return false;
    return true;
  };
}

export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  const shorter = a.length <= b.length ? a : b;
  const longer = shorter === a ? b : a;
  return prefixContains(shorter, longer.network);
}

/**
 * Ranges that can never hold a host's, a peer's or an endpoint's unicast address (RFC 4291 §2.4,
 * RFC 3879 for site-local), most specific first so that `::` is "unspecified", not
 * "IPv4-compatible". 2001:db8::/32 (documentation) is not among them: labs and tests use it.
 */
const SPECIAL_RANGES: ReadonlyArray<{ prefix: Prefix; address: string; range: string }> = [
  { prefix: { network: 0n, length: 128 }, address: 'the unspecified address', range: 'the unspecified address ::/128' },
  { prefix: { network: 1n, length: 128 }, address: 'the loopback address', range: 'the loopback address ::1/128' },
  { prefix: { network: 0n, length: 96 }, address: 'a deprecated IPv4-compatible address', range: 'the deprecated IPv4-compatible range ::/96' },
  { prefix: { network: 0xffffn << 32n, length: 96 }, address: 'an IPv4-mapped address', range: 'the IPv4-mapped range ::ffff:0:0/96' },
  { prefix: { network: 0xfe80n << 112n, length: 10 }, address: 'a link-local address', range: 'the link-local range fe80::/10' },
  { prefix: { network: 0xfec0n << 112n, length: 10 }, address: 'a deprecated site-local address', range: 'the deprecated site-local range fec0::/10' },
  { prefix: { network: 0xffn << 120n, length: 8 }, address: 'a multicast address', range: 'the multicast range ff00::/8' },
];

/**
 * Each special range with the first groups it admits, so that nearly every address is ruled out
 * on that one number before its eight groups are compared.
 */
const SPECIAL_MATCHERS = SPECIAL_RANGES.map((r) => {
  const first = Number(r.prefix.network >> 112n);
  const last = r.prefix.length >= 16 ? first : first | (0xffff >> r.prefix.length);
  return { first, last, contains: groupsMatcher(r.prefix), address: r.address };
});

/** What kind of special address these groups are, or undefined for an ordinary unicast address. */
export function specialIPv6Kind(groups: readonly number[]): string | undefined {
  const head = groups[0]!;
  for (let i = 0; i < SPECIAL_MATCHERS.length; i += 1) {
    const special = SPECIAL_MATCHERS[i]!;
    if (head >= special.first && head <= special.last && special.contains(groups)) return special.address;
  }
  return undefined;
}

/** The first special range a prefix shares addresses with, or undefined when it shares none. */
export function specialRangeOverlapping(prefix: Prefix): string | undefined {
  return SPECIAL_RANGES.find((r) => prefixesOverlap(r.prefix, prefix))?.range;
}

/**
 * Whether the address is the subnet-router anycast address of its /64 (RFC 4291 §2.6.1): the
 * interface identifier is all zeros, and every router on that /64 answers it.
 */
export function isSubnetRouterAnycast(groups: readonly number[]): boolean {
  return groups[4] === 0 && groups[5] === 0 && groups[6] === 0 && groups[7] === 0;
}
