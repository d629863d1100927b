import type { ScenarioOutcome, WatchersJob } from '../child-protocol.js';
import { runChild } from '../child-runner.js';
import type { ScenarioContext } from './context.js';
import { monotonicMicros } from './paced-producer.js';
import { startChatApi } from './sse-http.js';

/** Moments of the client's run (CLOCK_MONOTONIC µs), which this process maps onto its own samples. */
export interface WatcherPhases {
  connectStartUs: number;
  connectedUs: number;
  fanOutStartUs: number;
  fanOutDoneUs: number;
  stormStartUs: number;
  stormDoneUs: number;
}

/**
 * Many watchers, server side: this process is the chat API (the registry's SSE handler, one shared reader) and
 * nothing else, so its RSS and CPU are what the subscribers cost. The client process opens the connections, writes
 * the chunks and runs the storm, and reports when each phase began and ended; RSS and CPU samples taken here every
 * 100 ms are read at those moments.
 */
export async function runWatchers(job: WatchersJob, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const api = await startChatApi(job.url);
  const samples: { us: number; rss: number; cpuUs: number }[] = [];
  const sample = () => {
    const cpu = process.cpuUsage();
    samples.push({ us: monotonicMicros(), rss: process.memoryUsage.rss(), cpuUs: cpu.user + cpu.system });
  };
  await ctx.measuring();
  sample();
  const timer = setInterval(sample, 100);
  const clients = await runChild(
    {
      kind: 'watcher-clients',
      url: job.url,
      stream: job.stream,
      group: job.group,
      port: api.port,
      subscribers: job.subscribers,
      tasks: job.tasks,
      chunks: job.chunks,
      stormChunks: job.stormChunks,
    },
    (done) => ctx.progress(done),
    600_000,
  );
  clearInterval(timer);
  sample();
  await ctx.measured();
  await api.close();
  const phases = clients.outcome.figures as unknown as WatcherPhases & Record<string, number>;
  // The last sample taken at or before `us` (the first one if none is).
  const at = (us: number) => samples.filter((s) => s.us <= us).at(-1) ?? samples[0]!;
  // The sample right after `us`: RSS once a phase has completed.
  const after = (us: number) => samples.find((s) => s.us >= us) ?? samples.at(-1)!;
  const before = at(phases.connectStartUs);
  const connected = after(phases.connectedUs);
  const peakDuringStorm = Math.max(
    ...samples.filter((s) => s.us >= phases.stormStartUs && s.us <= phases.stormDoneUs).map((s) => s.rss),
    after(phases.stormDoneUs).rss,
  );
  const cpuBetween = (from: number, to: number) => after(to).cpuUs - at(from).cpuUs;
  const deliveries = job.subscribers * job.chunks;
  const { connectStartUs, connectedUs, fanOutStartUs, fanOutDoneUs, stormStartUs, stormDoneUs, ...counts } =
    phases;
  return {
    messages: deliveries,
    elapsedMs: (fanOutDoneUs - fanOutStartUs) / 1000,
    figures: {
      subscribers: job.subscribers,
      tasks: job.tasks,
      connectMs: Math.round((connectedUs - connectStartUs) / 1000),
      rssBeforeMB: Math.round(before.rss / 1e5) / 10,
      rssConnectedMB: Math.round(connected.rss / 1e5) / 10,
      rssPerSubscriberKB: Math.round((connected.rss - before.rss) / job.subscribers / 100) / 10,
      cpuPerSubscriberConnectUs: Math.round(cpuBetween(connectStartUs, connectedUs) / job.subscribers),
      cpuPerDeliveryUs: Math.round((cpuBetween(fanOutStartUs, fanOutDoneUs) / deliveries) * 10) / 10,
      fanOutMs: Math.round((fanOutDoneUs - fanOutStartUs) / 1000),
      stormCatchUpMs: Math.round((stormDoneUs - stormStartUs) / 1000),
      stormPeakRssMB: Math.round(peakDuringStorm / 1e5) / 10,
      cpuPerSubscriberStormUs: Math.round(cpuBetween(stormStartUs, stormDoneUs) / job.subscribers),
      ...counts,
    },
  };
}
