// Commands the compose-mode steps cannot do without: a non-zero exit is a COMMAND_FAILED error
// quoting stderr, which the attach pass logs for that endpoint and retries on the next pass.
import type { RunOptions, Runner } from '../exec.ts';
import { runChecked } from '../run-checked.ts';

export function mustRun(runner: Runner, file: string, args: readonly string[], options?: RunOptions): Promise<string> {
  return runChecked(runner, file, args, { options, stderrChars: 500, hint: 'the node container needs CAP_NET_ADMIN and CAP_SYS_ADMIN (README, Deployment)' });
}
