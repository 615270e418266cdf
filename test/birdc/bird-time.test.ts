import { describe, expect, it } from 'vitest';
import { parseBirdTime } from '../../src/birdc/bird-time.ts';

const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;

describe('parseBirdTime', () => {
  const ref = local(2026, 11, 26, 7, 55, 5);

  it('reads an epoch, a date-time and a date', () => {
    expect(parseBirdTime('1795686703', ref)).toBe(1795686703);
    expect(parseBirdTime('2026-11-26 07:54:04', ref)).toBe(local(2026, 11, 26, 7, 54, 4));
    expect(parseBirdTime('2026-11-25', ref)).toBe(local(2026, 11, 25));
  });

  it('places a bare time on the reference day, or the day before when it would be in the future', () => {
    expect(parseBirdTime('07:54:04', ref)).toBe(local(2026, 11, 26, 7, 54, 4));
    expect(parseBirdTime('07:55:30', ref)).toBe(local(2026, 11, 26, 7, 55, 30));
    expect(parseBirdTime('23:10:00', ref)).toBe(local(2026, 11, 25, 23, 10, 0));
    expect(parseBirdTime('23:10:00', local(2026, 12, 1, 1, 0, 0))).toBe(local(2026, 11, 30, 23, 10, 0));
  });

  it.each(['26.11.2026', '7:54:04', '', 'yesterday', '12345', 'Dec01', 'Dec01 10:28'])('reads %j as null: a format it cannot place in time', (text) => {
    expect(parseBirdTime(text, ref)).toBeNull();
  });
});
