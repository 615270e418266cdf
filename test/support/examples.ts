// The topology files shipped in topology/ and their golden configs, for tests that check every example.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const TOPOLOGY_DIR = fileURLToPath(new URL('../../topology/', import.meta.url));

export const EXAMPLE_TOPOLOGIES: readonly string[] = readdirSync(TOPOLOGY_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => join(TOPOLOGY_DIR, f));

/** Committed golden configs, one folder per example topology. */
export const GOLDEN_DIR = fileURLToPath(new URL('../golden/', import.meta.url));
