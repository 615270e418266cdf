// Layer one of validation: the shape of every field of the v1 topology format (DESIGN.md §5).
// Objects are strict, so a misspelt key is an error rather than a silently ignored setting.
// Every string that can reach bird6.conf, dnsmasq.conf or a command line is constrained here to
// characters that cannot change the structure of those files.
// A namespace import: the bundle (scripts/build.mjs) then keeps only the zod it uses, not every
// locale, as it must with a named import of the namespace object z.
import * as z from 'zod';
import { parseIPv4, reservedRouterIdReason } from './ipv4.ts';
import { quote } from './excerpt.ts';
import { canonicalText, parsePrefix, formatPrefix, parseIPv6Groups, specialIPv6Kind, specialRangeOverlapping } from './ipv6.ts';
import { AS_TRANS } from './conventions.ts';

export const API_VERSION = 'bird6-controller/v1';

// zod compiles a fast path for each object schema with `new Function` the first time it is used;
// a process or an agent validates the topology once per edit, so that compiling cost more than it
// saved (issue 13: cold validation of a 100-endpoint file about half as long without it). zod
// is used only by this package, so the setting is this module's to make.
z.config({ jitless: true });

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no slash, no whitespace. */
export const INTERFACE_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
export const NETNS_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
/**
 * TCP-MD5 keys are at most 80 bytes. A double quote or backslash would end or escape BIRD's
 * string; single quotes are refused too, as the message promises "no quotes", so the key is safe
 * in any quoted context it may later be written to.
 */
const PASSWORD_RE = /^[\x21\x23-\x26\x28-\x5b\x5d-\x7e]{1,80}$/;

export const name = (what: string) =>
  z.string().regex(NAME_RE, {
    error: (issue) =>
      `${quote(issue.input)} is not a valid ${what} name: use 1-63 lower-case letters, digits and '-', starting with a letter or digit`,
  });

/** Why the text, parsed to `groups`, is not a unicast host address; undefined when it is one. */
function notAHostAddress(text: string, groups: readonly number[] | undefined): string | undefined {
  if (groups === undefined) return `${quote(text)} is not an IPv6 address`;
  const special = specialIPv6Kind(groups);
  return special === undefined ? undefined : `${quote(text)} is ${special}, not a routable host address`;
}

/** A unicast IPv6 host address, returned in canonical form. */
const hostAddress = z.string().transform((text, ctx) => {
  const groups = parseIPv6Groups(text);
  const problem = notAHostAddress(text, groups);
  if (problem !== undefined) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return canonicalText(text, groups!);
});

/**
 * An endpoint's addresses, each in canonical form. One pass over the list, not a zod schema per
 * element: zod's machinery per element (payloads, pipe, issue context) costs several times the
 * parse of the address itself, and a topology has tens of thousands (issue 13). The issues are
 * zod's own kinds, so their messages are zod's words, as z.array(z.string()).min(1) would give,
 * and every bad element of a list is reported at once.
 */
const hostAddresses = z.unknown().transform((list, ctx): string[] => {
  if (!Array.isArray(list)) {
    ctx.addIssue({ code: 'invalid_type', expected: 'array', input: list });
    return z.NEVER;
  }
  if (list.length === 0) {
    ctx.addIssue({ code: 'too_small', origin: 'array', minimum: 1, inclusive: true, input: list, message: 'an endpoint needs at least one address' });
    return z.NEVER;
  }
  const canonical: string[] = [];
  const parsed: number[][] = [];
  for (let i = 0; i < list.length; i += 1) {
    const text: unknown = list[i];
    if (typeof text !== 'string') {
      ctx.addIssue({ code: 'invalid_type', expected: 'string', input: text, path: [i] });
      continue;
    }
    const groups = parseIPv6Groups(text);
    const problem = notAHostAddress(text, groups);
    if (problem === undefined) {
      canonical.push(canonicalText(text, groups!));
      parsed.push(groups!);
    } else ctx.addIssue({ code: 'custom', message: problem, input: text, path: [i] });
  }
  if (canonical.length !== list.length) return z.NEVER;
  groupsOfAddressList.set(canonical, parsed);
  return canonical;
});

/** The groups of each address of a list hostAddresses returned, by the list (it is not copied on). */
const groupsOfAddressList = new WeakMap<readonly string[], readonly (readonly number[])[]>();

/**
 * The groups the schema parsed for an endpoint's address list, in its order, or undefined for a
 * list it did not return: the rules that compare addresses as numbers (checks.ts) take them rather
 * than parse a large topology's tens of thousands again (issue 13).
 */
export function parsedAddressGroups(addresses: readonly string[]): readonly (readonly number[])[] | undefined {
  return groupsOfAddressList.get(addresses);
}

const prefix = z.string().transform((text, ctx) => {
  const parsed = parsePrefix(text);
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: `${quote(text)} is not an IPv6 prefix such as fd00:10::/48` });
    return z.NEVER;
  }
  if (parsed.hostBitsSet) {
    ctx.addIssue({
      code: 'custom',
      message: `${quote(text)} has bits set after the prefix length; did you mean ${formatPrefix(parsed)}?`,
    });
    return z.NEVER;
  }
  const special = specialRangeOverlapping(parsed);
  if (special !== undefined) {
    ctx.addIssue({ code: 'custom', message: `${quote(text)} overlaps ${special}; a pool holds routable unicast addresses` });
    return z.NEVER;
  }
  return formatPrefix(parsed);
});

const dottedQuad = (what: string) =>
  z.string().superRefine((text, ctx) => {
    const value = parseIPv4(text);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `${quote(text)} is not a dotted-quad ${what} such as 10.255.0.1` });
      return;
    }
    const reason = reservedRouterIdReason(value);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: `${what} ${quote(text)} cannot be used: ${reason}` });
  });


const asNumber = z
  .number({ error: (issue) => `AS number must be a number, got ${quote(issue.input)}` })
  .int({ error: (issue) => `AS number ${quote(issue.input)} must be a whole number` })
  .min(1, { error: (issue) => `AS number ${quote(issue.input)} is out of range 1..4294967295` })
  .max(4294967295, { error: (issue) => `AS number ${quote(issue.input)} is out of range 1..4294967295` })
  .refine((value) => value !== AS_TRANS, {
    error: `AS number ${AS_TRANS} is AS_TRANS (RFC 6793), which stands in for a 4-byte AS number and is never a router's own`,
  });

const seconds = (min: number, max: number) => z.number().int().min(min).max(max);

const password = z.string().regex(PASSWORD_RE, {
  error: () => 'password must be 1-80 printable ASCII characters without spaces, quotes or backslashes',
});

const interfaceName = z.string().regex(INTERFACE_RE, {
  error: (issue) =>
    `${quote(issue.input)} is not a usable interface name: at most 15 characters of letters, digits, '_', '.' and '-'`,
});

const mac = z
  .string()
  .regex(MAC_RE, { error: (issue) => `${quote(issue.input)} is not a MAC address such as 02:00:00:00:00:10` })
  .transform((text) => text.toLowerCase());

/** A BGP community added on export: standard `A:B` (16-bit parts) or large `A:B:C` (32-bit parts, RFC 8092). */
const community = z.string().transform((text, ctx) => {
  const parts = /^\d{1,10}(:\d{1,10}){1,2}$/.test(text) ? text.split(':').map(Number) : [];
  const max = parts.length === 2 ? 0xffff : 0xffffffff;
  if (parts.length === 0 || parts.some((part) => part > max)) {
    ctx.addIssue({ code: 'custom', message: `${quote(text)} is not a BGP community: use A:B with parts 0..65535, or a large community A:B:C with parts 0..4294967295` });
    return z.NEVER;
  }
  return parts.join(':');
});

/**
 * What an external peer is sent and what is taken from it. They live at cluster level as defaults
 * and on each peer as overrides, so a peer's own value is never filled in by the schema: the
 * peering policy (src/peering/policy.ts) resolves peer, then cluster.
 */
const externalPolicy = {
  /** pools: the pool prefixes as aggregates; endpoints: this node's own /128s; none: nothing */
  export: z.enum(['pools', 'endpoints', 'none']).optional(),
  /** default: only ::/0; all: every route outside the pools; none: nothing */
  import: z.enum(['default', 'all', 'none']).optional(),
  importLimit: z.number().int().min(1).max(10_000_000).optional(),
  communities: z.array(community).max(32, { error: 'at most 32 communities' }).optional(),
  /** auto: BIRD's own choice; self: always this node; keep: never changed */
  nextHop: z.enum(['auto', 'self', 'keep']).optional(),
  bfd: z.boolean().optional(),
};

const clusterBgp = z.strictObject({
  holdTime: seconds(3, 65535).default(6),
  keepaliveTime: seconds(1, 21845).default(2),
  connectRetryTime: seconds(1, 65535).default(1),
  gracefulRestart: z.boolean().default(true),
  /** how long peers keep this node's routes while its bird6 restarts; BIRD's default (120 s) when absent */
  gracefulRestartTime: seconds(1, 65535).optional(),
  password: password.optional(),
  ...externalPolicy,
});

const cluster = z.strictObject({
  name: name('cluster'),
  asNumber,
  nodeToNodeMesh: z.boolean().default(true),
  bgp: clusterBgp.default(() => clusterBgp.parse({})),
});

const ipPool = z.strictObject({ cidr: prefix });

const node = z.strictObject({
  name: name('node'),
  address: hostAddress,
  routerId: dottedQuad('router ID').optional(),
  asNumber: asNumber.optional(),
  routeReflector: z.strictObject({ clusterId: dottedQuad('cluster ID') }).optional(),
  routeReflectorClient: z.strictObject({ clusterId: dottedQuad('cluster ID') }).optional(),
});

const peer = z.strictObject({
  name: name('peer'),
  address: hostAddress,
  asNumber,
  node: name('node').optional(),
  port: z.number().int().min(1).max(65535).optional(),
  password: password.optional(),
  passive: z.boolean().optional(),
  multihop: z.number().int().min(1).max(255).optional(),
  holdTime: seconds(3, 65535).optional(),
  keepaliveTime: seconds(1, 21845).optional(),
  /** this side's AS on this session only, for eBGP designs that present another AS to a router */
  localAsNumber: asNumber.optional(),
  ...externalPolicy,
});

const endpoint = z.strictObject({
  name: name('endpoint'),
  node: name('node'),
  kind: z.enum(['container', 'vm']),
  addresses: hostAddresses,
  interface: interfaceName.optional(),
  mac: mac.optional(),
  netns: z
    .string()
    .regex(NETNS_RE, {
      error: (issue) => `${quote(issue.input)} is not a usable network namespace name: letters, digits, '_', '.' and '-'`,
    })
    .optional(),
});

/** The parts of the document that the loader can still check one by one when the whole fails. */
export const partSchemas = { cluster, ipPools: ipPool, nodes: node, peers: peer, endpoints: endpoint };

export const topologySchema = z.strictObject({
  apiVersion: z.literal(API_VERSION, { error: (issue) => `apiVersion must be "${API_VERSION}", got ${quote(issue.input)}` }),
  cluster,
  ipPools: z.array(ipPool).default([]),
  nodes: z.array(node).min(1, { error: 'the topology has no nodes: add at least one under nodes' }),
  peers: z.array(peer).default([]),
  endpoints: z.array(endpoint).default([]),
});

/** The topology as written, after the shape checks (addresses canonical, defaults filled in). */
export type TopologyInput = z.output<typeof topologySchema>;
