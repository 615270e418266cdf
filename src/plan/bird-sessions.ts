// The BGP sessions of a bird6.conf and what changes between two of them: sessions added, removed,
// and changed, and of the changed ones which BIRD restarts. Read from the configuration text, not
// from the topology, so it compares what is on disk (whoever wrote it) with a new render.
//
// BIRD 1.6 reconfigures a BGP protocol in place when only its generic options differ (its filters,
// description, preference: nest/proto.c proto_reconfigure reloads the routes through the new
// filters) and restarts it when any BGP option differs (proto/bgp/bgp.c bgp_reconfigure compares
// the whole BGP part of the config). Checked on bird6 1.6.8: `import none`, `description` and
// `preference` kept the session up across `configure`; `hold time` restarted it.

/** One `protocol bgp` block with its template chain expanded: its statements, normalised. */
export interface BgpProtocolConfig {
  name: string;
  statements: string[];
}

export interface SessionChange {
  name: string;
  /** true when BIRD restarts the session to apply the change; false: reconfigured in place */
  restart: boolean;
  /** statements only the current config has, then only the new one, as normalised */
  removed: string[];
  added: string[];
}

export interface SessionChanges {
  added: string[];
  removed: string[];
  changed: SessionChange[];
}

/** Generic protocol options BIRD 1.6 changes without a restart (see the header). */
const IN_PLACE = /^(import|export|description|preference)\b/;

/**
 * The index after the string whose opening `"` is at `open` (BIRD 1.6 strings have no escapes,
 * conf/cf-lex.l), or the text's length when it is not closed.
 */
function afterString(text: string, open: number): number {
  const close = text.indexOf('"', open + 1);
  return close < 0 ? text.length : close + 1;
}

/**
 * The text without comments (`# ...` to the end of the line, C-style blocks), strings kept whole,
 * so a `#` inside a description is not taken for a comment.
 */
function stripComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === '"') {
      const stop = afterString(text, i);
      out += text.slice(i, stop);
      i = stop - 1;
    } else if (c === '#') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end - 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

/** From the `{` at `open`, the index after its matching `}` (strings skipped), or -1. */
function matchBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i += 1) {
    const c = text[i];
    // An unclosed string runs to the end, so the brace is unmatched.
    if (c === '"') i = afterString(text, i) - 1;
    else if (c === '{') depth += 1;
    else if (c === '}') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** A block's statements: split at `;` outside braces and strings, whitespace collapsed. */
function statementsOf(body: string): string[] {
  const statements: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i]!;
    if (c === '"') {
      const stop = afterString(body, i);
      current += body.slice(i, stop);
      i = stop - 1;
      continue;
    }
    if (c === '{') depth += 1;
    if (c === '}') depth -= 1;
    if (c === ';' && depth === 0) {
      statements.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  statements.push(current);
  return statements.map((s) => s.replace(/\s+/g, ' ').trim()).filter((s) => s !== '');
}

const HEAD = /\b(protocol|template)\s+bgp\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+from\s+([A-Za-z_][A-Za-z0-9_]*))?\s*\{/g;

/** Every `protocol bgp` of a bird6.conf, each with the statements of its templates before its own. */
export function bgpProtocols(config: string): BgpProtocolConfig[] {
  const text = stripComments(config);
  const templates = new Map<string, { from: string | undefined; statements: string[] }>();
  const protocols: Array<{ name: string; from: string | undefined; statements: string[] }> = [];
  for (const m of text.matchAll(HEAD)) {
    const open = m.index + m[0].length - 1;
    const close = matchBrace(text, open);
    if (close < 0) break;
    const entry = { name: m[2]!, from: m[3], statements: statementsOf(text.slice(open + 1, close - 1)) };
    if (m[1] === 'template') templates.set(entry.name, entry);
    else protocols.push(entry);
  }
  const expand = (from: string | undefined, seen: Set<string>): string[] => {
    const template = from === undefined || seen.has(from) ? undefined : templates.get(from);
    if (template === undefined) return from === undefined ? [] : [`from ${from}`];
    seen.add(from!);
    return [...expand(template.from, seen), ...template.statements];
  };
  return protocols.map((p) => ({ name: p.name, statements: [...expand(p.from, new Set()), ...p.statements] }));
}

function difference(a: readonly string[], b: readonly string[]): string[] {
  const others = new Set(b);
  return a.filter((s) => !others.has(s));
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** What replacing the config `current` with `next` does to the BGP sessions. */
export function sessionChanges(current: string, next: string): SessionChanges {
  return protocolChanges(bgpProtocols(current), bgpProtocols(next));
}

/** sessionChanges() of configs whose protocols bgpProtocols() has read already (for a caller that needs them too). */
export function protocolChanges(current: readonly BgpProtocolConfig[], next: readonly BgpProtocolConfig[]): SessionChanges {
  const before = new Map(current.map((p) => [p.name, p]));
  const after = new Map(next.map((p) => [p.name, p]));
  const changed: SessionChange[] = [];
  for (const [name, p] of after) {
    const old = before.get(name);
    if (old === undefined) continue;
    const removed = difference(old.statements, p.statements);
    const added = difference(p.statements, old.statements);
    if (removed.length === 0 && added.length === 0) continue;
    changed.push({ name, restart: [...removed, ...added].some((s) => !IN_PLACE.test(s)), removed, added });
  }
  return {
    added: [...after.keys()].filter((n) => !before.has(n)).sort(byName),
    removed: [...before.keys()].filter((n) => !after.has(n)).sort(byName),
    changed: changed.sort((a, b) => byName(a.name, b.name)),
  };
}

export function hasSessionChanges(c: SessionChanges): boolean {
  return c.added.length + c.removed.length + c.changed.length > 0;
}

const NAMES_SHOWN = 20;

/** One line for a log: `sessions: +2 (A, B) -1 (C) restart 1 (D) in place 0`, names capped at 20 per list. */
export function sessionSummaryLine(c: SessionChanges): string {
  const names = (list: readonly string[]) => (list.length === 0 ? '' : ` (${list.slice(0, NAMES_SHOWN).join(', ')}${list.length > NAMES_SHOWN ? `, and ${list.length - NAMES_SHOWN} more` : ''})`);
  const restarted = c.changed.filter((s) => s.restart).map((s) => s.name);
  const inPlace = c.changed.filter((s) => !s.restart).map((s) => s.name);
  return `sessions: added ${c.added.length}${names(c.added)}, removed ${c.removed.length}${names(c.removed)}, restarted ${restarted.length}${names(restarted)}, changed in place ${inPlace.length}${names(inPlace)}`;
}
