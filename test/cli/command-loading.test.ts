// Each birdctl command loads only what it uses (issue 13): `--help` and `status` must not pay for
// the process runner (execa), the topology schema (zod, yaml), the templates (nunjucks) or the
// agent's listeners (ws, net-snmp). Whole birdctl processes run under a module-load recorder
// (test/support/record-loads.mjs), so nothing but the real entry decides what is loaded.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const RECORDER = join(ROOT, 'test/support/record-loads.mjs');
const HEAVY = ['execa', 'zod', 'yaml', 'nunjucks', 'ws', 'net-snmp'] as const;

const scratch = mkdtempSync(join(tmpdir(), 'bld-loads-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let runs = 0;

/** Runs `node --import record-loads.mjs ENTRY ARGS...`; returns its exit code, output and the packages it loaded. */
export async function birdctlLoads(entry: string, args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string; packages: Set<string> }> {
  const file = join(scratch, `loads-${(runs += 1)}.txt`);
  const result = await execFileAsync(process.execPath, ['--import', RECORDER, entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, RECORD_LOADS_FILE: file },
  }).then(
    (r) => ({ exitCode: 0, stdout: r.stdout, stderr: r.stderr }),
    (error: { code?: number; stdout: string; stderr: string }) => ({ exitCode: error.code ?? -1, stdout: error.stdout, stderr: error.stderr }),
  );
  const packages = new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
      .filter((name): name is string => name !== undefined),
  );
  return { ...result, packages };
}

const heavyIn = (packages: Set<string>) => HEAVY.filter((name) => packages.has(name));
const DEV_ENTRY = join(ROOT, 'src/cli/birdctl.mjs');

describe('bld: what each birdctl command loads (tsx entry)', () => {
  it('`birdctl --help` lists the commands and loads none of execa, zod, yaml, nunjucks, ws, net-snmp', async () => {
    const run = await birdctlLoads(DEV_ENTRY, ['--help']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Commands:\n  validate');
    expect(heavyIn(run.packages)).toEqual([]);
  });

  it('`birdctl status` with no bird6 reports it unreachable and loads none of them', async () => {
    const run = await birdctlLoads(DEV_ENTRY, ['status', '--socket', join(scratch, 'no-bird6.ctl')]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^error\[BIRD_UNREACHABLE\]/);
    expect(heavyIn(run.packages)).toEqual([]);
  });

  it('`birdctl status --help` loads none of them either', async () => {
    const run = await birdctlLoads(DEV_ENTRY, ['status', '--help']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^Usage: birdctl status/);
    expect(heavyIn(run.packages)).toEqual([]);
  });

  it('`birdctl validate` loads the topology schema and parser, but no process runner, templates or listeners', async () => {
    // Also shows the recorder sees packages at all: yaml and zod must be in the list.
    const run = await birdctlLoads(DEV_ENTRY, ['validate', join(ROOT, 'topology/example.yaml')]);
    expect(run.exitCode).toBe(0);
    expect(heavyIn(run.packages)).toEqual(['zod', 'yaml']);
  });
});
