const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;

/** The smallest stream id: "from the beginning" as a cursor. */
export const ZERO_ID = '0-0';

/** True for a full Redis stream entry id (`<ms>-<seq>`), the only cursor shape the registry accepts. */
export function isStreamId(value: string): boolean {
  return STREAM_ID.test(value);
}

/**
 * Orders two stream ids numerically (string order is wrong once the millisecond parts differ in length); a value
 * that is not a full id orders as `0-0`.
 */
export function compareStreamIds(a: string, b: string): number {
  const [, aMs = '0', aSeq = '0'] = STREAM_ID.exec(a) ?? [];
  const [, bMs = '0', bSeq = '0'] = STREAM_ID.exec(b) ?? [];
  const ms = BigInt(aMs) - BigInt(bMs);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(aSeq) - BigInt(bSeq);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/** Milliseconds part of a stream entry id (the time Redis added it); NaN when `id` has none. */
export function entryTimestamp(id: string): number {
  const ms = Number.parseInt(id, 10);
  return Number.isFinite(ms) ? ms : Number.NaN;
}
