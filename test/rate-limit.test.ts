import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rateLimitedLog } from '../src/rate-limit.ts';

type Line = [level: string, message: string, context: Record<string, unknown>];

describe('rateLimitedLog', () => {
  let lines: Line[];
  const write = (level: string, message: string, context: Record<string, unknown>) => lines.push([level, message, context]);

  beforeEach(() => {
    lines = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('lets the first lines of a window through and summarises the rest when the window ends', () => {
    const limited = rateLimitedLog(write, { lines: 3, intervalMs: 1000 });
    for (let i = 0; i < 1000; i++) limited.log('warn', 'SNMP request refused', { n: i });
    expect(lines.map(([, , context]) => context.n)).toEqual([0, 1, 2]);
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toEqual(['warn', 'suppressed 997 similar messages: SNMP request refused', { suppressed: 997, intervalMs: 1000 }]);
  });

  it('starts a fresh window after the summary', () => {
    const limited = rateLimitedLog(write, { lines: 1, intervalMs: 1000 });
    limited.log('warn', 'a', { n: 1 });
    limited.log('warn', 'a', { n: 2 });
    vi.advanceTimersByTime(1000);
    limited.log('warn', 'a', { n: 3 });
    expect(lines.map(([, message, context]) => [message, context.n])).toEqual([
      ['a', 1],
      ['suppressed 1 similar messages: a', undefined],
      ['a', 3],
    ]);
  });

  it('writes no summary for a window that suppressed nothing', () => {
    const limited = rateLimitedLog(write, { lines: 2, intervalMs: 1000 });
    limited.log('info', 'a', {});
    vi.advanceTimersByTime(5000);
    expect(lines).toHaveLength(1);
  });

  it('counts each message on its own', () => {
    const limited = rateLimitedLog(write, { lines: 1, intervalMs: 1000 });
    limited.log('warn', 'a', {});
    limited.log('warn', 'a', {});
    limited.log('warn', 'b', {});
    expect(lines.map(([, message]) => message)).toEqual(['a', 'b']);
  });

  it('flush writes pending summaries at once and leaves no timer behind', () => {
    const limited = rateLimitedLog(write, { lines: 1, intervalMs: 60_000 });
    limited.log('warn', 'a', {});
    limited.log('error', 'a', {});
    limited.flush();
    expect(lines[1]).toEqual(['error', 'suppressed 1 similar messages: a', { suppressed: 1, intervalMs: 60_000 }]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
