// Names another container's network namespace the way `ip netns add` names its own: a bind mount
// of /proc/PID/ns/net on /run/netns/NAME. After that every `ip -n NAME` and `ip netns exec NAME`
// the endpoint programmer runs reaches it. The mounts live in this container's mount namespace
// only (and /run is a tmpfs there), so they vanish with the container and none goes stale.
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Runner } from '../exec.ts';
import { mustRun } from './run.ts';

const NETNS_DIR = '/run/netns';

/** The inode /run/netns/NAME leads to, or undefined when there is no such entry. */
export function boundInode(name: string): number | undefined {
  try {
    return statSync(`${NETNS_DIR}/${name}`).ino;
  } catch {
    return undefined;
  }
}

export async function bindNetns(runner: Runner, name: string, pid: number): Promise<void> {
  mkdirSync(NETNS_DIR, { recursive: true });
  const target = `${NETNS_DIR}/${name}`;
  writeFileSync(target, '', { flag: 'a' });
  await mustRun(runner, 'mount', ['--bind', `/proc/${pid}/ns/net`, target]);
}

/** Removes the name; the namespace itself goes once its last process has gone. */
export async function unbindNetns(runner: Runner, name: string): Promise<void> {
  const target = `${NETNS_DIR}/${name}`;
  // Not mounted (a bind that failed half way) is fine: the entry is removed either way.
  await runner.run('umount', [target]);
  rmSync(target, { force: true });
}
