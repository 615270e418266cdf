import { describe, expect, it } from 'vitest';
import { parseShowProtocols, parseShowProtocolsAll, splitBgpInfo } from '../../src/birdc/parse-protocols.ts';
import { ParseWarnings } from '../../src/birdc/parse-warnings.ts';
import type { Reply } from '../../src/birdc/reply.ts';
import { fixtureReply, frame } from './fixture.ts';

const local = (y: number, mo: number, d: number, h: number, mi: number, s: number) => new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;
const REF = local(2026, 11, 26, 7, 55, 5);
const one = (text: string): Reply => frame(text).replies[0]!;

describe('parseShowProtocols', () => {
  it('reads every row of r1 with bare-time since', () => {
    expect(parseShowProtocols(fixtureReply('r1-show-protocols.txt'), REF)).toEqual([
      { name: 'device1', proto: 'Device', table: 'master', state: 'up', since: local(2026, 11, 26, 7, 54, 0), sinceText: '07:54:00', info: '' },
      { name: 'direct1', proto: 'Direct', table: 'master', state: 'up', since: local(2026, 11, 26, 7, 54, 0), sinceText: '07:54:00', info: '' },
      { name: 'r2', proto: 'BGP', table: 'master', state: 'up', since: local(2026, 11, 26, 7, 54, 4), sinceText: '07:54:04', info: 'Established' },
      { name: 'r3', proto: 'BGP', table: 'master', state: 'up', since: local(2026, 11, 26, 7, 54, 4), sinceText: '07:54:04', info: 'Established' },
      { name: 'kernel1', proto: 'Kernel', table: 'master', state: 'up', since: local(2026, 11, 26, 7, 54, 40), sinceText: '07:54:40', info: '' },
    ]);
  });

  it('reads epoch since, long names and every state of the capture', () => {
    const rows = parseShowProtocols(fixtureReply('epoch-show-protocols.txt'), REF);
    expect(rows.map((r) => [r.name, r.state, r.since, r.info])).toEqual([
      ['device1', 'up', 1795686702, ''],
      ['kernel1', 'up', 1795686702, ''],
      ['Mesh_fd00_ec__2', 'up', 1795686703, 'Established'],
      ['Mesh_fd00_ec__9', 'start', 1795686702, 'Connect'],
      ['Global_fd00_ec__fe', 'down', 1795686702, ''],
      ['tor1', 'start', 1795686702, 'Connect'],
      ['static1', 'up', 1795686702, ''],
    ]);
    expect(parseShowProtocols(fixtureReply('passive-show-protocols.txt'), REF).at(-1)).toMatchObject({ name: 'Mesh_fd00_ec__1', state: 'start', info: 'Passive' });
  });

  it('reads a date since and an iso-long since', () => {
    const reply = one('2002-name     proto    table    state  since       info\n1002-old      BGP      master   up     2026-11-20  Established\n new      BGP      master   start  2026-11-26 07:54:04  Active        Socket: Connection refused\n0000 \n');
    expect(parseShowProtocols(reply, REF).map((r) => [r.since, r.info])).toEqual([
      [local(2026, 11, 20, 0, 0, 0), 'Established'],
      [local(2026, 11, 26, 7, 54, 4), 'Active        Socket: Connection refused'],
    ]);
  });

  it('reads a table with no protocols', () => {
    expect(parseShowProtocols(one('2002-name     proto    table    state  since       info\n0000 \n'), REF)).toEqual([]);
  });

  it.each([
    ['a changed heading', '2002-name     proto    table    state  since       info  extra\n0000 \n', /heading/],
    ['a missing heading', '1002-r2       BGP      master   up     07:54:04    Established\n0000 \n', /heading/],
    ['an unknown block code', '2002-name     proto    table    state  since       info\n1003-r2 x\n0000 \n', /code 1003/],
    ['an unknown state', '2002-name     proto    table    state  since       info\n1002-r2       BGP      master   ???    07:54:04\n0000 \n', /protocol state "\?\?\?"/],
    ['a row without a since', '2002-name     proto    table    state  since       info\n1002-r2       BGP      master   up\n0000 \n', /row/],
    ['an error final code', '2002-name     proto    table    state  since       info\n0013 what\n', /final code 13/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseShowProtocols(one(text), REF)).toThrow(message);
  });
});

describe('parseShowProtocolsAll', () => {
  it('reads an Established BGP session of r1 in full', () => {
    const r2 = parseShowProtocolsAll(fixtureReply('r1-show-protocols-all.txt'), REF).find((p) => p.name === 'r2');
    expect(r2).toEqual({
      name: 'r2',
      proto: 'BGP',
      table: 'master',
      state: 'up',
      since: local(2026, 11, 26, 7, 54, 4),
      sinceText: '07:54:04',
      info: 'Established',
      description: null,
      preference: 100,
      inputFilter: 'ACCEPT',
      outputFilter: '(unnamed)',
      routes: { imported: 0, filtered: null, exported: 1, preferred: 0 },
      importUpdates: { received: 0, rejected: 0, filtered: 0, ignored: 0, accepted: 0 },
      importWithdraws: { received: 0, rejected: 0, filtered: null, ignored: 0, accepted: 0 },
      exportUpdates: { received: 21, rejected: 0, filtered: 1, ignored: null, accepted: 20 },
      exportWithdraws: { received: 19, rejected: null, filtered: null, ignored: null, accepted: 19 },
      bgp: {
        state: 'Established',
        neighborAddress: 'fd00:ec::2',
        neighborInterface: null,
        neighborAs: 65000,
        neighborId: '10.255.0.2',
        neighborCaps: ['refresh', 'enhanced-refresh', 'restart-aware', 'llgr-aware', 'AS4'],
        sessionType: 'internal',
        sessionFlags: ['AS4'],
        sourceAddress: 'fd00:ec::1',
        holdTimer: { remaining: 151, total: 240 },
        keepaliveTimer: { remaining: 19, total: 80 },
        errorWait: null,
        connectDelay: null,
        restartTimer: null,
        gracefulRestartActive: false,
        lastError: null,
      },
      extra: {},
    });
  });

  it('reads every protocol of both routers, BGP details only on BGP', () => {
    for (const name of ['r1-show-protocols-all.txt', 'r2-show-protocols-all.txt']) {
      const all = parseShowProtocolsAll(fixtureReply(name), REF);
      expect(all.map((p) => p.name)).toEqual(parseShowProtocols(fixtureReply(name.replace('-all', '')), REF).map((p) => p.name));
      for (const p of all) expect(p.bgp === null).toBe(p.proto !== 'BGP');
    }
    const r2 = parseShowProtocolsAll(fixtureReply('r2-show-protocols-all.txt'), REF);
    expect(r2.find((p) => p.name === 'r1')).toMatchObject({ routes: { imported: 1, exported: 0 }, importUpdates: { accepted: 20 }, bgp: { neighborId: '10.255.0.1' } });
  });

  it('reads a session in Connect and one disabled (Down, no route statistics)', () => {
    const all = parseShowProtocolsAll(fixtureReply('epoch-show-protocols-all.txt'), REF);
    expect(all.find((p) => p.name === 'Mesh_fd00_ec__9')!.bgp).toMatchObject({ state: 'Connect', neighborAddress: 'fd00:ec::9', neighborAs: 64512, neighborId: null, lastError: null });
    const down = all.find((p) => p.name === 'Global_fd00_ec__fe')!;
    expect(down).toMatchObject({ state: 'down', routes: null, importUpdates: null, bgp: { state: 'Down', neighborAs: 65001 } });
    const disabled = parseShowProtocolsAll(fixtureReply('disabled-show-protocols-all.txt'), REF);
    expect(disabled).toMatchObject([{ name: 'Mesh_fd00_ec__2', state: 'down', since: 1795686738, bgp: { state: 'Down' } }]);
  });

  it('reads Active with its connect delay and last error split into class and text', () => {
    const [p] = parseShowProtocolsAll(fixtureReply('active-refused-show-protocols-all.txt'), REF);
    expect(p).toMatchObject({ info: 'Active        Socket: Connection refused', bgp: { state: 'Active', connectDelay: { remaining: 1, total: 1 }, lastError: { class: 'Socket', text: 'Connection refused' } } });
  });

  it('reads Passive, external sessions, keep-filtered route counts, restart timers and unknown lines', () => {
    const [passive] = parseShowProtocolsAll(fixtureReply('passive-show-protocols-all.txt'), REF).filter((p) => p.bgp);
    expect(passive!.bgp!.state).toBe('Passive');
    const reply = one(
      [
        '2002-name     proto    table    state  since       info',
        '1002-tor1     BGP      master   start  1795686702  Idle          BGP Error: Hold timer expired',
        '1006-  Description:    top of rack',
        '   Router ID:      10.9.9.9',
        '   Preference:     100',
        '   Input filter:   ACCEPT',
        '   Output filter:  ACCEPT',
        '   Import limit:   100',
        '     Action:       disable',
        '   Routes:         3 imported, 2 filtered, 1 exported, 3 preferred',
        '   BGP state:          Idle',
        '     Neighbor address: fe80::1%eth0',
        '     Neighbor AS:      65001',
        '     Neighbor graceful restart active',
        '     Error wait:       3/5',
        '     Restart timer:    90/-',
        '     Last error:       BGP Error: Hold timer expired',
        ' ',
        '0000 ',
        '',
      ].join('\n'),
    );
    const [tor] = parseShowProtocolsAll(reply, REF);
    expect(tor).toMatchObject({
      description: 'top of rack',
      routes: { imported: 3, filtered: 2, exported: 1, preferred: 3 },
      extra: { 'Router ID': '10.9.9.9', 'Import limit': '100', Action: 'disable' },
      bgp: {
        neighborAddress: 'fe80::1',
        neighborInterface: 'eth0',
        gracefulRestartActive: true,
        errorWait: { remaining: 3, total: 5 },
        restartTimer: { remaining: 90, total: null },
        lastError: { class: 'BGP Error', text: 'Hold timer expired' },
      },
    });
  });

  it('reads a pipe, whose routes line has no preferred count (BIRD 1.6 pipe_show_stats)', () => {
    const reply = one(
      [
        '2002-name     proto    table    state  since       info',
        '1002-host_routes_from_kernel Pipe     master   up     1796121473  => host_routes',
        '1006-  Preference:     70',
        '   Input filter:   REJECT',
        '   Output filter:  host_routes_only',
        '   Routes:         0 imported, 1 exported',
        ' ',
        '0000 ',
        '',
      ].join('\n'),
    );
    expect(parseShowProtocolsAll(reply, REF)[0]).toMatchObject({ proto: 'Pipe', info: '=> host_routes', routes: { imported: 0, filtered: null, exported: 1, preferred: null } });
  });

  it.each([
    ['a detail block without a row', '2002-name     proto    table    state  since       info\n1006-  Preference:     100\n0000 \n', /without its protocol row/],
    ['a row without details', '2002-name     proto    table    state  since       info\n1002-r2       BGP      master   up     07:54:04    Established\n0000 \n', /no detail block/],
    ['a changed statistics heading', '2002-name     proto    table    state  since       info\n1002-d  Device   master   up     07:54:00\n1006-  Route change stats:     received   dropped\n0000 \n', /statistics heading/],
    ['a BGP row whose info names no BGP state', '2002-name     proto    table    state  since       info\n1002-r2 BGP master up 07:54:04 Dancing\n1006-  Preference:     100\n0000 \n', /BGP info "Dancing"/],
    ['an unknown BGP state', '2002-name     proto    table    state  since       info\n1002-r2 BGP master up 07:54:04 Established\n1006-  BGP state:          Dancing\n0000 \n', /BGP state "Dancing"/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseShowProtocolsAll(one(text), REF)).toThrow(message);
  });

  const HEAD = '2002-name     proto    table    state  since       info\n';
  it.each([
    ['a bad statistics row', `${HEAD}1002-d  Device   master   up     07:54:00\n1006-    Import updates:   1 2 3\n   Preference:     240\n0000 \n`, { importUpdates: null, preference: 240 }, /\(d\): statistics row "Import updates:   1 2 3"; shown as null/],
    ['a line that is not key: value', `${HEAD}1002-d  Device   master   up     07:54:00\n1006-  ### hello\n   Preference:     240\n0000 \n`, { preference: 240, extra: {} }, /detail line "### hello" is not `Key: value`/],
    ['a timer in another format', `${HEAD}1002-r2 BGP master up 07:54:04 Established\n1006-  BGP state:          Established\n    Neighbor address: fd00:ec::2\n    Neighbor AS:      64512\n    Hold timer:       151 of 240\n0000 \n`, { bgp: { state: 'Established', neighborAs: 64512, holdTimer: null } }, /timer "Hold timer:       151 of 240"/],
    ['a BGP protocol without its BGP state and neighbour lines', `${HEAD}1002-r2 BGP master up 07:54:04 Established\n1006-  Preference:     100\n0000 \n`, { preference: 100, bgp: { state: 'Established', neighborAddress: null, neighborAs: null } }, /no `Neighbor address:` line; shown as null/],
  ])('shows %s as null with a warning, and the rest', (_what, text, expected, warned) => {
    const warnings = new ParseWarnings();
    const [p] = parseShowProtocolsAll(one(text), REF, warnings);
    expect(p).toMatchObject(expected);
    expect(warnings.list()[0]).toMatch(warned);
  });
});

describe('splitBgpInfo', () => {
  it.each([
    [{ state: 'up', info: 'Established' }, { bgpState: 'Established', lastError: null }],
    [{ state: 'start', info: 'Active        Socket: Connection refused' }, { bgpState: 'Active', lastError: { class: 'Socket', text: 'Connection refused' } }],
    [{ state: 'start', info: 'Idle          Received: Administrative shutdown' }, { bgpState: 'Idle', lastError: { class: 'Received', text: 'Administrative shutdown' } }],
    [{ state: 'down', info: '' }, { bgpState: 'Down', lastError: null }],
    [{ state: 'down', info: 'Automatic shutdown: Route limit exceeded' }, { bgpState: 'Down', lastError: { class: 'Automatic shutdown', text: 'Route limit exceeded' } }],
  ] as const)('splits %j', (row, expected) => {
    expect(splitBgpInfo(row)).toEqual(expected);
  });

  it('rejects an info column that does not start with a BGP state', () => {
    expect(() => splitBgpInfo({ state: 'up', info: 'Running' })).toThrow(/BGP info/);
  });
});
