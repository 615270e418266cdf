// Pure mapping from the monitor's view to MIB values: which row a peer gets and what is in it.
import { isIPv6 } from 'node:net';
import type { BgpState, DaemonState, PeerSnapshot } from '../monitor/types.ts';
import { AS_TRANS } from '../topology/conventions.ts';
import { INET_ADDRESS_TYPE_IPV6, PEER_COLUMN } from './oids.ts';

const UINT32_MAX = 2 ** 32 - 1;

/** The 16 bytes of an IPv6 address (`fd00:ec::2`, `::ffff:192.0.2.1`), or null when it is not one. */
export function ipv6Bytes(address: string): Buffer | null {
  if (!isIPv6(address) || address.includes('%')) return null;
  let text = address;
  // An embedded dotted quad becomes two hextets first.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const left = parse(head);
  const right = parse(tail);
  const hextets = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = Buffer.alloc(16);
  hextets.forEach((h, i) => bytes.writeUInt16BE(Number.parseInt(h, 16), i * 2));
  return bytes;
}

/**
 * BGP4-MIB / CISCO-BGP4-MIB peer state: idle(1) connect(2) active(3) opensent(4) openconfirm(5)
 * established(6). BIRD's extra words map onto the FSM state they stand for: `Passive` is waiting
 * for the peer to connect (active), `Down` (protocol disabled) and `Close` (tearing down) are idle.
 */
const STATE_CODE: Record<BgpState, number> = {
  Idle: 1,
  Connect: 2,
  Active: 3,
  OpenSent: 4,
  OpenConfirm: 5,
  Established: 6,
  Close: 1,
  Down: 1,
  Passive: 3,
};

export function bgpStateCode(state: BgpState): number {
  return STATE_CODE[state];
}

/** cbgpPeer2AdminStatus: stop(1) when BIRD holds the protocol down (disabled, shut down), else start(2). */
export function adminStatusCode(peer: PeerSnapshot): number {
  return peer.state === 'down' ? 1 : 2;
}

/** Counter32 / Gauge32 values wrap or clamp into 32 bits, as the SMI requires. */
function counter32(value: number): number {
  return Math.max(0, Math.trunc(value)) % (UINT32_MAX + 1);
}

function gauge32(value: number | null): number {
  return value === null ? 0 : Math.min(UINT32_MAX, Math.max(0, Math.trunc(value)));
}

function ipv4OrZero(address: string | null): string {
  return address !== null && /^\d{1,3}(\.\d{1,3}){3}$/.test(address) ? address : '0.0.0.0';
}

/** cbgpPeer2LastErrorTxt is an SnmpAdminString, SIZE (0..255) (CISCO-BGP4-MIB, SNMP-FRAMEWORK-MIB). */
const MAX_ADMIN_STRING_BYTES = 255;

/** `text` cut to at most `max` UTF-8 bytes, never in the middle of a character. */
function utf8Prefix(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let cut = '';
  for (const character of text) {
    if (Buffer.byteLength(cut + character) > max) break;
    cut += character;
  }
  return cut;
}

function lastErrorText(peer: PeerSnapshot): string {
  const error = peer.lastError;
  if (error === null) return '';
  return utf8Prefix(error.class === '' ? error.text : `${error.class}: ${error.text}`, MAX_ADMIN_STRING_BYTES);
}

export interface RowContext {
  /** the node's own AS, used when BIRD did not report the session's local AS */
  localAs: number;
  /** the daemon's router id (cbgpPeer2LocalIdentifier) */
  routerId: string | null;
}

export interface PeerRow {
  /** table index values: InetAddressType, InetAddress */
  index: [number, Buffer];
  /** `2.16.b1...b16`, the OID suffix of this row */
  indexOid: string;
  /** one value per column of PEER_COLUMNS, in that order (index columns included) */
  values: Array<number | string | Buffer>;
}

/** Column order of the table provider, with the index columns first. */
export const PEER_COLUMNS = [
  PEER_COLUMN.type,
  PEER_COLUMN.remoteAddr,
  PEER_COLUMN.state,
  PEER_COLUMN.adminStatus,
  PEER_COLUMN.localAddr,
  PEER_COLUMN.localAs,
  PEER_COLUMN.localIdentifier,
  PEER_COLUMN.remoteAs,
  PEER_COLUMN.remoteIdentifier,
  PEER_COLUMN.inUpdates,
  PEER_COLUMN.fsmEstablishedTransitions,
  PEER_COLUMN.fsmEstablishedTime,
  PEER_COLUMN.lastErrorTxt,
  PEER_COLUMN.prevState,
] as const;

/** The peer's row, or null for a peer without a known IPv6 address (it has no index to sit at). */
export function peerRow(peer: PeerSnapshot, context: RowContext): PeerRow | null {
  const address = peer.peerAddress === null ? null : ipv6Bytes(peer.peerAddress);
  if (address === null) return null;
  const localAddress = (peer.sourceAddress === null ? null : ipv6Bytes(peer.sourceAddress)) ?? Buffer.alloc(0);
  const byColumn: Record<(typeof PEER_COLUMNS)[number], number | string | Buffer> = {
    [PEER_COLUMN.type]: INET_ADDRESS_TYPE_IPV6,
    [PEER_COLUMN.remoteAddr]: address,
    [PEER_COLUMN.state]: bgpStateCode(peer.bgpState),
    [PEER_COLUMN.adminStatus]: adminStatusCode(peer),
    [PEER_COLUMN.localAddr]: localAddress,
    [PEER_COLUMN.localAs]: gauge32(peer.localAs ?? context.localAs),
    [PEER_COLUMN.localIdentifier]: ipv4OrZero(context.routerId),
    [PEER_COLUMN.remoteAs]: gauge32(peer.neighborAs),
    [PEER_COLUMN.remoteIdentifier]: ipv4OrZero(peer.neighborId),
    [PEER_COLUMN.inUpdates]: counter32(peer.importUpdates),
    [PEER_COLUMN.fsmEstablishedTransitions]: counter32(peer.establishedTransitions),
    // "how long this peer has been in the established state or how long since it was last in it"
    [PEER_COLUMN.fsmEstablishedTime]: gauge32(peer.timeInStateSeconds),
    [PEER_COLUMN.lastErrorTxt]: lastErrorText(peer),
    [PEER_COLUMN.prevState]: peer.previousBgpState === null ? 0 : bgpStateCode(peer.previousBgpState),
  };
  return {
    index: [INET_ADDRESS_TYPE_IPV6, address],
    indexOid: [INET_ADDRESS_TYPE_IPV6, address.length, ...address].join('.'),
    values: PEER_COLUMNS.map((column) => byColumn[column]),
  };
}

export interface ScalarValues {
  bgpVersion: Buffer;
  bgpLocalAs: number;
  bgpIdentifier: string;
}

export function scalarValues(localAs: number, daemon: DaemonState | undefined): ScalarValues {
  return {
    // A bit string, most significant bit first, bit N set for version N+1: 0x10 is version 4 only.
    bgpVersion: Buffer.from([0x10]),
    bgpLocalAs: localAs > 0xffff ? AS_TRANS : localAs,
    bgpIdentifier: ipv4OrZero(daemon?.routerId ?? null),
  };
}
