// Atomic replacement must not leave its staged copy behind when the write fails half way (a full
// disk): every failed attempt would otherwise leak one more file into the config directory.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../src/atomic-write.ts';

/** While `on`, every file handle's writeFile fails as on a full filesystem. */
const full = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const { withOpenHook } = await import('./support/fs-open-hook.ts');
  return withOpenHook(await importOriginal(), (handle) => {
    if (!full.on) return;
    handle.writeFile = async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
  });
});

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'atomic-write-'))));
afterEach(() => {
  full.on = false;
  rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('keeps the old file and removes its staged copy when the write fails', async () => {
    const target = join(dir, 'bird6.conf');
    writeFileSync(target, 'old');
    full.on = true;
    await expect(writeFileAtomic(target, 'new')).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(readFileSync(target, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['bird6.conf']);
  });
});
