import { encode } from '@chat/completion-schema';
import { type ReadableSpan, startTestTracing, type TestTracing } from '@chat/testing/tracing';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CompletionConsumer, PermanentError } from '../src/index.js';
import { names, startConsumer, waitFor } from './helpers.js';

describe('process spans (OpenTelemetry messaging conventions)', () => {
  const redis = new Redis(inject('redisUrl'));
  const consumers: CompletionConsumer[] = [];
  let tracing: TestTracing;
  beforeAll(() => {
    tracing = startTestTracing();
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close()));
    tracing.reset();
  });
  afterAll(async () => {
    await tracing.stop();
    await redis.quit();
  });

  /** XADDs one message carrying a producer span's context, as the publisher does; returns the ids. */
  const publishTraced = async (stream: string, operationId: string) => {
    const producer = trace
      .getTracer('test-producer')
      .startSpan(`send ${stream}`, { kind: SpanKind.PRODUCER });
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), producer), carrier);
    producer.end();
    const message = { operation_id: operationId, task_id: `task-${operationId}`, success: true, ...carrier };
    const entryId = (await redis.xadd(stream, '*', ...encode(message))) as string;
    return { entryId, producer: producer.spanContext() };
  };
  const processSpans = (stream: string): ReadableSpan[] =>
    tracing.spans().filter((span) => span.name === `process ${stream}`);

  it('one span per delivery, linked to the producer, with the handler inside it; retries and dead letters on it', async () => {
    const { stream, group } = names('trace-link');
    let failures = 0;
    await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'c1',
        maxDeliveries: 3,
        handler: async (message) => {
          // Work the handler does (the registry's calls in the worker) becomes the delivery span's child.
          trace.getTracer('test-handler').startActiveSpan('handler work', (span) => span.end());
          if (message.operation_id === 'flaky' && failures++ === 0) throw new TypeError('first try fails');
          if (message.operation_id === 'poison')
            throw new PermanentError('never works', { reason: 'bad_payload' });
        },
      },
      consumers,
    );
    const ok = await publishTraced(stream, 'ok');
    const flaky = await publishTraced(stream, 'flaky');
    const poison = await publishTraced(stream, 'poison');
    await waitFor(() => processSpans(stream).length === 4, 10_000, 'four deliveries traced');

    const spans = processSpans(stream);
    const of = (entryId: string) => spans.filter((s) => s.attributes['messaging.message.id'] === entryId);
    const [okSpan] = of(ok.entryId);
    expect(okSpan!.kind).toBe(SpanKind.CONSUMER);
    expect(okSpan!.attributes).toMatchObject({
      'messaging.system': 'redis',
      'messaging.destination.name': stream,
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.message.id': ok.entryId,
      'messaging.message.conversation_id': 'task-ok',
      'messaging.consumer.group.name': group,
      'messaging.client.id': 'c1',
      'messaging.redis.message.delivery_count': 1,
      'chat.consumer.outcome': 'acked',
    });
    // A link, not a parent: a new trace whose link points at the producer's span.
    expect(okSpan!.links.map((link) => link.context.spanId)).toEqual([ok.producer.spanId]);
    expect(okSpan!.spanContext().traceId).not.toBe(ok.producer.traceId);
    const work = tracing.spans().filter((s) => s.name === 'handler work');
    expect(work.map((s) => s.parentSpanContext?.spanId)).toContain(okSpan!.spanContext().spanId);

    const flakySpans = of(flaky.entryId);
    expect(flakySpans.map((s) => s.attributes['chat.consumer.outcome'])).toEqual(['retry', 'acked']);
    expect(flakySpans.map((s) => s.attributes['messaging.redis.message.delivery_count'])).toEqual([1, 2]);
    expect(flakySpans[0]!.attributes['error.type']).toBe('TypeError');
    expect(flakySpans[0]!.events.map((e) => e.name)).toEqual(['exception', 'retry_scheduled']);

    const [poisonSpan] = of(poison.entryId);
    expect(poisonSpan!.attributes).toMatchObject({
      'chat.consumer.outcome': 'dead_letter',
      'error.type': 'bad_payload',
    });
    expect(poisonSpan!.events.find((e) => e.name === 'dead_lettered')?.attributes).toMatchObject({
      'chat.consumer.dead_letter_reason': 'bad_payload',
    });
  });

  it("producerTrace 'parent' makes the delivery the producer span's child; undecodable entries get a span too", async () => {
    const { stream, group } = names('trace-parent');
    await startConsumer(
      { redis, stream, group, consumer: 'c1', producerTrace: 'parent', handler: async () => {} },
      consumers,
    );
    const { entryId, producer } = await publishTraced(stream, 'child');
    const badId = (await redis.xadd(stream, '*', 'data', 'not json')) as string;
    await waitFor(() => processSpans(stream).length === 2, 10_000, 'both deliveries traced');
    const [child, bad] = [entryId, badId].map((id) =>
      processSpans(stream).find((s) => s.attributes['messaging.message.id'] === id),
    );
    expect(child!.spanContext().traceId).toBe(producer.traceId);
    expect(child!.parentSpanContext?.spanId).toBe(producer.spanId);
    expect(child!.links).toEqual([]);
    expect(bad!.attributes).toMatchObject({
      'chat.consumer.outcome': 'dead_letter',
      'error.type': 'invalid_json',
    });
  });
});

describe('tracing off', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  it('creates no span and puts none in the handler context when no SDK is registered', async () => {
    const { stream, group } = names('trace-off');
    const active: unknown[] = [];
    const consumers: CompletionConsumer[] = [];
    await startConsumer(
      {
        redis,
        stream,
        group,
        handler: async () => {
          active.push(trace.getActiveSpan());
        },
      },
      consumers,
    );
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await redis.xadd(
      stream,
      '*',
      ...encode({ operation_id: 'op', task_id: 't', success: true, traceparent }),
    );
    await waitFor(() => active.length === 1, 10_000, 'handled');
    await Promise.all(consumers.map((c) => c.close()));
    expect(active).toEqual([undefined]);
  });
});
