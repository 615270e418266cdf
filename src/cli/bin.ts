#!/usr/bin/env node
// The `birdctl` executable: `npm run build` compiles it to dist/cli/bin.js, the bin of package.json
// (and of the image); src/cli/birdctl.mjs runs this same file from source through tsx.
import { setFlagsFromString } from 'node:v8';
import { main } from './main.ts';

// The agent runs for months and is idle between polls; V8 grows the young generation while the
// agent's modules load (most of what they allocate survives), to 16 MiB, and with so little
// allocation afterwards no later GC shrinks it: that was 9 MiB of the agent's resident memory
// (issue 13). Held at its initial size it costs a few more scavenges at start and none after.
// Before the command's modules load, and for the agent only: a short command that allocates
// much (render of a large mesh) is better served by a young generation that grows.
// (--max-semi-space-size would say it more directly, but V8 reads it only at start.)
if (process.argv[2] === 'agent') setFlagsFromString('--semi-space-growth-factor=1');

await main(process.argv.slice(2));
