import { describe, expect, it } from 'vitest';
import { bearerMatches, isLoopbackHost } from '../../src/stream/auth.ts';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::0001', '::ffff:127.0.0.1', 'localhost'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'fd00:ec::1', '::2', '::ffff:10.0.0.1', 'example.org', 'localhost.example.org', ''])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('bearerMatches', () => {
  it('accepts exactly `Bearer TOKEN`', () => {
    expect(bearerMatches('Bearer abc123', 'abc123')).toBe(true);
    expect(bearerMatches('bearer   abc123 ', 'abc123')).toBe(true);
  });

  it.each([undefined, '', 'Bearer', 'Bearer ', 'Bearer abc12', 'Bearer abc1234', 'Basic abc123', 'abc123', 'Bearer abc123 extra'])('refuses %j', (header) => {
    expect(bearerMatches(header, 'abc123')).toBe(false);
  });
});
