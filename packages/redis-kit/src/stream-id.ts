const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;

/** The smallest stream id: "from the beginning" as a cursor. */
export const ZERO_ID = '0-0';

/** True for a full Redis stream entry id (`<ms>-<seq>`), the only cursor shape the registry accepts. */
export function isStreamId(value: string): boolean {
  return STREAM_ID.test(value);
}

/**
 * Orders two runs of decimal digits (`a[aFrom, aTo)` and `b[bFrom, bTo)`) as the numbers they spell, without
 * allocating: leading zeros skipped, the longer run is the larger number, else the first differing digit decides.
 */
function compareDigits(a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number): number {
  let i = aFrom;
  let j = bFrom;
  while (i < aTo - 1 && a.charCodeAt(i) === 48) i++;
  while (j < bTo - 1 && b.charCodeAt(j) === 48) j++;
  if (aTo - i !== bTo - j) return aTo - i < bTo - j ? -1 : 1;
  for (; i < aTo; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * Orders two stream ids numerically (string order is wrong once the millisecond parts differ in length); a value
 * that is not a full id orders as `0-0`. Allocates nothing: the registry compares ids per entry and subscriber.
 */
export function compareStreamIds(a: string, b: string): number {
  if (a === b) return 0;
  const x = STREAM_ID.test(a) ? a : ZERO_ID;
  const y = STREAM_ID.test(b) ? b : ZERO_ID;
  const xDash = x.indexOf('-');
  const yDash = y.indexOf('-');
  return (
    compareDigits(x, 0, xDash, y, 0, yDash) || compareDigits(x, xDash + 1, x.length, y, yDash + 1, y.length)
  );
}

/** Milliseconds part of a stream entry id (the time Redis added it); NaN when `id` has none. */
export function entryTimestamp(id: string): number {
  const ms = Number.parseInt(id, 10);
  return Number.isFinite(ms) ? ms : Number.NaN;
}
