// SNMPv2c notifications to the configured receivers: one session per receiver, created at start,
// fire and forget (a trap has no answer; a receiver that is down loses it, as with any SNMP trap).
import { isIP } from 'node:net';
import snmp from 'net-snmp';

export interface TrapTarget {
  /** an IPv4 or IPv6 address literal */
  host: string;
  port: number;
}

export interface TrapVarbind {
  oid: string;
  type: snmp.ObjectType;
  value: number | string | Buffer;
}

export interface TrapSender {
  /** Sends to every target; `upTime` is sysUpTime.0 in hundredths of a second. */
  send(oid: string, varbinds: readonly TrapVarbind[], upTime: number): void;
  close(): void;
}

export function createTrapSender(options: {
  targets: readonly TrapTarget[];
  community: string;
  onError: (target: TrapTarget, error: Error) => void;
}): TrapSender {
  const sessions = options.targets.map((target) => {
    const session = snmp.createSession(target.host, options.community, {
      version: snmp.Version2c,
      transport: isIP(target.host) === 6 ? 'udp6' : 'udp4',
      trapPort: target.port,
    });
    session.on('error', (error: Error) => options.onError(target, error));
    return { target, session };
  });
  return {
    send(oid, varbinds, upTime) {
      for (const { target, session } of sessions) {
        session.trap(oid, [...varbinds] as snmp.Varbind[], { upTime }, (error) => {
          if (error) options.onError(target, error);
        });
      }
    },
    close() {
      for (const { session } of sessions) session.close();
    },
  };
}
