// Just enough BER to read an SNMPv2c trap or response and to write an SNMPv2c request in a test,
// independently of net-snmp (the code under test), so what crosses the wire is what is checked, and
// a test can send what no well-behaved client would.

export interface Tlv {
  tag: number;
  bytes: Buffer;
  children?: Tlv[];
}

const CONSTRUCTED = 0x20;

function readLength(buffer: Buffer, offset: number): { length: number; offset: number } {
  const first = buffer[offset] as number;
  if (first < 0x80) return { length: first, offset: offset + 1 };
  const count = first & 0x7f;
  let length = 0;
  for (let i = 1; i <= count; i++) length = length * 256 + (buffer[offset + i] as number);
  return { length, offset: offset + 1 + count };
}

export function decodeAll(buffer: Buffer): Tlv[] {
  const items: Tlv[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const tag = buffer[offset] as number;
    const { length, offset: start } = readLength(buffer, offset + 1);
    const bytes = buffer.subarray(start, start + length);
    items.push((tag & CONSTRUCTED) !== 0 ? { tag, bytes, children: decodeAll(bytes) } : { tag, bytes });
    offset = start + length;
  }
  return items;
}

export function oidText(bytes: Buffer): string {
  // X.690 section 8.19.4: the first byte is 40 * first arc + second, and the first arc is at most 2.
  const first = bytes[0] as number;
  const parts = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  let value = 0;
  for (const byte of bytes.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

function integer(bytes: Buffer): number {
  let value = (bytes[0] as number) & 0x80 ? -1 : 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}

export interface DecodedTrap {
  version: number;
  community: string;
  pduTag: number;
  /** varbinds by OID; values as number (INTEGER, TimeTicks...), string (OCTET STRING) or OID text */
  varbinds: Map<string, number | string>;
}

/** Decodes `SEQUENCE { version, community, SNMPv2-Trap-PDU { id, 0, 0, varbinds } }`. */
export function decodeTrap(message: Buffer): DecodedTrap {
  const [sequence] = decodeAll(message);
  const [version, community, pdu] = sequence?.children ?? [];
  const varbindList = pdu?.children?.[3]?.children ?? [];
  const varbinds = new Map<string, number | string>();
  for (const varbind of varbindList) {
    const [name, value] = varbind.children ?? [];
    if (!name || !value) continue;
    const decoded = value.tag === 0x06 ? oidText(value.bytes) : value.tag === 0x04 ? value.bytes.toString('utf8') : integer(value.bytes);
    varbinds.set(oidText(name.bytes), decoded);
  }
  return {
    version: integer(version?.bytes ?? Buffer.alloc(1)),
    community: community?.bytes.toString('utf8') ?? '',
    pduTag: pdu?.tag ?? 0,
    varbinds,
  };
}

export const PDU = { get: 0xa0, getNext: 0xa1, response: 0xa2, set: 0xa3, getBulk: 0xa5 } as const;

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

/** A two's-complement INTEGER, so negative non-repeaters can be sent too. */
export function berInteger(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest & 0xff);
    rest >>= 8;
  } while (!(rest === 0 && (bytes[0] as number) < 0x80) && !(rest === -1 && (bytes[0] as number) >= 0x80));
  return tlv(0x02, Buffer.from(bytes));
}

/** OID content bytes as X.690 writes them: `2.40` -> 0x78. */
export function oidBytes(oid: string): Buffer {
  const [first, second, ...rest] = oid.split('.').map(Number) as [number, number, ...number[]];
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const groups: number[] = [];
    let value = arc;
    do {
      groups.unshift(value % 128);
      value = Math.floor(value / 128);
    } while (value > 0);
    bytes.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return Buffer.from(bytes);
}

export interface RequestSpec {
  community: string;
  pdu: number;
  id?: number;
  /** error-status, or non-repeaters for GETBULK */
  nonRepeaters?: number;
  /** error-index, or max-repetitions for GETBULK */
  maxRepetitions?: number;
  /** OIDs as text or as raw content bytes */
  oids: ReadonlyArray<string | Buffer>;
}

/** `SEQUENCE { 1 (v2c), community, PDU { id, a, b, { {oid, NULL}... } } }` */
export function encodeRequest(spec: RequestSpec): Buffer {
  const varbinds = spec.oids.map((oid) => tlv(0x30, tlv(0x06, typeof oid === 'string' ? oidBytes(oid) : oid), Buffer.from([0x05, 0x00])));
  const pdu = tlv(spec.pdu, berInteger(spec.id ?? 1), berInteger(spec.nonRepeaters ?? 0), berInteger(spec.maxRepetitions ?? 0), tlv(0x30, ...varbinds));
  return tlv(0x30, berInteger(1), tlv(0x04, Buffer.from(spec.community)), pdu);
}

export interface DecodedResponse {
  id: number;
  errorStatus: number;
  /** in order: OID text and the value's tag (0x80 noSuchObject, 0x81 noSuchInstance, 0x82 endOfMibView) */
  varbinds: Array<{ oid: string; tag: number }>;
}

export function decodeResponse(message: Buffer): DecodedResponse {
  const [sequence] = decodeAll(message);
  const pdu = sequence?.children?.[2];
  const [id, errorStatus, , list] = pdu?.children ?? [];
  return {
    id: integer(id?.bytes ?? Buffer.alloc(1)),
    errorStatus: integer(errorStatus?.bytes ?? Buffer.alloc(1)),
    varbinds: (list?.children ?? []).map((varbind) => ({ oid: oidText(varbind.children?.[0]?.bytes ?? Buffer.alloc(1)), tag: varbind.children?.[1]?.tag ?? -1 })),
  };
}
