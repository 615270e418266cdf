// The directory of named network namespaces, watched: a name that appears is reported at once
// (a runtime that creates a container's namespace after the topology names it must not wait for
// the next resync), names that are not namespace names are ignored, and a directory that does
// not exist yet is watched once it does.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { watchNamespaceDir, type NamespaceDirWatch } from '../../src/agent/netns-watch.ts';
import { waitFor } from '../support/netns.ts';

let dir: string;
let watch: NamespaceDirWatch | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'netns-watch-'));
});
afterEach(() => {
  watch?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('reports a namespace name as soon as its entry appears', async () => {
  const seen: string[] = [];
  watch = watchNamespaceDir(join(dir), { onName: (name) => seen.push(name), retryMs: 60_000 });
  writeFileSync(join(dir, 'web-1'), '');
  await waitFor('web-1 reported', () => (seen.includes('web-1') ? true : undefined), 5000, 5);
});

it('ignores entries that are not network namespace names', async () => {
  const seen: string[] = [];
  watch = watchNamespaceDir(dir, { onName: (name) => seen.push(name), retryMs: 60_000 });
  writeFileSync(join(dir, '.hidden'), '');
  writeFileSync(join(dir, 'x'.repeat(65)), '');
  writeFileSync(join(dir, 'ok'), '');
  await waitFor('ok reported', () => (seen.includes('ok') ? true : undefined), 5000, 5);
  expect(seen.filter((n) => n !== 'ok')).toEqual([]);
});

it('watches a directory that appears after the start', async () => {
  const seen: string[] = [];
  const later = join(dir, 'netns');
  watch = watchNamespaceDir(later, { onName: (name) => seen.push(name), retryMs: 20 });
  await new Promise((r) => setTimeout(r, 50));
  mkdirSync(later);
  // The first name may land before the watch is back; any later one is reported.
  await waitFor('a name in the new directory', () => {
    writeFileSync(join(later, `db-${seen.length}`), '');
    return seen.length > 0 ? true : undefined;
  }, 5000, 50);
});
