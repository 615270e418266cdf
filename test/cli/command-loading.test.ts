// Each birdctl command loads only what it uses (issue 13): `--help` and `status` must not pay for
// the process runner (src/exec.ts), the topology schema (zod, yaml), the templates (nunjucks) or the
// agent's listeners (ws, net-snmp). Whole birdctl processes (the tsx entry) run under a
// module-load recorder, so nothing but the real entry decides what is loaded; build.test.ts does
// the same for the compiled bin.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { heavyPackagesIn, loadedProcessRunner, runRecordingLoads } from '../support/birdctl-loads.ts';

const ROOT = join(import.meta.dirname, '../..');
const DEV_ENTRY = join(ROOT, 'src/cli/birdctl.mjs');
const birdctl = (...args: string[]) => runRecordingLoads(DEV_ENTRY, args, ROOT);

describe('bld: what each birdctl command loads (tsx entry)', () => {
  it('`birdctl --help` lists the commands and loads none of zod, yaml, nunjucks, ws, net-snmp, nor the process runner', async () => {
    const run = await birdctl('--help');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Commands:\n  validate');
    expect(heavyPackagesIn(run)).toEqual([]);
    expect(loadedProcessRunner(run)).toBe(false);
  });

  it('`birdctl status` with no bird6 reports it unreachable and loads none of them', async () => {
    const run = await birdctl('status', '--socket', '/nonexistent/bld-bird6.ctl');
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^error\[BIRD_UNREACHABLE\]/);
    expect(heavyPackagesIn(run)).toEqual([]);
  });

  it('`birdctl status --help` loads none of them either', async () => {
    const run = await birdctl('status', '--help');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^Usage: birdctl status/);
    expect(heavyPackagesIn(run)).toEqual([]);
  });

  it('`birdctl validate` loads the topology schema, but no yaml package for plain YAML, no process runner, templates or listeners', async () => {
    // Also shows that the recorder sees packages at all: zod must be in the list.
    const run = await birdctl('validate', join(ROOT, 'topology/example.yaml'));
    expect(run.exitCode).toBe(0);
    expect(heavyPackagesIn(run)).toEqual(['zod']);
    expect(loadedProcessRunner(run)).toBe(false);
  });

  it('`birdctl validate` of JSON in a .yaml file (as tools write it) loads no yaml package', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bld-json-yaml-'));
    try {
      const file = join(dir, 'topology.yaml');
      writeFileSync(file, JSON.stringify(parseYaml(readFileSync(join(ROOT, 'topology/example.yaml'), 'utf8'))));
      const run = await birdctl('validate', file);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(heavyPackagesIn(run)).toEqual(['zod']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`birdctl validate` of YAML the fast path declines (a document marker) loads the yaml package too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bld-declined-'));
    try {
      const file = join(dir, 'topology.yaml');
      writeFileSync(file, `---\n${readFileSync(join(ROOT, 'topology/example.yaml'), 'utf8')}`);
      const run = await birdctl('validate', file);
      expect(run.exitCode).toBe(0);
      expect(heavyPackagesIn(run)).toEqual(['zod', 'yaml']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`birdctl endpoints preflight` starts processes, so it gets the process runner', async () => {
    const run = await birdctl('endpoints', 'preflight');
    expect(run.stderr).not.toContain('error[INTERNAL]');
    expect(loadedProcessRunner(run)).toBe(true);
  });
});
