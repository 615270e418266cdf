// `npm run build` (issue 13): an esbuild bundle in dist/ (scripts/build.mjs) that runs birdctl
// without tsx, behaves as the tsx entry does, runs from the code cache the build made, and runs only
// what each command uses: a package is inside the bundle, wrapped in functions run on first import,
// so what a process ran is read from V8's coverage of the bundle (test/support/birdctl-loads.ts).
// The build runs in a scratch copy of the project (scratch-build.ts). That the bundle's children run
// the compiled bin, and that an agent runs from it, is test/integration/lab-bundle.test.ts (a real lab).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.ts';
import { HEAVY_PACKAGES, heavyPackagesIn, packageOf, runRecordingLoads } from '../support/birdctl-loads.ts';
import { scratchBuild } from '../support/scratch-build.ts';

const execFileAsync = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const DEV_ENTRY = join(ROOT, 'src/cli/birdctl.mjs');
const EXAMPLE = join(ROOT, 'topology/example.yaml');

let copy = '';
let BIN = '';
let METAFILE = '';

/** esbuild's metafile: for each output file (relative to the project), the inputs bundled into it. */
interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

/** The npm packages the metafile says went into the bundle. */
function packagesInBundle(meta: Metafile): Set<string> {
  const packages = new Set<string>();
  for (const input of Object.keys(meta.outputs['dist/cli/birdctl.cjs']?.inputs ?? {})) {
    const name = packageOf(input);
    if (name !== undefined) packages.add(name);
  }
  return packages;
}

/** Runs a birdctl entry (a file run by this node) and returns its exit code and output. */
async function birdctl(entry: string, args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [entry, ...args], { cwd: ROOT }).then(
    (r) => ({ exitCode: 0, stdout: r.stdout, stderr: r.stderr }),
    (error: { code?: number; stdout: string; stderr: string }) => ({ exitCode: error.code ?? -1, stdout: error.stdout, stderr: error.stderr }),
  );
}

beforeAll(async () => {
  ({ dir: copy, bin: BIN, metafile: METAFILE } = await scratchBuild('bld-build-'));
}, 180_000);

afterAll(() => {
  if (copy !== '') rmSync(copy, { recursive: true, force: true });
});

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

  it("reports a broken topology's problems exactly as the tsx entry does (zod's messages, bundled)", async () => {
    const bad = join(copy, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: bird6-controller/v1\ncluster: {name: bld, asNumber: "no"}\nnodes: [{name: a, address: "fd00::1", bogus: 1}]\n');
    const [compiled, source] = await Promise.all([birdctl(BIN, ['validate', bad]), birdctl(DEV_ENTRY, ['validate', bad])]);
    expect(compiled).toEqual(source);
    expect(compiled.exitCode).toBe(2);
    expect(compiled.stderr).toMatch(/cluster\.asNumber: .*\n[^]*nodes\[0\]\.bogus: unknown field "bogus"/);
  });

  it('is one bundle: dist/ holds the bin, the bundle and its code cache, and a command runs from there alone', async () => {
    const meta = JSON.parse(readFileSync(METAFILE, 'utf8')) as Metafile;
    const files = readdirSync(join(copy, 'dist'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.map((e) => relative(copy, join(e.parentPath, e.name))).sort()).toEqual([...Object.keys(meta.outputs), 'dist/cli/birdctl.cjs.v8cache'].sort());
    expect(Object.keys(meta.outputs).sort()).toEqual(['dist/cli/bin.js', 'dist/cli/birdctl.cjs']);
    // Its name line, then the directive that makes the whole bundle strict, as the ES modules it
    // was made of are.
    expect(readFileSync(join(copy, 'dist/cli/birdctl.cjs'), 'utf8').split('\n', 2)).toEqual([expect.stringMatching(/^\/\/ birdctl bundle [0-9a-f]{64}$/), '"use strict";']);
    const run = await runRecordingLoads(BIN, ['validate', EXAMPLE], ROOT, { bundleCoverage: true });
    expect(run.exitCode).toBe(0);
    expect(run.urls.filter((url) => url.startsWith('file:') && !fileURLToPath(url).startsWith(join(copy, 'dist/')))).toEqual([]);
    // Every heavy package but those required from node_modules is in the bundle, each in functions
    // of its own (what the next test reads); validate runs zod's alone.
    expect(HEAVY_PACKAGES.filter((name) => packagesInBundle(meta).has(name))).toEqual(['zod', 'nunjucks', 'ws']);
    expect(HEAVY_PACKAGES.filter((name) => run.bundled.has(name))).toEqual(['zod', 'nunjucks', 'ws']);
    expect(HEAVY_PACKAGES.filter((name) => run.bundledRan.has(name))).toEqual(['zod']);
  });

  it('runs from the code cache the build made, and as well without it or with a cache of another bundle', async () => {
    const debug = { ...process.env, BIRDCTL_DEBUG: '1' };
    const validate = () => execFileAsync(BIN, ['validate', EXAMPLE], { env: debug });
    const used = await validate();
    expect(used.stderr).toBe('birdctl: code cache used\n');
    const cacheFile = join(copy, 'dist/cli/birdctl.cjs.v8cache');
    const cache = readFileSync(cacheFile);
    try {
      // A cache of another bundle: V8 alone would take it (the bundle is as long), its digest does not.
      const other = Buffer.from(cache);
      other[0]! ^= 0xff;
      writeFileSync(cacheFile, other);
      const refused = await validate();
      expect(refused.stderr).toBe('birdctl: code cache not used: made of another bundle\n');
      expect(refused.stdout).toBe(used.stdout);
      rmSync(cacheFile);
      const none = await validate();
      expect(none.stderr).toMatch(/^birdctl: code cache missing \(.*birdctl\.cjs\.v8cache\)\n$/);
      expect(none.stdout).toBe(used.stdout);
    } finally {
      writeFileSync(cacheFile, cache);
    }
  });

  it('loads the yaml package, from node_modules, only for YAML the fast path declines', async () => {
    const declined = join(copy, 'declined.yaml');
    writeFileSync(declined, `---\n${readFileSync(EXAMPLE, 'utf8')}`);
    const plain = await runRecordingLoads(BIN, ['validate', EXAMPLE], ROOT);
    const run = await runRecordingLoads(BIN, ['validate', declined], ROOT);
    expect([plain.exitCode, run.exitCode]).toEqual([0, 0]);
    expect(heavyPackagesIn(plain)).toEqual([]);
    expect(heavyPackagesIn(run)).toEqual(['yaml']);
  });

  it('runs without tsx or any .ts file, and --help and status run none of the heavy packages', async () => {
    for (const args of [['--help'], ['status', '--socket', '/nonexistent/bld-bird6.ctl']]) {
      const run = await runRecordingLoads(BIN, args, ROOT, { bundleCoverage: true });
      expect(run.exitCode, args.join(' ')).toBe(args[0] === 'status' ? 1 : 0);
      expect(run.urls.filter((url) => url.endsWith('.ts') || url.includes('/node_modules/tsx/'))).toEqual([]);
      expect(heavyPackagesIn(run), `${args.join(' ')}: from node_modules`).toEqual([]);
      // What the line after says nothing of without: the bundle's packages are seen at all.
      expect(run.bundled.has('zod'), args.join(' ')).toBe(true);
      expect(HEAVY_PACKAGES.filter((name) => run.bundledRan.has(name)), `${args.join(' ')}: from the bundle`).toEqual([]);
      // The agent's V8 settings (src/cli/agent-heap.ts) are the agent's alone.
      expect(run.urls, args.join(' ')).not.toContain('node:v8');
    }
    // What the line above would see: the agent loads node:v8 before it reads its options.
    expect((await runRecordingLoads(BIN, ['agent', '--help'], ROOT)).urls).toContain('node:v8');
  });
});
