// The table `npm run bench` ends with: every suite's key figures, their goals, what was measured
// and whether the goal was met, one line each so a whole run fits on one screen.
import type { KeyFigure } from './suite.ts';

/** A suite's figures, or the error that stopped it (it then counts as not met). */
export type SuiteOutcome = { suite: string; figures: KeyFigure[] } | { suite: string; error: string };

export function isMet(figure: KeyFigure): boolean {
  return 'atMost' in figure.goal ? figure.measured <= figure.goal.atMost : figure.measured < figure.goal.below;
}

function amount(value: number, unit: KeyFigure['unit']): string {
  if (unit === 'x') return `${value.toFixed(2)}x`;
  return `${value.toFixed(unit === 'MiB' || value < 10 ? 1 : 0)} ${unit}`;
}

function goalText(figure: KeyFigure): string {
  return 'atMost' in figure.goal ? `<= ${amount(figure.goal.atMost, figure.unit)}` : `< ${amount(figure.goal.below, figure.unit)}`;
}

/** The markdown table, and the count of figures not met (a failed suite counts as one). */
export function summaryTable(outcomes: readonly SuiteOutcome[]): { markdown: string; notMet: number } {
  let notMet = 0;
  const rows = outcomes.flatMap((outcome) => {
    if ('error' in outcome) {
      notMet += 1;
      return [`| ${outcome.suite}: did not finish | - | ${outcome.error.split('\n')[0]!.slice(0, 80)} | no |`];
    }
    return outcome.figures.map((f) => {
      const met = isMet(f);
      if (!met) notMet += 1;
      return `| ${outcome.suite}: ${f.figure} | ${goalText(f)} | ${amount(f.measured, f.unit)} | ${met ? 'yes' : 'no'} |`;
    });
  });
  return { markdown: ['| figure | goal | measured | met |', '|---|---|---|---|', ...rows].join('\n'), notMet };
}
