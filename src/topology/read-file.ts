// Reads a topology file without ever blocking and without reading more than a cap. The file is
// opened O_NONBLOCK, so a FIFO put in its place cannot hang open() waiting for a writer, and
// what it is comes from fstat on the open descriptor (not from a stat of the path, which could
// be swapped in between): only a regular file is read. The cap holds for what is read, not only
// for the size fstat reports, so a file that grows while being read, or a procfs-like file
// that reports size 0, cannot make the reader take more either.
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { BirdctlError } from '../errors.ts';

/** The largest topology file read: far above a cluster of thousands of nodes and endpoints. */
export const MAX_TOPOLOGY_BYTES = 16 * 1024 * 1024;

const MiB = 1024 * 1024;

function bytesText(count: number): string {
  return count % MiB === 0 ? `${count} bytes (${count / MiB} MiB)` : `${count} bytes`;
}

function readError(file: string, reason: string, hint: string, cause?: unknown): BirdctlError {
  return new BirdctlError('TOPOLOGY_READ', `cannot read topology ${file}: ${reason}`, { hint, cause });
}

const NOT_REGULAR_HINT = 'pass the path of a regular file (a symlink to one is fine), for example topology/example.yaml';

/** What a non-regular file is, in the words of the error message. */
function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/** Why open() failed, for the messages an operator meets most. */
function openFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
      return 'permission denied';
    // open() on a unix socket fails with ENXIO before fstat could tell what it is.
    case 'ENXIO':
      return 'it is a socket, not a regular file';
    default:
      return error.message;
  }
}

/** The file's text (UTF-8), or a TOPOLOGY_READ error that says why it cannot be read. */
export async function readTopologyFile(file: string, maxBytes = MAX_TOPOLOGY_BYTES): Promise<string> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const reason = openFailure(error as NodeJS.ErrnoException);
    const hint = reason.startsWith('it is') ? NOT_REGULAR_HINT : 'pass the path of a topology file, for example topology/example.yaml';
    throw readError(file, reason, hint, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw readError(file, `it is ${fileKind(stats)}, not a regular file`, NOT_REGULAR_HINT);
    if (stats.size > maxBytes) {
      throw readError(file, `it is ${stats.size} bytes, more than the limit of ${bytesText(maxBytes)}`, 'split the cluster into several topologies, or check that this is the topology file');
    }
    // One byte more than the cap: reading it proves the file is over the cap.
    const buffer = Buffer.alloc(Math.min(maxBytes, Math.max(stats.size, 64 * 1024)) + 1);
    let length = 0;
    let target = buffer;
    for (;;) {
      if (length === target.length) {
        if (length > maxBytes) throw readError(file, `it grew to more than the limit of ${bytesText(maxBytes)} while being read`, 'write the topology to a new file and rename it into place, so it is never read half-written');
        const grown = Buffer.alloc(Math.min(maxBytes + 1, target.length * 2));
        target.copy(grown, 0, 0, length);
        target = grown;
      }
      const { bytesRead } = await handle.read(target, length, target.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return target.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof BirdctlError) throw error;
    throw readError(file, (error as Error).message, 'check the file and its permissions', error);
  } finally {
    await handle.close();
  }
}
