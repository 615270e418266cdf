// What a node container needs before its agent starts in compose mode: /run is a fresh tmpfs there
// (so no /run/netns entry survives a restart), hence bird6's socket directory is made here, and
// the IPv6 sysctls the programmer writes must be writable (writable-net-sysctls.ts).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Runner } from '../exec.ts';
import { makeNetSysctlsWritable } from './writable-net-sysctls.ts';

export async function prepareComposeNode(runner: Runner, socketPath: string): Promise<{ remounted: boolean }> {
  mkdirSync(dirname(socketPath), { recursive: true });
  return { remounted: await makeNetSysctlsWritable(runner) };
}
