// Reads an input file (a topology, a bird6.conf someone else may have put there) without ever
// blocking and without reading more than a cap. Only a regular file is read. A stat of the path
// refuses anything else before it is opened (opening some devices has effects of its own); the
// file is then opened O_NONBLOCK, so a FIFO swapped in meanwhile cannot hang open() waiting for a
// writer, and fstat on the open descriptor decides. The cap holds for what is read, not only for
// the size fstat reports, so a file that grows while being read, or a procfs-like file that
// reports size 0, cannot make the reader take more. Errors name the file by its role.
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { BirdctlError, type ErrorCode } from './errors.ts';

/** What a file is to its reader: the words of its errors, and how much of it may be read. */
export interface FileRole {
  /** as in `cannot read topology FILE` */
  noun: string;
  code: ErrorCode;
  /** what to pass instead, e.g. `for example topology/example.yaml` */
  example: string;
  /** hint when the file is over the cap */
  tooLargeHint: string;
  maxBytes: number;
}

const MiB = 1024 * 1024;

function bytesText(count: number): string {
  return count % MiB === 0 ? `${count} bytes (${count / MiB} MiB)` : `${count} bytes`;
}

function readError(role: FileRole, file: string, reason: string, hint: string, cause?: unknown): BirdctlError {
  return new BirdctlError(role.code, `cannot read ${role.noun} ${file}: ${reason}`, { hint, cause });
}

/** What a non-regular file is, in the words of the error message. */
function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'an unknown kind of file';
}

/** Why stat() or open() failed, in the words an operator expects for the usual causes. */
function accessFailure(role: FileRole, file: string, error: NodeJS.ErrnoException): BirdctlError {
  const reason = error.code === 'ENOENT' ? 'no such file' : error.code === 'EACCES' ? 'permission denied' : error.message;
  return readError(role, file, reason, `pass the path of a ${role.noun} file, ${role.example}`, error);
}

function refuseIrregular(role: FileRole, file: string, stats: Stats): void {
  if (!stats.isFile()) throw readError(role, file, `it is ${fileKind(stats)}, not a regular file`, `pass the path of a regular file (a symlink to one is fine), ${role.example}`);
}

/**
 * Opens the file and checks on the descriptor that it is a regular file. Never blocks: this is
 * what holds when a FIFO or a device replaces the file after readRegularFile's stat.
 */
export async function openRegularFile(role: FileRole, file: string): Promise<{ handle: FileHandle; stats: Stats }> {
  let handle: FileHandle;
  try {
    // O_NOCTTY: a terminal put in the file's place must not become the controlling one.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw accessFailure(role, file, error as NodeJS.ErrnoException);
  }
  try {
    const stats = await handle.stat();
    refuseIrregular(role, file, stats);
    return { handle, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Reads to the end, or fails as soon as more than maxBytes arrived. */
async function readAtMost(handle: FileHandle, role: FileRole, file: string, sizeHint: number): Promise<Buffer> {
  const { maxBytes } = role;
  // One byte more than the cap: reading it proves the file is over the cap.
  let buffer = Buffer.alloc(Math.min(maxBytes, Math.max(sizeHint, 64 * 1024)) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > maxBytes) {
        throw readError(role, file, `it grew to more than the limit of ${bytesText(maxBytes)} while being read`, `write the ${role.noun} to a new file and rename it into place, so it is never read half-written`);
      }
      const grown = Buffer.alloc(Math.min(maxBytes + 1, buffer.length * 2));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
    if (bytesRead === 0) return buffer.subarray(0, length);
    length += bytesRead;
  }
}

/**
 * The file's text (UTF-8), or an error of the role's code that says why it cannot be read.
 * `missing: 'undefined'` answers undefined for a path that does not exist (ENOENT at the stat).
 */
export async function readRegularFile(role: FileRole, file: string): Promise<string>;
export async function readRegularFile(role: FileRole, file: string, missing: 'undefined'): Promise<string | undefined>;
export async function readRegularFile(role: FileRole, file: string, missing: 'error' | 'undefined' = 'error'): Promise<string | undefined> {
  try {
    refuseIrregular(role, file, await stat(file));
  } catch (error) {
    if (error instanceof BirdctlError) throw error;
    if (missing === 'undefined' && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw accessFailure(role, file, error as NodeJS.ErrnoException);
  }
  const { handle, stats } = await openRegularFile(role, file);
  try {
    if (stats.size > role.maxBytes) {
      throw readError(role, file, `it is ${stats.size} bytes, more than the limit of ${bytesText(role.maxBytes)}`, role.tooLargeHint);
    }
    return (await readAtMost(handle, role, file, stats.size)).toString('utf8');
  } catch (error) {
    if (error instanceof BirdctlError) throw error;
    throw readError(role, file, (error as Error).message, 'check the file and its permissions', error);
  } finally {
    await handle.close();
  }
}
