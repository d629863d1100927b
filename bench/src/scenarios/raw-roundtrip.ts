import { Redis } from 'ioredis';
import type { RawRoundTripJob, ScenarioOutcome } from '../child-protocol.js';
import { LatencyHistogram } from '../latency-histogram.js';
import type { ScenarioContext } from './context.js';
import { monotonicMicros } from './paced-producer.js';

/**
 * The floor under the end-to-end latency: one connection `XADD`s a stamped entry every 1/rate s, another waits in
 * `XREAD BLOCK` for it; latency is XADD sent → entry read. No consumer group, no task, no SSE.
 */
export async function runRawRoundTrip(job: RawRoundTripJob, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const writer = new Redis(job.url);
  const reader = new Redis(job.url);
  const key = `${job.stream}:roundtrip`;
  const histogram = new LatencyHistogram();
  const total = Math.round(job.rate * job.seconds);
  let read = 0;
  let stop = false;
  await ctx.measuring();
  const startedUs = monotonicMicros();
  const recordFromUs = startedUs + job.warmupSeconds * 1e6;
  const reading = (async () => {
    // From the start of a fresh key: nothing written before the first XREAD waits is missed.
    let last = '0-0';
    while (!stop && read < total) {
      const reply = (await reader.xread('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', key, last)) as
        | [string, [string, string[]][]][]
        | null;
      const now = monotonicMicros();
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        last = id;
        const sentUs = Number(fields[1]);
        if (sentUs >= recordFromUs) histogram.recordMs((now - sentUs) / 1000);
        read++;
      }
      ctx.progress(read);
    }
  })();
  const started = performance.now();
  const interval = 1000 / job.rate;
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - started) / interval) + 1);
    for (; sent < due; sent++) void writer.xadd(key, '*', 'sent_us', String(monotonicMicros()));
    await new Promise((r) => setTimeout(r, 1));
  }
  const elapsedMs = performance.now() - started;
  const deadline = Date.now() + 10_000;
  while (read < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  stop = true;
  await ctx.measured();
  reader.disconnect();
  await reading.catch(() => {});
  await writer.quit();
  return { messages: read, elapsedMs, latency: histogram.summary({ buckets: true }) };
}
