// The compiled birdctl (dist/cli/bin.js, the bundle of `npm run build`), which the benchmarks run
// because the bin, the image and the lab run it. `npm run bench` builds first; a suite run by hand
// refuses a build older than the sources rather than measuring code that is not the current one.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
export const COMPILED_BIRDCTL = join(ROOT, 'dist/cli/bin.js');
/** The tsx entry, for the before/after figures of the start-up suite. */
export const SOURCE_BIRDCTL = join(ROOT, 'src/cli/birdctl.mjs');

function newestMtimeMs(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newestMtimeMs(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)),
  );
}

/** The compiled bin's path; throws when it is missing or older than a file in src/ or scripts/ (the build). */
export function compiledBirdctl(): string {
  const newest = Math.max(newestMtimeMs(join(ROOT, 'src')), newestMtimeMs(join(ROOT, 'scripts')));
  if (!existsSync(COMPILED_BIRDCTL) || statSync(COMPILED_BIRDCTL).mtimeMs < newest) {
    throw new Error(`${COMPILED_BIRDCTL} is missing or older than src/ or scripts/: run npm run build (npm run bench does)`);
  }
  return COMPILED_BIRDCTL;
}
