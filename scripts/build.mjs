// `npm run build`: bundles birdctl with esbuild into dist/, which the bin (dist/cli/bin.js), the
// image, the lab and compose run without tsx (issue 13). One bundle instead of one file per module:
// a process no longer resolves and compiles hundreds of files at start, and V8 keeps less source.
// Code splitting keeps every command's modules in chunks of their own, loaded by the dynamic
// imports of src/cli/commands.ts, so `birdctl --help` or `status` load none of zod, yaml,
// nunjucks, ws or net-snmp (test/cli/build.test.ts). Type checking is `npm run typecheck`.
//
// Usage: node scripts/build.mjs [--metafile FILE]
//   --metafile FILE  also write esbuild's metafile (which source and package went into which
//                    chunk) to FILE; the build test reads it to tell what a process loaded.
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');
const OUT_DIR = join(ROOT, 'dist');

const { values } = parseArgs({ options: { metafile: { type: 'string' } } });

rmSync(OUT_DIR, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/cli/bin.ts'],
  // The entry keeps its place, dist/cli/bin.js (package.json's bin, the Dockerfile's symlink);
  // the chunks go straight into dist/.
  outbase: 'src',
  outdir: OUT_DIR,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // ws requires these native add-ons inside a try and runs without them; they are not installed.
  // net-snmp is sloppy-mode CommonJS that a bundle would run as strict code (an ES module is
  // strict): its Mib's Proxy set trap returns undefined, which strict code turns into a TypeError
  // on the first registerProvider (src/snmp/bgp-mib.ts). It is imported from node_modules instead.
  // yaml is required from node_modules on the first topology its fast path declines
  // (src/topology/load.ts); plain YAML never loads it, so it is in no chunk.
  external: ['bufferutil', 'utf-8-validate', 'net-snmp', 'yaml'],
  // The CommonJS packages (nunjucks, net-snmp, prom-client) require Node's built-ins, and nunjucks
  // requires chokidar inside a try for `watch`; in an ES module only a require made by
  // createRequire can, so every chunk gets one (esbuild's require shim uses it when present).
  banner: { js: "import { createRequire as createRequireOfChunk } from 'node:module'; const require = createRequireOfChunk(import.meta.url);" },
  // Whitespace and syntax only: names stay, so stack traces (BIRDCTL_DEBUG=1) still read.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  metafile: values.metafile !== undefined,
  logLevel: 'warning',
});
// The shebang of src/cli/bin.ts is kept by esbuild; the mode makes the file runnable by itself.
chmodSync(join(OUT_DIR, 'cli/bin.js'), 0o755);
if (values.metafile !== undefined) writeFileSync(values.metafile, JSON.stringify(result.metafile));
