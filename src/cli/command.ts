// The one shape of every birdctl command: it gets its arguments and a context, and returns the
// text for stdout and an exit code. Only main() writes the result and exits.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BirdctlError, type ExitCodeValue } from '../errors.ts';
import type { Runner } from '../exec.ts';

export interface CommandContext {
  runner: Runner;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** Immediate output for long-running commands (`status --watch`, `agent`); others return output. */
  write: (text: string) => void;
  /** One warning line for stderr (a value BIRD printed that could not be read); absent: dropped. */
  warn?: (message: string) => void;
  /** Aborted on SIGINT/SIGTERM; long-running commands return when it fires. */
  signal: AbortSignal;
}

export interface CommandResult {
  output: string;
  exitCode: ExitCodeValue;
}

/** A command's module exports one of these; its name and summary are in the table (commands.ts). */
export interface Command {
  /** The full `birdctl NAME --help` text. */
  help: string;
  run(argv: string[], context: CommandContext): Promise<CommandResult>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util's parseArgs, with its errors turned into usage errors that point at --help. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new BirdctlError('USAGE', `birdctl ${command}: ${(error as Error).message}`, {
      hint: `run birdctl ${command} --help`,
    });
  }
}

export function usageError(command: string, message: string): BirdctlError {
  return new BirdctlError('USAGE', `birdctl ${command}: ${message}`, { hint: `run birdctl ${command} --help` });
}
