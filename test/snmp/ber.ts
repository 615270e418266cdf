// Just enough BER to read an SNMPv2c trap in a test, independently of net-snmp (the code under
// test), so a trap is checked by what arrives on the wire.

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
  const first = bytes[0] as number;
  const parts = [Math.floor(first / 40), first % 40];
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
