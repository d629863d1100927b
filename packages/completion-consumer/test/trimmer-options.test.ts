import { describe, expect, it } from 'vitest';
import { ConsumerOptionsError, type RedisClient, StreamTrimmer } from '../src/index.js';

// The constructor only resolves options; no command is sent, so no server is needed.
const redis = {} as RedisClient;

describe('StreamTrimmer options', () => {
  it.each([
    ['a zero interval (a busy loop)', { intervalMs: 0 }, 'intervalMs'],
    ['a fractional interval', { intervalMs: 0.5 }, 'intervalMs'],
    ['an interval no timer honours', { intervalMs: 2 ** 31 }, 'intervalMs'],
    ['a negative retention', { retainMs: -1 }, 'retainMs'],
    ['an empty stream', { stream: '' }, 'stream'],
  ])('refuses %s with a ConsumerOptionsError naming the option', (_, bad, option) => {
    let thrown: unknown;
    try {
      new StreamTrimmer({ redis, stream: 'chat:completions', ...bad });
    } catch (error) {
      thrown = error;
    }
    expect(ConsumerOptionsError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'invalid_options', option });
  });
});
