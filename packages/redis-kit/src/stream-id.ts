/** Milliseconds part of a stream entry id (the time Redis added it); NaN when `id` has none. */
export function entryTimestamp(id: string): number {
  const ms = Number.parseInt(id, 10);
  return Number.isFinite(ms) ? ms : Number.NaN;
}
