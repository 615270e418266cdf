// Where bird6's control socket usually lives. Debian's bird package runs bird6 with
// /run/bird/bird6.ctl; a bird6 built from source defaults to /var/run/bird6.ctl. `--socket` wins.
import { existsSync } from 'node:fs';

export const DEFAULT_SOCKET_PATHS = ['/run/bird/bird6.ctl', '/var/run/bird6.ctl'] as const;

/**
 * The explicit path when given; otherwise the first default that exists, or the first default
 * when none does (so the unreachable error names the usual place).
 */
export function resolveSocketPath(explicit: string | undefined, exists: (path: string) => boolean = existsSync): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  return DEFAULT_SOCKET_PATHS.find((path) => exists(path)) ?? DEFAULT_SOCKET_PATHS[0];
}
