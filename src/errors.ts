// The one error type of the project. Every failure a user can see carries a stable code, a
// message that names the object and quotes the value, and a hint on how to fix it. Exit codes
// are decided here and nowhere else, so every command maps the same failure to the same code.

export const EXIT = {
  ok: 0,
  failure: 1,
  badInput: 2,
  degraded: 3,
} as const;
export type ExitCodeValue = (typeof EXIT)[keyof typeof EXIT];

/** Failure classes; the exit code follows from the class, never from the call site. */
const EXIT_BY_CODE = {
  USAGE: EXIT.badInput,
  TOPOLOGY_READ: EXIT.badInput,
  TOPOLOGY_INVALID: EXIT.badInput,
  CONFIG_READ: EXIT.badInput,
  NODE_UNKNOWN: EXIT.badInput,
  BIRD_UNREACHABLE: EXIT.failure,
  BIRD_REPLY: EXIT.failure,
  BIRD_TIMEOUT: EXIT.failure,
  BIRD_CONFIG_REJECTED: EXIT.failure,
  COMMAND_FAILED: EXIT.failure,
  WRITE_FAILED: EXIT.failure,
  DATAPLANE: EXIT.failure,
  LAB_RUNNING: EXIT.failure,
  LAB_NOT_RUNNING: EXIT.failure,
  INTERNAL: EXIT.failure,
} as const satisfies Record<string, ExitCodeValue>;
export type ErrorCode = keyof typeof EXIT_BY_CODE;

/** One finding about an input: where it is, what is wrong, and how to fix it. */
export interface Problem {
  /** e.g. `nodes[2].address`; empty for the document as a whole */
  path: string;
  message: string;
  hint: string;
}

export interface BirdctlErrorOptions {
  hint?: string;
  cause?: unknown;
  problems?: readonly Problem[];
}

export class BirdctlError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly problems: readonly Problem[];

  constructor(code: ErrorCode, message: string, options: BirdctlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BirdctlError';
    this.code = code;
    this.hint = options.hint;
    this.problems = options.problems ?? [];
  }

  get exitCode(): ExitCodeValue {
    return EXIT_BY_CODE[this.code];
  }
}

/** Exit code for anything thrown: our errors carry one, anything else is an internal failure. */
export function exitCodeOf(error: unknown): ExitCodeValue {
  return error instanceof BirdctlError ? error.exitCode : EXIT.failure;
}

/**
 * The stderr text of an error: `error[CODE]: message` and a `hint:` line, once per problem when
 * the error carries several (a topology with three mistakes prints all three).
 */
export function formatError(error: unknown): string {
  if (!(error instanceof BirdctlError)) {
    const message = error instanceof Error ? error.message : String(error);
    return `error[INTERNAL]: ${message}\nhint: this is a bug in birdctl; please report it with the command you ran\n`;
  }
  const entries =
    error.problems.length > 0
      ? error.problems.map((p) => ({ message: `${error.message}: ${p.path ? `${p.path}: ` : ''}${p.message}`, hint: p.hint }))
      : [{ message: error.message, hint: error.hint }];
  return entries
    .map((e) => `error[${error.code}]: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`)
    .join('');
}
