// `npm run bench`: runs every benchmark suite (or those named on the command line) and appends
// the results, with the machine and the date, to BENCHMARKS.md. Suites report ratios against a
// baseline measured in the same run, because these machines are shared and noisy.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
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
for (const suite of selected) {
  console.error(`running ${suite.name}...`);
  const markdown = await suite.run();
  section += `\n### ${suite.title}\n\n${markdown.trim()}\n`;
  console.log(`\n### ${suite.title}\n\n${markdown.trim()}`);
}
appendFileSync(file, section);
console.error(`results appended to ${file}`);
