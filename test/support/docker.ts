// The project's private Docker engine for integration tests, through .ci/docker-engine (its
// header says what it does). Each test file holds the engine while it runs: test files run in
// parallel, so the engine one file started stops when the last holder releases it, and one that
// was running before any test (CI brings it up once for the whole run, a developer may keep it
// up) is left alone.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { processRunner, type RunResult } from '../../src/exec.ts';

const SCRIPT = fileURLToPath(new URL('../../.ci/docker-engine', import.meta.url));

export interface DockerEngine {
  /** DOCKER_HOST for docker and docker-compose */
  env: Record<string, string>;
  /** How long `up` took (the base image, made once per state directory, is most of a cold start). */
  upMs: number;
  stop(): Promise<void>;
}

async function script(args: string[], timeoutMs: number): Promise<RunResult> {
  const result = await processRunner.run(SCRIPT, args, { timeoutMs });
  if (result.exitCode !== 0) throw new Error(`.ci/docker-engine ${args.join(' ')} failed (exit ${result.exitCode}):\n${result.stderr}`);
  return result;
}

export async function startDockerEngine(): Promise<DockerEngine> {
  const t0 = performance.now();
  const holder = `${process.pid}.${randomBytes(4).toString('hex')}`;
  await script(['up', '--holder', holder], 15 * 60_000);
  const upMs = performance.now() - t0;
  const [key, value] = (await script(['env'], 10_000)).stdout.trim().split('=', 2) as [string, string];
  return {
    env: { [key]: value },
    upMs,
    async stop() {
      await script(['release', holder], 120_000);
    },
  };
}
