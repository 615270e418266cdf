// A unified diff (the `diff -u` format: `---`/`+++` headers, `@@ -a,b +c,d @@` hunks with three
// lines of context) of two texts, line by line. The lines both texts share at the start and at the
// end are set aside first, so an edit of a few lines in a config of thousands costs a table of
// only the changed middle; that middle is aligned by a longest common subsequence.
export interface DiffOptions {
  fromLabel: string;
  toLabel: string;
  /** Lines of context around each change. Default 3, as `diff -u`. */
  context?: number;
}

type Op = { kind: ' ' | '-' | '+'; line: string };

/**
 * Above this many cells (middle lines of one text times the other's) the middle is shown as all
 * removed then all added instead of aligned: a correct diff, only not the shortest, with a bounded
 * table (64 Mi cells of 4 bytes = 256 MiB was too much; 16 Mi cells = 64 MiB is the cap).
 */
const MAX_TABLE_CELLS = 16 * 1024 * 1024;

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The edit script of a against b: the shared lines ' ', a's own '-', b's own '+', in order. */
function lineOps(a: readonly string[], b: readonly string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA -= 1;
    endB -= 1;
  }
  const ops: Op[] = a.slice(0, start).map((line) => ({ kind: ' ', line }));
  const n = endA - start;
  const m = endB - start;
  if (n * m > MAX_TABLE_CELLS) {
    for (let i = start; i < endA; i += 1) ops.push({ kind: '-', line: a[i]! });
    for (let j = start; j < endB; j += 1) ops.push({ kind: '+', line: b[j]! });
  } else {
    // lcs[i][j]: length of the longest common subsequence of a's middle from i and b's from j.
    const width = m + 1;
    const lcs = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i -= 1) {
      for (let j = m - 1; j >= 0; j -= 1) {
        lcs[i * width + j] = a[start + i] === b[start + j] ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
      }
    }
    // On a tie a removal goes first, so a changed line reads `-old` then `+new`, as in diff -u.
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[start + i] === b[start + j]) {
        ops.push({ kind: ' ', line: a[start + i]! });
        i += 1;
        j += 1;
      } else if (j < m && (i === n || lcs[i * width + j + 1]! > lcs[(i + 1) * width + j]!)) {
        ops.push({ kind: '+', line: b[start + j]! });
        j += 1;
      } else {
        ops.push({ kind: '-', line: a[start + i]! });
        i += 1;
      }
    }
  }
  for (let i = endA; i < a.length; i += 1) ops.push({ kind: ' ', line: a[i]! });
  return ops;
}

/** `diff -u` of two texts; '' when they are equal. */
export function unifiedDiff(from: string, to: string, options: DiffOptions): string {
  if (from === to) return '';
  const context = options.context ?? 3;
  const ops = lineOps(splitLines(from), splitLines(to));
  const hunks: string[] = [];
  // Line numbers of ops[counted] in each text; the cursor only moves on, so all hunks together
  // count the ops once instead of each hunk counting from the top.
  let counted = 0;
  let fromLine = 1;
  let toLine = 1;
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k += 1;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` after the last change that is
    // at most 2 * context shared lines after the previous one.
    const first = Math.max(0, k - context);
    let last = k;
    for (let scan = k; scan < ops.length; scan += 1) {
      if (ops[scan]!.kind !== ' ') last = scan;
      else if (scan - last > 2 * context) break;
    }
    const end = Math.min(ops.length, last + context + 1);
    for (; counted < first; counted += 1) {
      if (ops[counted]!.kind !== '+') fromLine += 1;
      if (ops[counted]!.kind !== '-') toLine += 1;
    }
    const body = ops.slice(first, end);
    const fromCount = body.filter((o) => o.kind !== '+').length;
    const toCount = body.filter((o) => o.kind !== '-').length;
    // As diff -u: an empty range is numbered by the line before it.
    const range = (startLine: number, count: number) => `${count === 0 ? startLine - 1 : startLine},${count}`;
    hunks.push(`@@ -${range(fromLine, fromCount)} +${range(toLine, toCount)} @@\n${body.map((o) => `${o.kind}${o.line}\n`).join('')}`);
    k = end;
  }
  return `--- ${options.fromLabel}\n+++ ${options.toLabel}\n${hunks.join('')}`;
}
