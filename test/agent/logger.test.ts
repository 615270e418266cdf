import { describe, expect, it } from 'vitest';
import { BirdctlError } from '../../src/errors.ts';
import { createJsonLogger } from '../../src/agent/logger.ts';

describe('JSON logger', () => {
  it('writes one parseable line per event with time, level, message and context', () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ write: (l) => lines.push(l), now: () => new Date('2026-11-26T10:00:00Z'), level: 'info' });
    logger.with({ component: 'config' }).info('applied', { reply: 3 });
    logger.debug('hidden below the level');
    logger.error('failed', { error: new BirdctlError('BIRD_UNREACHABLE', 'socket missing') });
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({ time: '2026-11-26T10:00:00.000Z', level: 'info', msg: 'applied', component: 'config', reply: 3 });
    expect(JSON.parse(lines[1]!).error).toEqual({ message: 'socket missing', code: 'BIRD_UNREACHABLE' });
  });
});
