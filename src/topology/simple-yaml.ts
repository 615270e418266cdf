// A fast path for the plain YAML that people and tools write for a topology: block mappings and
// sequences, one-line flow collections, plain and quoted scalars, comments. The `yaml` package
// spends most of a load in its three stages (lexer, CST parser, composer), and a process that
// loads the file once runs that large library unoptimised (issue 13: about 60% of a cold load).
//
// This parser never decides anything the library would decide differently: whatever is outside
// the subset below (anchors, aliases, tags, directives, block scalars, multi-line scalars or flow
// collections, escapes, quoted keys, tabs, non-ASCII, numbers other than plain decimal integers,
// a duplicate key, any indentation it does not expect) makes it decline, and load.ts hands the
// text to the library, which then gives its value or its errors exactly as before. The bounds of
// the library path (alias expansion, unique keys, error positions) therefore still hold.

/** What parseSimpleYaml returns when it takes the document; undefined means "use the library". */
export interface SimpleYaml {
  value: unknown;
}

/** Thrown inside the parser when the text leaves the subset; never escapes parseSimpleYaml. */
class Declined extends Error {}
const DECLINED = new Declined();
function decline(): never {
  throw DECLINED;
}

interface Line {
  indent: number;
  /** The line after its indentation; never empty, never a comment. */
  text: string;
}

/** Nested flow collections are bounded, so a file of 16 MiB of `[` cannot exhaust the stack. */
const MAX_FLOW_DEPTH = 32;
const OUTSIDE_ASCII = /[^\n\x20-\x7e]/;
/** Nested blocks are bounded for the same reason. */
const MAX_BLOCK_DEPTH = 64;
/** Keys of the subset are short words; the library has its own rules for long implicit keys. */
const KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** Plain words that YAML 1.2's core schema (the library's default) reads as null or a boolean. */
const NULL_WORDS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUE_WORDS = new Set(['true', 'True', 'TRUE']);
const FALSE_WORDS = new Set(['false', 'False', 'FALSE']);
/** A decimal integer the core schema reads as a Number, exact (at most 15 digits). */
const DECIMAL = /^-?(?:0|[1-9][0-9]{0,14})$/;
/** Everything else the core schema reads as a number (octal, hex, float, signs, .inf, .nan). */
const OTHER_NUMBER = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/** The value of a plain scalar under the core schema, declining the cases left to the library. */
function plainValue(text: string): unknown {
  if (NULL_WORDS.has(text)) return null;
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  if (DECIMAL.test(text) && text !== '-0') return Number(text);
  if (OTHER_NUMBER.test(text)) decline();
  return text;
}

/** Whether a plain scalar may start with this character: not an indicator (`-` only before a digit). */
function plainStart(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  if ((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return true;
  if (code === 0x2d) {
    const next = text.charCodeAt(at + 1);
    return next >= 0x30 && next <= 0x39;
  }
  return code === 0x2e || code === 0x2f || code === 0x5f || code === 0x2b || code === 0x7e; // . / _ + ~
}

/** A key of a block or flow mapping, which must be a short word the core schema reads as a string. */
function mappingKey(text: string): string {
  if (!KEY.test(text) || NULL_WORDS.has(text) || TRUE_WORDS.has(text) || FALSE_WORDS.has(text) || text === '__proto__') decline();
  return text;
}

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (Object.hasOwn(target, key)) decline(); // the library reports duplicates with their position
  target[key] = value;
}

const skipSpaces = (text: string, at: number) => {
  let i = at;
  while (text.charCodeAt(i) === 0x20) i += 1;
  return i;
};

/** Only spaces, or spaces and a comment, may follow a value on its line. */
function expectLineEnd(text: string, at: number): void {
  const i = skipSpaces(text, at);
  if (i < text.length && !(text.charCodeAt(i) === 0x23 && i > at)) decline();
}

/** A quoted scalar starting at `at`: its value and the index after its closing quote. */
function quoted(text: string, at: number): [string, number] {
  const quote = text[at]!;
  if (quote === '"') {
    const end = text.indexOf('"', at + 1);
    if (end < 0) decline();
    const value = text.slice(at + 1, end);
    // Escapes are YAML's own (a superset of JSON's), and the library's business. Searched in the
    // scalar only: a search back from its end crossed the whole line again for every scalar of a
    // flow sequence (issue 13: a 50-address line read in quadratic time).
    if (value.includes('\\')) decline();
    return [value, end + 1];
  }
  let value = '';
  let from = at + 1;
  for (;;) {
    const end = text.indexOf("'", from);
    if (end < 0) decline(); // continues on the next line
    value += text.slice(from, end);
    if (text.charCodeAt(end + 1) !== 0x27) return [value, end + 1];
    value += "'";
    from = end + 2;
  }
}

/** A one-line flow collection or scalar inside one, starting at `at`: its value and where it ends. */
function flowValue(text: string, at: number, depth: number): [unknown, number] {
  const code = text.charCodeAt(at);
  if (code === 0x5b || code === 0x7b) {
    if (depth >= MAX_FLOW_DEPTH) decline();
    return code === 0x5b ? flowSequence(text, at, depth + 1) : flowMapping(text, at, depth + 1);
  }
  if (code === 0x22 || code === 0x27) return quoted(text, at);
  if (!plainStart(text, at)) decline();
  let end = at;
  for (; end < text.length; end += 1) {
    const c = text.charCodeAt(end);
    if (c === 0x2c || c === 0x5d || c === 0x7d) break; // , ] }
    // `#` may start a comment, `[` and `{` are indicators: the library's cases.
    if (c === 0x23 || c === 0x5b || c === 0x7b) decline();
    // `:` before a space or an indicator makes a pair; inside a word (fd00::1) it is text.
    if (c === 0x3a) {
      const next = text.charCodeAt(end + 1);
      if (end + 1 >= text.length || next === 0x20 || next === 0x2c || next === 0x5d || next === 0x7d) decline();
    }
  }
  return [plainValue(text.slice(at, end).trimEnd()), end];
}

/** `[a, b]`: entries separated by commas, no empty entry and no trailing comma. */
function flowSequence(text: string, at: number, depth: number): [unknown[], number] {
  const list: unknown[] = [];
  let i = skipSpaces(text, at + 1);
  if (text.charCodeAt(i) === 0x5d) return [list, i + 1];
  for (;;) {
    const [value, end] = flowValue(text, i, depth);
    list.push(value);
    i = skipSpaces(text, end);
    const c = text.charCodeAt(i);
    if (c === 0x5d) return [list, i + 1];
    if (c !== 0x2c) decline();
    i = skipSpaces(text, i + 1);
  }
}

/**
 * `{k: v, "k2":v2}`: every entry a word and `: `, or a quoted word, `:` and a value (JSON's
 * spelling, which YAML 1.2 reads the same); no empty entry and no trailing comma.
 */
function flowMapping(text: string, at: number, depth: number): [Record<string, unknown>, number] {
  const map: Record<string, unknown> = {};
  let i = skipSpaces(text, at + 1);
  if (text.charCodeAt(i) === 0x7d) return [map, i + 1];
  for (;;) {
    let key: string;
    let valueAt: number;
    const code = text.charCodeAt(i);
    if (code === 0x22 || code === 0x27) {
      const [written, end] = quoted(text, i);
      const colon = skipSpaces(text, end);
      if (text.charCodeAt(colon) !== 0x3a) decline();
      key = mappingKey(written);
      valueAt = skipSpaces(text, colon + 1);
    } else {
      const colon = text.indexOf(': ', i);
      if (colon < 0) decline();
      key = mappingKey(text.slice(i, colon));
      valueAt = skipSpaces(text, colon + 2);
    }
    const [value, end] = flowValue(text, valueAt, depth);
    setKey(map, key, value);
    i = skipSpaces(text, end);
    const c = text.charCodeAt(i);
    if (c === 0x7d) return [map, i + 1];
    if (c !== 0x2c) decline();
    i = skipSpaces(text, i + 1);
  }
}

/** The value written after `key: ` or `- ` on a block line: it must end with the line. */
function inlineValue(text: string, at: number): unknown {
  const code = text.charCodeAt(at);
  if (code === 0x5b || code === 0x7b || code === 0x22 || code === 0x27) {
    const [value, end] = flowValue(text, at, 0);
    expectLineEnd(text, end);
    return value;
  }
  if (!plainStart(text, at)) decline();
  const comment = text.indexOf(' #', at);
  const plain = (comment < 0 ? text.slice(at) : text.slice(at, comment)).trimEnd();
  // `: ` or a trailing `:` would make it a nested mapping, `#` a comment; brackets are left to the
  // library too, whose reading of them outside flow collections this module does not copy.
  if (plain.includes(': ') || plain.endsWith(':') || /[#[\]{}]/.test(plain)) decline();
  return plainValue(plain);
}

class BlockParser {
  private next = 0;
  private depth = 0;

  constructor(private readonly lines: Line[]) {}

  document(): unknown {
    if (this.lines.length === 0) decline(); // an empty document is null: the library says so
    const value = this.block(this.lines[0]!.indent);
    if (this.next < this.lines.length) decline();
    return value;
  }

  private isItem(line: Line): boolean {
    return line.text.charCodeAt(0) === 0x2d && (line.text.length === 1 || line.text.charCodeAt(1) === 0x20);
  }

  /** `key: value` or `key:` from `at`, as opposed to a scalar such as fd00:20::11. */
  private opensMapping(text: string, at: number): boolean {
    const colon = text.indexOf(':', at);
    return colon > at && KEY.test(text.slice(at, colon)) && (colon + 1 === text.length || text.charCodeAt(colon + 1) === 0x20);
  }

  private block(indent: number): unknown {
    // Bounded like flow collections: a file of ever deeper indentation cannot exhaust the stack.
    if (++this.depth > MAX_BLOCK_DEPTH) decline();
    const value = this.isItem(this.lines[this.next]!) ? this.sequence(indent) : this.mapping(indent);
    this.depth -= 1;
    return value;
  }

  /** The value of `key:` or `-` with nothing after it: a nested block, or null when none follows. */
  private nested(indent: number, sequenceMayShareIndent: boolean): unknown {
    const line = this.lines[this.next];
    if (line !== undefined && line.indent > indent) return this.block(line.indent);
    if (line !== undefined && sequenceMayShareIndent && line.indent === indent && this.isItem(line)) return this.sequence(indent);
    return null;
  }

  private mapping(indent: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    for (let line = this.lines[this.next]; line !== undefined && line.indent >= indent; line = this.lines[this.next]) {
      if (line.indent > indent || this.isItem(line)) decline();
      const { text } = line;
      const colon = text.indexOf(':');
      if (colon < 0 || (colon + 1 < text.length && text.charCodeAt(colon + 1) !== 0x20)) decline();
      const key = mappingKey(text.slice(0, colon));
      const at = skipSpaces(text, colon + 1);
      this.next += 1;
      if (at >= text.length || text.charCodeAt(at) === 0x23) setKey(map, key, this.nested(indent, true));
      else setKey(map, key, inlineValue(text, at));
    }
    return map;
  }

  private sequence(indent: number): unknown[] {
    const list: unknown[] = [];
    for (let line = this.lines[this.next]; line !== undefined && line.indent >= indent; line = this.lines[this.next]) {
      if (line.indent > indent) decline();
      if (!this.isItem(line)) {
        // A mapping key at the sequence's own indentation continues the mapping that holds it.
        return list;
      }
      const at = skipSpaces(line.text, 1);
      if (at >= line.text.length || line.text.charCodeAt(at) === 0x23) {
        this.next += 1;
        list.push(this.nested(indent, false));
      } else if (this.isItem({ indent: 0, text: line.text.slice(at) })) {
        decline(); // `- - a`, a compact nested sequence
      } else if (this.opensMapping(line.text, at)) {
        // `- key: value` opens a mapping whose keys line up with `key`.
        this.lines[this.next] = { indent: line.indent + at, text: line.text.slice(at) };
        list.push(this.mapping(line.indent + at));
      } else {
        this.next += 1;
        list.push(inlineValue(line.text, at));
      }
    }
    return list;
  }
}

/** The document's lines that carry content, or a decline for characters outside the subset. */
function contentLines(text: string): Line[] {
  // Printable ASCII and newlines only: no tabs, carriage returns, byte-order mark or Unicode.
  if (OUTSIDE_ASCII.test(text)) decline();
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    const indent = skipSpaces(raw, 0);
    if (indent === raw.length || raw.charCodeAt(indent) === 0x23) continue; // blank or a comment
    // Directives (%) and document markers (---, ...) mean more than one document or other rules.
    if (indent === 0 && (raw.startsWith('%') || raw.startsWith('---') || raw.startsWith('...'))) decline();
    lines.push({ indent, text: raw.slice(indent) });
  }
  return lines;
}

/**
 * The document's value when it is within the subset this module reads, else undefined: the
 * caller then parses it with the `yaml` package, which decides it (value or errors) as ever.
 */
export function parseSimpleYaml(text: string): SimpleYaml | undefined {
  try {
    return { value: new BlockParser(contentLines(text)).document() };
  } catch (error) {
    if (error instanceof Declined) return undefined;
    throw error;
  }
}
