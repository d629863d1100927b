import { AsyncLocalStorage } from 'node:async_hooks';
import { decode } from '@chat/completion-schema';
import { uniquePrefix } from '@chat/testing';
import { type Context, type ContextManager, context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPublisher } from '../src/index.js';
import { readData } from './helpers.js';

/** The smallest real context manager (what @opentelemetry/context-async-hooks does), so `context.with` works. */
class StorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanId = '00f067aa0ba902b7';
const inSpan = <T>(fn: () => Promise<T>) =>
  context.with(trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: 1 }), fn);
const message = { operation_id: 'op', task_id: 't', success: true };

describe('traceparent from the active OpenTelemetry context', () => {
  const redis = new Redis(inject('redisUrl'));
  beforeAll(() => {
    context.setGlobalContextManager(new StorageContextManager());
  });
  afterAll(async () => {
    context.disable();
    await redis.quit();
  });

  const traceparentOf = async (stream: string, id: string) => {
    const decoded = decode(['data', await readData(redis, stream, id)]);
    return decoded.ok ? decoded.message.traceparent : `undecodable: ${decoded.error.detail}`;
  };

  it('stamps the active span on publish and publishMany', async () => {
    const stream = `${uniquePrefix('otel')}completions`;
    const publisher = createPublisher({ redis, stream });
    const id = await inSpan(() => publisher.publish(message));
    expect(await traceparentOf(stream, id)).toBe(`00-${traceId}-${spanId}-01`);
    const [manyId] = await inSpan(() => publisher.publishMany([{ ...message, operation_id: 'op-2' }]));
    expect(await traceparentOf(stream, manyId!)).toBe(`00-${traceId}-${spanId}-01`);
  });

  it('keeps a traceparent the caller passes, adds none without a span or when turned off', async () => {
    const stream = `${uniquePrefix('otel-off')}completions`;
    const given = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const publisher = createPublisher({ redis, stream });
    const explicit = await inSpan(() => publisher.publish({ ...message, traceparent: given }));
    expect(await traceparentOf(stream, explicit)).toBe(given);
    const noSpan = await publisher.publish({ ...message, operation_id: 'op-2' });
    expect(await traceparentOf(stream, noSpan)).toBeUndefined();
    const off = createPublisher({ redis, stream, traceContext: false });
    const offId = await inSpan(() => off.publish({ ...message, operation_id: 'op-3' }));
    expect(await traceparentOf(stream, offId)).toBeUndefined();
  });
});
