// The cheap structural check every datagram passes before net-snmp decodes it: an SNMP message is
// one BER SEQUENCE filling the datagram exactly, starting with an INTEGER version 0 (v1), 1 (v2c)
// or 3 (RFC 3412 section 6). Random bytes, truncated or padded packets and oversized ones stop
// here with a short reason instead of reaching the library's decoder.
//
// Only the outer frame is checked: an SNMPv3 PDU is encrypted, so what it asks for is checked after
// net-snmp has authenticated and decrypted it (request-guard.ts).

/**
 * Far beyond any real poller's request (a full Ethernet frame carries 1472 bytes of UDP payload) and
 * far below the 65507 bytes a UDP datagram may hold.
 */
export const MAX_PACKET_BYTES = 8192;

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const SNMP_VERSIONS = new Set([0, 1, 3]);

/** A definite BER length at `offset`: its value and where the content starts, or null. */
function readLength(buffer: Buffer, offset: number): { length: number; start: number } | null {
  const first = buffer[offset];
  if (first === undefined) return null;
  if (first < 0x80) return { length: first, start: offset + 1 };
  const octets = first & 0x7f;
  // 0x80 is the indefinite form (not allowed in SNMP's BER subset); more than 2 octets would exceed MAX_PACKET_BYTES.
  if (octets === 0 || octets > 2 || offset + 1 + octets > buffer.length) return null;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + (buffer[offset + 1 + i] as number);
  return { length, start: offset + 1 + octets };
}

/** Why `packet` is not an SNMP message worth decoding, or null when its frame is sound. */
export function packetProblem(packet: Buffer): string | null {
  if (packet.length > MAX_PACKET_BYTES) return `larger than ${MAX_PACKET_BYTES} bytes`;
  if (packet[0] !== SEQUENCE) return 'not a BER SEQUENCE';
  const message = readLength(packet, 1);
  if (message === null || message.start + message.length !== packet.length) return 'the SEQUENCE length does not match the datagram';
  if (packet[message.start] !== INTEGER) return 'no version INTEGER';
  const version = readLength(packet, message.start + 1);
  if (version === null || version.length !== 1 || version.start + 1 > packet.length) return 'the version is not a one-byte INTEGER';
  if (!SNMP_VERSIONS.has(packet[version.start] as number)) return `unknown SNMP version ${packet[version.start]}`;
  return null;
}
