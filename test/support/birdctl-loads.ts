// Runs one whole birdctl process under the module-load recorder (record-loads.mjs) and reports,
// beside its exit code and output, every module URL it resolved and the npm packages among them.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const RECORDER = join(import.meta.dirname, 'record-loads.mjs');

/** The packages that `--help` and `status` must not load (issue 13). */
export const HEAVY_PACKAGES = ['zod', 'yaml', 'nunjucks', 'ws', 'net-snmp'] as const;

export interface RecordedRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  urls: string[];
  packages: Set<string>;
}

/** `node --import record-loads.mjs ENTRY ARGS...` in `cwd`. */
export async function runRecordingLoads(entry: string, args: readonly string[], cwd: string): Promise<RecordedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bld-loads-'));
  const file = join(dir, 'urls.txt');
  try {
    const result = await execFileAsync(process.execPath, ['--import', RECORDER, entry, ...args], {
      cwd,
      env: { ...process.env, RECORD_LOADS_FILE: file },
    }).then(
      (r) => ({ exitCode: 0, stdout: r.stdout, stderr: r.stderr }),
      (error: { code?: number; stdout: string; stderr: string }) => ({ exitCode: error.code ?? -1, stdout: error.stdout, stderr: error.stderr }),
    );
    const urls = readFileSync(file, 'utf8').split('\n').filter((url) => url !== '');
    const packages = new Set(urls.map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]).filter((name): name is string => name !== undefined));
    return { ...result, urls, packages };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether a run of the tsx entry loaded the process runner (src/exec.ts). */
export function loadedProcessRunner(run: RecordedRun): boolean {
  return run.urls.some((url) => url.endsWith('/src/exec.ts'));
}

/** Which of HEAVY_PACKAGES a run loaded, in that list's order. */
export function heavyPackagesIn(run: RecordedRun): string[] {
  return HEAVY_PACKAGES.filter((name) => run.packages.has(name));
}
