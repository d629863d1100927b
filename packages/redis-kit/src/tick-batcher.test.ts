import { describe, expect, it } from 'vitest';
import { TickBatcher } from './tick-batcher.js';

/** A batcher that records each batch it ran and doubles numbers (a negative input is a per-call error). */
function doubling(maxBatch: number) {
  const batches: number[][] = [];
  const batcher = new TickBatcher<number, number>(async (inputs) => {
    batches.push([...inputs]);
    return inputs.map((n) => (n < 0 ? new Error(`negative ${n}`) : n * 2));
  }, maxBatch);
  return { batcher, batches };
}

describe('TickBatcher', () => {
  it('runs the calls of one turn as one batch, in order, each getting its own result', async () => {
    const { batcher, batches } = doubling(100);
    const results = await Promise.all([1, 2, 3].map((n) => batcher.add(n)));
    expect(results).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
    // A later turn is a new batch.
    expect(await batcher.add(5)).toBe(10);
    expect(batches).toEqual([[1, 2, 3], [5]]);
  });

  it('collects calls queued from promise callbacks of the same turn (handlers woken by one reply)', async () => {
    const { batcher, batches } = doubling(100);
    const woken = Promise.resolve();
    const results = await Promise.all(
      [1, 2, 3].map(async (n) => {
        await woken;
        await null;
        return batcher.add(n);
      }),
    );
    expect(results).toEqual([2, 4, 6]);
    expect(batches).toHaveLength(1);
  });

  it('splits at maxBatch', async () => {
    const { batcher, batches } = doubling(2);
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.add(n)))).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('an Error result rejects only its call; a failed batch rejects every call of it', async () => {
    const { batcher } = doubling(100);
    const settled = await Promise.allSettled([1, -1, 2].map((n) => batcher.add(n)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'negative -1' });

    const failing = new TickBatcher<number, number>(async () => {
      throw new Error('connection lost');
    }, 10);
    const all = await Promise.allSettled([1, 2].map((n) => failing.add(n)));
    expect(all.map((s) => (s as PromiseRejectedResult).reason?.message)).toEqual([
      'connection lost',
      'connection lost',
    ]);
    // A run that throws synchronously is a failed batch too, and one returning too few results fails the rest.
    const throwing = new TickBatcher<number, number>(() => {
      throw new Error('sync');
    }, 10);
    await expect(throwing.add(1)).rejects.toThrow('sync');
    const short = new TickBatcher<number, number>(async () => [1], 10);
    const shortResults = await Promise.allSettled([1, 2].map((n) => short.add(n)));
    expect(shortResults.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    expect(short.size).toBe(0);
  });

  it('refuses a maxBatch below 1', () => {
    expect(() => new TickBatcher(async () => [], 0)).toThrow(RangeError);
  });

  it('drain() sends what is queued at once and resolves when every batch has its results', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batches: number[][] = [];
    const batcher = new TickBatcher<number, number>(async (inputs) => {
      batches.push([...inputs]);
      await gate;
      return inputs.map((n) => n + 1);
    }, 100);
    const results = [batcher.add(1), batcher.add(2)];
    let drained = false;
    const draining = batcher.drain().then(() => {
      drained = true;
    });
    // Sent now, not at the end of the turn.
    expect(batches).toEqual([[1, 2]]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    release();
    await draining;
    expect(await Promise.all(results)).toEqual([2, 3]);
    // Nothing queued, nothing in flight: resolves at once.
    await batcher.drain();
  });
});
