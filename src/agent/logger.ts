// The agent's log: one JSON object per line (time, level, message, context), so `docker logs`,
// journald and log shippers can filter on fields instead of parsing prose.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogContext = Record<string, unknown>;

export interface Logger {
  debug(message: string, context?: LogContext): void;
  info(message: string, context?: LogContext): void;
  warn(message: string, context?: LogContext): void;
  error(message: string, context?: LogContext): void;
  /** A logger that adds `context` to every line (for example `{component: 'monitor'}`). */
  with(context: LogContext): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  write: (line: string) => void;
  now: () => Date;
  level?: LogLevel;
  context?: LogContext;
}

/** Errors become their message and code: a stack trace is noise in an operator's log. */
function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return code === undefined ? value.message : { message: value.message, code };
  }
  return value;
}

export function createJsonLogger(options: JsonLoggerOptions): Logger {
  const minimum = RANK[options.level ?? 'info'];
  const base = options.context ?? {};
  const log = (level: LogLevel) => (message: string, context: LogContext = {}) => {
    if (RANK[level] < minimum) return;
    const fields = Object.fromEntries(Object.entries({ ...base, ...context }).map(([k, v]) => [k, plain(v)]));
    options.write(`${JSON.stringify({ time: options.now().toISOString(), level, msg: message, ...fields })}\n`);
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    with: (context) => createJsonLogger({ ...options, context: { ...base, ...context } }),
  };
}
