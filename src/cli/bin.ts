// The `birdctl` program: `npm run build` bundles it to dist/cli/birdctl.cjs, which dist/cli/bin.js
// (compiled-entry.ts, the bin of package.json and of the image) runs; src/cli/birdctl.mjs runs this
// same file from source through tsx. No shebang and no top-level await: the bundle is a CommonJS
// script run inside a function (compiled-entry.ts).
import { main } from './main.ts';

// Before the command's modules load, and for the agent only: a short command that allocates much
// (render of a large mesh) is better served by a young generation that grows and by TurboFan.
// Imported for the agent alone: no other command loads node:v8.
async function start(): Promise<never> {
  if (process.argv[2] === 'agent') {
    const { holdYoungGeneration, stayInBaselineTiers } = await import('./agent-heap.ts');
    holdYoungGeneration();
    stayInBaselineTiers();
  }
  return main(process.argv.slice(2));
}

void start();
