// The agent's MIB: BGP4-MIB scalars and the IPv6 peer table, kept equal to the monitor's latest
// snapshot. `sync` is free when nothing changed (the same snapshot object), so it can run before
// every request. Only rows that appear or disappear touch net-snmp's tree: cell values are read at
// request time by the providers' handler from the rows computed at the last sync, because every
// poll changes some counter of every peer (established time at least): with 1,000 peers and both
// tables, rewriting the tree blocked the event loop for 60-100 ms per poll, computing the rows 10-20 ms.
import snmp from 'net-snmp';
import type { MonitorSnapshot } from '../monitor/types.ts';
import { BGP_IDENTIFIER, BGP_LOCAL_AS, BGP_VERSION, CISCO_PEER2_ENTRY, PEER_COLUMN, PROJECT_PEER_ENTRY } from './oids.ts';
import { PEER_COLUMNS, peerRow, scalarValues, type PeerRow } from './rows.ts';

/** The part of net-snmp's Mib this module uses (its published types leave Mib as `any`). */
export interface NetSnmpMib {
  registerProvider(provider: object): void;
  setScalarValue(name: string, value: unknown): void;
  getScalarValue(name: string): unknown;
  addTableRow(name: string, row: unknown[]): void;
  deleteTableRow(name: string, index: unknown[]): boolean;
  getTableCells(name: string, byRow?: boolean, includeInstances?: boolean): unknown[][];
}

const READ_ONLY = snmp.MaxAccess['read-only'];
const NOT_ACCESSIBLE = snmp.MaxAccess['not-accessible'];

const COLUMN_TYPES: Record<(typeof PEER_COLUMNS)[number], [name: string, type: snmp.ObjectType]> = {
  [PEER_COLUMN.type]: ['cbgpPeer2Type', snmp.ObjectType.Integer],
  [PEER_COLUMN.remoteAddr]: ['cbgpPeer2RemoteAddr', snmp.ObjectType.OctetString],
  [PEER_COLUMN.state]: ['cbgpPeer2State', snmp.ObjectType.Integer],
  [PEER_COLUMN.adminStatus]: ['cbgpPeer2AdminStatus', snmp.ObjectType.Integer],
  [PEER_COLUMN.localAddr]: ['cbgpPeer2LocalAddr', snmp.ObjectType.OctetString],
  [PEER_COLUMN.localAs]: ['cbgpPeer2LocalAs', snmp.ObjectType.Unsigned32],
  [PEER_COLUMN.localIdentifier]: ['cbgpPeer2LocalIdentifier', snmp.ObjectType.IpAddress],
  [PEER_COLUMN.remoteAs]: ['cbgpPeer2RemoteAs', snmp.ObjectType.Unsigned32],
  [PEER_COLUMN.remoteIdentifier]: ['cbgpPeer2RemoteIdentifier', snmp.ObjectType.IpAddress],
  [PEER_COLUMN.inUpdates]: ['cbgpPeer2InUpdates', snmp.ObjectType.Counter32],
  [PEER_COLUMN.fsmEstablishedTransitions]: ['cbgpPeer2FsmEstablishedTransitions', snmp.ObjectType.Counter32],
  [PEER_COLUMN.fsmEstablishedTime]: ['cbgpPeer2FsmEstablishedTime', snmp.ObjectType.Gauge32],
  [PEER_COLUMN.lastErrorTxt]: ['cbgpPeer2LastErrorTxt', snmp.ObjectType.OctetString],
  [PEER_COLUMN.prevState]: ['cbgpPeer2PrevState', snmp.ObjectType.Integer],
};

/** The part of net-snmp's MibRequest a handler uses. */
interface MibRequest {
  oid: string;
  instanceNode: { value: unknown };
  done(): void;
}

function peerTableProvider(name: string, oid: string, handler: (request: MibRequest) => void): object {
  return {
    name,
    handler,
    type: snmp.MibProviderType.Table,
    oid,
    maxAccess: NOT_ACCESSIBLE,
    tableColumns: PEER_COLUMNS.map((number) => {
      const [columnName, type] = COLUMN_TYPES[number];
      const isIndex = number === PEER_COLUMN.type || number === PEER_COLUMN.remoteAddr;
      return { number, name: columnName, type, maxAccess: isIndex ? NOT_ACCESSIBLE : READ_ONLY };
    }),
    tableIndex: [{ columnName: COLUMN_TYPES[PEER_COLUMN.type][0] }, { columnName: COLUMN_TYPES[PEER_COLUMN.remoteAddr][0] }],
  };
}

export const PEER_TABLE = 'birdctlPeerTable';
export const CISCO_PEER_TABLE = 'cbgpPeer2Table';

export class BgpMib {
  private readonly tables: Array<{ name: string; entry: string }>;
  /** rows currently in the MIB, by index OID suffix */
  private rows = new Map<string, PeerRow>();
  private synced: MonitorSnapshot | undefined | null = null;

  constructor(
    private readonly mib: NetSnmpMib,
    private readonly options: { localAs: number; ciscoOids: boolean },
  ) {
    mib.registerProvider({ name: 'bgpVersion', type: snmp.MibProviderType.Scalar, oid: BGP_VERSION, scalarType: snmp.ObjectType.OctetString, maxAccess: READ_ONLY });
    mib.registerProvider({ name: 'bgpLocalAs', type: snmp.MibProviderType.Scalar, oid: BGP_LOCAL_AS, scalarType: snmp.ObjectType.Integer, maxAccess: READ_ONLY });
    mib.registerProvider({ name: 'bgpIdentifier', type: snmp.MibProviderType.Scalar, oid: BGP_IDENTIFIER, scalarType: snmp.ObjectType.IpAddress, maxAccess: READ_ONLY });
    this.tables = [{ name: PEER_TABLE, entry: PROJECT_PEER_ENTRY }];
    if (options.ciscoOids) this.tables.push({ name: CISCO_PEER_TABLE, entry: CISCO_PEER2_ENTRY });
    const handler = (request: MibRequest): void => {
      const value = this.valueAt(request.oid);
      if (value !== undefined) request.instanceNode.value = value;
      request.done();
    };
    for (const table of this.tables) mib.registerProvider(peerTableProvider(table.name, table.entry, handler));
    this.sync(undefined);
  }

  /** The current value of a table cell by its OID (`<entry>.<column>.<index>`); undefined if there is none. */
  valueAt(oid: string): number | string | Buffer | undefined {
    for (const { entry } of this.tables) {
      if (!oid.startsWith(`${entry}.`)) continue;
      const rest = oid.slice(entry.length + 1);
      const dot = rest.indexOf('.');
      const position = PEER_COLUMNS.indexOf(Number(rest.slice(0, dot)) as (typeof PEER_COLUMNS)[number]);
      const row = this.rows.get(rest.slice(dot + 1));
      return row === undefined || position < 0 ? undefined : row.values[position];
    }
    return undefined;
  }

  /** Makes the MIB show this snapshot; `undefined` (no poll yet) shows the scalars and no peers. */
  sync(snapshot: MonitorSnapshot | undefined): void {
    if (snapshot === this.synced) return;
    this.synced = snapshot;
    const scalars = scalarValues(this.options.localAs, snapshot?.daemon);
    this.mib.setScalarValue('bgpVersion', scalars.bgpVersion);
    this.mib.setScalarValue('bgpLocalAs', scalars.bgpLocalAs);
    this.mib.setScalarValue('bgpIdentifier', scalars.bgpIdentifier);

    const context = { localAs: this.options.localAs, routerId: snapshot?.daemon.routerId ?? null };
    const wanted = new Map<string, PeerRow>();
    for (const peer of snapshot?.peers ?? []) {
      const row = peerRow(peer, context);
      // Two protocols to one address (a misconfiguration) would share an index; the first wins.
      if (row !== null && !wanted.has(row.indexOid)) wanted.set(row.indexOid, row);
    }
    for (const [key, row] of this.rows) {
      if (!wanted.has(key)) for (const table of this.tables) this.mib.deleteTableRow(table.name, row.index);
    }
    for (const [key, row] of wanted) {
      if (!this.rows.has(key)) for (const table of this.tables) this.mib.addTableRow(table.name, row.values);
    }
    this.rows = wanted;
  }
}
