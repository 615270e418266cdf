// Docker mounts /proc/sys read-only in a container that is not privileged. The endpoint programmer
// writes IPv6 sysctls (DAD off inside each container namespace it wires, per-interface settings
// of the veths it makes), all under /proc/sys/net, which belongs to the network namespace of the
// reader. So only that subtree is made writable again, by a bind mount in this container's own
// mount namespace (CAP_SYS_ADMIN); the host-wide /proc/sys/kernel, vm and fs stay read-only.
import { accessSync, constants } from 'node:fs';
import type { Runner } from '../exec.ts';
import { mustRun } from './run.ts';

const NET_SYSCTLS = '/proc/sys/net';

function writable(): boolean {
  try {
    accessSync(`${NET_SYSCTLS}/ipv6/conf/all/forwarding`, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Returns whether a remount was needed. */
export async function makeNetSysctlsWritable(runner: Runner): Promise<boolean> {
  if (writable()) return false;
  await mustRun(runner, 'mount', ['--bind', NET_SYSCTLS, NET_SYSCTLS]);
  await mustRun(runner, 'mount', ['-o', 'remount,bind,rw', NET_SYSCTLS]);
  return true;
}
