// `birdctl validate` as the operator meets it: through runCli (the exit code and output that main
// prints), once end to end through the real executable, and on the example topologies we ship.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BirdctlError, exitCodeOf, formatError } from '../../src/errors.ts';
import { processRunner, type Runner } from '../../src/exec.ts';
import { runCli } from '../../src/cli/main.ts';
import type { CommandContext } from '../../src/cli/command.ts';
import { MAX_PROBLEMS } from '../../src/topology/excerpt.ts';

const scratch = mkdtempSync(join(tmpdir(), 'ftload-validate-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** validate starts no process; a runner that is used fails the test. */
const refusingRunner: Runner = {
  run: () => Promise.reject(new Error('validate must not start processes')),
  start: () => {
    throw new Error('validate must not start processes');
  },
};

const context: CommandContext = {
  runner: refusingRunner,
  env: {},
  now: () => new Date(0),
  write: () => {
    throw new Error('validate returns its output instead of writing it');
  },
  signal: new AbortController().signal,
};

/** What main would do: the result of runCli, or the exit code and stderr text of what it threw. */
async function birdctl(...argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string; error?: BirdctlError }> {
  try {
    const result = await runCli(argv, context);
    return { exitCode: result.exitCode, stdout: result.output, stderr: '' };
  } catch (error) {
    if (!(error instanceof BirdctlError)) throw error;
    return { exitCode: exitCodeOf(error), stdout: '', stderr: formatError(error), error };
  }
}

describe('birdctl validate', () => {
  it.each([
    ['topology/example.yaml', '3 nodes, 0 peers, 1 pools, 3 endpoints'],
    ['topology/route-reflectors.yaml', '6 nodes, 0 peers, 1 pools, 4 endpoints'],
    ['topology/tor-peer.yaml', '2 nodes, 2 peers, 1 pools, 1 endpoints'],
    ['test/fixtures/topologies/valid.json', '2 nodes, 1 peers, 1 pools, 1 endpoints'],
  ])('accepts %s with a summary line and exit 0', async (file, counts) => {
    expect(await birdctl('validate', file)).toEqual({ exitCode: 0, stdout: `${file}: valid (${counts})\n`, stderr: '' });
  });

  it('exits 2 for an invalid topology and prints every problem with file and path', async () => {
    const result = await birdctl('validate', 'test/fixtures/topologies/several-errors.yaml');
    expect(result.exitCode).toBe(2);
    expect(result.error?.code).toBe('TOPOLOGY_INVALID');
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('error['));
    const hints = result.stderr.split('\n').filter((line) => line.startsWith('hint: '));
    expect(errors).toHaveLength(7);
    expect(hints).toHaveLength(7);
    expect(errors[0]).toBe('error[TOPOLOGY_INVALID]: test/fixtures/topologies/several-errors.yaml: cluster.nodeToNodeMsh: unknown field "nodeToNodeMsh"');
  });

  it('prints a bounded report for a huge value among a thousand mistakes: excerpt, first problems, a count of the rest', async () => {
    const file = join(scratch, 'many.json');
    const nodes = Array.from({ length: 1000 }, (_, i) => ({ name: i === 0 ? 'X'.repeat(5_000_000) : `Bad_${i}`, address: `fd00:ec::${(i + 1).toString(16)}` }));
    writeFileSync(file, JSON.stringify({ apiVersion: 'bird6-controller/v1', cluster: { name: 'lab', asNumber: 64512 }, nodes }));
    const result = await birdctl('validate', file);
    expect(result.exitCode).toBe(2);
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(2 * (MAX_PROBLEMS + 1));
    expect(lines[0]).toBe(`error[TOPOLOGY_INVALID]: ${file}: nodes[0].name: "${'X'.repeat(80)}"… (4999920 more characters) is not a valid node name: use 1-63 lower-case letters, digits and '-', starting with a letter or digit`);
    expect(lines.at(-2)).toBe(`error[TOPOLOGY_INVALID]: ${file}: and ${1000 - MAX_PROBLEMS} more problems`);
    expect(result.stderr.length).toBeLessThan(20_000);
  });

  it('exits 2 with TOPOLOGY_READ for a FIFO, without waiting for a writer', async () => {
    const fifo = join(scratch, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const result = await birdctl('validate', fifo);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      `error[TOPOLOGY_READ]: cannot read topology ${fifo}: it is a FIFO (named pipe), not a regular file\nhint: pass the path of a regular file (a symlink to one is fine), for example topology/example.yaml\n`,
    );
  });

  it('exits 2 with TOPOLOGY_READ for a missing file', async () => {
    const result = await birdctl('validate', 'topology/no-such-file.yaml');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      'error[TOPOLOGY_READ]: cannot read topology topology/no-such-file.yaml: no such file\nhint: pass the path of a topology file, for example topology/example.yaml\n',
    );
  });

  it.each([[[]], [['a.yaml', 'b.yaml']], [['--node', 'x', 'a.yaml']]])('is a usage error (exit 2) with arguments %j', async (args) => {
    const result = await birdctl('validate', ...args);
    expect(result.exitCode).toBe(2);
    expect(result.error?.code).toBe('USAGE');
    expect(result.stderr).toMatch(/^error\[USAGE\]: birdctl validate: .+\nhint: run birdctl validate --help\n$/);
  });

  it('prints its help with exit 0', async () => {
    const result = await birdctl('validate', '--help');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Usage: birdctl validate FILE\n/);
  });

  it('end to end: the birdctl executable prints errors to stderr, nothing to stdout, and exits 2', async () => {
    const bad = await processRunner.run('node', ['src/cli/birdctl.mjs', 'validate', 'test/fixtures/topologies/yaml-syntax-error.yaml'], { timeoutMs: 20_000 });
    expect(bad).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: expect.stringContaining('error[TOPOLOGY_INVALID]: test/fixtures/topologies/yaml-syntax-error.yaml: YAML syntax error at line 8, column 1'),
    });
    expect(bad.stderr).not.toMatch(/\bat .+\.ts:\d+/); // no stack trace for a user error
    const good = await processRunner.run('node', ['src/cli/birdctl.mjs', 'validate', 'topology/example.yaml'], { timeoutMs: 20_000 });
    expect(good).toEqual({ exitCode: 0, stdout: 'topology/example.yaml: valid (3 nodes, 0 peers, 1 pools, 3 endpoints)\n', stderr: '' });
  });
});
