// Turns zod's issues into the words an operator needs: the path as `nodes[2].address` and a hint
// that says how to fix the field, including a did-you-mean for misspelt keys.
import type { z } from 'zod';
import { quote } from './excerpt.ts';
import { API_VERSION, topologySchema } from './schema.ts';

type PathKey = PropertyKey;

/** Keys that read unambiguously after a dot; the schema's own keys are all like this. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * `nodes[2].address`. A key the document made up that is not a plain word (a newline, a dot, 50 MB)
 * is quoted in brackets, so the path stays one bounded line that cannot be misread.
 */
export function formatPath(path: readonly PathKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    const name = String(key);
    if (!PLAIN_KEY.test(name)) return `${text}[${quote(name)}]`;
    return text ? `${text}.${name}` : name;
  }, '');
}

/** Levenshtein distance, for suggesting the key the user probably meant. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  element?: { _zod: { def: SchemaDef } };
  innerType?: { _zod: { def: SchemaDef } };
  in?: { _zod: { def: SchemaDef } };
}

/** The keys the schema allows for the object at `path` (array indices are skipped over). */
function allowedKeysAt(path: readonly PathKey[]): string[] {
  let def = (topologySchema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  const unwrap = () => {
    while (def.innerType ?? def.in) def = (def.innerType ?? def.in)!._zod.def;
  };
  for (const key of path) {
    unwrap();
    if (typeof key === 'number' && def.element) def = def.element._zod.def;
    else if (def.shape && typeof key === 'string' && def.shape[key]) def = def.shape[key]._zod.def;
    else return [];
  }
  unwrap();
  return def.shape ? Object.keys(def.shape) : [];
}

export function suggestKey(key: string, allowed: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(key.length / 3));
  // The distance is at least the difference in length: a key far longer than every candidate
  // (a 50 MB one) is dismissed without the quadratic comparison.
  const ranked = allowed
    .filter((k) => Math.abs(k.length - key.length) <= limit)
    .map((k) => ({ k, d: editDistance(key, k) }))
    .sort((a, b) => a.d - b.d);
  const best = ranked[0];
  return best && best.d <= limit ? best.k : undefined;
}

/** How to fix a field, keyed by the field's own name. */
const FIELD_HINTS: Record<string, string> = {
  apiVersion: `start the file with apiVersion: ${API_VERSION}`,
  name: 'names are 1-63 lower-case letters, digits and dashes, like node-1',
  address: 'write a unicast IPv6 address such as fd00:ec::1 (no prefix length, no zone)',
  addresses: 'list unicast IPv6 addresses inside an IP pool, such as [fd00:10::10]',
  cidr: 'write an IPv6 network such as fd00:10::/48',
  asNumber: 'AS numbers are 1..4294967295 without 23456 (AS_TRANS); private ranges are 64512-65534 and 4200000000-4294967294',
  routerId: 'write a dotted-quad such as 10.255.0.1 outside 0/8, 127/8 and 224/3, or remove it to have one derived',
  clusterId: 'write a dotted-quad such as 1.0.0.1',
  interface: 'Linux interface names have at most 15 characters; remove interface to have one derived',
  mac: 'write six hex octets separated by colons, such as 02:00:00:00:00:10',
  kind: 'kind is container or vm',
  nextHop: 'nextHop is auto (BIRD\'s choice), self or keep',
  export: 'export is pools (the pool prefixes), endpoints (this node\'s /128s) or none',
  import: 'import is default (only ::/0), all (every route outside the pools) or none',
  importLimit: 'importLimit is the most routes taken from the peer, 1..10000000',
  communities: 'list communities as strings, standard "64512:100" or large "64512:1:2"',
  bfd: 'bfd is true or false',
  localAsNumber: 'localAsNumber is this side\'s AS on the session, 1..4294967295 without 23456',
  gracefulRestartTime: 'gracefulRestartTime is whole seconds, 1..65535',
  password: 'use printable ASCII without spaces, quotes or backslashes, at most 80 characters',
  nodes: 'list at least one node with name and address',
  netns: 'name the container\'s network namespace as `ip netns` lists it',
  holdTime: 'holdTime is whole seconds, 3..65535',
  keepaliveTime: 'keepaliveTime is whole seconds, 1..21845, shorter than holdTime',
  connectRetryTime: 'connectRetryTime is whole seconds, 1..65535',
  port: 'port is a TCP port, 1..65535 (BGP uses 179)',
  multihop: 'multihop is a hop count, 1..255; leave it out for a directly connected peer',
  nodeToNodeMesh: 'nodeToNodeMesh is true or false',
  gracefulRestart: 'gracefulRestart is true or false',
  passive: 'passive is true or false',
};

/** The value at `path` in the parsed document, or undefined when any step of the path is absent. */
function valueAt(input: unknown, path: readonly PathKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Whether the issue is about a field the document leaves out. zod 4 does not keep the offending
 * value in its issues, so the document itself is consulted: a field holding a wrong type is not
 * "missing", and telling the user to add it would send them looking in the wrong place.
 */
export function isMissingField(issue: z.core.$ZodIssue, input: unknown): boolean {
  // invalid_value is what an absent enum or literal (kind, apiVersion) produces.
  return (issue.code === 'invalid_type' || issue.code === 'invalid_value') && issue.path.length > 0 && valueAt(input, issue.path) === undefined;
}

export function hintForIssue(issue: z.core.$ZodIssue, input: unknown, unknownKey?: string): string {
  if (unknownKey !== undefined) {
    const allowed = allowedKeysAt(issue.path);
    const suggestion = suggestKey(unknownKey, allowed);
    if (suggestion) return `did you mean ${quote(suggestion)}?`;
    return allowed.length > 0 ? `allowed fields here: ${allowed.join(', ')}` : 'remove this field';
  }
  if (issue.path.length === 0) return `the file must be a mapping that starts with apiVersion: ${API_VERSION}`;
  const field = [...issue.path].reverse().find((k): k is string => typeof k === 'string');
  const fieldHint = field === undefined ? undefined : FIELD_HINTS[field];
  if (isMissingField(issue, input)) return `add the required field ${quote(field)}${fieldHint ? `; ${fieldHint}` : ''}`;
  return fieldHint ?? 'see the topology reference in README.md';
}
