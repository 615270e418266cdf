// watchFile on a real filesystem: every way a file can change must reach the callback, and the
// watcher must keep working after the file or its directory is replaced.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchFile, type FileWatch } from '../../src/agent/watch-file.ts';
import { writeFileAtomic } from '../../src/atomic-write.ts';
import { waitFor } from '../support/netns.ts';

// Long enough that a test using it can only pass through the watch events, never the poll.
const NO_POLL = 600_000;

let root: string;
let watch: FileWatch | undefined;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'watch-file-'));
});
afterEach(() => {
  watch?.close();
  watch = undefined;
  rmSync(root, { recursive: true, force: true });
});

async function counting(path: string, pollMs: number) {
  const calls = { count: 0 };
  watch = watchFile(path, { debounceMs: 20, pollMs }, () => calls.count++);
  await watch.ready;
  return calls;
}

async function calledAgain(calls: { count: number }, before: number, what: string): Promise<void> {
  await waitFor(what, () => (calls.count > before ? true : undefined), 3000, 10);
}

/** Lays out a directory the way the kubelet projects a ConfigMap (AtomicWriter). */
function configMap(dir: string, version: string, text: string): void {
  const data = join(dir, `..2026_12_01_00_00_00.${version}`);
  mkdirSync(data);
  writeFileSync(join(data, 'topology.yaml'), text);
  symlinkSync(`..2026_12_01_00_00_00.${version}`, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
}

describe('watchFile', () => {
  it('calls back for an in-place write that keeps the inode', async () => {
    const file = join(root, 'cluster.yaml');
    writeFileSync(file, 'a: 1\n');
    const inode = statSync(file).ino;
    const calls = await counting(file, NO_POLL);
    writeFileSync(file, 'a: 2\n');
    expect(statSync(file).ino).toBe(inode);
    await calledAgain(calls, 0, 'in-place write');
  });

  it('calls back for a rename over the file, and again for an in-place write to the new inode', async () => {
    const file = join(root, 'cluster.yaml');
    writeFileSync(file, 'a: 1\n');
    const calls = await counting(file, NO_POLL);
    writeFileSync(join(root, '.cluster.yaml.swp'), 'a: 2\n');
    renameSync(join(root, '.cluster.yaml.swp'), file);
    await calledAgain(calls, 0, 'rename over the file');
    const after = calls.count;
    writeFileSync(file, 'a: 3\n');
    await calledAgain(calls, after, 'in-place write to the renamed-in file');
  });

  it('calls back for a rename over the file without waiting for the debounce, whichever way the rename is made', async () => {
    // An atomic replace is complete the moment it happens; only in-place writes are debounced.
    const file = join(root, 'cluster.yaml');
    writeFileSync(file, 'a: 1\n');
    const calls = { count: 0 };
    watch = watchFile(file, { debounceMs: NO_POLL, pollMs: NO_POLL }, () => calls.count++);
    await watch.ready;
    writeFileSync(join(root, 'cluster.yaml.new'), 'a: 2\n');
    renameSync(join(root, 'cluster.yaml.new'), file);
    await calledAgain(calls, 0, 'rename over the file');
    await writeFileAtomic(file, 'a: 3\n');
    await calledAgain(calls, 1, 'writeFileAtomic over the file (staged, flushed, renamed)');
  });

  it('calls back when a ConfigMap swaps its ..data symlink, on every swap', async () => {
    configMap(root, '1', 'a: 1\n');
    symlinkSync('..data/topology.yaml', join(root, 'topology.yaml'));
    const calls = await counting(join(root, 'topology.yaml'), NO_POLL);
    configMap(root, '2', 'a: 2\n');
    rmSync(join(root, '..2026_12_01_00_00_00.1'), { recursive: true });
    await calledAgain(calls, 0, 'first ..data swap');
    const after = calls.count;
    configMap(root, '3', 'a: 3\n');
    rmSync(join(root, '..2026_12_01_00_00_00.2'), { recursive: true });
    await calledAgain(calls, after, 'second ..data swap');
  });

  it('calls back when the directory is deleted and created again, and keeps watching the new one', async () => {
    const dir = join(root, 'conf');
    mkdirSync(dir);
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, 'a: 1\n');
    const calls = await counting(file, 100);
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    writeFileSync(file, 'a: 2\n');
    await calledAgain(calls, 0, 'directory re-created');
    await new Promise((r) => setTimeout(r, 300)); // let the re-created directory settle into the poll's view
    const after = calls.count;
    writeFileSync(file, 'a: 3\n');
    await calledAgain(calls, after, 'in-place write in the re-created directory');
  });

  it('re-arms its watches on a directory re-created at once, even when the new inodes reuse the old numbers', async () => {
    const dir = join(root, 'conf');
    mkdirSync(dir);
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, 'a: 1\n');
    const calls = await counting(file, NO_POLL);
    for (const round of [2, 3, 4]) {
      const before = calls.count;
      rmSync(dir, { recursive: true });
      mkdirSync(dir);
      writeFileSync(file, `a: ${round}\n`);
      await calledAgain(calls, before, `directory re-created (round ${round})`);
      await new Promise((r) => setTimeout(r, 100)); // the debounced check of the re-created file
      const after = calls.count;
      writeFileSync(file, `a: ${round}${round}\n`);
      await calledAgain(calls, after, `in-place write after re-creation (round ${round})`);
    }
  });

  it('calls back, without opening it, when a FIFO takes the file\'s place, and again when a file replaces the FIFO', async () => {
    const file = join(root, 'cluster.yaml');
    writeFileSync(file, 'a: 1\n');
    const calls = await counting(file, NO_POLL);
    execFileSync('mkfifo', [join(root, 'fifo')]);
    renameSync(join(root, 'fifo'), file);
    await calledAgain(calls, 0, 'FIFO renamed over the file');
    const after = calls.count;
    writeFileSync(join(root, 'good'), 'a: 2\n');
    renameSync(join(root, 'good'), file);
    await calledAgain(calls, after, 'file renamed over the FIFO');
  });

  it('notices through the poll alone a change that no watch reports', async () => {
    // The file does not exist yet and its directory neither: nothing can be watched at start.
    const file = join(root, 'later', 'cluster.yaml');
    const calls = await counting(file, 50);
    mkdirSync(join(root, 'later'));
    writeFileSync(file, 'a: 1\n');
    await calledAgain(calls, 0, 'file appearing in a directory that did not exist');
  });

  it('stops calling back once closed', async () => {
    const file = join(root, 'cluster.yaml');
    writeFileSync(file, 'a: 1\n');
    const calls = await counting(file, 20);
    watch!.close();
    writeFileSync(file, 'a: 2\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(calls.count).toBe(0);
  });
});
