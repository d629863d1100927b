import { silentLogger } from '@chat/completion-schema/internal';
import { commandCalls } from '@chat/testing';
import { ownRedisServer } from '@chat/testing/suite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamRegistry } from '../src/index.js';
import { LiveSink } from '../src/live-sink.js';
import { SharedStreamReader } from '../src/shared-reader.js';
import { newTask, subscribeAll, waitFor } from './helpers.js';

// Its own redis-server: INFO commandstats counts every client.
describe('streams joining the live tail', () => {
  const own = ownRedisServer();
  let registry: StreamRegistry;
  beforeAll(() => {
    // A BLOCK far longer than the test: a read that returns did so because it was woken, not because BLOCK ran out.
    registry = new StreamRegistry({ redis: own.redis, blockMs: 60_000 });
  });
  afterAll(() => registry.close());
  /** Waits until a client is blocked in XREAD (flag `b`; an idle reader's last command would also show xread). */
  const blockedRead = () =>
    waitFor(
      async () => /flags=\w*b\w* .*cmd=xread/.test(String(await own.probe.client('LIST'))),
      10_000,
      'the blocked XREAD',
    );

  it('on a quiet server, joins wake the blocked read within moments and miss nothing', async () => {
    const first = await newTask(registry);
    const firstRun = await subscribeAll(registry, [first], 1);
    await waitFor(() => registry.liveSubscriberCount === 1, 10_000, 'the first subscriber to go live');
    await blockedRead();
    await own.probe.config('RESETSTAT');

    // Ten streams join together while the read blocks on the first one only.
    const joining = await Promise.all(Array.from({ length: 10 }, () => newTask(registry)));
    const joined = await subscribeAll(registry, joining, 10);
    await waitFor(() => registry.liveSubscriberCount === 11, 10_000, 'the joining subscribers to go live');
    // Written after they joined: only the live tail can bring these, within BLOCK only if the read was woken.
    await Promise.all(joining.map((task) => registry.publishChunk(task.taskId, { type: 'start' })));
    await waitFor(() => joined.received.every((entries) => entries.length === 1), 10_000, 'the live chunks');
    const calls = await commandCalls(own.probe);
    // Woken: BLOCK is a minute, so the chunks came because a CLIENT UNBLOCK (or more, if one overtook the read it
    // targeted and was retried) made the read start again with the joined streams.
    expect(calls['client|unblock']).toBeGreaterThanOrEqual(1);

    await Promise.all(
      [first, ...joining].map((task) =>
        registry.completeTask(task.taskId, { status: 'completed', chunks: [] }),
      ),
    );
    await Promise.all([firstRun.done, joined.done]);
    expect(joined.received.map((entries) => entries.map((entry) => entry.chunk.type))).toEqual(
      joining.map(() => ['start', 'finish']),
    );
  });

  it('a stream that leaves and joins again from an earlier id while a read is out gets every entry after that id', async () => {
    const key = 'rejoin:chunks';
    const reader = new SharedStreamReader({
      connect: () => own.redis.duplicate(),
      // Writes and wake-ups share one connection, so the server always runs the XADD before any CLIENT UNBLOCK.
      unblockVia: () => own.redis,
      blockMs: 60_000,
      readCount: 100,
      logger: silentLogger,
    });
    const next = async (sink: LiveSink) => {
      const event = await sink.next(undefined, 10_000);
      return event.kind === 'entry' ? event.entry.id : event.kind;
    };
    try {
      const chunk = ['type', 'data-n', 'data', '0'];
      const first = String(await own.redis.xadd(key, '*', ...chunk));
      const before = new LiveSink(8);
      reader.add(key, before, first);
      await blockedRead();
      // The browser showed `first`; its buffer already holds `second`, so the read out asks after `second`.
      const second = String(await own.redis.xadd(key, '*', ...chunk));
      expect(await next(before)).toBe(second);
      await blockedRead();
      // It reconnects from `first`: its stream leaves and joins again, from before where the read out started.
      reader.remove(key, before);
      const after = new LiveSink(8);
      expect(reader.add(key, after, first)).toBe(first);
      const third = String(await own.redis.xadd(key, '*', ...chunk));
      expect([await next(after), await next(after)]).toEqual([second, third]);
    } finally {
      await reader.close();
    }
  });
});
