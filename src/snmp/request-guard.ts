// Bounds on what one decoded request may make net-snmp's agent do, installed on the agent's own
// dispatch methods: those run after the library has authenticated (and for SNMPv3 decrypted) the
// message, so the same checks cover v2c and v3 (net-snmp 3.29.2 index.js, Agent.prototype.onMsg).
//
// - A request naming more than MAX_REQUEST_VARBINDS variables is answered tooBig with no variables
//   (RFC 3416 section 4.2.1 allows an agent to refuse a response it will not build).
// - GETBULK: net-snmp counts max-repetitions as the total number of variables in the response and
//   keeps adding endOfMibView until it reaches it, so max-repetitions 2147483647 never ends. It is
//   clamped to MAX_RESPONSE_VARBINDS, and non-repeaters to the request's variables (a negative one
//   made the library read past the start of the list). RFC 3416 section 4.2.3 lets an agent answer
//   fewer repetitions than asked.
// - A request left without variables (a GETBULK with max-repetitions 0) is answered with none.
// - An OID the library's MIB cannot hold (Mib.convertOidToAddress throws RangeError for a first
//   arc above 2 or an arc above 2^31-1; its BER reader renders X.690's 2.40, first byte 0x78, as
//   "3.0") is looked up as an OID that is in no MIB and put back into the response, so a Get of it
//   is answered noSuchObject, like any other OID this agent does not serve. Its BER writer, though,
//   writes the first two arcs as one byte: a request naming such an OID whose first subidentifier
//   is above 127 (2.48 and beyond) could only be answered under a different OID, so it is refused.
import type { RemoteInfo } from 'node:dgram';

/** A request asking for more variables than this is answered tooBig. */
export const MAX_REQUEST_VARBINDS = 64;
/** The most variables one GETBULK response holds. */
export const MAX_RESPONSE_VARBINDS = 64;

const MAX_LIBRARY_ARC = 2 ** 31 - 1;
/** In no MIB (0.0 is ITU-T recommendations) and long enough to escape net-snmp's rewrite of OIDs under 4 arcs to 1.3.6.1. */
const ABSENT_OID = '0.0.0.0';
/** RFC 3416 error-status tooBig */
const TOO_BIG = 1;

interface Varbind {
  oid: string;
}

interface Pdu {
  varbinds: Varbind[];
  nonRepeaters?: number;
  maxRepetitions?: number;
}

interface Message {
  pdu: Pdu & { getResponsePduForRequest(): ResponsePdu };
}

interface ResponsePdu {
  varbinds: Varbind[];
  errorStatus?: number;
  errorIndex?: number;
}

type Dispatch = (socket: unknown, message: Message, rinfo: RemoteInfo) => void;

/** The parts of net-snmp's Agent (index.js) the guard wraps; @types/net-snmp does not declare them. */
interface AgentInternals {
  getRequest: Dispatch;
  getNextRequest: Dispatch;
  getBulkRequest: Dispatch;
  setRequest: Dispatch;
  request: Dispatch;
  sendResponse(socket: unknown, rinfo: RemoteInfo, message: Message, response: ResponsePdu): void;
}

/** Whether net-snmp's MIB can look `oid` up without throwing (Mib.convertOidToAddress). */
export function libraryCanHold(oid: string): boolean {
  if (!/^\d+(\.\d+)+$/.test(oid)) return false;
  const arcs = oid.split('.').map(Number);
  const [first, second] = arcs as [number, number];
  if (first > 2 || (first < 2 && second > 39)) return false;
  return arcs.every((arc) => arc <= MAX_LIBRARY_ARC);
}

/** Whether net-snmp's BER writer puts `oid` back on the wire as it read it (Writer.prototype.writeOID: one byte for the first two arcs). */
function libraryCanWrite(oid: string): boolean {
  const [first, second] = oid.split('.').map(Number) as [number, number];
  return first * 40 + second <= 0x7f;
}

const clamp = (value: number | undefined, min: number, max: number): number => Math.min(Math.max(Number.isInteger(value) ? (value as number) : 0, min), max);

/** Installs the bounds on `agent` (a net-snmp Agent); `refused` hears of each request dropped. */
export function guardRequests(agent: unknown, refused: (reason: string, from: RemoteInfo) => void): void {
  const internals = agent as AgentInternals;
  // OIDs replaced by ABSENT_OID for the lookup, by position, to be restored in the response.
  const replaced = new WeakMap<Message, Map<number, string>>();

  const tooBig = (socket: unknown, message: Message, rinfo: RemoteInfo): void => {
    const response = message.pdu.getResponsePduForRequest();
    response.errorStatus = TOO_BIG;
    response.errorIndex = 0;
    response.varbinds = [];
    internals.sendResponse(socket, rinfo, message, response);
  };

  const bounded = (dispatch: Dispatch): Dispatch =>
    function (this: AgentInternals, socket, message, rinfo) {
      if (message.pdu.varbinds.length > MAX_REQUEST_VARBINDS) tooBig(socket, message, rinfo);
      else dispatch.call(this, socket, message, rinfo);
    };

  internals.getRequest = bounded(internals.getRequest);
  internals.getNextRequest = bounded(internals.getNextRequest);
  internals.setRequest = bounded(internals.setRequest);

  const getBulk = internals.getBulkRequest;
  internals.getBulkRequest = bounded(function (this: AgentInternals, socket, message, rinfo) {
    const pdu = message.pdu;
    pdu.nonRepeaters = clamp(pdu.nonRepeaters, 0, pdu.varbinds.length);
    pdu.maxRepetitions = clamp(pdu.maxRepetitions, 0, MAX_RESPONSE_VARBINDS);
    getBulk.call(this, socket, message, rinfo);
  });

  // Get and Set look each OID up as given (GetNext and GETBULK already fall back to a lookup the
  // library can hold, Agent.prototype.addGetNextVarbind).
  const request = internals.request;
  internals.request = function (this: AgentInternals, socket, message, rinfo) {
    // net-snmp answers once every varbind is done, so a request without varbinds (a GETBULK with
    // max-repetitions 0) was never answered; RFC 3416 section 4.2.3 answers it with none.
    if (message.pdu.varbinds.length === 0) {
      internals.sendResponse(socket, rinfo, message, message.pdu.getResponsePduForRequest());
      return;
    }
    const originals = new Map<number, string>();
    message.pdu.varbinds.forEach((varbind, i) => {
      if (!libraryCanHold(varbind.oid)) originals.set(i, varbind.oid);
    });
    if ([...originals.values()].some((oid) => !libraryCanWrite(oid))) {
      refused('an OID beyond 2.47 that net-snmp cannot write back', rinfo);
      return;
    }
    for (const i of originals.keys()) (message.pdu.varbinds[i] as Varbind).oid = ABSENT_OID;
    if (originals.size > 0) replaced.set(message, originals);
    request.call(this, socket, message, rinfo);
  };

  const sendResponse = internals.sendResponse;
  internals.sendResponse = function (this: AgentInternals, socket, rinfo, message, response) {
    for (const [i, oid] of replaced.get(message) ?? []) {
      const varbind = response.varbinds[i];
      if (varbind !== undefined) varbind.oid = oid;
    }
    replaced.delete(message);
    sendResponse.call(this, socket, rinfo, message, response);
  };
}
