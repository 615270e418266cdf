#!/usr/bin/env node
// The installed `birdctl` executable: loads the TypeScript sources through tsx, then runs main.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
await main(process.argv.slice(2));
