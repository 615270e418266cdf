// The project's private Docker engine for integration tests, through .ci/docker-engine (its
// header says what it does). A test that started the engine stops it; one that found it running
// (CI brings it up once for every suite, a developer may keep it up) leaves it alone.
import { fileURLToPath } from 'node:url';
import { execaRunner, type RunResult } from '../../src/exec.ts';

const SCRIPT = fileURLToPath(new URL('../../.ci/docker-engine', import.meta.url));

export interface DockerEngine {
  /** DOCKER_HOST for docker and docker-compose */
  env: Record<string, string>;
  started: boolean;
  /** How long `up` took (the base image, made once per state directory, is most of a cold start). */
  upMs: number;
  stop(): Promise<void>;
}

async function script(args: string[], timeoutMs: number): Promise<RunResult> {
  const result = await execaRunner.run(SCRIPT, args, { timeoutMs });
  if (result.exitCode !== 0) throw new Error(`.ci/docker-engine ${args.join(' ')} failed (exit ${result.exitCode}):\n${result.stderr}`);
  return result;
}

export async function startDockerEngine(): Promise<DockerEngine> {
  const t0 = performance.now();
  const up = await script(['up'], 15 * 60_000);
  const upMs = performance.now() - t0;
  const started = up.stdout.trim().split('\n').pop() === 'started';
  const [key, value] = (await script(['env'], 10_000)).stdout.trim().split('=', 2) as [string, string];
  return {
    env: { [key]: value },
    started,
    upMs,
    async stop() {
      if (started) await script(['down'], 120_000);
    },
  };
}
