import { describe, expect, it } from 'vitest';
import type { BgpState } from '../../src/monitor/types.ts';
import { PEER_COLUMN } from '../../src/snmp/oids.ts';
import { AS_TRANS } from '../../src/topology/conventions.ts';
import { bgpStateCode, ipv6Bytes, PEER_COLUMNS, peerRow, scalarValues } from '../../src/snmp/rows.ts';
import { daemonState, peerSnapshot } from '../support/fake-monitor.ts';

// Every BgpState, checked complete by the compiler.
const BGP_STATES = Object.keys({
  Idle: 1, Connect: 1, Active: 1, OpenSent: 1, OpenConfirm: 1, Established: 1, Close: 1, Down: 1, Passive: 1,
} satisfies Record<BgpState, 1>) as BgpState[];

const context = { localAs: 64512, routerId: '10.255.0.1' };

function column(values: unknown[], number: number): unknown {
  return values[PEER_COLUMNS.indexOf(number as (typeof PEER_COLUMNS)[number])];
}

describe('ipv6Bytes', () => {
  it.each([
    ['fd00:ec::2', 'fd0000ec000000000000000000000002'],
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['2001:db8:1:2:3:4:5:6', '20010db8000100020003000400050006'],
    ['fe80::', 'fe800000000000000000000000000000'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['FD00:EC::A', 'fd0000ec00000000000000000000000a'],
  ])('%s', (address, hex) => {
    expect(ipv6Bytes(address)?.toString('hex')).toBe(hex);
  });

  it.each(['192.0.2.1', 'fd00::1::2', 'fe80::1%eth0', 'host', ''])('refuses %j', (address) => {
    expect(ipv6Bytes(address)).toBeNull();
  });
});

describe('bgpStateCode', () => {
  it('maps every state BIRD prints onto the MIB enumeration 1..6', () => {
    for (const state of BGP_STATES) expect([1, 2, 3, 4, 5, 6]).toContain(bgpStateCode(state));
    expect(bgpStateCode('Established')).toBe(6);
    expect(bgpStateCode('OpenConfirm')).toBe(5);
    expect(bgpStateCode('Passive')).toBe(3);
    expect(bgpStateCode('Down')).toBe(1);
  });
});

describe('peerRow', () => {
  it('indexes the row by type ipv6, length 16 and the address bytes', () => {
    const row = peerRow(peerSnapshot({ peerAddress: 'fd00:ec::2' }), context);
    expect(row?.index[0]).toBe(2);
    expect(row?.indexOid).toBe('2.16.253.0.0.236.0.0.0.0.0.0.0.0.0.0.0.2');
  });

  it('fills each column from the snapshot', () => {
    const row = peerRow(
      peerSnapshot({
        bgpState: 'Active',
        state: 'start',
        neighborAs: 65001,
        neighborId: null,
        localAs: null,
        importUpdates: 2 ** 32 + 5,
        establishedTransitions: 3,
        timeInStateSeconds: 12,
        lastError: { class: 'Socket', text: 'Connection refused' },
        previousBgpState: 'Established',
      }),
      context,
    );
    const values = row?.values ?? [];
    expect(column(values, PEER_COLUMN.state)).toBe(3);
    expect(column(values, PEER_COLUMN.adminStatus)).toBe(2);
    expect(column(values, PEER_COLUMN.localAs)).toBe(64512);
    expect(column(values, PEER_COLUMN.localIdentifier)).toBe('10.255.0.1');
    expect(column(values, PEER_COLUMN.remoteAs)).toBe(65001);
    expect(column(values, PEER_COLUMN.remoteIdentifier)).toBe('0.0.0.0');
    expect(column(values, PEER_COLUMN.inUpdates)).toBe(5);
    expect(column(values, PEER_COLUMN.fsmEstablishedTransitions)).toBe(3);
    expect(column(values, PEER_COLUMN.fsmEstablishedTime)).toBe(12);
    expect(column(values, PEER_COLUMN.lastErrorTxt)).toBe('Socket: Connection refused');
    expect(column(values, PEER_COLUMN.prevState)).toBe(6);
  });

  // cbgpPeer2LastErrorTxt is an SnmpAdminString (SIZE (0..255)); it also bounds a GETBULK response.
  it('cuts the last error text to 255 bytes without splitting a character', () => {
    const text = `${'x'.repeat(253)}éé and more`;
    const values = peerRow(peerSnapshot({ lastError: { class: '', text } }), context)?.values ?? [];
    const cut = column(values, PEER_COLUMN.lastErrorTxt) as string;
    expect(Buffer.byteLength(cut)).toBe(255);
    expect(cut).toBe(`${'x'.repeat(253)}é`);
  });

  it('says admin stop for a protocol BIRD holds down, and none(0) before any change', () => {
    const values = peerRow(peerSnapshot({ state: 'down', bgpState: 'Down', previousBgpState: null }), context)?.values ?? [];
    expect(column(values, PEER_COLUMN.adminStatus)).toBe(1);
    expect(column(values, PEER_COLUMN.state)).toBe(1);
    expect(column(values, PEER_COLUMN.prevState)).toBe(0);
  });

  it('has no row for a peer without an IPv6 address', () => {
    expect(peerRow(peerSnapshot({ peerAddress: null }), context)).toBeNull();
  });
});

describe('scalarValues', () => {
  it('says version 4, the AS, and the router id', () => {
    expect(scalarValues(64512, daemonState({ routerId: '10.0.0.7' }))).toEqual({ bgpVersion: Buffer.from([0x10]), bgpLocalAs: 64512, bgpIdentifier: '10.0.0.7' });
  });

  it('shows AS_TRANS for a 4-byte AS and 0.0.0.0 while the router id is unknown', () => {
    expect(scalarValues(4_200_000_000, undefined)).toMatchObject({ bgpLocalAs: AS_TRANS, bgpIdentifier: '0.0.0.0' });
    expect(scalarValues(65535, daemonState({ up: false, routerId: null })).bgpLocalAs).toBe(65535);
    expect(scalarValues(65536, undefined).bgpLocalAs).toBe(23456);
  });
});
