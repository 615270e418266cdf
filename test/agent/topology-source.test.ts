import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/agent/logger.ts';
import { TopologySource } from '../../src/agent/topology-source.ts';
import type { Topology } from '../../src/topology/index.ts';
import { EXAMPLE_TOPOLOGIES } from '../support/examples.ts';
import { waitFor } from '../support/netns.ts';

const example = readFileSync(EXAMPLE_TOPOLOGIES.find((f) => f.endsWith('example.yaml'))!, 'utf8');
let dir: string;
let file: string;
let source: TopologySource | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'topo-source-'));
  file = join(dir, 'cluster.yaml');
  writeFileSync(file, example);
});
afterEach(() => {
  source?.close();
  rmSync(dir, { recursive: true, force: true });
});

function start() {
  const seen: Topology[] = [];
  const invalid: string[] = [];
  const logs: string[] = [];
  source = new TopologySource({
    file,
    debounceMs: 20,
    logger: createJsonLogger({ write: (l) => logs.push(l), now: () => new Date() }),
    onTopology: (t) => seen.push(t),
    onInvalid: (report) => invalid.push(report),
  });
  return { seen, invalid, logs, started: source.start() };
}

describe('TopologySource', () => {
  it('reloads after an in-place write and after an editor-style rename over the file', async () => {
    const { seen, started } = await Promise.resolve(start());
    await started;
    expect(seen).toHaveLength(1);
    writeFileSync(file, example.replace('asNumber: 64512', 'asNumber: 64513'));
    await waitFor('in-place reload', () => (seen.length === 2 ? true : undefined), 3000, 20);
    expect(seen[1]!.cluster.asNumber).toBe(64513);
    const staged = join(dir, '.cluster.yaml.swp');
    writeFileSync(staged, example.replace('asNumber: 64512', 'asNumber: 64514'));
    renameSync(staged, file);
    await waitFor('rename reload', () => (seen.length === 3 ? true : undefined), 3000, 20);
    expect(seen[2]!.cluster.asNumber).toBe(64514);
  });

  it('keeps the last good topology and reports validate\'s text for an invalid edit', async () => {
    const { seen, invalid, started } = start();
    await started;
    writeFileSync(file, example.replace('address: fd00:ec::2', 'address: fd00:ec::1'));
    await waitFor('invalid report', () => (invalid.length === 1 ? true : undefined), 3000, 20);
    expect(invalid[0]).toMatch(/^error\[TOPOLOGY_INVALID\]: .*nodes\[1\]\.address: address "fd00:ec::1" is already used by nodes\[0\]\.address/);
    expect(seen).toHaveLength(1);
    expect(source!.current!.nodes[1]!.address).toBe('fd00:ec::2');
  });

  it('does not report a change when the content means the same topology', async () => {
    const { seen, started } = start();
    await started;
    writeFileSync(file, `# a comment only\n${example}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toHaveLength(1);
  });

  it('fails at start on an invalid file: there is no last good topology to run', async () => {
    writeFileSync(file, 'apiVersion: nope\n');
    await expect(start().started).rejects.toMatchObject({ code: 'TOPOLOGY_INVALID' });
  });
});
