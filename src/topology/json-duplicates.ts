// JSON.parse keeps the last of two equal keys without a word, so `"cluster"` written twice
// would silently drop the first cluster. YAML's parser refuses them (uniqueKeys); this scan gives
// JSON the same rule. It runs only on text JSON.parse has accepted, so it needs to know no more
// of the grammar than where strings, objects and lists begin and end.

export interface DuplicateKey {
  /** Where the repeated key is in the document, as formatPath takes it */
  path: Array<string | number>;
  key: string;
  line: number;
  column: number;
  first: { line: number; column: number };
}

type Frame =
  | { kind: 'object'; keys: Map<string, { line: number; column: number }>; current: string | undefined; expectKey: boolean }
  | { kind: 'list'; index: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The index of the quote that ends the string starting at `start` (a quote). */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/** Every key that repeats an earlier key of the same object, in document order. */
export function duplicateJsonKeys(validJson: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const frames: Frame[] = [];
  // JSON strings cannot hold a raw newline, so every newline outside them ends a line.
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < validJson.length; i += 1) {
    const code = validJson.charCodeAt(i);
    const top = frames.at(-1);
    switch (code) {
      case 0x0a: // \n
        line += 1;
        lineStart = i + 1;
        break;
      case 0x7b: // {
        frames.push({ kind: 'object', keys: new Map(), current: undefined, expectKey: true });
        break;
      case 0x5b: // [
        frames.push({ kind: 'list', index: 0 });
        break;
      case 0x7d: // }
      case 0x5d: // ]
        frames.pop();
        break;
      case 0x2c: // ,
        if (top?.kind === 'list') top.index += 1;
        else if (top?.kind === 'object') top.expectKey = true;
        break;
      case QUOTE: {
        const end = stringEnd(validJson, i);
        if (top?.kind === 'object' && top.expectKey) {
          // Compared decoded: "name" and "n\u0061me" are one key to JSON.parse.
          const raw = validJson.slice(i + 1, end);
          const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
          const here = { line, column: i - lineStart + 1 };
          const first = top.keys.get(key);
          if (first === undefined) top.keys.set(key, here);
          else found.push({ path: [...pathOf(frames.slice(0, -1)), key], key, ...here, first });
          top.current = key;
          top.expectKey = false;
        }
        i = end;
        break;
      }
      default:
        break;
    }
  }
  return found;
}

/** The path to the innermost frame's object or list: each frame's current key or index. */
function pathOf(frames: readonly Frame[]): Array<string | number> {
  return frames.map((f) => (f.kind === 'list' ? f.index : f.current!));
}
