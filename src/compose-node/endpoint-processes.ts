// Which of the processes this container can see belong to which endpoint container. In the
// one-host compose cluster every endpoint container joins its node's PID namespace and carries its
// endpoint's name in its environment (see lab/compose.ts), so its processes show up in /proc here
// and /proc/PID/ns/net leads to its network namespace. A workload can fake the variable, so a name
// is only trusted when every process claiming it sits in one network namespace (the caller checks).
import { readdirSync, readFileSync, statSync } from 'node:fs';

/** The environment variable naming the endpoint a container stands for. */
export const ENDPOINT_ENV = 'BIRD6_ENDPOINT';

/** The endpoint a process's environment (`/proc/PID/environ`, NUL-separated) names, if any. */
export function endpointOfEnviron(environ: string): string | undefined {
  const prefix = `${ENDPOINT_ENV}=`;
  const entry = environ.split('\0').find((e) => e.startsWith(prefix));
  return entry?.slice(prefix.length);
}

export interface EndpointProcess {
  pid: number;
  /** inode of its network namespace (the same for every process of one container) */
  netnsInode: number;
}

function netnsInode(pid: number | 'self', proc: string): number | undefined {
  try {
    return statSync(`${proc}/${pid}/ns/net`).ino;
  } catch {
    return undefined;
  }
}

/**
 * The processes that name one of `wanted` in their environment and live outside this process's
 * own network namespace, by endpoint name. Processes that vanish mid-scan are skipped.
 */
export function findEndpointProcesses(wanted: ReadonlySet<string>, proc = '/proc'): Map<string, EndpointProcess[]> {
  const own = netnsInode('self', proc);
  const found = new Map<string, EndpointProcess[]>();
  for (const entry of readdirSync(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let environ: string;
    try {
      environ = readFileSync(`${proc}/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    const name = endpointOfEnviron(environ);
    if (name === undefined || !wanted.has(name)) continue;
    const inode = netnsInode(pid, proc);
    if (inode === undefined || inode === own) continue;
    found.set(name, [...(found.get(name) ?? []), { pid, netnsInode: inode }]);
  }
  return found;
}
