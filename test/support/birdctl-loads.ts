// Runs one whole birdctl process under the module-load recorder (record-loads.mjs) and reports,
// beside its exit code and output, every module URL it resolved and the npm packages among them;
// for the compiled bin, also which of the packages inside its bundle ran (V8's coverage).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
  /** The packages esbuild put into the compiled bundle each in functions of their own (empty for the tsx entry). */
  bundled: Set<string>;
  /** Those of them whose code ran. */
  bundledRan: Set<string>;
}

/** The compiled bundle the bin runs (scripts/build.mjs). */
const BUNDLE = '/dist/cli/birdctl.cjs';

/**
 * `node --import record-loads.mjs ENTRY ARGS...` in `cwd`, under V8's coverage when
 * `bundleCoverage` (for the compiled bin; it would record every module of a tsx run).
 */
export async function runRecordingLoads(entry: string, args: readonly string[], cwd: string, { bundleCoverage = false } = {}): Promise<RecordedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bld-loads-'));
  const file = join(dir, 'urls.txt');
  const coverage = join(dir, 'coverage');
  try {
    const result = await execFileAsync(process.execPath, ['--import', RECORDER, entry, ...args], {
      cwd,
      env: { ...process.env, RECORD_LOADS_FILE: file, ...(bundleCoverage ? { NODE_V8_COVERAGE: coverage } : {}) },
    }).then(
      (r) => ({ exitCode: 0, stdout: r.stdout, stderr: r.stderr }),
      (error: { code?: number; stdout: string; stderr: string }) => ({ exitCode: error.code ?? -1, stdout: error.stdout, stderr: error.stderr }),
    );
    const urls = readFileSync(file, 'utf8').split('\n').filter((url) => url !== '');
    const packages = new Set(urls.map(packageOf).filter((name): name is string => name !== undefined));
    return { ...result, urls, packages, ...(bundleCoverage ? bundledPackages(coverage) : { bundled: new Set(), bundledRan: new Set() }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The npm package a path or URL is inside (`@scope/name` or `name`, after its first node_modules/),
 * or undefined: a module URL, a metafile's input path, the name esbuild gives a module's wrapper.
 */
export function packageOf(path: string): string | undefined {
  return /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
}

/**
 * From V8's coverage of a run: esbuild wraps each package module that only a dynamic import or a
 * require reaches in a function named after the module's path (node_modules/zod/...), run when it
 * is first imported; V8 lists every such function with how often it was called.
 */
function bundledPackages(coverageDir: string): Pick<RecordedRun, 'bundled' | 'bundledRan'> {
  const bundled = new Set<string>();
  const bundledRan = new Set<string>();
  for (const name of readdirSync(coverageDir)) {
    const { result } = JSON.parse(readFileSync(join(coverageDir, name), 'utf8')) as { result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[] };
    for (const script of result.filter((s) => s.url.endsWith(BUNDLE))) {
      for (const fn of script.functions) {
        // The path is relative to the build's directory: ../../elsewhere/node_modules/... when
        // node_modules is a link (scratch-build.ts).
        const pkg = packageOf(fn.functionName);
        if (pkg === undefined) continue;
        bundled.add(pkg);
        if (fn.ranges[0]!.count > 0) bundledRan.add(pkg);
      }
    }
  }
  return { bundled, bundledRan };
}

/** Whether a run of the tsx entry loaded the process runner (src/exec.ts). */
export function loadedProcessRunner(run: RecordedRun): boolean {
  return run.urls.some((url) => url.endsWith('/src/exec.ts'));
}

/** Which of HEAVY_PACKAGES a run loaded, in that list's order. */
export function heavyPackagesIn(run: RecordedRun): string[] {
  return HEAVY_PACKAGES.filter((name) => run.packages.has(name));
}
