import { describe, expect, it } from 'vitest';
import { MAX_PACKET_BYTES, packetProblem } from '../../src/snmp/packet-check.ts';
import { berInteger, encodeRequest, PDU, tlv } from './ber.ts';

const get = encodeRequest({ community: 'c0mmunity', pdu: PDU.get, oids: ['1.3.6.1.2.1.15.2.0'] });

describe('packetProblem', () => {
  it('passes a well-framed v2c request, and v1 and v3 frames', () => {
    expect(packetProblem(get)).toBeNull();
    expect(packetProblem(tlv(0x30, berInteger(0), tlv(0x04, Buffer.from('c'))))).toBeNull();
    expect(packetProblem(tlv(0x30, berInteger(3), tlv(0x30)))).toBeNull();
  });

  it('passes a frame with a long-form length', () => {
    const big = encodeRequest({ community: 'c'.repeat(300), pdu: PDU.get, oids: ['1.3.6.1'] });
    expect(big[1]).toBe(0x82);
    expect(packetProblem(big)).toBeNull();
  });

  it.each([
    ['empty', Buffer.alloc(0), 'not a BER SEQUENCE'],
    ['not a SEQUENCE', Buffer.from('GET / HTTP/1.0\r\n\r\n'), 'not a BER SEQUENCE'],
    ['truncated', get.subarray(0, get.length - 1), 'the SEQUENCE length does not match the datagram'],
    ['padded', Buffer.concat([get, Buffer.from([0])]), 'the SEQUENCE length does not match the datagram'],
    ['indefinite length', Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00]), 'the SEQUENCE length does not match the datagram'],
    ['a length longer than the datagram', Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), 'the SEQUENCE length does not match the datagram'],
    ['no version', tlv(0x30, tlv(0x04, Buffer.from('c'))), 'no version INTEGER'],
    ['a two-byte version', tlv(0x30, tlv(0x02, Buffer.from([0, 1]))), 'the version is not a one-byte INTEGER'],
    ['version 2', tlv(0x30, berInteger(2)), 'unknown SNMP version 2'],
  ])('refuses a packet that is %s', (_name, packet, reason) => {
    expect(packetProblem(packet)).toBe(reason);
  });

  it('refuses a packet larger than the cap before reading it', () => {
    const oids = Array.from({ length: 700 }, (_, i) => `1.3.6.1.2.1.15.3.1.${i}`);
    const huge = encodeRequest({ community: 'c', pdu: PDU.get, oids });
    expect(huge.length).toBeGreaterThan(MAX_PACKET_BYTES);
    expect(packetProblem(huge)).toBe(`larger than ${MAX_PACKET_BYTES} bytes`);
  });
});
