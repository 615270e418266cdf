// Reading the topology file never blocks and never reads without bound: a FIFO, a device, a
// socket or a directory in place of the file is refused from fstat before anything is read, and
// a file over the size cap is refused with the cap and the size, however it got there.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BirdctlError, formatError } from '../../src/errors.ts';
import { loadTopology } from '../../src/topology/index.ts';
import { MAX_TOPOLOGY_BYTES, openTopologyFile, readTopologyFile } from '../../src/topology/read-file.ts';
import { loadError, validDoc } from './documents.ts';

const scratch = mkdtempSync(join(tmpdir(), 'ftload-read-'));
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(scratch, { recursive: true, force: true });
});

describe('files that are not regular files', () => {
  it('refuses a FIFO without waiting for a writer', async () => {
    const fifo = join(scratch, 'topology.yaml');
    execFileSync('mkfifo', [fifo]);
    const error = await loadError(fifo);
    expect(error.code).toBe('TOPOLOGY_READ');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`cannot read topology ${fifo}: it is a FIFO (named pipe), not a regular file`);
    expect(error.hint).toContain('regular file');
  });

  it('refuses a FIFO from the open descriptor too, as when one replaces the file after the stat', async () => {
    // The open itself must not wait for a writer: without O_NONBLOCK this test times out.
    const fifo = join(scratch, 'swapped.yaml');
    execFileSync('mkfifo', [fifo]);
    const error = await openTopologyFile(fifo).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BirdctlError);
    expect((error as BirdctlError).message).toBe(`cannot read topology ${fifo}: it is a FIFO (named pipe), not a regular file`);
  });

  it('refuses a symlink to /dev/zero as a device, without reading it', async () => {
    const link = join(scratch, 'zero.yaml');
    symlinkSync('/dev/zero', link);
    const error = await loadError(link);
    expect(error.code).toBe('TOPOLOGY_READ');
    expect(error.message).toBe(`cannot read topology ${link}: it is a character device, not a regular file`);
  });

  it('refuses a directory', async () => {
    const error = await loadError(scratch);
    expect(error.code).toBe('TOPOLOGY_READ');
    expect(error.message).toBe(`cannot read topology ${scratch}: it is a directory, not a regular file`);
  });

  it('refuses a unix socket, before and after opening', async () => {
    const path = join(scratch, 'socket.yaml');
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const error = await loadError(path);
    expect(error.code).toBe('TOPOLOGY_READ');
    expect(error.message).toBe(`cannot read topology ${path}: it is a socket, not a regular file`);
    // open() on a socket fails (ENXIO) before fstat could say what it is.
    await expect(openTopologyFile(path)).rejects.toThrow(`cannot read topology ${path}: `);
  });
});

describe('size cap', () => {
  it('is 16 MiB', () => {
    expect(MAX_TOPOLOGY_BYTES).toBe(16 * 1024 * 1024);
  });

  it('refuses a file over the cap, naming the cap and the size', async () => {
    // Sparse: the size is in the inode, nothing is written to disk.
    const file = join(scratch, 'huge.yaml');
    writeFileSync(file, '');
    truncateSync(file, MAX_TOPOLOGY_BYTES + 1);
    const error = await loadError(file);
    expect(error.code).toBe('TOPOLOGY_READ');
    expect(error.message).toBe(`cannot read topology ${file}: it is ${MAX_TOPOLOGY_BYTES + 1} bytes, more than the limit of ${MAX_TOPOLOGY_BYTES} bytes (16 MiB)`);
    expect(error.hint).toContain('split');
    expect(formatError(error).length).toBeLessThan(400);
  });

  it('accepts a file of exactly the cap (then judges its content)', async () => {
    const file = join(scratch, 'at-cap.yaml');
    const text = JSON.stringify(validDoc());
    writeFileSync(file, text.padEnd(MAX_TOPOLOGY_BYTES, ' '));
    expect((await loadTopology(file)).nodes).toHaveLength(3);
  });

  it('stops reading at the cap even when fstat claims the file is small', async () => {
    // procfs files report size 0 and yield their content on read, as a file that grows after
    // fstat would: only the bytes actually read can enforce the cap.
    const error = await readTopologyFile('/proc/self/maps', 64).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BirdctlError);
    expect((error as BirdctlError).message).toBe('cannot read topology /proc/self/maps: it grew to more than the limit of 64 bytes while being read');
  });

  it('reads a procfs-like file whose content fits the cap', async () => {
    expect(await readTopologyFile('/proc/self/stat', 4096)).toMatch(/^\d+ \(/);
  });
});
