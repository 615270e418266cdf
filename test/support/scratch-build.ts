// `npm run build` in a scratch copy of the project (sources, configs, package.json, the build
// script; node_modules and the data directories linked), so a test runs the compiled birdctl of
// the sources under test and leaves the worktree's own dist/ alone.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');

export interface ScratchBuild {
  /** the copy's root (remove it when done) */
  dir: string;
  /** its dist/cli/bin.js */
  bin: string;
  /** esbuild's metafile of the build (scripts/build.mjs --metafile) */
  metafile: string;
}

/** Copies the project into a new directory named `<prefix>...` under the temp dir and builds it. */
export async function scratchBuild(prefix: string): Promise<ScratchBuild> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const file of ['package.json', 'tsconfig.json']) cpSync(join(ROOT, file), join(dir, file));
  for (const sub of ['src', 'scripts']) cpSync(join(ROOT, sub), join(dir, sub), { recursive: true });
  for (const sub of ['node_modules', 'bird-templates', 'topology']) symlinkSync(join(ROOT, sub), join(dir, sub));
  const metafile = join(dir, 'meta.json');
  await execFileAsync('npm', ['run', '--silent', 'build', '--', '--metafile', metafile], { cwd: dir });
  return { dir, bin: join(dir, 'dist/cli/bin.js'), metafile };
}
