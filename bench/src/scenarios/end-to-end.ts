import { getFreePort } from '@chat/testing';
import type { ChildJob, EndToEndJob, ScenarioOutcome } from '../child-protocol.js';
import { type ChildReport, runChild } from '../child-runner.js';
import { LatencyHistogram } from '../latency-histogram.js';
import { until } from './consumer.js';
import type { ScenarioContext } from './context.js';
import { monotonicMicros, spawnPacedProducer } from './paced-producer.js';
import { openSse, type SseConnection } from './sse-http.js';

/** Time the producer process gets to start (and the first streams to open) once the worker is consuming. */
const START_DELAY_US = 2_000_000;

/**
 * What a user waits for: an open-loop producer process publishes completions on a schedule (CLOCK_MONOTONIC, which
 * every process here reads), a worker process (the deployable composition) completes them, a chat-API process
 * serves the registry's SSE handler (nothing else, as in production), and this process is the browsers: one SSE
 * connection per task, opened `leadMs` before its completion is due, as a browser waiting on a tool call. Latency is
 * publish → `tool-output-available` parsed by the client. With `backlog`, the worker starts on that many queued
 * completions and the fresh ones follow.
 */
export async function runEndToEnd(job: EndToEndJob, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const backlog = job.backlog ?? 0;
  const total = Math.round(job.rate * job.seconds);
  const port = await getFreePort();
  const stopApi = new AbortController();
  const api = await startedChild(
    {
      kind: 'chat-api',
      url: job.url,
      stream: job.stream,
      group: job.group,
      port,
      ...(job.readerConnections ? { readerConnections: job.readerConnections } : {}),
      ...profiled(job, 'chat-api'),
    },
    (job.seconds + 900) * 1000,
    stopApi.signal,
  );
  // However the run ends, the chat API stops (a failed worker start must not leave it serving).
  try {
    const histogram = new LatencyHistogram();
    const open = new Map<number, SseConnection>();
    let received = 0;
    let failed = 0;
    let firstError: string | undefined;
    let startAtUs = Number.POSITIVE_INFINITY;
    let recordFromUs = Number.POSITIVE_INFINITY;
    const dueUs = (i: number) => startAtUs + (i * 1e6) / job.rate;

    const connect = (i: number) => {
      const index = backlog + i;
      const connection = openSse(
        port,
        `task-${index}`,
        `user-${index % 100}`,
        undefined,
        (event) => {
          if (!event.data.includes('"tool-output-available"')) return;
          const now = monotonicMicros();
          const chunk = JSON.parse(event.data) as { output: string };
          const sentUs = (JSON.parse(chunk.output) as { sent_us: number }).sent_us;
          if (sentUs >= recordFromUs) histogram.recordMs((now - sentUs) / 1000);
          received++;
          ctx.progress(received);
          open.get(i)?.close();
          open.delete(i);
        },
        (error) => {
          if (!error || !open.has(i)) return;
          failed++;
          firstError ??= error.message;
          open.delete(i);
        },
      );
      open.set(i, connection);
    };

    await ctx.measuring();
    const clientCpuStart = process.cpuUsage();
    // The schedule starts once the worker consumes (a process start on a loaded machine can take seconds).
    const worker = await startedChild(
      {
        kind: 'worker',
        url: job.url,
        stream: job.stream,
        group: job.group,
        n: backlog + total,
        concurrency: job.concurrency,
        recordPickup: true,
        ...(backlog > 0 ? { markAt: backlog } : {}),
        ...profiled(job, 'worker'),
      },
      (job.seconds + 900) * 1000,
    );
    startAtUs = monotonicMicros() + START_DELAY_US;
    recordFromUs = startAtUs + job.warmupSeconds * 1e6;
    const producer = spawnPacedProducer({ ...job, firstIndex: backlog, startAtUs });
    // Opens each task's stream `leadMs` before its completion is due, as the schedule passes.
    let next = 0;
    const leadUs = job.leadMs * 1000;
    while (next < total) {
      const now = monotonicMicros();
      while (next < total && dueUs(next) - leadUs <= now) connect(next++);
      await new Promise((r) => setTimeout(r, 1));
    }
    const produced = await producer;
    const drained = await until(() => received + failed >= total, Math.max(60_000, job.seconds * 1000)).then(
      () => true,
      () => false,
    );
    const handled = await worker.report;
    const clientCpu = process.cpuUsage(clientCpuStart);
    await ctx.measured();
    for (const connection of open.values()) connection.close();
    stopApi.abort();
    const server = await api.report;
    const notes = [
      failed ? `${failed} streams failed (first: ${firstError})` : '',
      produced.outcome.note ?? '',
      drained ? '' : `overloaded: ${total - received - failed} of ${total} outputs not received in time`,
    ].filter(Boolean);
    const markMs = handled.outcome.figures?.markMs;
    const figures: Record<string, number> = {
      chatApiPeakRssMB: Math.round(server.rss.maxBytes / 1e5) / 10,
      workerPeakRssMB: Math.round(handled.rss.maxBytes / 1e5) / 10,
    };
    // CPU per completion of each process (Redis's is the row's own column): where a completion's time goes, and the
    // most this machine's cores can carry.
    const perCompletion = (ms: number | undefined) =>
      ms === undefined || received === 0 ? undefined : Math.round((ms * 1000) / (backlog + received));
    const cpu = {
      chatApiCpuUs: perCompletion(server.cpuMs),
      workerCpuUs: perCompletion(handled.cpuMs),
      producerCpuUs: perCompletion(produced.cpuMs),
      browsersCpuUs: perCompletion((clientCpu.user + clientCpu.system) / 1000),
    };
    for (const [name, value] of Object.entries(cpu)) if (value !== undefined) figures[name] = value;
    const apiCpuMs = server.outcome.figures?.cpuMs;
    if (apiCpuMs !== undefined && received > 0)
      figures.chatApiCpuUsPerCompletion = Math.round((apiCpuMs * 1000) / (backlog + received));
    // Publish → the worker's handler started: what of the latency is the producer and the worker's, not the browser's.
    const { pickupP50Ms, pickupP99Ms } = handled.outcome.figures ?? {};
    if (pickupP50Ms !== undefined) figures.workerPickupP50Ms = Math.round(pickupP50Ms * 100) / 100;
    if (pickupP99Ms !== undefined) figures.workerPickupP99Ms = Math.round(pickupP99Ms * 100) / 100;
    if (backlog > 0 && markMs !== undefined) {
      figures.drainMs = Math.round(markMs);
      figures.drainPerSec = Math.round(backlog / (markMs / 1000));
    }
    return {
      messages: received,
      elapsedMs: Math.max(produced.outcome.elapsedMs, 1),
      latency: histogram.summary({ buckets: true }),
      ...(notes.length ? { note: notes.join('; ') } : {}),
      figures,
    };
  } finally {
    stopApi.abort();
  }
}

/**
 * Starts a child and resolves once it has sent its first progress report (it reports from its `measuring()` on, so
 * it is serving or consuming by then); `report` is its result. Rejects when it ends before that.
 */
async function startedChild(
  job: ChildJob,
  timeoutMs: number,
  stop?: AbortSignal,
): Promise<{ report: Promise<ChildReport> }> {
  let started: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    started = resolve;
  });
  const report = runChild(job, () => started(), timeoutMs, stop);
  await Promise.race([
    ready,
    report.then(() => Promise.reject(new Error(`the ${job.kind} child ended before it was ready`))),
  ]);
  return { report };
}

/** With `--profile`, a child's own profile beside the scenario's (`<scenario>-<process>.cpuprofile`). */
function profiled(job: EndToEndJob, process: string): { profileFile?: string } {
  return job.profileFile
    ? { profileFile: job.profileFile.replace(/\.cpuprofile$/, `-${process}.cpuprofile`) }
    : {};
}
