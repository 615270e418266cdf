// Where the SNMP agent serves what.
//
// BGP4-MIB (RFC 4273) scalars, at their standard places:
//   1.3.6.1.2.1.15.1.0  bgpVersion     OCTET STRING, a bit per supported version: 0x10 = version 4
//   1.3.6.1.2.1.15.2.0  bgpLocalAs     INTEGER (0..65535); 23456 (AS_TRANS) when the AS needs 32 bits
//   1.3.6.1.2.1.15.4.0  bgpIdentifier  IpAddress, the daemon's router id
// BGP4-MIB's own peer table is indexed by an IPv4 address, so it cannot list IPv6 sessions. The peer
// table here copies CISCO-BGP4-MIB's cbgpPeer2Entry instead: the same column numbers and types,
// indexed by InetAddressType (always 2, ipv6) then InetAddress (length 16, then the 16 bytes), e.g.
//   <entry>.3.2.16.253.0.0.236.0.0.0.0.0.0.0.0.0.0.0.2   state of the session to fd00:ec::2
//
// It lives under the project's own arc, PROJECT_ARC.1.1 (table) / .1.1.1 (entry). PROJECT_ARC is
// 1.3.6.1.4.1.4242420, a private-enterprise number that IANA has not assigned (assignments are
// below 70000 today) and that this project uses for nothing else; a site that needs a registered
// number can rewrite it here, the layout under it stays the same. With `ciscoOids` the same rows are
// also served at CISCO-BGP4-MIB's cbgpPeer2Entry, 1.3.6.1.4.1.9.9.187.1.2.5.1, for pollers that
// already know that table.
//
// Notifications are sent as SNMPv2c traps with BGP4-MIB's notification OIDs, which every NMS knows:
//   1.3.6.1.2.1.15.0.1  bgpEstablishedNotification    when a session enters Established
//   1.3.6.1.2.1.15.0.2  bgpBackwardTransNotification  when it leaves Established
// BGP4-MIB's own varbinds for them are IPv4-indexed, so the traps carry the peer's row in the
// project table instead: state (.3), last error text (.28) and previous state (.29) of that peer.

export const BGP4_MIB = '1.3.6.1.2.1.15';
export const BGP_VERSION = `${BGP4_MIB}.1`;
export const BGP_LOCAL_AS = `${BGP4_MIB}.2`;
export const BGP_IDENTIFIER = `${BGP4_MIB}.4`;

export const BGP_ESTABLISHED_NOTIFICATION = `${BGP4_MIB}.0.1`;
export const BGP_BACKWARD_TRANS_NOTIFICATION = `${BGP4_MIB}.0.2`;

export const PROJECT_ARC = '1.3.6.1.4.1.4242420';
/** The project's peer table entry (cbgpPeer2Entry's shape). */
export const PROJECT_PEER_ENTRY = `${PROJECT_ARC}.1.1.1`;
/** CISCO-BGP4-MIB cbgpPeer2Entry. */
export const CISCO_PEER2_ENTRY = '1.3.6.1.4.1.9.9.187.1.2.5.1';

/** cbgpPeer2Entry column numbers (CISCO-BGP4-MIB); only those the monitor can fill are served. */
export const PEER_COLUMN = {
  type: 1,
  remoteAddr: 2,
  state: 3,
  adminStatus: 4,
  localAddr: 6,
  localAs: 8,
  localIdentifier: 9,
  remoteAs: 11,
  remoteIdentifier: 12,
  inUpdates: 13,
  fsmEstablishedTransitions: 18,
  fsmEstablishedTime: 19,
  lastErrorTxt: 28,
  prevState: 29,
} as const;

/** InetAddressType (INET-ADDRESS-MIB) */
export const INET_ADDRESS_TYPE_IPV6 = 2;

/** sysUpTime.0 and snmpTrapOID.0, the first two varbinds of every SNMPv2 trap. */
export const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
export const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
