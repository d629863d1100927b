import { type RedisClient, runScript } from './scripts.js';

/** One stream entry as read, with how many times it has been delivered (this delivery included). */
export interface DeliveredEntry {
  id: string;
  fields: string[];
  deliveryCount: number;
}

/** Keys and names a pending-list operation needs. */
export interface GroupRef {
  stream: string;
  group: string;
  consumer: string;
}

type RawEntry = [string, string[] | null];

function withCounts(entries: RawEntry[], counts: unknown[]): DeliveredEntry[] {
  return entries.map(([id, fields], i) => ({
    id,
    fields: fields ?? [],
    deliveryCount: Number(counts[i] ?? 1),
  }));
}

/** One XAUTOCLAIM step: claimed entries with delivery counts, deleted ids, and the next cursor. */
export async function autoclaimStep(
  redis: RedisClient,
  ref: GroupRef,
  minIdleMs: number,
  cursor: string,
  count: number,
): Promise<{ next: string; entries: DeliveredEntry[]; deleted: string[] }> {
  const [next, entries, deleted, counts] = (await runScript(
    redis,
    'autoclaim-1',
    [ref.stream],
    [ref.group, ref.consumer, Math.floor(minIdleMs), cursor, count],
  )) as [string, RawEntry[], string[], unknown[]];
  return { next, entries: withCounts(entries, counts), deleted };
}

/** Claims the named entries if idle at least `minIdleMs`; deleted (trimmed) ones are acknowledged and returned. */
export async function claimEntries(
  redis: RedisClient,
  ref: GroupRef,
  minIdleMs: number,
  ids: readonly string[],
): Promise<{ entries: DeliveredEntry[]; deleted: string[] }> {
  const [entries, counts, deleted] = (await runScript(
    redis,
    'claim-ids-1',
    [ref.stream],
    [ref.group, ref.consumer, Math.floor(minIdleMs), ...ids],
  )) as [RawEntry[], unknown[], string[]];
  return { entries: withCounts(entries, counts), deleted };
}

/**
 * Re-delivers this consumer's own pending entries after `after` (`'0'` for the start), at most `count`, skipping
 * `skip`: the ids this process still holds, which must not be charged another delivery. `last` is the position
 * to continue from, null at the end of the list.
 */
export async function readOwnPending(
  redis: RedisClient,
  ref: GroupRef,
  after: string,
  count: number,
  skip: readonly string[],
): Promise<{ entries: DeliveredEntry[]; deleted: string[]; last: string | null }> {
  const [entries, counts, deleted, last] = (await runScript(
    redis,
    'own-pending-1',
    [ref.stream],
    [ref.group, ref.consumer, count, after, ...skip],
  )) as [RawEntry[], unknown[], string[], string | null];
  return { entries: withCounts(entries, counts), deleted, last: last || null };
}

/** Resets the idle time of entries this consumer still owns; returns the ids it no longer owns. */
export async function renewLeases(
  redis: RedisClient,
  ref: GroupRef,
  ids: readonly string[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  return (await runScript(
    redis,
    'renew-lease-1',
    [ref.stream],
    [ref.group, ref.consumer, ...ids],
  )) as string[];
}

/** Sets a failed entry's idle time so it becomes claimable when its backoff ends; false if no longer ours. */
export async function deferEntry(
  redis: RedisClient,
  ref: GroupRef,
  id: string,
  idleMs: number,
): Promise<boolean> {
  const result = await runScript(
    redis,
    'defer-1',
    [ref.stream],
    [ref.group, ref.consumer, id, Math.max(0, Math.floor(idleMs))],
  );
  return result === 1;
}
