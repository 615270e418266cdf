// How to start this same birdctl as a child process (the lab's agents and its orchestrator): the
// compiled bin when this code runs compiled (dist/, `npm run build`), the tsx entry when it runs
// from source (development and tests), so a child never runs different code than its parent.
import { fileURLToPath } from 'node:url';

const compiled = import.meta.url.endsWith('.js');
const ENTRY = fileURLToPath(new URL(compiled ? './cli/bin.js' : './cli/birdctl.mjs', import.meta.url));

/** The file and arguments that run `birdctl ARGS...` (file: this Node, argv[0]: the entry). */
export function birdctlCommand(args: readonly string[]): { file: string; args: string[] } {
  return { file: process.execPath, args: [ENTRY, ...args] };
}
