// The MIB follows snapshots: rows appear, change and disappear with the peers, in both tables.
import snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { BgpMib, CISCO_PEER_TABLE, PEER_TABLE, type NetSnmpMib } from '../../src/snmp/bgp-mib.ts';
import { PEER_COLUMN } from '../../src/snmp/oids.ts';
import { PEER_COLUMNS } from '../../src/snmp/rows.ts';
import { daemonState, peerSnapshot, snapshotOf } from '../support/fake-monitor.ts';

// Cell position of the state among the readable columns (the two index columns are not-accessible).
const STATE = PEER_COLUMNS.slice(2).indexOf(PEER_COLUMN.state as (typeof PEER_COLUMNS)[number]);

/** table name -> peer address (hex) -> state */
function states(mib: NetSnmpMib, table: string): Record<string, number> {
  const rows = mib.getTableCells(table, true, true) as Array<[[number, string], ...unknown[]]>;
  // With instances, each row starts with its index values; the address comes back as a string of byte values.
  return Object.fromEntries(rows.map((row) => [Buffer.from(row[0][1], 'latin1').toString('hex'), row[1 + STATE] as number]));
}

function tableOrEmpty(mib: NetSnmpMib, table: string): Record<string, number> {
  try {
    return states(mib, table);
  } catch {
    return {};
  }
}

const A = 'fd0000ec000000000000000000000002';
const B = 'fd0000ec000000000000000000000003';

describe('BgpMib', () => {
  it('serves the scalars before the first poll and the peers after it', () => {
    const mib = snmp.createMib() as NetSnmpMib;
    const bgp = new BgpMib(mib, { localAs: 64512, ciscoOids: false });
    expect(mib.getScalarValue('bgpIdentifier')).toBe('0.0.0.0');
    expect(mib.getScalarValue('bgpLocalAs')).toBe(64512);
    expect(tableOrEmpty(mib, PEER_TABLE)).toEqual({});

    bgp.sync(snapshotOf([peerSnapshot(), peerSnapshot({ name: 'Mesh_fd00_ec__3', peerAddress: 'fd00:ec::3', bgpState: 'Connect', state: 'start' })]));
    expect(mib.getScalarValue('bgpIdentifier')).toBe('10.255.0.1');
    expect(states(mib, PEER_TABLE)).toEqual({ [A]: 6, [B]: 2 });
  });

  it('changes, adds and removes rows as the snapshots do, in both tables', () => {
    const mib = snmp.createMib() as NetSnmpMib;
    const bgp = new BgpMib(mib, { localAs: 64512, ciscoOids: true });
    bgp.sync(snapshotOf([peerSnapshot()]));
    expect(states(mib, CISCO_PEER_TABLE)).toEqual({ [A]: 6 });

    bgp.sync(snapshotOf([peerSnapshot({ bgpState: 'Active', state: 'start' }), peerSnapshot({ name: 'x', peerAddress: 'fd00:ec::3' })]));
    expect(states(mib, PEER_TABLE)).toEqual({ [A]: 3, [B]: 6 });
    expect(states(mib, CISCO_PEER_TABLE)).toEqual({ [A]: 3, [B]: 6 });

    bgp.sync(snapshotOf([peerSnapshot({ name: 'x', peerAddress: 'fd00:ec::3' })]));
    expect(states(mib, PEER_TABLE)).toEqual({ [B]: 6 });

    // Daemon down: peers unknown, no rows, router id gone.
    bgp.sync(snapshotOf([], { daemon: daemonState({ up: false, routerId: null }) }));
    expect(tableOrEmpty(mib, PEER_TABLE)).toEqual({});
    expect(tableOrEmpty(mib, CISCO_PEER_TABLE)).toEqual({});
    expect(mib.getScalarValue('bgpIdentifier')).toBe('0.0.0.0');

    bgp.sync(snapshotOf([peerSnapshot()]));
    expect(states(mib, PEER_TABLE)).toEqual({ [A]: 6 });
  });

  it('leaves out peers without an address and keeps the first of two protocols to one address', () => {
    const mib = snmp.createMib() as NetSnmpMib;
    const bgp = new BgpMib(mib, { localAs: 64512, ciscoOids: false });
    bgp.sync(snapshotOf([peerSnapshot({ name: 'odd', peerAddress: null }), peerSnapshot({ name: 'a' }), peerSnapshot({ name: 'b', bgpState: 'Idle' })]));
    expect(states(mib, PEER_TABLE)).toEqual({ [A]: 6 });
  });
});
