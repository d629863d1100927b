import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createStreamRegistry } from '@chat/stream-registry';
import { waitFor } from '@chat/testing';
import { startTestTracing, type TestTracing } from '@chat/testing/tracing';
import { trace } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isolatedEnv, startWorkerProcess } from './helpers.js';

/** What the test reads of a span, from either process. */
interface SpanRecord {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

/** A span as an OTLP/HTTP JSON export carries it, attributes flattened to plain values. */
interface ExportedSpan extends SpanRecord {
  links: { traceId: string; spanId: string }[];
  events: { name: string }[];
  service: unknown;
}

type OtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};
type OtlpAttribute = { key: string; value: OtlpValue };
const flatten = (attributes: OtlpAttribute[] = []) =>
  Object.fromEntries(
    attributes.map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue)),
    ]),
  );

/** An OTLP/HTTP (JSON) trace receiver on a loopback port: what a collector is to the worker. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ExportedSpan[]; server: Server }> {
  const spans: ExportedSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const parsed = JSON.parse(body) as {
          resourceSpans: {
            resource: { attributes: OtlpAttribute[] };
            scopeSpans: {
              spans: (Omit<ExportedSpan, 'attributes' | 'service'> & { attributes: OtlpAttribute[] })[];
            }[];
          }[];
        };
        for (const resource of parsed.resourceSpans)
          for (const scope of resource.scopeSpans)
            for (const span of scope.spans)
              spans.push({
                ...span,
                links: span.links ?? [],
                events: span.events ?? [],
                attributes: flatten(span.attributes),
                service: flatten(resource.resource.attributes)['service.name'],
              });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

const require = createRequire(import.meta.url);

/** Runs the producer fixture in its own process; resolves with the entry id and the spans it ended. */
function runProducer(env: Record<string, string>) {
  const script = fileURLToPath(new URL('./fixtures/traced-producer.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', require.resolve('tsx'), script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  return new Promise<{ entryId: string; spans: SpanRecord[] }>((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)!))
        : reject(new Error(`producer exited ${code}: ${err}`)),
    ),
  );
}

const SPAN_KIND_PRODUCER = 3; // the API's SpanKind.PRODUCER
const OTLP_SPAN_KIND_CONSUMER = 5; // OTLP numbers kinds from 1 (INTERNAL)

describe('one completion traced from a producer process through the worker to the registry', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let tracing: TestTracing;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // The chat API (this process) traces too: its subscription's spans.
    tracing = startTestTracing();
  });
  afterAll(async () => {
    await tracing.stop();
    receiver.server.close();
    await redis.quit();
  });

  it('one trace: send (producer process) → process (worker, OTLP) → registry, with the conventions’ attributes', async () => {
    const { env, stream, keyPrefix } = isolatedEnv(url, 'otel', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      // One trace from the producer's span to the registry's (the default links a new trace instead; the consumer's
      // tests cover both).
      PRODUCER_TRACE: 'parent',
    });
    const { worker } = await startWorkerProcess(env);
    const registry = createStreamRegistry({ redis, keyPrefix });
    try {
      expect(worker.logs.find((l) => l.msg === 'OpenTelemetry tracing started')).toMatchObject({
        endpoint: receiver.url,
        protocol: 'http/json',
      });
      const task = {
        taskId: 'task-t',
        sessionId: 's1',
        userId: 'u1',
        toolCallId: 'call-t',
        toolName: 'create_agent',
      };
      await registry.createTask({ ...task, operationId: 'op-t' });
      const produced = await runProducer({
        REDIS_URL: url,
        STREAM: stream,
        MESSAGE: JSON.stringify({
          operation_id: 'op-t',
          task_id: 'task-t',
          success: true,
          result: { ok: true },
        }),
      });
      const chunks = await trace
        .getTracer('chat-api')
        .startActiveSpan('GET /tasks/:id/stream', async (span) => {
          const seen: string[] = [];
          for await (const entry of await registry.subscribe('task-t', { userId: 'u1' }))
            seen.push(entry.chunk.type);
          span.end();
          return seen;
        });
      expect(chunks.at(-1)).toBe('finish');

      // The producer process: its own span, and the send span under it.
      const send = produced.spans.find((s) => s.name === `send ${stream}`)!;
      const caller = produced.spans.find((s) => s.name === 'generate agent')!;
      expect(send.kind).toBe(SPAN_KIND_PRODUCER);
      expect(send.parentSpanId).toBe(caller.spanId);
      expect(send.attributes).toMatchObject({
        'messaging.system': 'redis',
        'messaging.destination.name': stream,
        'messaging.operation.type': 'send',
        'messaging.message.id': produced.entryId,
        'messaging.message.conversation_id': 'task-t',
      });

      // The worker process, through its OTLP exporter: the delivery linked to the send span, the lookup inside it.
      const { process: delivery, findTask } = await waitFor(
        () => {
          const found = receiver.spans.find(
            (s) =>
              s.name === `process ${stream}` && s.attributes['messaging.message.id'] === produced.entryId,
          );
          const lookup =
            found &&
            receiver.spans.find((s) => s.name === 'registry.find_task' && s.parentSpanId === found.spanId);
          return lookup && { process: found, findTask: lookup };
        },
        15_000,
        'the worker exported its spans',
      );
      expect(delivery.service).toBe('consumer-worker');
      expect(delivery.kind).toBe(OTLP_SPAN_KIND_CONSUMER);
      // The producer's trace continues in the worker: same trace id, the send span as parent.
      expect(delivery.traceId).toBe(send.traceId);
      expect(delivery.parentSpanId).toBe(send.spanId);
      expect(delivery.links).toEqual([]);
      expect(delivery.attributes).toMatchObject({
        'messaging.system': 'redis',
        'messaging.destination.name': stream,
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.message.id': produced.entryId,
        'messaging.message.conversation_id': 'task-t',
        'messaging.consumer.group.name': 'chat_consumers',
        'messaging.redis.message.delivery_count': 1,
        'chat.consumer.outcome': 'acked',
      });
      expect(delivery.attributes['messaging.client.id']).toEqual(expect.any(String));
      expect(findTask.traceId).toBe(send.traceId);
      expect(findTask.attributes).toMatchObject({ 'chat.task_id': 'task-t', 'chat.operation_id': 'op-t' });

      // The completion, a span inside the delivery: no persist or continue hook here, so one script settles and
      // finishes it (`settle_finish`) and no phase span of the phased path appears.
      for (const phase of ['settle_finish']) {
        const span = await waitFor(
          () =>
            receiver.spans.find((s) => s.name === `registry.${phase}` && s.parentSpanId === delivery.spanId),
          15_000,
          `the worker exported its ${phase} span`,
        );
        expect(span.traceId).toBe(send.traceId);
        expect(span.attributes).toMatchObject({ 'chat.task_id': 'task-t' });
      }

      for (const phase of ['settle', 'persist', 'continue', 'finish']) {
        expect(receiver.spans.some((s) => s.name === `registry.${phase}`)).toBe(false);
      }

      // The chat API's side: the subscription's check and replay.
      const names = tracing.spans().map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['registry.subscribe', 'GET /tasks/:id/stream']));
    } finally {
      await registry.close();
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    }
  });
});
