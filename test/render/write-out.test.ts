// writeOut (render --out): all or nothing, and never every node's files in memory at once.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BirdctlError } from '../../src/errors.ts';
import { writeOut, type OutFile } from '../../src/render/write-out.ts';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'write-out-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const NODES = Array.from({ length: 20 }, (_, i) => `node${i}`);
const contentOf = (node: string) => `config of ${node}\n`.repeat(100);
const filesOf = (node: string): OutFile[] => [{ path: join(node, 'bird6.conf'), content: contentOf(node) }];

/** Every file under dir, relative, so a leftover staged copy shows up by its name. */
function tree(): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

async function failure(promise: Promise<unknown>): Promise<BirdctlError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BirdctlError);
    return error as BirdctlError;
  }
  throw new Error('expected writeOut to fail');
}

describe('writeOut', () => {
  it('writes every node\'s files and returns their paths in node order, leaving no staged copy', async () => {
    const written = await writeOut(dir, NODES, filesOf);
    expect(written).toEqual(NODES.map((n) => join(dir, n, 'bird6.conf')));
    expect(tree()).toEqual(NODES.map((n) => join(n, 'bird6.conf')).sort());
    for (const node of NODES) expect(readFileSync(join(dir, node, 'bird6.conf'), 'utf8')).toBe(contentOf(node));
  });

  it('writes files readable by their owner and group only, as the agent writes bird6.conf (it holds TCP-MD5 passwords)', async () => {
    const written = await writeOut(dir, NODES.slice(0, 2), filesOf);
    expect(written.map((file) => statSync(file).mode & 0o777)).toEqual([0o640, 0o640]);
  });

  it('stages each node\'s files on disk before rendering the next, so memory holds one node\'s', async () => {
    const stagedWhenRendering: number[] = [];
    await writeOut(dir, NODES, (node) => {
      // Complete staged copies (or, never here, final files) of nodes rendered before this one.
      const onDisk = NODES.filter((n) => {
        const nodeDir = join(dir, n);
        return existsSync(nodeDir) && readdirSync(nodeDir).some((name) => readFileSync(join(nodeDir, name), 'utf8') === contentOf(n));
      });
      stagedWhenRendering.push(onDisk.length);
      return filesOf(node);
    });
    // Node k is rendered only once all k before it are on disk.
    expect(stagedWhenRendering).toEqual(NODES.map((_, k) => k));
  });

  it('removes the staged copies a killed run left behind, and no other file', async () => {
    mkdirSync(join(dir, 'node3'));
    const left = ['.bird6.conf.0123abcd.tmp', '.dnsmasq.conf.89abcdef.tmp'];
    const foreign = ['.bird6.conf.notours.tmp', 'notes.txt'];
    for (const name of [...left, ...foreign]) writeFileSync(join(dir, 'node3', name), 'x');
    await writeOut(dir, NODES, (node) => [...filesOf(node), { path: join(node, 'dnsmasq.conf'), content: 'dnsmasq\n' }]);
    expect(readdirSync(join(dir, 'node3')).sort()).toEqual([...foreign, 'bird6.conf', 'dnsmasq.conf'].sort());
  });

  it('replaces nothing when a node cannot be rendered, names that node, and removes every staged copy', async () => {
    mkdirSync(join(dir, 'node0'));
    writeFileSync(join(dir, 'node0', 'bird6.conf'), 'old');
    const rendered: string[] = [];
    const error = await failure(
      writeOut(dir, NODES, (node) => {
        rendered.push(node);
        if (node === 'node12') throw new Error('refusing to render "x" as a BIRD symbol');
        return filesOf(node);
      }),
    );
    expect(error.message).toBe('cannot render node node12: refusing to render "x" as a BIRD symbol');
    expect(error.hint).toContain('nothing was written');
    expect(rendered).toEqual(NODES.slice(0, 13));
    expect(tree()).toEqual([join('node0', 'bird6.conf')]);
    expect(readFileSync(join(dir, 'node0', 'bird6.conf'), 'utf8')).toBe('old');
  });

  it('replaces nothing when a file cannot be staged, names that file, and removes every staged copy', async () => {
    mkdirSync(join(dir, 'node0'));
    writeFileSync(join(dir, 'node0', 'bird6.conf'), 'old');
    writeFileSync(join(dir, 'node7'), 'a file where the node\'s directory belongs');
    const error = await failure(writeOut(dir, NODES, filesOf));
    expect(error.code).toBe('WRITE_FAILED');
    expect(error.message).toMatch(new RegExp(`^cannot write ${join(dir, 'node7', 'bird6.conf')}: E[A-Z]+`));
    expect(error.hint).toContain('nothing was replaced');
    expect(tree()).toEqual([join('node0', 'bird6.conf'), 'node7']);
    expect(readFileSync(join(dir, 'node0', 'bird6.conf'), 'utf8')).toBe('old');
  });

  it('when a rename fails, says which files were already replaced and removes the remaining staged copies', async () => {
    const nodes = NODES.slice(0, 6);
    mkdirSync(join(dir, 'node4', 'bird6.conf'), { recursive: true });
    const error = await failure(writeOut(dir, nodes, filesOf));
    expect(error.code).toBe('WRITE_FAILED');
    expect(error.message).toMatch(new RegExp(`^cannot write ${join(dir, 'node4', 'bird6.conf')}: `));
    expect(error.hint).toContain(`already replaced: ${join(dir, 'node0', 'bird6.conf')}, ${join(dir, 'node1', 'bird6.conf')}, ${join(dir, 'node2', 'bird6.conf')} and 1 more`);
    expect(tree()).toEqual(nodes.slice(0, 4).map((n) => join(n, 'bird6.conf')));
  });
});
