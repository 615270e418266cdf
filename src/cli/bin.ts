#!/usr/bin/env node
// The `birdctl` executable: `npm run build` bundles it to dist/cli/bin.js (scripts/build.mjs), the
// bin of package.json (and of the image); src/cli/birdctl.mjs runs this same file from source
// through tsx.
import { main } from './main.ts';

// Before the command's modules load, and for the agent only: a short command that allocates much
// (render of a large mesh) is better served by a young generation that grows and by TurboFan.
// Imported for the agent alone: no other command loads node:v8.
if (process.argv[2] === 'agent') {
  const { holdYoungGeneration, stayInBaselineTiers } = await import('./agent-heap.ts');
  holdYoungGeneration();
  stayInBaselineTiers();
}

await main(process.argv.slice(2));
