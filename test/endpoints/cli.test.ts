// `birdctl endpoints` through runCli with a fake Runner: argument handling and exit codes. The
// real kernel path is covered by test/integration/endpoints.test.ts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_BIRD_CONFIG } from '../../src/cli/bird-config-path.ts';
import type { CommandContext } from '../../src/cli/command.ts';
import { runCli } from '../../src/cli/main.ts';
import { BirdctlError } from '../../src/errors.ts';
import { recordBesideConfig } from '../../src/endpoints/ledger.ts';
import type { Runner } from '../../src/exec.ts';

const EMPTY_HOST = ['[]', '[]', '[]', '[]', '[]'].join('\n');

// The record goes to a directory of the test's own, never to the default under /var/lib.
const recordDir = mkdtempSync(join(tmpdir(), 'endpoints-cli-'));
afterAll(() => rmSync(recordDir, { recursive: true, force: true }));
const RECORD = ['--record', join(recordDir, 'owned.json')];

function context(run: Runner['run']): CommandContext {
  return {
    runner: { run, start: () => { throw new Error('not used'); } },
    env: {},
    now: () => new Date(0),
    write: () => {},
    signal: new AbortController().signal,
  };
}

async function exitOf(argv: string[], run: Runner['run'] = async () => ({ exitCode: 0, stdout: '', stderr: '' })): Promise<number> {
  try {
    return (await runCli(argv, context(run))).exitCode;
  } catch (error) {
    return (error as BirdctlError).exitCode;
  }
}

describe('birdctl endpoints', () => {
  it('refuses bad usage with exit 2', async () => {
    expect(await exitOf(['endpoints'])).toBe(2);
    expect(await exitOf(['endpoints', 'frobnicate'])).toBe(2);
    expect(await exitOf(['endpoints', 'apply', 'topology/example.yaml'])).toBe(2);
    expect(await exitOf(['endpoints', 'apply', 'topology/example.yaml', '--node', 'nope'])).toBe(2);
    expect(await exitOf(['endpoints', 'apply', 'missing.yaml', '--node', 'node1'])).toBe(2);
    expect(await exitOf(['endpoints', 'apply', 'topology/example.yaml', '--node', 'node1', '--uplink', 'eth0 up'])).toBe(2);
    expect(await exitOf(['endpoints', 'apply', 'topology/example.yaml', '--node', 'node1', '--route-protocol', '4'])).toBe(2);
    expect(await exitOf(['endpoints', 'apply', 'topology/example.yaml', '--node', 'node1', '--route-protocol', '256'])).toBe(2);
    expect(await exitOf(['endpoints', 'apply', 'topology/example.yaml', '--node', 'node1', '--record', 'relative.json'])).toBe(2);
  });

  it('exits 1 when an endpoint fails, printing the reason', async () => {
    const run: Runner['run'] = async (file, args) => {
      if (file === 'ip' && args.includes('-force')) return { exitCode: 1, stdout: '', stderr: 'RTNETLINK answers: Operation not permitted\nCommand failed -:1\n' };
      if (file === 'ip' && args.includes('netns')) return { exitCode: 0, stdout: '[{"name":"web-1"}]\n', stderr: '' };
      if (file === 'ip' && args[0] === '-n') return { exitCode: 0, stdout: '[]\n[]\n[]\n', stderr: '' };
      if (file === 'ip' && args.includes('-batch')) return { exitCode: 0, stdout: `${EMPTY_HOST}\n`, stderr: '' };
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    const result = await runCli(['endpoints', 'apply', 'topology/example.yaml', '--node', 'node1', ...RECORD], context(run));
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain('failed web-1: create veth cali-web-1 <-> web-1:eth0: RTNETLINK answers: Operation not permitted');
  });

  it('exits 0 with pending endpoints, which it prints', async () => {
    const run: Runner['run'] = async (file, args) => {
      if (file === 'ip' && args.includes('-batch') && !args.includes('-force')) return { exitCode: 0, stdout: `${EMPTY_HOST}\n`, stderr: '' };
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    const result = await runCli(['endpoints', 'apply', 'topology/example.yaml', '--node', 'node3', ...RECORD], context(run));
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain('pending vm-1: tap tap-vm-1 does not exist yet (VM not started?)');
  });

  // One operator running both the agent and `endpoints apply` must get one record, not two that
  // disagree about what was made.
  it("keeps its record where the agent keeps it: beside --config, by default the agent's bird6.conf", async () => {
    const run: Runner['run'] = async (file, args) => {
      if (file === 'ip' && args.includes('-batch') && !args.includes('-force')) return { exitCode: 0, stdout: `${EMPTY_HOST}\n`, stderr: '' };
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    const config = join(recordDir, 'etc', 'bird6.conf');
    const result = await runCli(['endpoints', 'apply', 'topology/example.yaml', '--node', 'node3', '--config', config], context(run));
    expect(result.exitCode).toBe(0);
    expect(existsSync(recordBesideConfig(config))).toBe(true);

    const help = (await runCli(['endpoints', '--help'], context(run))).output;
    expect(help).toContain(`(default ${recordBesideConfig(DEFAULT_BIRD_CONFIG)}, where the agent keeps it)`);
    expect((await runCli(['agent', '--help'], context(run))).output).toContain(`(default ${DEFAULT_BIRD_CONFIG})`);
  });

  // The host tables do not depend on the topology: their ip process runs while it loads.
  it('starts the host read before the topology loads, and still exits 2 for a topology that does not load, the read failing too', async () => {
    const started: string[] = [];
    const run: Runner['run'] = async (file, args, options) => {
      started.push(`${file} ${args.join(' ')} ${options?.input?.split('\n')[0] ?? ''}`);
      return { exitCode: 2, stdout: '', stderr: 'RTNETLINK answers: Operation not permitted\n' };
    };
    expect(await exitOf(['endpoints', 'apply', join(recordDir, 'missing.yaml'), '--node', 'node1', '--netns', 'host-ns', ...RECORD], run)).toBe(2);
    expect(started).toEqual(['ip -6 -json -batch - link show']);
  });

  it('refuses --config together with --record: two places for one record', async () => {
    expect(await exitOf(['endpoints', 'apply', 'topology/example.yaml', '--node', 'node1', '--config', '/x/bird6.conf', ...RECORD])).toBe(2);
  });
});
