// A log that lets through at most `lines` lines per message in each `intervalMs` window and then
// says how many it held back: a flood of bad packets (or any other repeated failure) costs a few
// lines, not one per event, and the operator still learns that it happened and how often.
//
// Lines are grouped by their message text, so callers keep the message a fixed string and put what
// varies into the context; the number of groups is then bounded by the number of call sites.

export type LogLine<Level extends string> = (level: Level, message: string, context: Record<string, unknown>) => void;

export interface RateLimitOptions {
  /** lines per message let through in one window */
  lines: number;
  intervalMs: number;
}

export interface RateLimitedLog<Level extends string> {
  log: LogLine<Level>;
  /** Writes the pending "suppressed" summaries now and stops the timers (for shutdown). */
  flush(): void;
}

interface Window<Level extends string> {
  passed: number;
  suppressed: number;
  level: Level;
  timer: ReturnType<typeof setTimeout>;
}

export function rateLimitedLog<Level extends string>(write: LogLine<Level>, options: RateLimitOptions): RateLimitedLog<Level> {
  const windows = new Map<string, Window<Level>>();

  const close = (message: string): void => {
    const window = windows.get(message);
    if (window === undefined) return;
    clearTimeout(window.timer);
    windows.delete(message);
    if (window.suppressed > 0) {
      write(window.level, `suppressed ${window.suppressed} similar messages: ${message}`, { suppressed: window.suppressed, intervalMs: options.intervalMs });
    }
  };

  const log: LogLine<Level> = (level, message, context) => {
    let window = windows.get(message);
    if (window === undefined) {
      const timer = setTimeout(() => close(message), options.intervalMs);
      // A pending summary must not keep a process alive that has nothing else to do.
      timer.unref?.();
      window = { passed: 0, suppressed: 0, level, timer };
      windows.set(message, window);
    }
    if (window.passed < options.lines) {
      window.passed += 1;
      write(level, message, context);
    } else {
      window.suppressed += 1;
      window.level = level;
    }
  };

  return {
    log,
    flush: () => {
      for (const message of [...windows.keys()]) close(message);
    },
  };
}
