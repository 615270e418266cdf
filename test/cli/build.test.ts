// `npm run build` (issue 13): plain JavaScript in dist/ that runs birdctl without tsx, behaves as
// the tsx entry does, and loads only what each command uses. The build runs in a scratch copy of
// the project (sources, configs, package.json; node_modules and the data directories linked), so
// the worktree's own dist/ is left alone.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.ts';
import { heavyPackagesIn, runRecordingLoads } from '../support/birdctl-loads.ts';

const execFileAsync = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const DEV_ENTRY = join(ROOT, 'src/cli/birdctl.mjs');
const EXAMPLE = join(ROOT, 'topology/example.yaml');

const copy = mkdtempSync(join(tmpdir(), 'bld-build-'));
const BIN = join(copy, 'dist/cli/bin.js');

/** Runs a birdctl entry (a file run by this node) and returns its exit code and output. */
async function birdctl(entry: string, args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [entry, ...args], { cwd: ROOT }).then(
    (r) => ({ exitCode: 0, stdout: r.stdout, stderr: r.stderr }),
    (error: { code?: number; stdout: string; stderr: string }) => ({ exitCode: error.code ?? -1, stdout: error.stdout, stderr: error.stderr }),
  );
}

beforeAll(async () => {
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, file), join(copy, file));
  cpSync(join(ROOT, 'src'), join(copy, 'src'), { recursive: true });
  for (const dir of ['node_modules', 'bird-templates', 'topology']) symlinkSync(join(ROOT, dir), join(copy, dir));
  await execFileAsync('npm', ['run', '--silent', 'build'], { cwd: copy });
}, 180_000);

afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('bld: the compiled birdctl (npm run build)', () => {
  it('emits an executable bin with its shebang that runs as a program by itself', async () => {
    expect(readFileSync(BIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(BIN).mode & 0o111).toBe(0o111);
    const { stdout } = await execFileAsync(BIN, ['--help']);
    expect(stdout).toMatch(/^Usage: birdctl COMMAND/);
  });

  it('prints the same --help as the tsx entry, for birdctl and every command', async () => {
    for (const args of [['--help'], ...COMMANDS.map((c) => [c.name, '--help'])]) {
      const [compiled, source] = await Promise.all([birdctl(BIN, args), birdctl(DEV_ENTRY, args)]);
      expect(compiled, args.join(' ')).toEqual(source);
      expect(compiled.exitCode).toBe(0);
    }
  }, 120_000);

  it('validates and renders the example topology exactly as the tsx entry does', async () => {
    for (const args of [['validate', EXAMPLE], ['render', EXAMPLE, '--node', 'node1']]) {
      const [compiled, source] = await Promise.all([birdctl(BIN, args), birdctl(DEV_ENTRY, args)]);
      expect(compiled, args.join(' ')).toEqual(source);
      expect(compiled.exitCode).toBe(0);
    }
  });

  it('runs without tsx or any .ts file, and --help and status load none of the heavy packages', async () => {
    for (const args of [['--help'], ['status', '--socket', '/nonexistent/bld-bird6.ctl']]) {
      const run = await runRecordingLoads(BIN, args, ROOT);
      expect(run.exitCode, args.join(' ')).toBe(args[0] === 'status' ? 1 : 0);
      expect(run.urls.filter((url) => url.endsWith('.ts') || url.includes('/node_modules/tsx/'))).toEqual([]);
      expect(heavyPackagesIn(run)).toEqual([]);
    }
  });

  it('starts its children (the lab agents, the orchestrator) with the compiled bin, not the tsx entry', async () => {
    const self = join(copy, 'dist/birdctl-self.js');
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(self)}); console.log(JSON.stringify(m.birdctlCommand(['status'])));`]);
    expect(JSON.parse(stdout)).toEqual({ file: process.execPath, args: [BIN, 'status'] });
  });
});
