// writeOut (render --out) flushes every file to disk before any rename, so that no rename can
// reach the disk ahead of the content it points at; and a flush that fails replaces nothing.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BirdctlError } from '../../src/errors.ts';
import { writeOut } from '../../src/render/write-out.ts';

/** Every flush and rename, in order; a flush of a path containing `failFlush` fails as on an I/O error. */
const recorded = vi.hoisted(() => ({ calls: [] as Array<['sync' | 'rename', string]>, failFlush: undefined as string | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const { withOpenHook } = await import('../support/fs-open-hook.ts');
  return withOpenHook(await importOriginal(), (handle, path) => {
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      if (recorded.failFlush !== undefined && path.includes(recorded.failFlush)) {
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      }
      await sync();
      recorded.calls.push(['sync', path]);
    };
  });
});
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    renameSync: (from: string, to: string) => {
      recorded.calls.push(['rename', from]);
      real.renameSync(from, to);
    },
  };
});

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'write-out-flush-'))));
afterEach(() => {
  recorded.calls = [];
  recorded.failFlush = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const NODES = Array.from({ length: 12 }, (_, i) => `node${i}`);
const filesOf = (node: string) => [
  { path: join(node, 'bird6.conf'), content: `bird6.conf of ${node}\n` },
  { path: join(node, 'dnsmasq.conf'), content: `dnsmasq.conf of ${node}\n` },
];

describe('writeOut flushes', () => {
  it('every staged file before the first rename', async () => {
    await writeOut(dir, NODES, filesOf);
    const syncs = recorded.calls.filter(([op]) => op === 'sync').map(([, path]) => path);
    const renames = recorded.calls.filter(([op]) => op === 'rename').map(([, path]) => path);
    expect(renames).toHaveLength(NODES.length * 2);
    expect(new Set(syncs)).toEqual(new Set(renames));
    const firstRename = recorded.calls.findIndex(([op]) => op === 'rename');
    expect(recorded.calls.slice(firstRename).every(([op]) => op === 'rename')).toBe(true);
  });

  it('and when one flush fails, replaces nothing and removes every staged copy', async () => {
    recorded.failFlush = `${join('node5', '.dnsmasq.conf.')}`;
    const error = await writeOut(dir, NODES, filesOf).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BirdctlError);
    expect((error as BirdctlError).message).toBe(`cannot write ${join(dir, 'node5', 'dnsmasq.conf')}: EIO: i/o error, fsync`);
    expect(recorded.calls.some(([op]) => op === 'rename')).toBe(false);
    for (const node of NODES) expect(readdirSync(join(dir, node))).toEqual([]);
  });
});
