// Fault suite: every way a topology file is updated in the field reaches the agent's TopologySource
// within 2 s, with the agent's own debounce and the default poll, on the real filesystem: in-place
// writes, an editor's rename, a Kubernetes ConfigMap's `..data` swap, the directory deleted and
// re-created, a FIFO put in the file's place (refused with a clear line, never a blocked read), and
// a file bind-mounted alone (in a private mount namespace) and edited in place on the host.
// Prints the time each took to notice (BENCHMARKS.md).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/agent/logger.ts';
import { TopologySource } from '../../src/agent/topology-source.ts';
import type { Topology } from '../../src/topology/index.ts';
import { EXAMPLE_TOPOLOGIES } from '../support/examples.ts';
import { describeIntegration } from '../support/integration.ts';
import { waitFor } from '../support/netns.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const example = readFileSync(EXAMPLE_TOPOLOGIES.find((f) => f.endsWith('example.yaml'))!, 'utf8');
const withAs = (asNumber: number) => example.replace('asNumber: 64512', `asNumber: ${asNumber}`);
/** The requirement: whichever way a change comes, the agent has it within this. */
const NOTICE_MS = 2000;

describeIntegration('faults: topology updates are never missed', { root: true, binaries: ['unshare', 'mount', 'mkfifo'] }, () => {
  const figures: { update: string; ms: number }[] = [];
  let root: string;
  let source: TopologySource | undefined;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ftopo-'));
  });
  afterEach(() => {
    source?.close();
    source = undefined;
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    console.log(`time to notice a topology update (ms):\n${figures.map((f) => `  ${f.update}: ${f.ms}`).join('\n')}`);
  });

  /** A source configured as the agent configures it (src/cli/agent.ts: debounce 50 ms, default poll). */
  async function watched(file: string) {
    const seen: Topology[] = [];
    const logs: Record<string, unknown>[] = [];
    source = new TopologySource({
      file,
      debounceMs: 50,
      logger: createJsonLogger({ write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>), now: () => new Date() }),
      onTopology: (t) => seen.push(t),
      onInvalid: () => undefined,
    });
    await source.start();
    return { seen, logs };
  }

  /** Applies `change` and records how long until `noticed` holds; fails past NOTICE_MS. */
  async function timed(update: string, change: () => void, noticed: () => boolean): Promise<void> {
    const start = Date.now();
    change();
    await waitFor(update, () => (noticed() ? true : undefined), NOTICE_MS, 5);
    figures.push({ update, ms: Date.now() - start });
  }

  const hasAs = (seen: Topology[], asNumber: number) => () => seen.at(-1)?.cluster.asNumber === asNumber;

  it('applies an in-place write and a rename over the file', async () => {
    const dir = mkdtempSync(join(root, 'edit-'));
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, example);
    const { seen } = await watched(file);
    await timed('in-place write (same inode)', () => writeFileSync(file, withAs(64513)), hasAs(seen, 64513));
    await timed(
      'rename over the file',
      () => {
        writeFileSync(join(dir, '.cluster.yaml.swp'), withAs(64514));
        renameSync(join(dir, '.cluster.yaml.swp'), file);
      },
      hasAs(seen, 64514),
    );
  });

  it('applies a Kubernetes ConfigMap update: ..data swapped to a new timestamped directory', async () => {
    const dir = mkdtempSync(join(root, 'configmap-'));
    const version = (n: number) => `..2026_12_01_00_00_00.${n}`;
    mkdirSync(join(dir, version(1)));
    writeFileSync(join(dir, version(1), 'cluster.yaml'), example);
    symlinkSync(version(1), join(dir, '..data'));
    symlinkSync('..data/cluster.yaml', join(dir, 'cluster.yaml'));
    const { seen } = await watched(join(dir, 'cluster.yaml'));
    for (const n of [2, 3]) {
      await timed(
        `ConfigMap ..data swap #${n - 1}`,
        () => {
          // The kubelet's AtomicWriter: write the new version, swap the symlink atomically, drop the old one.
          mkdirSync(join(dir, version(n)));
          writeFileSync(join(dir, version(n), 'cluster.yaml'), withAs(64520 + n));
          symlinkSync(version(n), join(dir, '..data_tmp'));
          renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
          rmSync(join(dir, version(n - 1)), { recursive: true });
        },
        hasAs(seen, 64520 + n),
      );
    }
  });

  it('applies the file after its directory is deleted and created again, and an edit after that', async () => {
    const dir = join(mkdtempSync(join(root, 'recreate-')), 'conf');
    mkdirSync(dir);
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, example);
    const { seen } = await watched(file);
    await timed(
      'directory deleted and re-created',
      () => {
        rmSync(dir, { recursive: true });
        mkdirSync(dir);
        writeFileSync(file, withAs(64513));
      },
      hasAs(seen, 64513),
    );
    await timed('in-place write in the re-created directory', () => writeFileSync(file, withAs(64514)), hasAs(seen, 64514));
  });

  it('applies the file when its deleted directory comes back later, with nothing left to watch (the poll)', async () => {
    const dir = join(mkdtempSync(join(root, 'return-')), 'conf');
    mkdirSync(dir);
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, example);
    const { seen, logs } = await watched(file);
    rmSync(dir, { recursive: true });
    // The missing file is reported (after the debounce), and every watch is gone with its inode.
    await waitFor('missing file reported', () => logs.find((l) => l.msg === 'topology file cannot be read; keeping the last good one'), NOTICE_MS, 5);
    await timed(
      'directory re-created after everything watched was gone',
      () => {
        mkdirSync(dir);
        writeFileSync(file, withAs(64513));
      },
      hasAs(seen, 64513),
    );
  });

  it('refuses a FIFO in place of the file with a clear line, then applies the file that replaces it', async () => {
    const dir = mkdtempSync(join(root, 'fifo-'));
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, example);
    const { seen, logs } = await watched(file);
    await timed(
      'FIFO renamed over the file (log line)',
      () => {
        execFileSync('mkfifo', [join(dir, 'fifo')]);
        renameSync(join(dir, 'fifo'), file);
      },
      () => logs.some((l) => l.msg === 'topology file cannot be read; keeping the last good one'),
    );
    await timed(
      'file renamed over the FIFO',
      () => {
        writeFileSync(join(dir, 'good'), withAs(64513));
        renameSync(join(dir, 'good'), file);
      },
      hasAs(seen, 64513),
    );
  });

  it('applies in-place edits on the host to a file bind-mounted alone into a private mount namespace', async () => {
    const dir = mkdtempSync(join(root, 'bind-'));
    const hostFile = join(dir, 'host-cluster.yaml');
    const containerDir = join(dir, 'container');
    mkdirSync(containerDir);
    const mountPoint = join(containerDir, 'cluster.yaml');
    writeFileSync(hostFile, example);
    writeFileSync(mountPoint, 'not mounted\n');
    const child: ChildProcess = spawn(
      'unshare',
      ['--mount', '--propagation', 'private', '--', process.execPath, '--import', 'tsx', join(REPO, 'test/faults/topology-bind-child.ts'), hostFile, mountPoint],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const events: { event: string; asNumber?: number; at: number }[] = [];
    let stderr = '';
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) events.push(JSON.parse(line) as (typeof events)[number]);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      await waitFor('the watcher in the mount namespace', () => events.find((e) => e.event === 'ready'), 20_000, 20).catch((error: Error) => {
        throw new Error(`${error.message}; child stderr: ${stderr}`);
      });
      // The bind mount lives only in the child's namespace: the host still sees the placeholder.
      expect(readFileSync(mountPoint, 'utf8')).toBe('not mounted\n');
      expect(events.find((e) => e.event === 'ready')!.asNumber).toBe(64512);
      for (const asNumber of [64513, 64514]) {
        const start = Date.now();
        writeFileSync(hostFile, withAs(asNumber)); // O_TRUNC write: the inode, and so the bind mount, stay
        const seen = await waitFor(`bind-mounted edit to ${asNumber}`, () => events.find((e) => e.event === 'topology' && e.asNumber === asNumber), NOTICE_MS, 5);
        figures.push({ update: `in-place write to a bind-mounted file (#${asNumber - 64512})`, ms: seen.at - start });
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
