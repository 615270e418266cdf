#!/usr/bin/env node
// birdctl from source, for development and tests: loads the TypeScript through tsx, then runs the
// same entry as the compiled bin (bin.ts; `npm run build` makes dist/cli/bin.js).
import { register } from 'tsx/esm/api';

register();
await import('./bin.ts');
