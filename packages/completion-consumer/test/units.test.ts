import { DEFAULT_COMPLETION_STREAM, DEFAULT_CONSUMER_GROUP } from '@chat/completion-schema';
import { describe, expect, it } from 'vitest';
import { Histogram } from '../src/histogram.js';
import {
  backoffDelay,
  ConsumerOptionsError,
  DEFAULT_CONSUMER_OPTIONS,
  deadLetterFields,
  PermanentError,
  RetryableError,
  resolveConsumerOptions,
} from '../src/index.js';

describe('backoff', () => {
  const options = { baseMs: 100, maxMs: 1_000, jitter: 0 };
  it('doubles per attempt and caps', () => {
    expect([1, 2, 3, 4, 5, 40].map((n) => backoffDelay(n, options))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });
  it('jitters within ±jitter and never over the cap', () => {
    const j = { baseMs: 100, maxMs: 150, jitter: 0.5 };
    expect(backoffDelay(1, j, () => 0)).toBe(50);
    expect(backoffDelay(1, j, () => 1)).toBe(150);
    expect(backoffDelay(2, j, () => 1)).toBe(150);
  });
});

describe('histogram', () => {
  it('counts into buckets and estimates quantiles from them', () => {
    const h = new Histogram([10, 100, 1_000]);
    for (let i = 0; i < 98; i++) h.observe(5);
    h.observe(50);
    h.observe(5_000);
    const s = h.snapshot();
    expect(s.counts).toEqual([98, 1, 0, 1]);
    expect(s.count).toBe(100);
    expect(s.p50).toBe(10);
    expect(s.p99).toBe(100);
    expect(new Histogram().snapshot().p99).toBe(0);
  });
});

describe('options', () => {
  const handler = async () => {};
  it('applies the defaults once', () => {
    const o = resolveConsumerOptions({ url: 'redis://x', handler });
    expect(o.stream).toBe(DEFAULT_COMPLETION_STREAM);
    expect(o.group).toBe(DEFAULT_CONSUMER_GROUP);
    expect(o.deadLetter).toEqual({ stream: '{chat:completions}:dlq', maxLen: 100_000 });
    expect(o.concurrency).toBe(DEFAULT_CONSUMER_OPTIONS.concurrency);
    expect(o.consumer).toMatch(new RegExp(`-${process.pid}$`));
    expect(resolveConsumerOptions({ url: 'redis://x', handler, blockMs: 60_000 }).blockMs).toBe(5_000);
  });
  it('rejects a dead-letter stream in another hash slot, and bad numbers', () => {
    expect(() =>
      resolveConsumerOptions({
        url: 'redis://x',
        handler,
        stream: 'a:{x}',
        deadLetter: { stream: 'a:{y}:dlq' },
      }),
    ).toThrow(ConsumerOptionsError);
    expect(() => resolveConsumerOptions({ url: 'redis://x', handler, concurrency: 0 })).toThrow(
      /concurrency/,
    );
    expect(() => resolveConsumerOptions({ handler })).toThrow(/redis/);
    expect(resolveConsumerOptions({ url: 'redis://x', handler, stream: 'a:{x}' }).deadLetter.stream).toBe(
      'a:{x}:dlq',
    );
  });
});

describe('errors and dead-letter fields', () => {
  it('PermanentError and RetryableError carry reasons and are recognised by marker', () => {
    expect(new PermanentError('x').reason).toBe('permanent_error');
    expect(new RetryableError('x', { reason: 'task_not_found' }).reason).toBe('task_not_found');
    expect(PermanentError.isInstance(new PermanentError('x'))).toBe(true);
    expect(PermanentError.isInstance(new RetryableError('x'))).toBe(false);
    expect(PermanentError.isInstance(new Error('x'))).toBe(false);
  });
  it('keeps data verbatim, or the whole field list when there is no data', () => {
    const base = {
      reason: 'r',
      error: 'e',
      deliveryCount: 2,
      sourceStream: 's',
      sourceId: '1-0',
      consumer: 'c',
    };
    const at = new Date('2026-01-01T00:00:00Z');
    expect(deadLetterFields({ ...base, fields: ['data', '{"x":1}', 'extra', 'y'] }, at)).toEqual([
      'data',
      '{"x":1}',
      'reason',
      'r',
      'error',
      'e',
      'delivery_count',
      '2',
      'source_stream',
      's',
      'source_id',
      '1-0',
      'consumer',
      'c',
      'failed_at',
      '2026-01-01T00:00:00.000Z',
    ]);
    expect(deadLetterFields({ ...base, fields: ['a', 'b'] }, at).slice(0, 2)).toEqual([
      'fields',
      '["a","b"]',
    ]);
  });
});
