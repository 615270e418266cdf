// BIRD's time stamps, turned into epoch seconds. BIRD formats them in its local time zone, which on
// one host is the zone of this process too, so wall-clock values are read as local time.
//
// `timeformat protocol` decides how `since` is printed in `show protocols`; BIRD 1.6 prints
//   07:54:04             (default, "%T", when less than 20 hours ago)
//   2026-11-25           (default, "%F", when older: only the day is known)
//   1795852444           ("%s", which bird6-controller's configs use)
//   2026-11-26 07:54:04  (`iso long`)
// `show status` prints `2026-11-26 07:55:05` (timeformat base), or an epoch with "%s".
// Any other format (`Dec01` from `timeformat protocol "%b%d"`, BIRD before 1.4's default for older
// times; `10:28` without seconds) cannot be placed in time and reads as null: the callers warn.

const EPOCH = /^\d{9,}$/;
const CLOCK = /^(\d\d):(\d\d):(\d\d)$/;
const DAY = /^(\d{4})-(\d\d)-(\d\d)$/;
const DATETIME = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.\d+)?$/;

/** The `since` alternatives a `show protocols` row can carry, for the row regexps. */
export const SINCE_PATTERN = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d|\d\d:\d\d:\d\d|\d{9,}`;

function local(year: number, month: number, day: number, h = 0, m = 0, s = 0): number {
  return Math.floor(new Date(year, month - 1, day, h, m, s).getTime() / 1000);
}

/**
 * Whether parseBirdTime reads `text` differently at another reference: a bare clock time only,
 * which it places on the reference's day. An epoch, a date, a date and time, or a format it cannot
 * read, reads the same at any.
 */
export function placedByReference(text: string): boolean {
  return CLOCK.test(text);
}

/**
 * `since` as epoch seconds, or null for a format this function does not know. A bare clock time is placed on the day of `referenceSeconds` (BIRD's
 * server time, or now), or the day before when that would put it in the future: BIRD prints a bare
 * time only for the last 20 hours. A bare date is taken as that day's midnight.
 */
export function parseBirdTime(text: string, referenceSeconds: number): number | null {
  if (EPOCH.test(text)) return Number(text);
  let m = DATETIME.exec(text);
  if (m !== null) return local(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  m = DAY.exec(text);
  if (m !== null) return local(+m[1]!, +m[2]!, +m[3]!);
  m = CLOCK.exec(text);
  if (m !== null) {
    const ref = new Date(referenceSeconds * 1000);
    const onDay = (dayOffset: number) => local(ref.getFullYear(), ref.getMonth() + 1, ref.getDate() + dayOffset, +m![1]!, +m![2]!, +m![3]!);
    // A minute of slack: BIRD's clock and the reference are read a few milliseconds apart.
    const today = onDay(0);
    return today > referenceSeconds + 60 ? onDay(-1) : today;
  }
  return null;
}
