// `birdctl render --out`: every node's files written under one directory, all or nothing, with
// memory bounded by one node's files rather than the cluster's. A full mesh of N nodes holds
// N*(N-1) sessions in total, so holding every rendered file until the first write (as this once
// did) took gigabytes at 2,000 nodes. Instead each node's files are rendered, staged beside their
// targets (src/atomic-write.ts) and dropped. Once every file is staged, all are flushed to disk,
// several at a time (waiting for the disk once per file in turn was most of the time), and only
// then renamed over their targets. A node that cannot be rendered or a file that cannot be staged
// or flushed therefore still replaces nothing at all, and every staged copy is removed.
import { renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { flushStaged, removeStaleStagedSync, writeStagedUnflushed } from '../atomic-write.ts';
import { BirdctlError } from '../errors.ts';

/** One file of a node, `path` relative to the output directory. */
export interface OutFile {
  path: string;
  content: string;
}

/** Flushes at once: the disk groups concurrent flushes (and the thread pool runs four). */
const FLUSHES_IN_FLIGHT = 8;

/** As the agent writes a new bird6.conf: it may hold TCP-MD5 passwords, so not world-readable. */
const OUT_FILE_MODE = 0o640;

/** How many replaced files a rename failure names; the rest are counted (4,000 paths help nobody). */
const NAMED_IN_HINT = 3;

interface Staging {
  target: string;
  /** the copy beside it (writeStagedUnflushed) */
  staged: string;
}

function renderFailed(node: string, error: unknown): BirdctlError {
  return new BirdctlError('INTERNAL', `cannot render node ${node}: ${(error as Error).message}`, {
    hint: 'the topology passed validation, so this is a bug in birdctl; nothing was written',
    cause: error,
  });
}

function writeFailed(dir: string, target: string, error: unknown, replaced: readonly string[]): BirdctlError {
  const named = replaced.slice(0, NAMED_IN_HINT).join(', ');
  const more = replaced.length > NAMED_IN_HINT ? ` and ${replaced.length - NAMED_IN_HINT} more` : '';
  return new BirdctlError('WRITE_FAILED', `cannot write ${target}: ${(error as Error).message}`, {
    hint: `check that ${dir} is writable${replaced.length > 0 ? `; already replaced: ${named}${more}` : '; nothing was replaced'}`,
    cause: error,
  });
}

/** Renders and stages every node's files, one node at a time; the staged ones are in `files` even when this throws. */
function stageAll(dir: string, nodes: readonly string[], filesOf: (node: string) => OutFile[], files: Staging[]): void {
  for (const node of nodes) {
    let rendered: OutFile[];
    try {
      rendered = filesOf(node);
    } catch (error) {
      throw renderFailed(node, error);
    }
    for (const { path, content } of rendered) {
      const target = join(dir, path);
      try {
        // A run killed before its renames left every file's staged copy behind: none outlives this one.
        removeStaleStagedSync(target);
        files.push({ target, staged: writeStagedUnflushed(target, content, OUT_FILE_MODE) });
      } catch (error) {
        throw writeFailed(dir, target, error, []);
      }
    }
  }
}

/** Flushes every staged file, a few at a time; throws for the first that fails, after the rest stop. */
async function flushAll(dir: string, files: readonly Staging[]): Promise<void> {
  let next = 0;
  let failure: BirdctlError | undefined;
  const worker = async () => {
    while (next < files.length && failure === undefined) {
      const file = files[next++]!;
      try {
        await flushStaged(file.staged);
      } catch (error) {
        failure ??= writeFailed(dir, file.target, error, []);
      }
    }
  };
  await Promise.all(Array.from({ length: FLUSHES_IN_FLIGHT }, worker));
  if (failure !== undefined) throw failure;
}

/**
 * Renders `filesOf(node)` for each node in turn and writes the files under `dir`; returns the
 * paths written, in node order. Throws a BirdctlError naming the node or the file that failed.
 */
export async function writeOut(dir: string, nodes: readonly string[], filesOf: (node: string) => OutFile[]): Promise<string[]> {
  const files: Staging[] = [];
  try {
    stageAll(dir, nodes, filesOf, files);
    await flushAll(dir, files);
  } catch (error) {
    await Promise.all(files.map((f) => rm(f.staged, { force: true })));
    throw error;
  }

  // Synchronous, as the staging: a rename is quicker than the thread-pool round trip of the
  // promise API, and they are done one after another (the order a failure's hint reports).
  const replaced: string[] = [];
  for (const [i, file] of files.entries()) {
    try {
      renameSync(file.staged, file.target);
    } catch (error) {
      await Promise.all(files.slice(i).map((f) => rm(f.staged, { force: true })));
      throw writeFailed(dir, file.target, error, replaced);
    }
    replaced.push(file.target);
  }
  return replaced;
}
