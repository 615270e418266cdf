import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/plan/unified-diff.ts';

const labels = { fromLabel: 'a', toLabel: 'b' };

/** Applies a unified diff to `from` hunk by hunk, checking every context and removed line. */
function applyDiff(from: string, diff: string): string {
  const source = from === '' ? [] : from.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let at = 0;
  const lines = diff.split('\n').slice(2, -1);
  for (let i = 0; i < lines.length; ) {
    const m = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/.exec(lines[i]!);
    if (m === null) throw new Error(`not a hunk header: ${lines[i]}`);
    const start = Number(m[2]) === 0 ? Number(m[1]) : Number(m[1]) - 1;
    while (at < start) out.push(source[at++]!);
    i += 1;
    while (i < lines.length && !lines[i]!.startsWith('@@')) {
      const [kind, text] = [lines[i]![0], lines[i]!.slice(1)];
      if (kind === '+') out.push(text);
      else {
        if (source[at] !== text) throw new Error(`line ${at + 1} is ${JSON.stringify(source[at])}, the diff says ${JSON.stringify(text)}`);
        if (kind === ' ') out.push(text);
        at += 1;
      }
      i += 1;
    }
  }
  while (at < source.length) out.push(source[at++]!);
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', labels)).toBe('');
  });

  it('prints what diff -u prints for one changed line among many', () => {
    const from = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const to = from.replace('line 10\n', 'line ten\n').replace('line 20\n', 'line 20\nline 21\n');
    const dir = mkdtempSync(join(tmpdir(), 'obs-diff-'));
    writeFileSync(join(dir, 'a'), from);
    writeFileSync(join(dir, 'b'), to);
    let expected = '';
    try {
      execFileSync('diff', ['-u', '--label', 'a', '--label', 'b', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
    } catch (error) {
      expected = (error as { stdout: string }).stdout;
    }
    expect(unifiedDiff(from, to, labels)).toBe(expected);
    expect(expected).toContain('@@ -7,7 +7,7 @@');
  });

  it('numbers an empty side as diff -u does', () => {
    expect(unifiedDiff('', 'x\ny\n', labels)).toBe('--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n');
    expect(unifiedDiff('x\n', '', labels)).toBe('--- a\n+++ b\n@@ -1,1 +0,0 @@\n-x\n');
  });

  it('gives a diff that turns the one text into the other, with no more changed lines than needed, for random edits', () => {
    const next = random(7);
    for (let round = 0; round < 200; round += 1) {
      const from = Array.from({ length: Math.floor(next() * 30) }, () => `l${Math.floor(next() * 6)}`);
      const to = from.flatMap((line) => (next() < 0.2 ? [] : next() < 0.2 ? [line, `n${Math.floor(next() * 6)}`] : [line]));
      const a = from.length ? `${from.join('\n')}\n` : '';
      const b = to.length ? `${to.join('\n')}\n` : '';
      const diff = unifiedDiff(a, b, labels);
      if (a === b) expect(diff).toBe('');
      else expect(applyDiff(a, diff)).toBe(b);
      // Only deletions and insertions made `to`: at most that many lines change.
      const changed = diff.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l)).length;
      expect(changed).toBeLessThanOrEqual(from.length - to.filter((l) => l.startsWith('l')).length + to.filter((l) => l.startsWith('n')).length);
    }
  });
});
