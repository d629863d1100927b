import { DEFAULT_COMPLETION_STREAM, DEFAULT_CONSUMER_GROUP } from '@chat/completion-schema';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.js';
import { deadLetterFields } from '../src/dead-letter.js';
import { Histogram } from '../src/histogram.js';
import {
  type ConsumerOptions,
  ConsumerOptionsError,
  DEFAULT_CONSUMER_OPTIONS,
  MAX_TIMER_MS,
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

describe('options are validated at construction', () => {
  const handler = async () => {};
  const base = { url: 'redis://x', handler };
  const rejects = (options: Partial<ConsumerOptions>, option: string, allowed: RegExp) => {
    let caught: unknown;
    try {
      resolveConsumerOptions({ ...base, ...options });
    } catch (error) {
      caught = error;
    }
    expect(ConsumerOptionsError.isInstance(caught), `${option} was accepted`).toBe(true);
    const error = caught as ConsumerOptionsError;
    expect(error.code).toBe('invalid_options');
    expect(error.option).toBe(option);
    expect(error.message).toContain(option);
    expect(error.message).toMatch(allowed);
  };

  it('concurrency: 0.5 (which used to floor to 0 and read nothing forever) and other non-integers', () => {
    rejects({ concurrency: 0.5 }, 'concurrency', /an integer >= 1, got 0\.5/);
    rejects({ concurrency: 0 }, 'concurrency', /an integer >= 1/);
    rejects({ concurrency: '16' as unknown as number }, 'concurrency', /got "16"/);
    rejects({ maxDeliveries: 2.5 }, 'maxDeliveries', /an integer >= 1/);
    rejects({ maxMessageBytes: 0 }, 'maxMessageBytes', /an integer >= 1/);
    rejects({ deadLetter: { maxLen: -1 } }, 'deadLetter.maxLen', /an integer >= 0/);
    rejects({ consumerTimeoutMs: Number.NaN }, 'consumerTimeoutMs', /got NaN/);
  });

  it('durations: whole milliseconds, positive where 0 would spin, within what a timer honours', () => {
    rejects({ claimIdleMs: 0 }, 'claimIdleMs', /from 1 to 2147483647 \(ms\)/);
    rejects({ claimIntervalMs: 0 }, 'claimIntervalMs', /from 1 to 2147483647/);
    rejects({ claimIntervalMs: MAX_TIMER_MS + 1 }, 'claimIntervalMs', /from 1 to 2147483647/);
    rejects({ blockMs: 0 }, 'blockMs', /from 1 to/);
    rejects({ blockMs: 100.5 }, 'blockMs', /an integer/);
    rejects({ ackFlushMs: -1 }, 'ackFlushMs', /from 0 to/);
    rejects({ shutdownTimeoutMs: Number.POSITIVE_INFINITY }, 'shutdownTimeoutMs', /from 0 to/);
  });

  it('reconnectBackoff: validated like backoff, and never 0 (a tight loop while Redis is down)', () => {
    rejects({ reconnectBackoff: { maxMs: 0 } }, 'reconnectBackoff.maxMs', /from 1 to/);
    rejects({ reconnectBackoff: { baseMs: 0 } }, 'reconnectBackoff.baseMs', /from 1 to/);
    rejects({ reconnectBackoff: { jitter: 2 } }, 'reconnectBackoff.jitter', /a number from 0 to 1/);
    rejects(
      { reconnectBackoff: { baseMs: 5_000, maxMs: 100 } },
      'reconnectBackoff.baseMs',
      /must not exceed reconnectBackoff\.maxMs \(100\)/,
    );
  });

  it('backoff: base <= max, jitter in [0, 1]; 0 (retry at once) stays allowed', () => {
    rejects({ backoff: { baseMs: 5_000, maxMs: 100 } }, 'backoff.baseMs', /must not exceed backoff\.maxMs/);
    rejects({ backoff: { jitter: -0.1 } }, 'backoff.jitter', /from 0 to 1/);
    rejects({ backoff: { baseMs: 1.5 } }, 'backoff.baseMs', /an integer/);
    expect(resolveConsumerOptions({ ...base, backoff: { baseMs: 0, maxMs: 0 } }).backoff).toEqual({
      baseMs: 0,
      maxMs: 0,
      jitter: 0.2,
    });
  });

  it('names: non-empty strings', () => {
    rejects({ group: '' }, 'group', /non-empty string/);
    rejects({ consumer: '' }, 'consumer', /non-empty string/);
  });

  it('the defaults themselves pass, and cannot be changed at run time', () => {
    const o = resolveConsumerOptions(base);
    expect(o.reconnectBackoff).toEqual(DEFAULT_CONSUMER_OPTIONS.reconnectBackoff);
    expect(Object.isFrozen(DEFAULT_CONSUMER_OPTIONS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_CONSUMER_OPTIONS.reconnectBackoff)).toBe(true);
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
