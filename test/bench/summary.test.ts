// The summary table of `npm run bench`: a goal is met only when the figure is within it, and a
// suite that did not finish shows as a row that is not met.
import { describe, expect, it } from 'vitest';
import { isMet, summaryTable } from './summary.ts';

describe('bld: bench summary table', () => {
  it('meets an at-most goal at the bound and a below goal only under it', () => {
    expect(isMet({ figure: 'a', measured: 2, unit: 'x', goal: { atMost: 2 } })).toBe(true);
    expect(isMet({ figure: 'a', measured: 2.01, unit: 'x', goal: { atMost: 2 } })).toBe(false);
    expect(isMet({ figure: 'b', measured: 100, unit: 'ms', goal: { below: 100 } })).toBe(false);
    expect(isMet({ figure: 'b', measured: 99.9, unit: 'ms', goal: { below: 100 } })).toBe(true);
  });

  it('lists every figure with its goal, the measured value and whether it was met', () => {
    const { markdown, notMet } = summaryTable([
      {
        suite: 'startup',
        figures: [
          { figure: '`birdctl --help` / `node -e 0`', measured: 1.234, unit: 'x', goal: { atMost: 2 } },
          { figure: 'agent VmRSS, 2 nodes', measured: 61.25, unit: 'MiB', goal: { atMost: 60 } },
        ],
      },
      { suite: 'lab', figures: [{ figure: 'convergence p95', measured: 832, unit: 'ms', goal: { below: 300 } }] },
      { suite: 'render', error: 'bird6 -p failed\nstack...' },
    ]);
    expect(markdown.split('\n')).toEqual([
      '| figure | goal | measured | met |',
      '|---|---|---|---|',
      '| startup: `birdctl --help` / `node -e 0` | <= 2.00x | 1.23x | yes |',
      '| startup: agent VmRSS, 2 nodes | <= 60.0 MiB | 61.3 MiB | no |',
      '| lab: convergence p95 | < 300 ms | 832 ms | no |',
      '| render: did not finish | - | bird6 -p failed | no |',
    ]);
    expect(notMet).toBe(3);
  });
});
