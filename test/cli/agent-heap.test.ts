// The agent's V8 settings (src/cli/agent-heap.ts), in child processes: the flags are per process.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** new_space's size in KiB after allocating 300,000 objects that all survive (what module loading looks like to V8). */
function newSpaceAfterSurvivingAllocations(hold: boolean): number {
  const script = [
    "import { getHeapSpaceStatistics } from 'node:v8';",
    `import { holdYoungGeneration } from ${JSON.stringify(join(ROOT, 'src/cli/agent-heap.ts'))};`,
    hold ? 'holdYoungGeneration();' : '',
    'const kept = [];',
    "for (let i = 0; i < 300000; i += 1) kept.push({ i, s: 'x' + i });",
    "console.log(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1024);",
  ].join('\n');
  return Number(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' }));
}

describe('holdYoungGeneration', () => {
  it('keeps the young generation at its initial size where V8 would grow it', () => {
    const grown = newSpaceAfterSurvivingAllocations(false);
    const held = newSpaceAfterSurvivingAllocations(true);
    // Loading tsx (this test's loader) may grow it a step before holdYoungGeneration() runs.
    expect(held).toBeLessThanOrEqual(4096);
    expect(grown).toBeGreaterThanOrEqual(held * 4);
  });
});
