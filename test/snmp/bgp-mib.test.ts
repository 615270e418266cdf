// The MIB follows snapshots: rows appear, change and disappear with the peers, in both tables.
import snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { BgpMib, CISCO_PEER_TABLE, PEER_TABLE, type NetSnmpMib } from '../../src/snmp/bgp-mib.ts';
import { CISCO_PEER2_ENTRY, PEER_COLUMN, PROJECT_PEER_ENTRY } from '../../src/snmp/oids.ts';
import { daemonState, peerSnapshot, snapshotOf } from '../support/fake-monitor.ts';

const ENTRY = { [PEER_TABLE]: PROJECT_PEER_ENTRY, [CISCO_PEER_TABLE]: CISCO_PEER2_ENTRY };

/**
 * peer address (hex) -> state, for the rows present in net-snmp's tree, with the value a request
 * would get (the providers' handler reads it from `valueAt`).
 */
function states(mib: NetSnmpMib, bgp: BgpMib, table: typeof PEER_TABLE | typeof CISCO_PEER_TABLE): Record<string, unknown> {
  let rows: Array<[[number, string], ...unknown[]]>;
  try {
    rows = mib.getTableCells(table, true, true) as typeof rows;
  } catch {
    return {}; // net-snmp drops the table node with its last row
  }
  return Object.fromEntries(
    rows.map(([[type, address]]) => {
      const bytes = Buffer.from(address, 'latin1');
      return [bytes.toString('hex'), bgp.valueAt(`${ENTRY[table]}.${PEER_COLUMN.state}.${type}.${bytes.length}.${[...bytes].join('.')}`)];
    }),
  );
}

const A = 'fd0000ec000000000000000000000002';
const B = 'fd0000ec000000000000000000000003';

describe('BgpMib', () => {
  it('serves the scalars before the first poll and the peers after it', () => {
    const mib = snmp.createMib() as NetSnmpMib;
    const bgp = new BgpMib(mib, { localAs: 64512, ciscoOids: false });
    expect(mib.getScalarValue('bgpIdentifier')).toBe('0.0.0.0');
    expect(mib.getScalarValue('bgpLocalAs')).toBe(64512);
    expect(states(mib, bgp, PEER_TABLE)).toEqual({});

    bgp.sync(snapshotOf([peerSnapshot(), peerSnapshot({ name: 'Mesh_fd00_ec__3', peerAddress: 'fd00:ec::3', bgpState: 'Connect', state: 'start' })]));
    expect(mib.getScalarValue('bgpIdentifier')).toBe('10.255.0.1');
    expect(states(mib, bgp, PEER_TABLE)).toEqual({ [A]: 6, [B]: 2 });
  });

  it('changes, adds and removes rows as the snapshots do, in both tables', () => {
    const mib = snmp.createMib() as NetSnmpMib;
    const bgp = new BgpMib(mib, { localAs: 64512, ciscoOids: true });
    bgp.sync(snapshotOf([peerSnapshot()]));
    expect(states(mib, bgp, CISCO_PEER_TABLE)).toEqual({ [A]: 6 });

    bgp.sync(snapshotOf([peerSnapshot({ bgpState: 'Active', state: 'start' }), peerSnapshot({ name: 'x', peerAddress: 'fd00:ec::3' })]));
    expect(states(mib, bgp, PEER_TABLE)).toEqual({ [A]: 3, [B]: 6 });
    expect(states(mib, bgp, CISCO_PEER_TABLE)).toEqual({ [A]: 3, [B]: 6 });

    bgp.sync(snapshotOf([peerSnapshot({ name: 'x', peerAddress: 'fd00:ec::3' })]));
    expect(states(mib, bgp, PEER_TABLE)).toEqual({ [B]: 6 });

    // Daemon down: peers unknown, no rows, router id gone.
    bgp.sync(snapshotOf([], { daemon: daemonState({ up: false, routerId: null }) }));
    expect(states(mib, bgp, PEER_TABLE)).toEqual({});
    expect(states(mib, bgp, CISCO_PEER_TABLE)).toEqual({});
    expect(mib.getScalarValue('bgpIdentifier')).toBe('0.0.0.0');

    bgp.sync(snapshotOf([peerSnapshot()]));
    expect(states(mib, bgp, PEER_TABLE)).toEqual({ [A]: 6 });
  });

  it('leaves out peers without an address and keeps the first of two protocols to one address', () => {
    const mib = snmp.createMib() as NetSnmpMib;
    const bgp = new BgpMib(mib, { localAs: 64512, ciscoOids: false });
    bgp.sync(snapshotOf([peerSnapshot({ name: 'odd', peerAddress: null }), peerSnapshot({ name: 'a' }), peerSnapshot({ name: 'b', bgpState: 'Idle' })]));
    expect(states(mib, bgp, PEER_TABLE)).toEqual({ [A]: 6 });
  });
});

describe('BgpMib.valueAt', () => {
  it('reads any served column of a row and nothing outside the tables', () => {
    const bgp = new BgpMib(snmp.createMib() as NetSnmpMib, { localAs: 64512, ciscoOids: false });
    bgp.sync(snapshotOf([peerSnapshot({ importUpdates: 41, lastError: { class: 'Received', text: 'Hold timer expired' } })]));
    const row = '2.16.253.0.0.236.0.0.0.0.0.0.0.0.0.0.0.2';
    expect(bgp.valueAt(`${PROJECT_PEER_ENTRY}.13.${row}`)).toBe(41);
    expect(bgp.valueAt(`${PROJECT_PEER_ENTRY}.28.${row}`)).toBe('Received: Hold timer expired');
    expect(bgp.valueAt(`${PROJECT_PEER_ENTRY}.5.${row}`)).toBeUndefined();
    expect(bgp.valueAt(`${PROJECT_PEER_ENTRY}.3.2.16.${'0.'.repeat(15)}9`)).toBeUndefined();
    expect(bgp.valueAt(`${CISCO_PEER2_ENTRY}.3.${row}`)).toBeUndefined();
  });
});
