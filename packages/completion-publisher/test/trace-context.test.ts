import { decode } from '@chat/completion-schema';
import { uniquePrefix } from '@chat/testing';
import { startTestTracing, type TestTracing } from '@chat/testing/tracing';
import { context, createTraceState, ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createPublisher } from '../src/index.js';
import { readData } from './helpers.js';

const message = { operation_id: 'op', task_id: 't', success: true };

describe('send spans and trace context (OpenTelemetry messaging conventions)', () => {
  const redis = new Redis(inject('redisUrl'));
  let tracing: TestTracing;
  beforeAll(() => {
    tracing = startTestTracing();
  });
  beforeEach(() => tracing.reset());
  afterAll(async () => {
    await tracing.stop();
    await redis.quit();
  });

  const stamped = async (stream: string, id: string) => {
    const decoded = decode(['data', await readData(redis, stream, id)]);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    return { traceparent: decoded.message.traceparent, tracestate: decoded.message.tracestate };
  };

  it('publish: a send span, child of the caller’s span, whose context the propagator injects', async () => {
    const stream = `${uniquePrefix('otel')}completions`;
    const publisher = createPublisher({ redis, stream });
    const caller = trace.getTracer('app').startSpan('generate agent');
    const id = await context.with(trace.setSpan(ROOT_CONTEXT, caller), () =>
      publisher.publish({ ...message, task_id: 'task-7' }),
    );
    caller.end();
    const [send] = tracing.spans().filter((span) => span.name === `send ${stream}`);
    expect(send!.kind).toBe(SpanKind.PRODUCER);
    expect(send!.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(send!.attributes).toEqual({
      'messaging.system': 'redis',
      'messaging.destination.name': stream,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.message.conversation_id': 'task-7',
      'messaging.message.id': id,
    });
    const { traceId, spanId } = send!.spanContext();
    expect((await stamped(stream, id)).traceparent).toBe(`00-${traceId}-${spanId}-01`);
  });

  it('carries tracestate from the context into the entry', async () => {
    const stream = `${uniquePrefix('otel-state')}completions`;
    const publisher = createPublisher({ redis, stream });
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('vendor=abc'),
    });
    const id = await context.with(parent, () => publisher.publish(message));
    const fields = await stamped(stream, id);
    expect(fields.tracestate).toBe('vendor=abc');
    expect(fields.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  });

  it('publishMany: one span for the batch with its message count, every entry stamped with it', async () => {
    const stream = `${uniquePrefix('otel-many')}completions`;
    const publisher = createPublisher({ redis, stream });
    const ids = await publisher.publishMany([message, { ...message, operation_id: 'op-2' }]);
    const [send] = tracing.spans().filter((span) => span.name === `send ${stream}`);
    expect(send!.attributes['messaging.batch.message_count']).toBe(2);
    const { traceId, spanId } = send!.spanContext();
    for (const id of ids) expect((await stamped(stream, id)).traceparent).toBe(`00-${traceId}-${spanId}-01`);
  });

  it('an invalid message ends its span with error.type; a caller’s traceparent and traceContext: false are kept', async () => {
    const stream = `${uniquePrefix('otel-err')}completions`;
    const publisher = createPublisher({ redis, stream });
    await expect(publisher.publish({ ...message, operation_id: '' })).rejects.toThrow();
    const [send] = tracing.spans().filter((span) => span.name === `send ${stream}`);
    expect(send!.attributes['error.type']).toBe('schema_violation');

    const given = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const explicit = await publisher.publish({ ...message, operation_id: 'op-2', traceparent: given });
    expect((await stamped(stream, explicit)).traceparent).toBe(given);
    tracing.reset();
    const off = createPublisher({ redis, stream, traceContext: false });
    const offId = await off.publish({ ...message, operation_id: 'op-3' });
    expect((await stamped(stream, offId)).traceparent).toBeUndefined();
    expect(tracing.spans()).toEqual([]);
  });
});

describe('without an SDK', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  it('stamps nothing and creates no span', async () => {
    const stream = `${uniquePrefix('otel-none')}completions`;
    const publisher = createPublisher({ redis, stream });
    const id = await publisher.publish(message);
    const decoded = decode(['data', await readData(redis, stream, id)]);
    expect(decoded.ok && decoded.message.traceparent).toBeUndefined();
  });
});
