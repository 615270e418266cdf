// A command that must succeed: its stdout, or a COMMAND_FAILED error that quotes its stderr and
// carries the caller's hint (what the operator can do about it where the caller runs it).
import { BirdctlError } from './errors.ts';
import type { RunOptions, Runner } from './exec.ts';

export async function runChecked(
  runner: Runner,
  file: string,
  args: readonly string[],
  how: { hint: string; options?: RunOptions; stderrChars?: number },
): Promise<string> {
  const result = await runner.run(file, args, how.options);
  if (result.exitCode !== 0) {
    const where = how.options?.netns === undefined ? '' : ` (in namespace ${how.options.netns})`;
    throw new BirdctlError('COMMAND_FAILED', `${file} ${args.join(' ')}${where} failed with exit code ${result.exitCode}: ${result.stderr.trim().slice(0, how.stderrChars)}`, {
      hint: how.hint,
    });
  }
  return result.stdout;
}
