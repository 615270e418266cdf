// How to start this same birdctl as a child process (the lab's agents and its orchestrator): the
// compiled bin when this code runs compiled (dist/, `npm run build`), the tsx entry when it runs
// from source (development and tests), so a child never runs different code than its parent.
// Compiled, this module is inside the bundle (dist/cli/birdctl.cjs, scripts/build.mjs), which the
// bin runs: both entries are found from the install directory, not from this file.
import { installPath } from './install-dir.ts';

const compiled = !import.meta.url.endsWith('.ts');
const ENTRY = installPath(compiled ? 'dist/cli/bin.js' : 'src/cli/birdctl.mjs');

/**
 * The file and arguments that run `birdctl ARGS...` (file: this Node, argv[0]: the entry, by
 * default this code's own; a benchmark running from source passes the compiled bin).
 */
export function birdctlCommand(args: readonly string[], entry = ENTRY): { file: string; args: string[] } {
  return { file: process.execPath, args: [entry, ...args] };
}
