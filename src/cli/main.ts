// birdctl's entry point: finds the command, runs it, prints its result and exits with its code.
// Errors are printed as `error[CODE]: message` + `hint:`, never as a stack trace.
import { BirdctlError, EXIT, exitCodeOf, formatError } from '../errors.ts';
import type { Runner } from '../exec.ts';
import type { CommandContext, CommandResult } from './command.ts';
import { COMMANDS, findCommand } from './commands.ts';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: birdctl COMMAND [ARGS...]

bird6-controller: distributes IPv6 endpoint routes between hosts with BIRD 1.6 (bird6).

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run birdctl COMMAND --help for a command's arguments.
Exit codes: 0 success, 1 runtime failure, 2 bad input or usage, 3 degraded.
`;
}

export async function runCli(argv: string[], context: CommandContext): Promise<CommandResult> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    return { output: overview(), exitCode: name === undefined ? EXIT.badInput : EXIT.ok };
  }
  const entry = findCommand(name);
  if (entry === undefined) {
    throw new BirdctlError('USAGE', `unknown command ${JSON.stringify(name)}`, { hint: 'run birdctl --help for the list of commands' });
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) return { output: `${command.help}\n`, exitCode: EXIT.ok };
  return command.run(rest, context);
}

/**
 * The runner of a command that commands.ts says starts no process: src/exec.ts stays unloaded, and
 * a command that starts one all the same fails loudly rather than silently.
 */
function refusingRunner(name: string): Runner {
  const refuse = (): never => {
    throw new BirdctlError('INTERNAL', `birdctl ${name} started a process, but src/cli/commands.ts does not say it startsProcesses`);
  };
  return { run: async () => refuse(), start: refuse };
}

/** The process runner only for a command that starts processes. */
async function runnerFor(name: string | undefined): Promise<Runner> {
  return findCommand(name)?.startsProcesses ? (await import('../exec.ts')).processRunner : refusingRunner(name ?? '');
}

export async function main(argv: string[]): Promise<never> {
  const controller = new AbortController();
  // `on`, not `once`: a second signal during the shutdown must not kill the agent (Node's default
  // action once no listener is left) before it has shut down cleanly.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => controller.abort());
  let exitCode: number;
  try {
    const context: CommandContext = {
      runner: await runnerFor(argv[0]),
      env: process.env,
      now: () => new Date(),
      write: (text) => process.stdout.write(text),
      warn: (message) => process.stderr.write(`warning: ${message}\n`),
      signal: controller.signal,
    };
    const result = await runCli(argv, context);
    process.stdout.write(result.output);
    exitCode = result.exitCode;
  } catch (error) {
    process.stderr.write(formatError(error));
    if (process.env.BIRDCTL_DEBUG === '1') console.error(error);
    exitCode = exitCodeOf(error);
  }
  // Let stdout drain before exiting: a piped `birdctl render` must not lose its tail.
  process.stdout.write('', () => process.exit(exitCode));
  return new Promise<never>(() => {});
}
