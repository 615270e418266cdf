// Golden files: every node of every example topology renders exactly the committed config.
// Regenerate after an intended change with UPDATE_GOLDEN=1 and review the diff.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { render } from '../../src/render/render.ts';
import { loadTopology } from '../../src/topology/index.ts';
import { EXAMPLE_TOPOLOGIES, GOLDEN_DIR } from '../support/examples.ts';

describe.each(EXAMPLE_TOPOLOGIES)('golden configs of %s', (file) => {
  it('match every node', async () => {
    const topology = await loadTopology(file);
    const dir = join(GOLDEN_DIR, basename(file, '.yaml'));
    for (const node of topology.nodes) {
      const golden = join(dir, `${node.name}.bird6.conf`);
      const rendered = render(topology, node.name);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(dir, { recursive: true });
        writeFileSync(golden, rendered);
      }
      expect(existsSync(golden), `${golden} is missing; run with UPDATE_GOLDEN=1`).toBe(true);
      expect(rendered).toBe(readFileSync(golden, 'utf8'));
    }
  });
});
