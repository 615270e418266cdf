#!/usr/bin/env node
// The `birdctl` executable: `npm run build` compiles it to dist/cli/bin.js, the bin of package.json
// (and of the image); src/cli/birdctl.mjs runs this same file from source through tsx.
import { main } from './main.ts';

await main(process.argv.slice(2));
