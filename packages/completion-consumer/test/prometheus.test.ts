import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { type ConsumerMetricsReading, registerConsumerMetrics } from '../src/prometheus.js';
import { names, ownRedisSuite, publish, startConsumer, waitFor } from './helpers.js';

describe('registerConsumerMetrics', () => {
  const suite = ownRedisSuite();
  const { consumers } = suite;

  it("builds the chat_consumer_* families on the caller's registry from the consumer's snapshot", async () => {
    const { redis } = suite;
    const { stream, group } = names('prom');
    const registry = new Registry();
    const collectors = registerConsumerMetrics(registry);
    const consumer = await startConsumer(
      { redis, stream, group, consumer: 'c1', handler: async () => {} },
      consumers,
    );
    collectors.add(consumer);
    await publish(redis, stream, 3);
    await redis.xadd(stream, '*', 'data', 'not json');
    const labels = `stream="${stream}",group="${group}"`;
    const text = await waitFor(
      async () => {
        const scrape = await registry.metrics();
        return (
          scrape.includes(`chat_consumer_acked_total{${labels}} 3`) &&
          scrape.includes(`chat_consumer_dead_lettered_total{${labels},reason="invalid_json"} 1`) &&
          scrape
        );
      },
      20_000,
      'three processed and one dead-lettered, all acked',
    );
    expect(text).toContain('# TYPE chat_consumer_processed_total counter');
    expect(text).toContain(`chat_consumer_processed_total{${labels}} 3`);
    expect(text).toContain(`chat_consumer_dead_lettered_total{${labels},reason="invalid_json"} 1`);
    expect(text).toContain(`chat_consumer_trimmed_unread_total{${labels}} 0`);
    expect(text).toContain('# TYPE chat_consumer_pending gauge');
    expect(text).toContain(`chat_consumer_pending{${labels}} 0`);
    expect(text).toContain(`chat_consumer_state{${labels},state="ready"} 1`);
    expect(text).toContain(`chat_consumer_state{${labels},state="degraded"} 0`);
    expect(text).toContain(`chat_consumer_metrics_stale{${labels}} 0`);
    expect(text).toMatch(
      new RegExp(`^chat_consumer_metrics_last_success_timestamp_seconds\\{${labels}\\} \\d+(\\.\\d+)?$`, 'm'),
    );
    expect(text).toContain('# TYPE chat_consumer_handler_duration_seconds histogram');
    expect(text).toContain(`chat_consumer_handler_duration_seconds_count{${labels}} 3`);
    expect(text).toContain(`chat_consumer_end_to_end_latency_seconds_bucket{le="+Inf",${labels}} 3`);
  });

  it('reads each consumer once per scrape, and shows a stale reading as the caller reports it', async () => {
    const { redis } = suite;
    const { stream, group } = names('prom-stale');
    const registry = new Registry();
    const collectors = registerConsumerMetrics(registry);
    const consumer = await startConsumer(
      { redis, stream, group, consumer: 'c1', handler: async () => {} },
      consumers,
    );
    const snapshot = await consumer.metrics();
    let reads = 0;
    collectors.add(consumer, async (): Promise<ConsumerMetricsReading> => {
      reads++;
      return { snapshot: { ...snapshot, pending: 7 }, stale: true, lastSuccessAt: 1_700_000_000_000 };
    });
    const text = await registry.metrics();
    expect(reads).toBe(1);
    const labels = `stream="${stream}",group="${group}"`;
    expect(text).toContain(`chat_consumer_metrics_stale{${labels}} 1`);
    expect(text).toContain(`chat_consumer_metrics_last_success_timestamp_seconds{${labels}} 1700000000`);
    expect(text).toContain(`chat_consumer_pending{${labels}} 7`);
    await registry.metrics();
    expect(reads).toBe(2);
  });
});
