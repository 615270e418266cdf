// The agent's V8 settings (src/cli/agent-heap.ts), in child processes: the flags are per process.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const AGENT_HEAP = JSON.stringify(join(ROOT, 'src/cli/agent-heap.ts'));

/** What a module of these lines prints, run by a node process of its own (through tsx). */
function runModule(lines: readonly string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', lines.join('\n')], { cwd: ROOT, encoding: 'utf8' });
}

/** new_space's size in KiB after allocating 300,000 objects that all survive (what module loading looks like to V8). */
function newSpaceAfterSurvivingAllocations(hold: boolean): number {
  const output = runModule([
    "import { getHeapSpaceStatistics } from 'node:v8';",
    `import { holdYoungGeneration } from ${AGENT_HEAP};`,
    hold ? 'holdYoungGeneration();' : '',
    'const kept = [];',
    "for (let i = 0; i < 300000; i += 1) kept.push({ i, s: 'x' + i });",
    "console.log(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1024);",
  ]);
  return Number(output);
}

/**
 * Whether V8 optimized a hot function with TurboFan (bit 6 of %GetOptimizationStatus, V8's
 * OptimizationStatus::kTurboFanned). The function is run in rounds until it is, or for 100 rounds:
 * the optimizing compile happens on a background thread between rounds.
 */
function turboFannedWhenHot(baselineOnly: boolean): boolean {
  const output = runModule([
    "import { setFlagsFromString } from 'node:v8';",
    `import { stayInBaselineTiers } from ${AGENT_HEAP};`,
    baselineOnly ? 'stayInBaselineTiers();' : '',
    "setFlagsFromString('--allow-natives-syntax');",
    "const status = new Function('f', 'return %GetOptimizationStatus(f)');",
    'function hot(s) { let n = 0; for (let i = 0; i < s.length; i += 1) n += s.charCodeAt(i); return n; }',
    'let sum = 0;',
    'for (let round = 0; round < 100 && (status(hot) & 64) === 0; round += 1) {',
    "  for (let i = 0; i < 20000; i += 1) sum += hot('abcdefgh' + i);",
    '  await new Promise((resolve) => setTimeout(resolve, 5));',
    '}',
    'console.log(JSON.stringify({ turboFanned: (status(hot) & 64) !== 0, sum }));',
  ]);
  return (JSON.parse(output) as { turboFanned: boolean }).turboFanned;
}

describe('stayInBaselineTiers', () => {
  it('keeps a hot function out of TurboFan, which V8 would optimize it with', () => {
    expect(turboFannedWhenHot(false)).toBe(true);
    expect(turboFannedWhenHot(true)).toBe(false);
  });
});

describe('holdYoungGeneration', () => {
  it('keeps the young generation at its initial size where V8 would grow it', () => {
    const grown = newSpaceAfterSurvivingAllocations(false);
    const held = newSpaceAfterSurvivingAllocations(true);
    // Loading tsx (this test's loader) may grow it a step before holdYoungGeneration() runs.
    expect(held).toBeLessThanOrEqual(4096);
    expect(grown).toBeGreaterThanOrEqual(held * 4);
  });
});
