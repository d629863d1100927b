import { describe, expect, it } from 'vitest';
import { names, pendingCount, publish, sharedRedisSuite, startConsumer, waitFor } from './helpers.js';

describe('several consumers in one process', () => {
  const { redis, consumers } = sharedRedisSuite();

  it('one client, two streams and two members of one group: no interference, each entry handled once', async () => {
    const a = names('iso-a');
    const b = names('iso-b');
    const seen = new Map<string, string[]>();
    const make = (stream: string, group: string, consumer: string) =>
      startConsumer(
        {
          redis,
          stream,
          group,
          consumer,
          concurrency: 4,
          handler: async (m) => {
            await new Promise((r) => setTimeout(r, 2));
            seen.set(`${stream}/${m.operation_id}`, [
              ...(seen.get(`${stream}/${m.operation_id}`) ?? []),
              consumer,
            ]);
          },
        },
        consumers,
      );
    await make(a.stream, a.group, 'a1');
    await make(a.stream, a.group, 'a2');
    const onB = await make(b.stream, b.group, 'b1');
    await publish(redis, a.stream, 100);
    await publish(redis, b.stream, 50);
    await waitFor(() => seen.size === 150, 20_000, 'all handled');
    expect([...seen.values()].every((by) => by.length === 1)).toBe(true);
    const byA = [...seen.entries()].filter(([k]) => k.startsWith(a.stream)).map(([, v]) => v[0]);
    expect(new Set(byA)).toEqual(new Set(['a1', 'a2']));
    expect((await onB.metrics()).counters.processed).toBe(50);
    await waitFor(async () => (await pendingCount(redis, a.stream, a.group)) === 0, 5_000, 'a acked');
    await waitFor(async () => (await pendingCount(redis, b.stream, b.group)) === 0, 5_000, 'b acked');
  });
});
