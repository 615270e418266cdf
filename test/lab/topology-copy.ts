// Copies of the shipped topologies for tests, with every container netns renamed under the test's
// own prefix, so a test never collides with a running lab or another test file.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { TOPOLOGY_DIR } from '../support/examples.ts';

interface Doc {
  endpoints?: Array<{ netns?: string }>;
  [key: string]: unknown;
}

/** Writes `<dir>/<name>` from topology/<name> with netns `x` renamed `<prefix>-x`; returns its path. */
export function topologyCopy(name: string, dir: string, prefix: string, edit?: (doc: Doc) => void): string {
  const doc = parse(readFileSync(join(TOPOLOGY_DIR, name), 'utf8')) as Doc;
  for (const endpoint of doc.endpoints ?? []) if (endpoint.netns !== undefined) endpoint.netns = `${prefix}-${endpoint.netns}`;
  edit?.(doc);
  const file = join(dir, name);
  writeFileSync(file, stringify(doc));
  return file;
}

/**
 * The example cut to two nodes with a container each (node3 and the VM, with dnsmasq and dhclient,
 * add nothing to tests of bird6's lifecycle); returns its path.
 */
export function twoNodeExampleCopy(dir: string, prefix: string): string {
  return topologyCopy('example.yaml', dir, prefix, (doc) => {
    doc.nodes = (doc.nodes as Array<{ name: string }>).filter((n) => n.name !== 'node3');
    doc.endpoints = (doc.endpoints ?? []).filter((e) => (e as { kind?: string }).kind === 'container');
  });
}

/**
 * A scratch lab directory (readable by dnsmasq, which drops to nobody and must still read its
 * hosts file below the state dir) with the smallest lab that carries a route: the example's first
 * two nodes and its first container.
 */
export function smallestLab(prefix: string): { work: string; stateDir: string; file: string } {
  const work = mkdtempSync(join(tmpdir(), `${prefix}-`));
  chmodSync(work, 0o755);
  const file = topologyCopy('example.yaml', work, prefix, (doc) => {
    doc.nodes = (doc.nodes as unknown[]).slice(0, 2);
    doc.endpoints = doc.endpoints!.slice(0, 1);
  });
  return { work, stateDir: join(work, 'state'), file };
}
