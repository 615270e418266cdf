// Values a parser could not read. The framing of a reply (codes, blocks, headings) stays strict,
// but a value printed in a format this project does not know (a `since` in another `timeformat`, a
// timer spelt differently, a field this BIRD does not print) is shown as null and said here, once
// per kind of value and reply, so 1,000 protocols with an odd `since` give one warning, not 1,000.
export class ParseWarnings {
  private readonly kinds = new Map<string, { message: string; count: number }>();

  /**
   * `kind` groups repeats (`since`, `Hold timer`); `message` is said for the first of them. Values
   * from BIRD reach it through quote(), so a warning is always one bounded line.
   */
  add(kind: string, message: string): void {
    const known = this.kinds.get(kind);
    if (known === undefined) this.kinds.set(kind, { message, count: 1 });
    else known.count += 1;
  }

  get size(): number {
    return this.kinds.size;
  }

  list(): string[] {
    return [...this.kinds.values()].map(({ message, count }) => (count > 1 ? `${message} (and ${count - 1} more like it)` : message));
  }
}

const QUOTED_MAX = 60;

/** A value BIRD printed, for a warning: JSON-quoted (no control characters) and cut to 60 characters. */
export function quote(text: string): string {
  return JSON.stringify(text.length > QUOTED_MAX ? `${text.slice(0, QUOTED_MAX)}…` : text);
}

/** Thrown by a value reader inside a parser and turned into a warning there: never leaves the parser. */
export class UnreadableValue extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableValue';
  }
}
