import { Redis } from 'ioredis';
import type { RawConsumeJob, ScenarioOutcome } from '../child-protocol.js';
import type { ScenarioContext } from './context.js';

type ReadReply = [stream: string, entries: [id: string, fields: string[]][]][] | null;

/**
 * The consumer ceiling for one Node process: `XREADGROUP COUNT readCount`, `JSON.parse` of each entry's data,
 * one multi-id `XACK` per batch. The ack is written right before the next read on the same connection, so a
 * batch costs one round trip; nothing else (no validation, no handler, no retries) is done.
 */
export async function runRawConsume(job: RawConsumeJob, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const redis = new Redis(job.url, { lazyConnect: true });
  await redis.connect();
  await ctx.measuring();
  const started = performance.now();
  let done = 0;
  let parsed = 0;
  let lastAck: Promise<unknown> = Promise.resolve();
  while (done < job.n) {
    const reply = (await redis.xreadgroup(
      'GROUP',
      job.group,
      'raw',
      'COUNT',
      job.readCount,
      'BLOCK',
      1000,
      'STREAMS',
      job.stream,
      '>',
    )) as ReadReply;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) continue;
    const ids: string[] = [];
    for (const [id, fields] of entries) {
      const value = JSON.parse(fields[fields.indexOf('data') + 1] ?? 'null') as { success?: unknown } | null;
      if (value?.success !== undefined) parsed++;
      ids.push(id);
    }
    lastAck = redis.xack(job.stream, job.group, ...ids);
    done += entries.length;
    ctx.progress(done);
  }
  await lastAck;
  const elapsedMs = performance.now() - started;
  await ctx.measured();
  await redis.quit();
  if (parsed !== done) throw new Error(`parsed ${parsed} of ${done} entries`);
  return { messages: done, elapsedMs };
}
