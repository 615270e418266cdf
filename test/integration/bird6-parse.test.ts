// Every config the renderer produces must be one bird6 accepts: the golden files of the example
// topologies and the configs of many random valid topologies are checked with `bird6 -p`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { render } from '../../src/render/render.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { describeIntegration } from '../support/integration.ts';
import { randomTopology } from '../support/random-topology.ts';
import { GOLDEN_DIR } from '../support/examples.ts';

const dir = mkdtempSync(join(tmpdir(), 'bird6-parse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** bird6 -p exits 1 with `bird: FILE:LINE:COL message` on a bad config; returns that text or ''. */
function birdParse(file: string): string {
  try {
    execFileSync('bird6', ['-p', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    return '';
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error);
  }
}

describeIntegration('bird6 -p accepts rendered configs', { binaries: ['bird6'] }, () => {
  it('accepts every golden config', () => {
    const files = readdirSync(GOLDEN_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.conf'));
    expect(files.length).toBeGreaterThanOrEqual(11);
    for (const file of files) expect(birdParse(join(GOLDEN_DIR, file)), file).toBe('');
  });

  it('accepts the config of every node of 40 random topologies', () => {
    for (let seed = 1; seed <= 40; seed += 1) {
      const topology = parseTopology(randomTopology(seed), `random seed ${seed}`);
      for (const node of topology.nodes) {
        const file = join(dir, `${seed}-${node.name}.conf`);
        writeFileSync(file, render(topology, node.name));
        expect(birdParse(file), `seed ${seed}, node ${node.name}`).toBe('');
      }
    }
  });

  it('really rejects a broken config (the check can fail)', () => {
    const file = join(dir, 'broken.conf');
    writeFileSync(file, 'router id 10.0.0.1;\nprotocol bgp x { neighbor fd00::1 as }\n');
    expect(birdParse(file)).toMatch(/broken\.conf:2:\d+ syntax error/);
  });
});
