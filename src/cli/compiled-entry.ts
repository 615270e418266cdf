#!/usr/bin/env node
// dist/cli/bin.js, the `birdctl` of the compiled build (scripts/build.mjs; package.json's bin and
// the image's): runs birdctl's bundle, dist/cli/birdctl.cjs, from V8's code cache of it when the
// build left one made of this very bundle, else compiled as any script is. The cache holds the
// bytecode of every function the build's warm-up runs compiled (scripts/build.mjs: `--help`,
// `validate` and `render` of the example topology), so a command runs without compiling what they
// ran: zod's schemas, the topology's checks, the CLI (issue 13, BENCHMARKS.md).
//
// V8 takes a cache only if the same V8 with the same flags made it, of a source as long: a cache of
// another bundle of the same length would be taken and run that bundle's functions. So the build
// names each bundle in its first line (`// birdctl bundle SHA-256`, of the rest), the cache file
// starts with that line, and a cache is used with the bundle of the same line only. Not hashed here:
// node:crypto alone takes 5 ms to load, as long as `birdctl --help` spends on its own work.
//
// The bundle is CommonJS (one script, which node:vm compiles with a cache; Node 20 has no such
// thing for ES modules) and is run as Node runs a CommonJS module: in the wrapper function, with
// the require of its own path (the packages left out of it, such as yaml, come from node_modules).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const HERE = dirname(fileURLToPath(import.meta.url));
const BUNDLE = join(HERE, 'birdctl.cjs');
const CODE_CACHE = join(HERE, 'birdctl.cjs.v8cache');
const NEWLINE = 0x0a;
/** Set by the build's warm-up runs alone: at exit, write the cache of what this process compiled. */
const WRITE_CACHE_ENV = 'BIRDCTL_WRITE_CODE_CACHE';

const bundle = readFileSync(BUNDLE);
const nameLine = bundle.subarray(0, bundle.indexOf(NEWLINE) + 1);
const cache = readCache();
// A bundle of one line has no name (nameLine is empty): no cache is its.
const cachedData = cache !== undefined && nameLine.length > 0 && cache.subarray(0, nameLine.length).equals(nameLine) ? cache.subarray(nameLine.length) : undefined;
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${bundle.toString('utf8')}\n})`, {
  filename: BUNDLE,
  ...(cachedData === undefined ? {} : { cachedData }),
});
if (process.env.BIRDCTL_DEBUG === '1') process.stderr.write(`birdctl: code cache ${cacheState()}\n`);
if (process.env[WRITE_CACHE_ENV] === '1') {
  // At exit the cache holds the functions compiled so far: those of the cache it was started with
  // too, so one warm-up run after another adds up.
  process.once('exit', () => writeFileSync(CODE_CACHE, Buffer.concat([nameLine, script.createCachedData()])));
}
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(BUNDLE), module, BUNDLE, HERE);

/** The cache file, or undefined when the build left none (a build without its warm-up). */
function readCache(): Buffer | undefined {
  try {
    return readFileSync(CODE_CACHE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** What became of the cache, for BIRDCTL_DEBUG=1. */
function cacheState(): string {
  if (cache === undefined) return `missing (${CODE_CACHE})`;
  if (cachedData === undefined) return 'not used: made of another bundle';
  return script.cachedDataRejected === true ? 'rejected by this node (another version or flags)' : 'used';
}
