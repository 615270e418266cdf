// Reads a topology file (YAML or JSON), runs both validation layers and returns the resolved
// model, or throws one BirdctlError that lists every problem found (up to a bound, excerpt.ts).
import { createRequire } from 'node:module';
import type { Document } from 'yaml';
import type { z } from 'zod';
import { BirdctlError, type Problem } from '../errors.ts';
import { checkTopology } from './checks.ts';
import { resolveInterfaces, resolveRouterIds } from './derive.ts';
import { boundProblems, quote } from './excerpt.ts';
import { duplicateJsonKeys } from './json-duplicates.ts';
import type { Topology } from './model.ts';
import { readTopologyFile } from './read-file.ts';
import { parseSimpleYaml } from './simple-yaml.ts';
import { API_VERSION, partSchemas, topologySchema } from './schema.ts';
import { formatPath, hintForIssue, isMissingField } from './hints.ts';

/**
 * The yaml package, loaded on the first document the fast path (simple-yaml.ts) declines: a
 * process that reads a plain file never pays its start-up (tens of ms, issue 13). Under Node the
 * package's `import` is this same CommonJS build, so it is one module either way.
 */
const require = createRequire(import.meta.url);
let yamlPackage: typeof import('yaml') | undefined;
const yaml = () => (yamlPackage ??= require('yaml') as typeof import('yaml'));

function invalid(source: string, problems: Problem[]): BirdctlError {
  return new BirdctlError('TOPOLOGY_INVALID', source, { problems: boundProblems(problems) });
}

/** Parser messages are the library's words, not a quoted value, but are bounded all the same. */
const PARSER_MESSAGE_CHARACTERS = 200;
const boundedParserMessage = (message: string) =>
  message.length <= PARSER_MESSAGE_CHARACTERS ? message : `${message.slice(0, PARSER_MESSAGE_CHARACTERS)}…`;

/**
 * Node 20's JSON.parse names a character offset ("at position 10"), which is turned into
 * a line and column, or for an unexpected token only quotes a multi-line excerpt of the file,
 * which is dropped so that every problem stays on one line.
 */
function jsonSyntaxError(message: string, text: string): string {
  const match = / at position (\d+).*$/s.exec(message);
  if (!match) return `JSON syntax error: ${boundedParserMessage(message.replace(/, (\.\.\.)?".*$/s, '').split('\n')[0]!)}`;
  const lines = text.slice(0, Number(match[1])).split('\n');
  return `JSON syntax error at line ${lines.length}, column ${lines.at(-1)!.length + 1}: ${boundedParserMessage(message.slice(0, match.index).replace(/ in JSON$/, ''))}`;
}

/** JSON.parse would keep the last of two equal keys; they are refused as YAML's are. */
function refuseDuplicateKeys(text: string, source: string): void {
  const duplicates = duplicateJsonKeys(text);
  if (duplicates.length === 0) return;
  throw invalid(
    source,
    duplicates.map((d) => ({
      path: formatPath(d.path),
      message: `JSON syntax error at line ${d.line}, column ${d.column}: duplicate key ${quote(d.key)}, already set at line ${d.first.line}, column ${d.first.column}`,
      hint: 'keep one of the two: a JSON parser would silently use only the last',
    })),
  );
}

/**
 * The yaml package refuses to expand aliases past a bound (maxAliasCount, default 100) and says
 * so with a ReferenceError from toJS(); that is a property of the document, not a bug.
 */
function toPlainData(doc: Document, source: string): unknown {
  try {
    return doc.toJS();
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    throw invalid(source, [{
      path: '',
      message: `YAML aliases expand too far: ${boundedParserMessage(error.message)}`,
      hint: 'use fewer aliases (*name), or write the repeated values out',
    }]);
  }
}

const NOT_JSON = Symbol('not JSON');

function parsedAsJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/**
 * Parses YAML (JSON is a subset, but a .json file gets JSON's own stricter parser). Plain YAML
 * takes the fast path; the rest, and every error, is the yaml package's.
 */
function parseText(text: string, source: string): unknown {
  if (source.endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw invalid(source, [{
        path: '',
        message: jsonSyntaxError((error as Error).message, text),
        hint: 'check the file with a JSON linter, or write it as YAML',
      }]);
    }
    refuseDuplicateKeys(text, source);
    return value;
  }
  // A YAML file holding JSON (what tools and the benchmarks write): JSON.parse reads JSON as YAML
  // 1.2 does, and duplicate keys are refused as a .json file's are. A document that is not JSON
  // goes on as YAML, errors included.
  if (/^\s*[[{]/.test(text)) {
    const value = parsedAsJson(text);
    if (value !== NOT_JSON) {
      refuseDuplicateKeys(text, source);
      return value;
    }
  }
  const simple = parseSimpleYaml(text);
  if (simple !== undefined) return simple.value;
  const doc = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw invalid(
      source,
      doc.errors.map((e) => ({
        path: '',
        // prettyErrors appends " at line L, column C:" and a code excerpt; the position is said once, first.
        message: `YAML syntax error at line ${e.linePos?.[0].line ?? '?'}, column ${e.linePos?.[0].col ?? '?'}: ${boundedParserMessage(e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:$/, ''))}`,
        hint: 'fix the YAML syntax (indentation, a missing colon or quote) at that position',
      })),
    );
  }
  return toPlainData(doc, source);
}

function schemaProblems(error: z.ZodError, input: unknown): Problem[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key]),
        message: `unknown field ${quote(key)}`,
        hint: hintForIssue(issue, input, key),
      }));
    }
    const path = formatPath(issue.path);
    // zod's own words for an absent field ("expected string, received undefined") hide the point.
    const message = isMissingField(issue, input) ? `required field ${quote(String(issue.path.at(-1)))} is missing` : issue.message;
    return [{ path, message, hint: hintForIssue(issue, input) }];
  });
}

/**
 * When the schema refuses the document, the whole-topology rules still run on every entry that
 * did parse, so a typo in one node does not hide a duplicate address in two others. Paths are
 * renumbered to the entries' places in the file; rules that conclude from an absence skip the
 * parts that lost entries (checkTopology's `incomplete`).
 */
function checksOnValidParts(document: unknown, issues: readonly z.core.$ZodIssue[], source: string): Problem[] {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return [];
  const doc = document as Record<string, unknown>;
  const places: Record<string, number[]> = {};
  const salvage = <T>(list: 'ipPools' | 'nodes' | 'peers' | 'endpoints', schema: z.ZodType<T>): T[] => {
    const kept: T[] = [];
    places[list] = [];
    (Array.isArray(doc[list]) ? (doc[list] as unknown[]) : []).forEach((entry, index) => {
      const result = schema.safeParse(entry);
      if (result.success) {
        kept.push(result.data);
        places[list]!.push(index);
      }
    });
    return kept;
  };
  const cluster = partSchemas.cluster.safeParse(doc.cluster);
  const topology: Topology = {
    source,
    apiVersion: API_VERSION,
    // A stand-in only: every rule that reads the cluster lists it in `searches` (checks.ts) and is
    // skipped when the cluster did not parse.
    cluster: cluster.success ? cluster.data : partSchemas.cluster.parse({ name: 'unparsed', asNumber: 1 }),
    ipPools: salvage('ipPools', partSchemas.ipPools),
    nodes: resolveRouterIds(salvage('nodes', partSchemas.nodes)),
    peers: salvage('peers', partSchemas.peers),
    endpoints: resolveInterfaces(salvage('endpoints', partSchemas.endpoints)),
  };
  // An unknown top-level key may be a misspelt part (`ippools`), whose entries are then all missing.
  const incomplete = new Set(
    issues.flatMap((issue) => (issue.path.length > 0 ? [String(issue.path[0])] : issue.code === 'unrecognized_keys' ? Object.keys(partSchemas) : [])),
  );
  const renumber = (text: string) =>
    text.replace(/\b(ipPools|nodes|peers|endpoints)\[(\d+)\]/g, (_, list: string, i: string) => `${list}[${places[list]![Number(i)]}]`);
  return checkTopology(topology, incomplete).map((p) => ({ ...p, path: renumber(p.path), message: renumber(p.message) }));
}

/** Validates an already-parsed document. `source` names it in messages. */
export function parseTopology(document: unknown, source = '<inline>'): Topology {
  const result = topologySchema.safeParse(document);
  if (!result.success) {
    throw invalid(source, [...schemaProblems(result.error, document), ...checksOnValidParts(document, result.error.issues, source)]);
  }
  const input = result.data;
  const topology: Topology = {
    source,
    apiVersion: input.apiVersion,
    cluster: input.cluster,
    ipPools: input.ipPools,
    nodes: resolveRouterIds(input.nodes),
    peers: input.peers,
    endpoints: resolveInterfaces(input.endpoints),
  };
  const problems = checkTopology(topology);
  if (problems.length > 0) throw invalid(source, problems);
  return topology;
}

export function parseTopologyText(text: string, source: string): Topology {
  return parseTopology(parseText(text, source), source);
}

export async function loadTopology(file: string): Promise<Topology> {
  return parseTopologyText(await readTopologyFile(file), file);
}
