// `npm run build`: bundles birdctl with esbuild into dist/, which the bin (dist/cli/bin.js), the
// image, the lab and compose run without tsx (issue 13):
// - dist/cli/birdctl.cjs, the whole program (src/cli/bin.ts and everything it imports) as one
//   CommonJS script. A module that only a dynamic import reaches (each command's, see
//   src/cli/commands.ts, and the packages they use) is wrapped by esbuild in a function run on
//   that import, so `birdctl --help` or `status` run none of zod, nunjucks or ws
//   (test/cli/build.test.ts reads which ran from V8's coverage).
// - dist/cli/bin.js (src/cli/compiled-entry.ts), which runs the bundle from V8's code cache of it;
// - dist/cli/birdctl.cjs.v8cache, that cache, made at the end of the build by warm-up runs of the
//   bin (WARM_UP): the bytecode of what they compiled, which no later run compiles again. It is
//   made by this node and only this node's V8 takes it (any other runs the bundle without it).
// Type checking is `npm run typecheck`.
//
// Usage: node scripts/build.mjs [--metafile FILE]
//   --metafile FILE  also write esbuild's metafile (which source and package went into which
//                    output) to FILE; the build test reads it to tell what the bundle holds.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');
const OUT_DIR = join(ROOT, 'dist');
const BIN = join(OUT_DIR, 'cli/bin.js');
const BUNDLE = join(OUT_DIR, 'cli/birdctl.cjs');

/**
 * The runs whose compiled functions go into the code cache, one after another (each starts from
 * the cache the one before wrote): commands that need nothing of the machine, on the example
 * topology, which go through the CLI, the topology's parse, schema and checks, and the renderer.
 */
const WARM_UP = [['--help'], ['validate', 'topology/example.yaml'], ['render', 'topology/example.yaml', '--node', 'node1']];

const { values } = parseArgs({ options: { metafile: { type: 'string' } } });

const common = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Whitespace and syntax only: names stay, so stack traces (BIRDCTL_DEBUG=1) still read, and
  // esbuild's wrapper of each lazily run module keeps its path as its name (the build test).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
};

rmSync(OUT_DIR, { recursive: true, force: true });
const program = await build({
  ...common,
  entryPoints: ['src/cli/bin.ts'],
  outfile: BUNDLE,
  format: 'cjs',
  // ws requires these native add-ons inside a try and runs without them; they are not installed.
  // net-snmp is sloppy-mode CommonJS that the bundle would run as strict code (as ES modules ran
  // before, see the banner): its Mib's Proxy set trap returns undefined, which strict code turns
  // into a TypeError on the first registerProvider (src/snmp/bgp-mib.ts). It is required from
  // node_modules instead. yaml is required from node_modules on the first topology its fast path
  // declines (src/topology/load.ts); plain YAML never loads it.
  external: ['bufferutil', 'utf-8-validate', 'net-snmp', 'yaml'],
  // The sources are ES modules, which are strict and know their own URL: the bundle is strict as a
  // whole, and import.meta.url is the bundle's (install-dir.ts finds the package from it).
  banner: { js: '"use strict";\nconst birdctlBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': 'birdctlBundleUrl' },
  // Handed over in memory: the bundle is written once, after its name line.
  write: false,
});
// The bundle's name, which its code cache starts with (compiled-entry.ts): a cache is used with the
// bundle it was made of only.
const code = program.outputFiles[0].contents;
mkdirSync(dirname(BUNDLE), { recursive: true });
writeFileSync(BUNDLE, Buffer.concat([Buffer.from(`// birdctl bundle ${createHash('sha256').update(code).digest('hex')}\n`), code]));
const entry = await build({
  ...common,
  entryPoints: ['src/cli/compiled-entry.ts'],
  outfile: BIN,
  format: 'esm',
});
// The shebang of compiled-entry.ts is kept by esbuild; the mode makes the file runnable by itself.
chmodSync(BIN, 0o755);
for (const args of WARM_UP) {
  execFileSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, BIRDCTL_WRITE_CODE_CACHE: '1' }, stdio: 'ignore' });
}
if (values.metafile !== undefined) {
  const meta = { inputs: { ...program.metafile.inputs, ...entry.metafile.inputs }, outputs: { ...program.metafile.outputs, ...entry.metafile.outputs } };
  writeFileSync(values.metafile, JSON.stringify(meta));
}
