// The SNMP agent: a read-only view of the session monitor over SNMPv2c (community) and SNMPv3
// (USM users with SHA authentication and AES privacy), on udp4 and/or udp6, plus traps on session
// changes. What is served where is described in oids.ts.
//
// There is no default community: without a community and without a v3 user the factory returns
// `{enabled: false}` and nothing listens. Every request first brings the MIB up to the monitor's
// latest snapshot (a no-op when it has not changed), so a poll never sees older data than the
// monitor holds.
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import snmp from 'net-snmp';
import { BirdctlError } from '../errors.ts';
import { rateLimitedLog } from '../rate-limit.ts';
import type { MonitorEvent, MonitorSnapshot, PeerSnapshot, SessionMonitor } from '../monitor/types.ts';
import { BgpMib, type NetSnmpMib } from './bgp-mib.ts';
import { BGP_BACKWARD_TRANS_NOTIFICATION, BGP_ESTABLISHED_NOTIFICATION, PEER_COLUMN, PROJECT_PEER_ENTRY } from './oids.ts';
import { packetProblem } from './packet-check.ts';
import { guardRequests } from './request-guard.ts';
import { PEER_COLUMNS, peerRow } from './rows.ts';
import { createTrapSender, type TrapSender, type TrapTarget, type TrapVarbind } from './traps.ts';

export interface SnmpListen {
  family: 'udp4' | 'udp6';
  address: string;
  /** 0 picks a free port; read it back with `listening()` */
  port: number;
}

/** An SNMPv3 user: always authPriv, SHA authentication, AES-128 privacy. */
export interface SnmpV3User {
  name: string;
  authKey: string;
  privKey: string;
}

export type SnmpLog = (level: 'info' | 'warn', message: string, context: Record<string, unknown>) => void;

export interface SnmpAgentOptions {
  listen: readonly SnmpListen[];
  community?: string | null;
  users?: readonly SnmpV3User[];
  /** the node's AS number */
  localAs: number;
  monitor: SessionMonitor;
  /** also serve the peer table at CISCO-BGP4-MIB's cbgpPeer2Entry */
  ciscoOids?: boolean;
  trapTargets?: readonly TrapTarget[];
  /** community for traps; defaults to `community` */
  trapCommunity?: string | null;
  /** the SNMPv3 engine ID (hex); default a random one per start */
  engineId?: string;
  /** epoch milliseconds; sysUpTime in traps counts from the agent's start */
  clock?: () => number;
  log?: SnmpLog;
}

export interface SnmpAgent {
  /** The sockets actually bound (with the port chosen when 0 was asked for). */
  listening(): SnmpListen[];
  /** Traps sent since start (one per notification and target). */
  trapsSent(): number;
  close(): Promise<void>;
}

export type SnmpAgentResult = { enabled: false; reason: string } | { enabled: true; agent: SnmpAgent };

/** Lines per message and window for the agent's log (see rate-limit.ts). */
const LOG_LIMIT = { lines: 10, intervalMs: 10_000 };
/** How much of a library error message (which may quote the packet) reaches the log. */
const MAX_ERROR_EXCERPT = 160;

const excerpt = (text: string): string => (text.length > MAX_ERROR_EXCERPT ? `${text.slice(0, MAX_ERROR_EXCERPT)}... (${text.length} characters)` : text);

/** Shortest passphrase net-snmp and Net-SNMP accept for key localisation (RFC 3414 section 11.2). */
const MIN_V3_KEY_LENGTH = 8;

function usage(message: string, hint: string): BirdctlError {
  return new BirdctlError('USAGE', message, { hint });
}

function validate(options: SnmpAgentOptions): void {
  if (options.community !== undefined && options.community !== null && !/^[\x21-\x7e]{1,64}$/.test(options.community)) {
    throw usage('the SNMP community must be 1 to 64 printable characters without spaces', 'pass --snmp-community with a non-trivial secret');
  }
  for (const user of options.users ?? []) {
    if (!/^[\x21-\x7e]{1,32}$/.test(user.name)) throw usage(`the SNMPv3 user name "${user.name}" is not valid`, 'use 1 to 32 printable characters without spaces');
    if (user.authKey.length < MIN_V3_KEY_LENGTH || user.privKey.length < MIN_V3_KEY_LENGTH) {
      throw usage(`the SNMPv3 user "${user.name}" has a key shorter than ${MIN_V3_KEY_LENGTH} characters`, 'SNMPv3 passphrases need at least 8 characters');
    }
  }
  if (!Number.isInteger(options.localAs) || options.localAs < 1 || options.localAs > 4294967295) {
    throw usage(`the local AS ${options.localAs} is not an AS number`, 'use 1..4294967295');
  }
  if (options.listen.length === 0) throw usage('the SNMP agent has nothing to listen on', 'give --snmp HOST:PORT');
  for (const socket of options.listen) {
    const family = isIP(socket.address);
    if (family === 0 || `udp${family}` !== socket.family) {
      throw usage(`the SNMP listen address "${socket.address}" is not an ${socket.family === 'udp6' ? 'IPv6' : 'IPv4'} address`, 'give an address literal such as ::1 or 127.0.0.1');
    }
    if (!Number.isInteger(socket.port) || socket.port < 0 || socket.port > 65535) throw usage(`the SNMP port ${socket.port} is out of range`, 'use 1..65535');
  }
  for (const target of options.trapTargets ?? []) {
    if (isIP(target.host) === 0) throw usage(`the SNMP trap receiver "${target.host}" is not an IP address`, 'give the receiver as ADDRESS:PORT, e.g. [fd00::5]:162');
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw usage(`the SNMP trap port ${target.port} is out of range`, 'use 1..65535');
  }
  if ((options.trapTargets ?? []).length > 0 && !(options.trapCommunity ?? options.community)) {
    throw usage('SNMP trap receivers are configured but there is no community to send them with', 'set --snmp-community (traps are SNMPv2c)');
  }
}

/** What the agent does with each datagram before and around net-snmp's own handler. */
interface PacketHooks {
  /** runs ahead of every request net-snmp will see */
  beforeRequest: () => void;
  refused: (reason: string, from: dgram.RemoteInfo) => void;
  failed: (error: unknown, from: dgram.RemoteInfo) => void;
}

type MessageHandler = (packet: Buffer, from: dgram.RemoteInfo) => void;

/**
 * net-snmp's message handler behind the packet check, and contained: whatever the library throws
 * for one packet is that packet's failure, never an exception out of the socket's event.
 */
function screened(handler: MessageHandler, hooks: PacketHooks): MessageHandler {
  return (packet, from) => {
    const problem = packetProblem(packet);
    if (problem !== null) {
      hooks.refused(problem, from);
      return;
    }
    try {
      hooks.beforeRequest();
      handler(packet, from);
    } catch (error) {
      hooks.failed(error, from);
    }
  };
}

/**
 * A dgram module for net-snmp's listener. net-snmp turns port 0 into 161 and binds IPv6 sockets
 * dual-stack; this one binds exactly the requested port and address, IPv6-only (so `::` and
 * `0.0.0.0` can be listened on together), and puts net-snmp's message handler behind `screened`.
 */
function listenerDgram(listen: readonly SnmpListen[], hooks: PacketHooks, sockets: dgram.Socket[]) {
  return {
    createSocket(type: 'udp4' | 'udp6') {
      const wanted = listen[sockets.length];
      if (wanted === undefined || wanted.family !== type) throw new Error(`unexpected ${type} socket from net-snmp`);
      const socket = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
      const bind = socket.bind.bind(socket);
      socket.bind = ((..._ignored: unknown[]) => bind(wanted.port, wanted.address)) as typeof socket.bind;
      const on = socket.on.bind(socket);
      // net-snmp registers its handler with socket.on('message', ...) (Listener.prototype.startListening).
      socket.on = ((event: string, listener: MessageHandler) => on(event, event === 'message' ? screened(listener, hooks) : listener)) as typeof socket.on;
      sockets.push(socket);
      return socket;
    },
  };
}

function waitListening(socket: dgram.Socket, listen: SnmpListen): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('listening', () => resolve());
    socket.once('error', (error) =>
      reject(
        new BirdctlError('USAGE', `cannot listen for SNMP on ${listen.family} ${listen.address} port ${listen.port}: ${error.message}`, {
          hint: 'choose a free port and an address of this host',
          cause: error,
        }),
      ),
    );
  });
}

function trapVarbinds(peer: PeerSnapshot, snapshot: MonitorSnapshot, localAs: number): TrapVarbind[] {
  const row = peerRow(peer, { localAs, routerId: snapshot.daemon.routerId });
  if (row === null) return [];
  const valueOf = (column: (typeof PEER_COLUMNS)[number]) => row.values[PEER_COLUMNS.indexOf(column)] as number | string;
  const at = (column: number) => `${PROJECT_PEER_ENTRY}.${column}.${row.indexOid}`;
  return [
    { oid: at(PEER_COLUMN.state), type: snmp.ObjectType.Integer, value: valueOf(PEER_COLUMN.state) },
    { oid: at(PEER_COLUMN.lastErrorTxt), type: snmp.ObjectType.OctetString, value: valueOf(PEER_COLUMN.lastErrorTxt) },
    { oid: at(PEER_COLUMN.prevState), type: snmp.ObjectType.Integer, value: valueOf(PEER_COLUMN.prevState) },
  ];
}

export async function createSnmpAgent(options: SnmpAgentOptions): Promise<SnmpAgentResult> {
  const community = options.community || null;
  const users = options.users ?? [];
  if (community === null && users.length === 0) {
    return { enabled: false, reason: 'no SNMP community and no SNMPv3 user configured' };
  }
  validate(options);
  const clock = options.clock ?? Date.now;
  // Every refused or failed packet is a line; a flood of them is a few lines and a count.
  const limited = rateLimitedLog<'info' | 'warn'>(options.log ?? (() => {}), LOG_LIMIT);
  const log: SnmpLog = limited.log;
  const startedAt = clock();
  const { monitor, localAs } = options;

  let mib: BgpMib | undefined;
  const syncToMonitor = (): void => mib?.sync(monitor.current());
  const sockets: dgram.Socket[] = [];
  const agent = snmp.createAgent(
    {
      sockets: options.listen.map((l) => ({ transport: l.family, address: l.address, port: l.port })),
      dgramModule: listenerDgram(
        options.listen,
        {
          beforeRequest: syncToMonitor,
          refused: (reason, from) => log('warn', 'SNMP packet dropped', { reason, from: `${from.address}:${from.port}` }),
          failed: (error, from) => log('warn', 'SNMP request failed', { error: excerpt(String(error instanceof Error ? error.message : error)), from: `${from.address}:${from.port}` }),
        },
        sockets,
      ),
      accessControlModelType: snmp.AccessControlModelType.Simple,
      ...(options.engineId === undefined ? {} : { engineID: options.engineId }),
    },
    (error: (Error & { rinfo?: { address: string; port: number } }) | null) => {
      // Called for every answered request too; only failures are worth a line. The library's
      // message quotes the packet's community or user name: only a bounded excerpt is logged.
      if (error) log('warn', 'SNMP request refused', { error: excerpt(error.message), from: error.rinfo ? `${error.rinfo.address}:${error.rinfo.port}` : undefined });
    },
  );
  // Before the first await, so no request reaches the library's dispatch unguarded.
  guardRequests(agent, (reason, from) => log('warn', 'SNMP request refused', { error: reason, from: `${from.address}:${from.port}` }));
  try {
    await Promise.all(sockets.map((socket, i) => waitListening(socket, options.listen[i] as SnmpListen)));
  } catch (error) {
    for (const socket of sockets) socket.close();
    throw error;
  }

  mib = new BgpMib(agent.getMib() as NetSnmpMib, { localAs, ciscoOids: options.ciscoOids ?? false });
  syncToMonitor();
  const authorizer = agent.getAuthorizer();
  if (community !== null) authorizer.addCommunity(community);
  for (const user of users) {
    authorizer.addUser({
      name: user.name,
      level: snmp.SecurityLevel.authPriv,
      authProtocol: snmp.AuthProtocols.sha,
      authKey: user.authKey,
      privProtocol: snmp.PrivProtocols.aes,
      privKey: user.privKey,
    });
  }

  const targets = options.trapTargets ?? [];
  let trapsSent = 0;
  const traps: TrapSender | null =
    targets.length === 0
      ? null
      : createTrapSender({
          targets,
          community: (options.trapCommunity || community) as string,
          onError: (target, error) => log('warn', 'SNMP trap not sent', { target: `${target.host}:${target.port}`, error: error.message }),
        });

  const onEvent = (event: MonitorEvent, snapshot: MonitorSnapshot): void => {
    // The MIB shows the state the event announces before any receiver can poll back.
    mib?.sync(snapshot);
    if (traps === null || (event.type !== 'peerUp' && event.type !== 'peerDown')) return;
    const oid = event.type === 'peerUp' ? BGP_ESTABLISHED_NOTIFICATION : BGP_BACKWARD_TRANS_NOTIFICATION;
    const upTime = Math.floor((clock() - startedAt) / 10);
    traps.send(oid, trapVarbinds(event.peer, snapshot, localAs), upTime);
    trapsSent += targets.length;
  };
  const unsubscribe = monitor.subscribe(onEvent);

  const bound = sockets.map((socket, i) => ({ ...(options.listen[i] as SnmpListen), port: socket.address().port }));
  log('info', 'SNMP agent listening', {
    sockets: bound.map((b) => `${b.family}:${b.address}:${b.port}`),
    v2c: community !== null,
    v3Users: users.map((u) => u.name),
    ciscoOids: options.ciscoOids ?? false,
    trapTargets: targets.map((t) => `${t.host}:${t.port}`),
  });

  return {
    enabled: true,
    agent: {
      listening: () => bound.map((b) => ({ ...b })),
      trapsSent: () => trapsSent,
      close: async () => {
        unsubscribe();
        traps?.close();
        limited.flush();
        await new Promise<void>((resolve) => {
          let open = sockets.length;
          if (open === 0) resolve();
          agent.close(() => {
            open -= 1;
            if (open === 0) resolve();
          });
        });
      },
    },
  };
}
