// The stream's log lines are about clients, and clients are many and outside our control: a storm
// of connections or of slow readers must not become a storm of log lines. Each message is written
// at most once per interval; the next one written says how many were left out meanwhile.
import type { StreamLog } from './server.ts';

export function rateLimitedLog(log: StreamLog, clock: () => number, intervalMs: number): StreamLog {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (level, message, context) => {
    const now = clock();
    const seen = last.get(message);
    if (seen !== undefined && now - seen.at < intervalMs) {
      seen.suppressed += 1;
      return;
    }
    log(level, message, seen !== undefined && seen.suppressed > 0 ? { ...context, suppressed: seen.suppressed } : context);
    last.set(message, { at: now, suppressed: 0 });
  };
}
