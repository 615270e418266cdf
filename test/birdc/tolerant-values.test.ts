// Strict framing, tolerant values, on replies of real bird6 run with other time formats (captured
// for these tests, see fixtures/README.md): `iso long`, BIRD's defaults, `%b%d` (`Dec01`, the
// short form of BIRD before 1.4), a session older than a day and continuation lines indented more.
import { describe, expect, it } from 'vitest';
import { parseShowProtocols, parseShowProtocolsAll } from '../../src/birdc/parse-protocols.ts';
import { parseShowRoute } from '../../src/birdc/parse-route.ts';
import { parseShowStatus } from '../../src/birdc/parse-status.ts';
import { ParseWarnings } from '../../src/birdc/parse-warnings.ts';
import { observeBird } from '../../src/monitor/poll.ts';
import { fixtureReply, frame } from './fixture.ts';

const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;
// The captures were made on 2026-12-01 around 10:28 local time.
const NOW = local(2026, 12, 1, 10, 29, 0);

describe('values in other formats', () => {
  it('reads iso long times everywhere without a warning', () => {
    const warnings = new ParseWarnings();
    expect(parseShowStatus(fixtureReply('isolong-show-status.txt'), NOW, warnings)).toMatchObject({ version: '1.6.8', routerId: '10.255.0.1', lastReboot: local(2026, 12, 1, 10, 28, 45) });
    const mesh = parseShowProtocolsAll(fixtureReply('isolong-show-protocols-all.txt'), NOW, warnings).find((p) => p.proto === 'BGP')!;
    expect(mesh).toMatchObject({ since: local(2026, 12, 1, 10, 28, 47), info: 'Established', bgp: { state: 'Established', neighborAs: 64512 } });
    const routes = parseShowRoute(fixtureReply('isolong-show-route-all.txt'), NOW, warnings);
    expect(routes.map((r) => [r.prefix, r.protocol, r.since, r.primary])).toEqual([
      ['fd00:20::/64', 'static1', local(2026, 12, 1, 10, 28, 45), true],
      ['fd00:20::/64', 'Mesh_fd00_ec__2', local(2026, 12, 1, 10, 28, 47), false],
    ]);
    expect(warnings.list()).toEqual([]);
  });

  it("reads BIRD's default formats (bare clock time today, a date for older times) without a warning", () => {
    const warnings = new ParseWarnings();
    const rows = parseShowProtocolsAll(fixtureReply('defaultfmt-show-protocols-all.txt'), NOW, warnings);
    expect(rows.map((r) => r.since)).toEqual([local(2026, 12, 1, 10, 28, 45), local(2026, 12, 1, 10, 28, 45), local(2026, 12, 1, 10, 28, 47)]);
    const older = parseShowProtocolsAll(fixtureReply('olderday-show-protocols-all.txt'), NOW, warnings);
    expect(older.map((r) => [r.since, r.info])).toEqual([[local(2026, 11, 29), ''], [local(2026, 11, 29), ''], [local(2026, 11, 29), 'Established']]);
    expect(warnings.list()).toEqual([]);
  });

  it('shows a since it cannot read (Dec01) as null with one warning, and everything else', () => {
    const warnings = new ParseWarnings();
    const rows = parseShowProtocolsAll(fixtureReply('monthday-show-protocols-all.txt'), NOW, warnings);
    expect(rows.map((r) => [r.name, r.state, r.since, r.sinceText, r.info])).toEqual([
      ['device1', 'up', null, 'Dec01', ''],
      ['static1', 'up', null, 'Dec01', ''],
      ['Mesh_fd00_ec__9', 'start', null, 'Dec01', 'Active        Socket: Connection refused'],
    ]);
    expect(rows[2]!.bgp).toMatchObject({ state: 'Active', neighborAddress: '::1', neighborAs: 64512, lastError: { class: 'Socket', text: 'Connection refused' } });
    expect(rows[1]!.routes).toEqual({ imported: 1, filtered: null, exported: 0, preferred: 1 });
    expect(warnings.list()).toEqual([
      '`show protocols all`: `since` "Dec01" (protocol "device1") is in a time format bird6-controller cannot read; shown as null (timeformat protocol "%s" or iso long reads) (and 2 more like it)',
    ]);
  });

  it('ends an unreadable since of several words at its last word, not at an earlier word with the same text', () => {
    // `timeformat protocol "%b %d %H"` on 10 December at 10 o'clock: the last word of `since`, `10`,
    // is also its second word; the info starts after the third.
    const reply = frame('2002-name     proto    table    state  since       info\n1002-Mesh_fd00_ec__9 BGP master start  Dec 10 10    Active        Socket: Connection refused\n0000 \n').replies[0]!;
    const warnings = new ParseWarnings();
    expect(parseShowProtocols(reply, NOW, warnings).map((r) => [r.since, r.sinceText, r.info])).toEqual([[null, 'Dec 10 10', 'Active        Socket: Connection refused']]);
    expect(warnings.size).toBe(1);
  });

  it('shows status times it cannot read (Dec01 10:28) as null, one warning each, and the rest', () => {
    const warnings = new ParseWarnings();
    expect(parseShowStatus(fixtureReply('monthday-show-status.txt'), NOW, warnings)).toEqual({
      version: '1.6.8',
      routerId: '10.255.0.3',
      serverTime: null,
      lastReboot: null,
      lastReconfiguration: null,
      gracefulRestart: false,
      message: 'Daemon is up and running',
    });
    expect(warnings.list()).toHaveLength(3);
    expect(warnings.list()[0]).toBe('`show status`: Current server time "Dec01 10:28" is in a time format bird6-controller cannot read; shown as null');
  });

  it('reads rows and status lines indented more than BIRD 1.6.8 indents them', () => {
    const warnings = new ParseWarnings();
    expect(parseShowProtocols(fixtureReply('indented-show-protocols.txt'), NOW, warnings).map((r) => [r.name, r.since, r.info])).toEqual([
      ['device1', local(2026, 12, 1, 10, 28, 45), ''],
      ['static1', local(2026, 12, 1, 10, 28, 45), ''],
      ['Mesh_fd00_ec__1', local(2026, 12, 1, 10, 28, 47), 'Established'],
    ]);
    expect(parseShowStatus(fixtureReply('indented-show-status.txt'), NOW, warnings)).toMatchObject({ routerId: '10.255.0.2', serverTime: local(2026, 12, 1, 10, 28, 57) });
    expect(warnings.list()).toEqual([]);
  });

  it('reads route attribute lines indented more than one tab', () => {
    const indented = fixtureReply('isolong-show-route-all.txt');
    for (const block of indented.blocks) block.lines = block.lines.map((l) => l.replace(/^\t/, '  \t  '));
    const warnings = new ParseWarnings();
    const [, learnt] = parseShowRoute(indented, NOW, warnings);
    expect(learnt).toMatchObject({ type: 'BGP unicast univ', bgp: { origin: 'IGP', asPath: [], localPref: 100, nextHop: ['fd00:ec::2', 'fe80::1815:8cff:fe8c:dadd'] } });
    expect(warnings.list()).toEqual([]);
  });

  it('keeps a poll of a BIRD with unreadable times going: peers shown, since null, warnings returned', async () => {
    const replies = new Map([
      ['show status', fixtureReply('monthday-show-status.txt')],
      ['show protocols all', fixtureReply('monthday-show-protocols-all.txt')],
    ]);
    // As the client does: each block to onBlock, then the reply.
    const bird = {
      command: async (c: string, options?: { onBlock?: (b: { code: number; lines: string[] }) => void }) => {
        const reply = replies.get(c)!;
        for (const block of reply.blocks) options?.onBlock?.(block);
        return reply;
      },
    };
    const observed = await observeBird(bird, NOW * 1000);
    expect(observed.daemon).toMatchObject({ up: true, version: '1.6.8', routerId: '10.255.0.3', serverTime: null });
    expect(observed.peers).toMatchObject([{ name: 'Mesh_fd00_ec__9', bgpState: 'Active', since: null, neighborAs: 64512 }]);
    expect(observed.warnings).toHaveLength(4);
  });
});
