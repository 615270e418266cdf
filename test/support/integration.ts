// Gatekeeper for tests that need root, network namespaces or real binaries. On a developer's
// machine without them the suite is skipped with the reason; in CI (REQUIRE_INTEGRATION=1) a missing
// prerequisite fails the suite instead, so CI can never pass by skipping.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';

function hasBinary(name: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function canUseNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = `probe-${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Prerequisites {
  root?: boolean;
  netns?: boolean;
  binaries?: string[];
}

/** The reasons the prerequisites are not met; empty when they are. */
export function missingPrerequisites(required: Prerequisites): string[] {
  const missing: string[] = [];
  if ((required.root || required.netns) && process.getuid?.() !== 0) missing.push('root');
  else if (required.netns && !canUseNetns()) missing.push('network namespaces (ip netns add failed)');
  for (const binary of required.binaries ?? []) if (!hasBinary(binary)) missing.push(`the ${binary} binary`);
  return missing;
}

/**
 * `describe` for an integration suite: runs it when the prerequisites are met; otherwise fails
 * under REQUIRE_INTEGRATION=1 and skips (saying why) elsewhere.
 */
export function describeIntegration(name: string, required: Prerequisites, body: () => void): void {
  const missing = missingPrerequisites(required);
  if (missing.length === 0) {
    describe(name, body);
  } else if (process.env.REQUIRE_INTEGRATION === '1') {
    describe(name, () => {
      it(`has its prerequisites`, () => {
        throw new Error(`REQUIRE_INTEGRATION=1 but this suite lacks: ${missing.join(', ')}`);
      });
    });
  } else {
    describe.skipIf(true)(`${name} (needs ${missing.join(', ')})`, body);
  }
}
