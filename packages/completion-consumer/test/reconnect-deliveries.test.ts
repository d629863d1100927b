import { type RedisServer, startRedis } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompletionConsumer, ConsumerState } from '../src/index.js';
import { readOwnPending } from '../src/stream-entries.js';
import {
  deliveryCount,
  holdingHandler,
  names,
  pendingCount,
  publish,
  startConsumer,
  waitFor,
} from './helpers.js';

/**
 * Recovery from a lost connection re-reads the consumer's own pending list; it must not charge a delivery to
 * entries this process still holds (handler running) or has scheduled (waiting for a retry backoff).
 */
describe('reconnecting does not charge deliveries for entries the consumer holds', () => {
  let server: RedisServer;
  let redis: Redis;
  const consumers: CompletionConsumer[] = [];
  beforeAll(async () => {
    // AOF, so a restart keeps the stream, the group and its pending list: the consumer resumes, not recreates.
    server = await startRedis({ appendOnly: true, appendFsync: 'always' });
    redis = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    redis.on('error', () => {});
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.close()));
    redis.disconnect();
    await server.stop({ removeData: true });
  });

  /** Starts a consumer whose handler holds the one entry published to a fresh stream, once it runs. */
  async function holdOne(label: string) {
    const { stream, group } = names(label);
    const held = holdingHandler();
    const consumer = await startConsumer(
      { url: server.url, stream, group, claimIdleMs: 60_000, handler: held.handler },
      consumers,
    );
    const [id = ''] = await publish(redis, stream, 1);
    await held.started;
    return { stream, group, held, consumer, id };
  }

  /** Stops Redis until the consumer is `degraded`, starts it again, and waits for the consumer's recovery. */
  async function restartRedis(consumer: CompletionConsumer): Promise<void> {
    const back = recovered(consumer);
    await server.stop();
    await waitFor(() => consumer.state === 'degraded', 15_000, 'degraded');
    await server.start();
    await back;
  }

  /** The held entry's delivery count is still 1, and once released it runs to its ack without another run. */
  async function expectDeliveredOnce(
    stream: string,
    group: string,
    id: string,
    held: ReturnType<typeof holdingHandler>,
  ): Promise<void> {
    expect(await deliveryCount(redis, stream, group, id)).toBe(1);
    held.release();
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 0, 15_000, 'acked');
    expect(held.counts).toEqual([1]);
  }

  /** Resolves once the consumer has gone `degraded` and come back `ready` (its recovery read succeeded). */
  function recovered(consumer: CompletionConsumer): Promise<void> {
    return new Promise((resolve) => {
      let degraded = false;
      const onState = (state: ConsumerState) => {
        if (state === 'degraded') degraded = true;
        if (state === 'ready' && degraded) {
          consumer.off('state', onState);
          resolve();
        }
      };
      consumer.on('state', onState);
    });
  }

  it('a handler running while Redis (AOF) is stopped and started again is delivered once and runs once', async () => {
    const { stream, group, held, consumer, id } = await holdOne('held-restart');
    await restartRedis(consumer);
    await expectDeliveredOnce(stream, group, id, held);
  });

  it("after an outage longer than claimIdleMs, another consumer does not claim a live owner's running entry", async () => {
    const { stream, group } = names('held-outage');
    const held = holdingHandler();
    const common = { url: server.url, stream, group, claimIdleMs: 1_000, claimIntervalMs: 100 };
    const owner = await startConsumer({ ...common, consumer: 'owner', handler: held.handler }, consumers);
    const [id = ''] = await publish(redis, stream, 1);
    await held.started;
    // The other consumer is there before the outage and walks the pending list every 100 ms.
    const other = await startConsumer(
      { ...common, consumer: 'other', handler: async (_m, ctx) => void held.counts.push(ctx.deliveryCount) },
      consumers,
    );
    const back = Promise.all([recovered(owner), recovered(other)]);
    await server.stop();
    await waitFor(() => owner.state === 'degraded' && other.state === 'degraded', 15_000, 'both degraded');
    // Longer than claimIdleMs: the owner's lease lapses while nobody can renew it.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await server.start();
    await back;
    // Several claim ticks of the other consumer, well past claimIdleMs after Redis came back.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await expectDeliveredOnce(stream, group, id, held);
  });

  it('a burst of CLIENT KILLs while a handler runs leaves its delivery count at 1 and runs it once', async () => {
    const { stream, group, held, consumer, id } = await holdOne('held-kill');
    const back = recovered(consumer);
    // Kill every connection but the test's own (the consumer's command connection and its blocking reader),
    // again and again, until the reader gives up on its read and the consumer goes through its recovery.
    const deadline = Date.now() + 20_000;
    let kills = 0;
    while (consumer.state !== 'degraded' && Date.now() < deadline) {
      await redis.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      kills++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(consumer.state, `after ${kills} kills`).toBe('degraded');
    await back;
    await expectDeliveredOnce(stream, group, id, held);
  });

  it('an entry waiting for its retry backoff is not delivered early by a reconnect', async () => {
    const { stream, group } = names('deferred-restart');
    const counts: number[] = [];
    const consumer = await startConsumer(
      {
        url: server.url,
        stream,
        group,
        claimIdleMs: 60_000,
        // Far longer than the test: the entry must still be waiting for it when the test ends.
        backoff: { baseMs: 50_000, maxMs: 50_000, jitter: 0 },
        handler: async (_m, ctx) => {
          counts.push(ctx.deliveryCount);
          throw new Error('not yet');
        },
      },
      consumers,
    );
    const retried = new Promise<void>((resolve) => consumer.once('retry', () => resolve()));
    const [id] = await publish(redis, stream, 1);
    await retried;
    await restartRedis(consumer);
    expect(await deliveryCount(redis, stream, group, id as string)).toBe(1);
    expect(counts).toEqual([1]);
  });

  it('the own-pending read pages through the whole list, re-delivers each entry not held once and skips the held', async () => {
    const { stream, group } = names('own-pages');
    const ref = { stream, group, consumer: 'me' };
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    const ids = await publish(redis, stream, 10);
    await redis.xreadgroup('GROUP', group, 'me', 'COUNT', 10, 'STREAMS', stream, '>');
    const held = [ids[0], ids[1], ids[4], ids[9]] as string[];
    const trimmed = ids[6] as string;
    await redis.xdel(stream, trimmed);
    const delivered: string[] = [];
    const lost: string[] = [];
    let calls = 0;
    for (let after: string | null = '0'; after !== null; calls++) {
      const page = await readOwnPending(redis, ref, after, 2, held);
      expect(page.entries.length).toBeLessThanOrEqual(2);
      for (const entry of page.entries) {
        expect(entry.deliveryCount).toBe(2);
        delivered.push(entry.id);
      }
      lost.push(...page.deleted);
      after = page.last;
    }
    const expected = ids.filter((id) => !held.includes(id) && id !== trimmed);
    expect(delivered).toEqual(expected);
    expect(lost).toEqual([trimmed]);
    expect(calls).toBeLessThanOrEqual(4);
    for (const id of held) expect(await deliveryCount(redis, stream, group, id)).toBe(1);
    expect(await deliveryCount(redis, stream, group, trimmed)).toBeUndefined();
  });
});
