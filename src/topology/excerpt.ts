// Bounds on what an error report says about a topology. A report goes to stderr, to the agent's
// log and to every stream client, so a 50 MB value or a million mistakes must not make it
// 50 MB long: a value is quoted as an excerpt, and a report lists a bounded number of problems.
import type { Problem } from '../errors.ts';

/** How much of a string value a message quotes; longer values are cut and the rest counted. */
const QUOTED_CHARACTERS = 80;

/** How many problems one report lists; the rest are counted in a last line. */
export const MAX_PROBLEMS = 50;

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/**
 * A value as a message quotes it: a string as JSON (so a newline in it cannot forge a line of
 * output), cut to QUOTED_CHARACTERS with the number of characters left out; a list or mapping by
 * its size, never serialised; anything else as its text.
 */
export function quote(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length <= QUOTED_CHARACTERS) return JSON.stringify(value);
    // A high surrogate at the cut would leave half a character; cut before it instead.
    const high = value.charCodeAt(QUOTED_CHARACTERS - 1);
    const cut = high >= 0xd800 && high <= 0xdbff ? QUOTED_CHARACTERS - 1 : QUOTED_CHARACTERS;
    return `${JSON.stringify(value.slice(0, cut))}… (${plural(value.length - cut, 'more character', 'more characters')})`;
  }
  if (Array.isArray(value)) return `a list of ${plural(value.length, 'entry', 'entries')}`;
  if (value !== null && typeof value === 'object') return `a mapping of ${plural(Object.keys(value).length, 'key', 'keys')}`;
  return String(value);
}

/** The first MAX_PROBLEMS problems, and a last one that counts the others. */
export function boundProblems(problems: readonly Problem[]): Problem[] {
  if (problems.length <= MAX_PROBLEMS) return [...problems];
  return [
    ...problems.slice(0, MAX_PROBLEMS),
    {
      path: '',
      message: `and ${plural(problems.length - MAX_PROBLEMS, 'more problem', 'more problems')}`,
      hint: 'fix the problems above and validate again to see the rest',
    },
  ];
}
