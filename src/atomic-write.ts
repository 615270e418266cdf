// Files are replaced atomically (bird6.conf, rendered configs, dnsmasq's files): written beside
// the target, flushed, then renamed over it, so a reader (bird6, dnsmasq, an operator) sees the
// old file or the new one, never half of one. A staged copy never outlives a failed attempt; one a
// killed process left behind is recognised by its name and removed by removeStaleStaged().
import { closeSync, fchmodSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Where this process's staging names start; each name takes the next number. Names only need to
 * differ from each other and from another process's: a random start does that as well as a
 * random name each, and `render --out` of 300 nodes spent ~35 ms in randomBytes (issue 13).
 */
let stagingNumber = Math.floor(Math.random() * 2 ** 32);

/** A temporary name in the target's directory (rename is only atomic within one filesystem). */
function stagingPath(target: string): string {
  stagingNumber = (stagingNumber + 1) % 2 ** 32;
  return join(dirname(target), `.${basename(target)}.${stagingNumber.toString(16).padStart(8, '0')}.tmp`);
}

/** Exactly the names stagingPath() makes for `target`: nobody else's file matches. */
function isStagingName(target: string, name: string): boolean {
  const prefix = `.${basename(target)}.`;
  return name.startsWith(prefix) && /^[0-9a-f]{8}\.tmp$/.test(name.slice(prefix.length));
}

/** Who may read the new file: its mode, and an owner to give it (a file being replaced keeps its own). */
export interface StagedAccess {
  mode: number;
  owner?: { uid: number; gid: number };
}

/**
 * `durable: false` skips the flush to disk: the rename still shows every other process the old
 * file or the whole new one, but a machine that goes down may come back with neither's data.
 */
export async function writeStaged(target: string, content: string, access: StagedAccess = { mode: 0o644 }, durable = true): Promise<string> {
  await mkdir(dirname(target), { recursive: true });
  const staged = stagingPath(target);
  try {
    const handle = await open(staged, 'w', access.mode);
    try {
      // open() applies the umask; the mode asked for is the mode meant.
      await handle.chmod(access.mode);
      if (access.owner !== undefined) await handle.chown(access.owner.uid, access.owner.gid);
      await handle.writeFile(content);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    // A full or read-only disk fails here: every retry would otherwise leak one more file.
    await rm(staged, { force: true });
    throw error;
  }
  return staged;
}

/**
 * writeStaged() for a caller that stages thousands of files (render --out of a whole cluster):
 * synchronous, because each await of the promise API costs more than writing the file, and not
 * flushed, because waiting for the disk once per file in turn was most of the time. The caller
 * flushes the copies with flushStaged(), all together, before renaming any.
 */
export function writeStagedUnflushed(target: string, content: string, mode = 0o644): string {
  mkdirSync(dirname(target), { recursive: true });
  const staged = stagingPath(target);
  try {
    const fd = openSync(staged, 'w', mode);
    try {
      // As in writeStaged: open() applies the umask; the mode asked for is the mode meant.
      fchmodSync(fd, mode);
      writeFileSync(fd, content);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    rmSync(staged, { force: true });
    throw error;
  }
  return staged;
}

/** Flushes a copy writeStagedUnflushed() made, so that its rename cannot reach the disk before its content. */
export async function flushStaged(staged: string): Promise<void> {
  const handle = await open(staged, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * removeStaleStaged() for the caller of writeStagedUnflushed(), and synchronous for the same
 * reason: render --out lists one directory per file it writes, and the round trip of each
 * promise-API readdir through the thread pool (the process idle meanwhile) cost more than the listing.
 */
export function removeStaleStagedSync(target: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dirname(target));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const stale = names.filter((name) => isStagingName(target, name));
  for (const name of stale) rmSync(join(dirname(target), name), { force: true });
  return stale;
}

/**
 * Removes the staged copies of `target` that a process killed between writeStaged() and the
 * rename left behind; returns their names. Call it only while no other writer of `target` runs.
 */
export async function removeStaleStaged(target: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dirname(target));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const stale = names.filter((name) => isStagingName(target, name));
  await Promise.all(stale.map((name) => rm(join(dirname(target), name), { force: true })));
  return stale;
}

/**
 * writeFileAtomic() for a small file no crash needs to find intact (see writeStagedUnflushed()),
 * synchronous: for a few kilobytes the thread pool's round trips cost more than the writes.
 */
export function writeFileAtomicUnflushedSync(target: string, content: string): void {
  const staged = writeStagedUnflushed(target, content);
  try {
    renameSync(staged, target);
  } catch (error) {
    rmSync(staged, { force: true });
    throw error;
  }
}

export async function writeFileAtomic(target: string, content: string, options: { durable?: boolean } = {}): Promise<void> {
  const staged = await writeStaged(target, content, undefined, options.durable ?? true);
  try {
    await rename(staged, target);
  } catch (error) {
    await rm(staged, { force: true });
    throw error;
  }
}
