// Commands the compose-mode steps cannot do without: a non-zero exit is a COMMAND_FAILED error
// quoting stderr, which the attach pass logs for that endpoint and retries on the next pass.
import { BirdctlError } from '../errors.ts';
import type { RunOptions, Runner } from '../exec.ts';

export async function mustRun(runner: Runner, file: string, args: readonly string[], options?: RunOptions): Promise<string> {
  const result = await runner.run(file, args, options);
  if (result.exitCode !== 0) {
    const where = options?.netns === undefined ? '' : ` (in namespace ${options.netns})`;
    throw new BirdctlError('COMMAND_FAILED', `${file} ${args.join(' ')}${where} failed with exit code ${result.exitCode}: ${result.stderr.trim().slice(0, 500)}`, {
      hint: 'the node container needs CAP_NET_ADMIN and CAP_SYS_ADMIN (README, Deployment)',
    });
  }
  return result.stdout;
}
