import type { Redis } from 'ioredis';

/** One stream entry: its id and its raw field list. */
export type AuditedEntry = [id: string, fields: string[]];

/**
 * The entries a consumer group has acknowledged: delivered (at or before the group's last-delivered id) and no
 * longer pending. A test checks each has its effect, which proves nothing was acked unprocessed.
 */
export async function ackedEntries(redis: Redis, stream: string, group: string): Promise<AuditedEntry[]> {
  const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  const info = groups.find((fields) => fields[fields.indexOf('name') + 1] === group);
  if (!info) throw new Error(`group ${group} missing on ${stream}`);
  const lastDelivered = String(info[info.indexOf('last-delivered-id') + 1]);
  const pending = new Set<string>();
  for (let start = '-'; ; ) {
    const page = (await redis.xpending(stream, group, start, '+', 1000)) as [string][];
    for (const [id] of page) pending.add(id);
    if (page.length < 1000) break;
    start = `(${page[page.length - 1]![0]}`;
  }
  const entries = (await redis.xrange(stream, '-', lastDelivered)) as AuditedEntry[];
  return entries.filter(([id]) => !pending.has(id));
}
