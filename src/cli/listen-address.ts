// HOST:PORT arguments (`--ws`, `--snmp`, `--snmp-trap`): IPv6 hosts in brackets, as in URLs, so
// the port is never ambiguous (`[::1]:8080`, `127.0.0.1:8080`).
import { isIP } from 'node:net';
import { usageError } from './command.ts';

export interface HostPort {
  host: string;
  port: number;
  family: 4 | 6;
}

export function parseHostPort(option: string, text: string, { allowZeroPort = true } = {}): HostPort {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  const host = match?.[1];
  const port = Number(match?.[2]);
  const family = host === undefined ? 0 : isIP(host);
  if (match === null || family === 0 || port > 65535 || (!allowZeroPort && port === 0)) {
    throw usageError('agent', `${option} ${JSON.stringify(text)} is not ADDRESS:PORT (write IPv6 addresses in brackets, e.g. [::1]:8080)`);
  }
  return { host: host!, port, family: family as 4 | 6 };
}
