// Files are replaced atomically (bird6.conf, rendered configs, dnsmasq's files): written beside
// the target, flushed, then renamed over it, so a reader (bird6, dnsmasq, an operator) sees the
// old file or the new one, never half of one.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A temporary name in the target's directory (rename is only atomic within one filesystem). */
function stagingPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
}

export async function writeStaged(target: string, content: string): Promise<string> {
  await mkdir(dirname(target), { recursive: true });
  const staged = stagingPath(target);
  const handle = await open(staged, 'w', 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return staged;
}

export async function writeFileAtomic(target: string, content: string): Promise<void> {
  const staged = await writeStaged(target, content);
  try {
    await rename(staged, target);
  } catch (error) {
    await rm(staged, { force: true });
    throw error;
  }
}
