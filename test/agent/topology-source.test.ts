import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/agent/logger.ts';
import { TopologySource, type TopologySourceOptions } from '../../src/agent/topology-source.ts';
import { loadTopology, type Topology } from '../../src/topology/index.ts';
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

function start(options: Partial<TopologySourceOptions> = {}) {
  const seen: Topology[] = [];
  const invalid: string[] = [];
  const logs: string[] = [];
  source = new TopologySource({
    file,
    debounceMs: 20,
    ...options,
    logger: createJsonLogger({ write: (l) => logs.push(l), now: () => new Date() }),
    onTopology: (t) => seen.push(t),
    onInvalid: (report) => invalid.push(report),
  });
  return { seen, invalid, logs, started: source.start() };
}

const withAs = (asNumber: number) => example.replace('asNumber: 64512', `asNumber: ${asNumber}`);

async function seenAs(seen: Topology[], asNumber: number, what: string): Promise<void> {
  await waitFor(what, () => (seen.at(-1)?.cluster.asNumber === asNumber ? true : undefined), 3000, 10);
}

function logged(logs: string[], msg: string): Record<string, unknown> | undefined {
  return logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === msg);
}

/** Stands in for the kubelet's ConfigMap update: a new timestamped directory, then `..data` swapped to it. */
function configMapUpdate(dir: string, version: number, text: string): void {
  const data = `..2026_12_01_00_00_00.${version}`;
  mkdirSync(join(dir, data));
  writeFileSync(join(dir, data, 'cluster.yaml'), text);
  symlinkSync(data, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  rmSync(join(dir, `..2026_12_01_00_00_00.${version - 1}`), { recursive: true, force: true });
}

/**
 * A loader that loses the race the source's own check cannot close: between the source's stat
 * (a regular file) and the loader's open(), a FIFO is renamed over the file, so open() blocks.
 */
/** A loader whose next read never returns once armed, as on a hung network filesystem. */
function hangingLoader() {
  const state = { armed: false, started: false };
  return {
    state,
    load: (path: string) => {
      if (!state.armed) return loadTopology(path);
      state.armed = false;
      state.started = true;
      return new Promise<never>(() => {});
    },
  };
}

describe('TopologySource', () => {
  it('reloads after an in-place write and after an editor-style rename over the file', async () => {
    const { seen, started } = await Promise.resolve(start());
    expect((await started).cluster.asNumber).toBe(64512);
    expect(seen).toHaveLength(0); // the first topology is returned, not announced
    writeFileSync(file, example.replace('asNumber: 64512', 'asNumber: 64513'));
    await waitFor('in-place reload', () => (seen.length === 1 ? true : undefined), 3000, 20);
    expect(seen[0]!.cluster.asNumber).toBe(64513);
    const staged = join(dir, '.cluster.yaml.swp');
    writeFileSync(staged, example.replace('asNumber: 64512', 'asNumber: 64514'));
    renameSync(staged, file);
    await waitFor('rename reload', () => (seen.length === 2 ? true : undefined), 3000, 20);
    expect(seen[1]!.cluster.asNumber).toBe(64514);
  });

  it('announces a topology renamed over the file without waiting for the debounce', async () => {
    const { seen, started } = start({ debounceMs: 600_000, pollMs: 600_000 });
    await started;
    writeFileSync(`${file}.new`, withAs(64515));
    renameSync(`${file}.new`, file);
    await seenAs(seen, 64515, 'the renamed-in topology');
    expect(seen).toHaveLength(1);
  });

  it('keeps the last good topology and reports validate\'s text for an invalid edit', async () => {
    const { seen, invalid, started } = start();
    await started;
    writeFileSync(file, example.replace('address: fd00:ec::2', 'address: fd00:ec::1'));
    await waitFor('invalid report', () => (invalid.length === 1 ? true : undefined), 3000, 20);
    expect(invalid[0]).toMatch(/^error\[TOPOLOGY_INVALID\]: .*nodes\[1\]\.address: address "fd00:ec::1" is already used by nodes\[0\]\.address/);
    expect(seen).toHaveLength(0);
    expect(source!.current!.nodes[1]!.address).toBe('fd00:ec::2');
  });

  it('does not report a change when the content means the same topology', async () => {
    const { seen, started } = start();
    await started;
    writeFileSync(file, `# a comment only\n${example}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toHaveLength(0);
  });

  it('fails at start on an invalid file: there is no last good topology to run', async () => {
    writeFileSync(file, 'apiVersion: nope\n');
    await expect(start().started).rejects.toMatchObject({ code: 'TOPOLOGY_INVALID' });
  });

  it('applies a ConfigMap-style update (the ..data symlink swapped to a new directory)', async () => {
    rmSync(file);
    const data = '..2026_12_01_00_00_00.1';
    mkdirSync(join(dir, data));
    writeFileSync(join(dir, data, 'cluster.yaml'), example);
    symlinkSync(data, join(dir, '..data'));
    symlinkSync('..data/cluster.yaml', file);
    const { seen, started } = start({ pollMs: 600_000 });
    await started;
    configMapUpdate(dir, 2, withAs(64513));
    await seenAs(seen, 64513, 'first ConfigMap update');
    configMapUpdate(dir, 3, withAs(64514));
    await seenAs(seen, 64514, 'second ConfigMap update');
  });

  it('applies the file after its directory is deleted and created again, and edits after that', async () => {
    const sub = join(dir, 'conf');
    mkdirSync(sub);
    file = join(sub, 'cluster.yaml');
    writeFileSync(file, example);
    const { seen, started } = start({ pollMs: 100 });
    await started;
    rmSync(sub, { recursive: true });
    mkdirSync(sub);
    writeFileSync(file, withAs(64513));
    await seenAs(seen, 64513, 'file in the re-created directory');
    writeFileSync(file, withAs(64514));
    await seenAs(seen, 64514, 'in-place edit in the re-created directory');
  });

  it('refuses a FIFO in place of the file with a clear line, then applies the file that replaces it', async () => {
    const { seen, invalid, logs, started } = start();
    await started;
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    renameSync(join(dir, 'fifo'), file);
    await waitFor('FIFO refused', () => logged(logs, 'topology file cannot be read; keeping the last good one'), 3000, 10);
    expect(invalid.at(-1)).toMatch(/^error\[TOPOLOGY_READ\]: cannot read topology .*cluster\.yaml: it is a FIFO \(named pipe\), not a regular file/);
    writeFileSync(join(dir, 'good'), withAs(64513));
    renameSync(join(dir, 'good'), file);
    await seenAs(seen, 64513, 'file renamed over the FIFO');
  });

  it('abandons a read stuck past its deadline with a log line, and applies the next change', async () => {
    const hanging = hangingLoader();
    const { seen, logs, started } = start({ reloadTimeoutMs: 200, load: hanging.load });
    await started;
    hanging.state.armed = true;
    writeFileSync(file, withAs(64513));
    const stuck = await waitFor('stuck read reported', () => logged(logs, 'topology read did not finish; keeping the last good one'), 3000, 10);
    expect(stuck).toMatchObject({ level: 'error', timeoutMs: 200 });
    writeFileSync(join(dir, 'good'), withAs(64514));
    renameSync(join(dir, 'good'), file);
    await seenAs(seen, 64514, 'change after the stuck read');
    expect(seen.map((t) => t.cluster.asNumber)).toEqual([64514]);
  });

  it('closes at once while a read is stuck and announces nothing after', async () => {
    const hanging = hangingLoader();
    const { seen, started } = start({ reloadTimeoutMs: 600_000, load: hanging.load });
    await started;
    hanging.state.armed = true;
    writeFileSync(file, withAs(64513));
    await waitFor('read under way', () => (hanging.state.started ? true : undefined), 3000, 10);
    source!.close();
    writeFileSync(join(dir, 'good'), withAs(64514));
    renameSync(join(dir, 'good'), file);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toHaveLength(0);
  });
});
