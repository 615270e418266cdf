// `node --import ./test/support/record-loads.mjs ENTRY ...` appends the URL of every module the
// process resolves, one a line, to the file named by RECORD_LOADS_FILE, and at exit `node:NAME` for
// every public built-in module it loaded. Tests use it to prove that a command loads only the
// packages it uses (test/cli/command-loading.test.ts).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.RECORD_LOADS_FILE;
if (file === undefined) throw new Error('record-loads.mjs: set RECORD_LOADS_FILE to the file that receives the module URLs');
// Imports go through the loader hooks.
register('./record-loads-hooks.mjs', import.meta.url, { data: { file } });
// Node 20's hooks do not see require(), the way birdctl loads a package on first use
// (src/topology/load.ts) and CommonJS packages load theirs: CommonJS resolution is recorded too.
const Module = createRequire(import.meta.url)('node:module');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function recordingResolveFilename(...args) {
  const resolved = resolveFilename.apply(this, args);
  if (resolved.startsWith('/')) appendFileSync(file, `${pathToFileURL(resolved).href}\n`);
  return resolved;
};
// A require() of `node:v8` does not resolve a file either (Node loads built-ins before it resolves),
// and the compiled bundle loads its built-ins that way: Node's own list of the built-ins it loaded
// says which, at exit.
process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule ') && !entry.startsWith('NativeModule internal/'));
  appendFileSync(file, builtins.map((entry) => `node:${entry.slice('NativeModule '.length)}\n`).join(''));
});
