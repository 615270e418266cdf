// `npm run bench`: runs every benchmark suite (or those named on the command line) and appends
// the results, with the machine and the date, to BENCHMARKS.md. Suites report ratios against a
// baseline measured in the same run, because these machines are shared and noisy. The run ends
// with one table of every key figure against its goal (summary.ts); a suite that fails is a row
// of that table, not the end of the run (and makes the exit code 1; a goal not met is a result).
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { summaryTable, type SuiteOutcome } from './summary.ts';
import { SUITES } from './suites.ts';

const wanted = process.argv.slice(2);
const selected = wanted.length === 0 ? SUITES : SUITES.filter((s) => wanted.includes(s.name));
if (selected.length === 0) {
  console.error(`no benchmark suite named ${wanted.join(', ')}; suites: ${SUITES.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`;
const file = 'BENCHMARKS.md';
if (!existsSync(file)) writeFileSync(file, '# Benchmarks\n\nAppended by `npm run bench`; newest run last.\n');
let section = `\n## ${new Date().toISOString()} — ${machine}\n`;
const outcomes: SuiteOutcome[] = [];
for (const suite of selected) {
  console.error(`running ${suite.name}...`);
  try {
    const { markdown, figures } = await suite.run();
    outcomes.push({ suite: suite.name, figures });
    section += `\n### ${suite.title}\n\n${markdown.trim()}\n`;
    console.log(`\n### ${suite.title}\n\n${markdown.trim()}`);
  } catch (error) {
    console.error(error);
    outcomes.push({ suite: suite.name, error: error instanceof Error ? error.message : String(error) });
  }
}
const summary = summaryTable(outcomes);
section += `\n### Summary: every figure against its goal\n\n${summary.markdown}\n`;
console.log(`\n### Summary: every figure against its goal\n\n${summary.markdown}`);
appendFileSync(file, section);
console.error(`results appended to ${file}; ${summary.notMet === 0 ? 'every goal met' : `${summary.notMet} not met`}`);
process.exitCode = outcomes.some((o) => 'error' in o) ? 1 : 0;
