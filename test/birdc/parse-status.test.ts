import { describe, expect, it } from 'vitest';
import { parseShowStatus } from '../../src/birdc/parse-status.ts';
import { ParseWarnings } from '../../src/birdc/parse-warnings.ts';
import type { Reply } from '../../src/birdc/reply.ts';
import { fixtureReply, frame } from './fixture.ts';

const local = (y: number, mo: number, d: number, h: number, mi: number, s: number) => new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;
const NOW = local(2026, 11, 26, 8, 0, 0);
const one = (text: string): Reply => frame(text).replies[0]!;

describe('parseShowStatus', () => {
  it('reads r1 and r2', () => {
    expect(parseShowStatus(fixtureReply('r1-show-status.txt'), NOW)).toEqual({
      version: '1.6.8',
      routerId: '10.255.0.1',
      serverTime: local(2026, 11, 26, 7, 55, 5),
      lastReboot: local(2026, 11, 26, 7, 54, 0),
      lastReconfiguration: local(2026, 11, 26, 7, 54, 40),
      gracefulRestart: false,
      message: 'Daemon is up and running',
    });
    const r2 = parseShowStatus(fixtureReply('r2-show-status.txt'), NOW);
    expect([r2.routerId, r2.lastReconfiguration]).toEqual(['10.255.0.2', local(2026, 11, 26, 7, 54, 0)]);
  });

  it('reads graceful restart recovery (code 24) as a block or as the final line', () => {
    const text = fixtureReply('r1-show-status.txt');
    const asBlock: Reply = { ...text, blocks: [...text.blocks, { code: 24, lines: ['Graceful restart recovery in progress'] }] };
    expect(parseShowStatus(asBlock, NOW).gracefulRestart).toBe(true);
    const asFinal: Reply = { ...text, code: 24, text: 'Graceful restart recovery in progress' };
    expect(parseShowStatus(asFinal, NOW)).toMatchObject({ gracefulRestart: true, message: 'Graceful restart recovery in progress' });
  });

  it('reads epoch times (timeformat base "%s")', () => {
    const reply = one('1000-BIRD 1.6.8\n1011-Router ID is 10.0.0.1\n Current server time is 1795686733\n Last reboot on 1795686702\n Last reconfiguration on 1795686726\n0013 Shutdown in progress\n');
    expect(parseShowStatus(reply, NOW)).toMatchObject({ serverTime: 1795686733, lastReboot: 1795686702, lastReconfiguration: 1795686726, message: 'Shutdown in progress' });
  });

  it.each([
    ['an unknown final code', '1000-BIRD 1.6.8\n0015 Something new\n', /final code 15/],
    ['an unknown block code', '1000-BIRD 1.6.8\n1099-Hello\n0013 Daemon is up and running\n', /code 1099/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseShowStatus(one(text), NOW)).toThrow(message);
  });

  it.each([
    ['a changed line', '1000-BIRD 1.6.8\n1011-Router identifier 1.2.3.4\n Current server time is 1795686733\n Last reboot on 1795686702\n Last reconfiguration on 1795686726\n0013 Daemon is up and running\n', { routerId: null, serverTime: 1795686733 }, [/line "Router identifier 1\.2\.3\.4" is not one .* knows/, /no `Router ID` line/]],
    ['a missing field', '1000-BIRD 1.6.8\n1011-Router ID is 1.2.3.4\n Current server time is 1795686733\n Last reboot on 1795686702\n0013 Daemon is up and running\n', { routerId: '1.2.3.4', lastReboot: 1795686702, lastReconfiguration: null }, [/no `Last reconfiguration` line/]],
    ['an unreadable time', '1000-BIRD 1.6.8\n1011-Router ID is 1.2.3.4\n Current server time is 26.11.2026\n Last reboot on 1795686702\n Last reconfiguration on 1795686726\n0013 Daemon is up and running\n', { serverTime: null, lastReboot: 1795686702 }, [/Current server time "26\.11\.2026" is in a time format/]],
    ['a version line of another shape', '1000-BIRD version 3\n1011-Router ID is 1.2.3.4\n Current server time is 1795686733\n Last reboot on 1795686702\n Last reconfiguration on 1795686726\n0013 Daemon is up and running\n', { version: null, routerId: '1.2.3.4' }, [/version line "BIRD version 3"/]],
  ])('shows %s as null with a warning, and the rest', (_what, text, expected, warned) => {
    const warnings = new ParseWarnings();
    expect(parseShowStatus(one(text), NOW, warnings)).toMatchObject(expected);
    expect(warnings.list()).toHaveLength(warned.length);
    warned.forEach((pattern, i) => expect(warnings.list()[i]).toMatch(pattern));
  });
});
