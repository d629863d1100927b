// Entry of one scenario's child process: receives one job over IPC, runs it, reports progress, RSS and the result.
import type { ChildJob, ChildMessage, ParentMessage, ScenarioOutcome } from './child-protocol.js';
import { CpuProfiler } from './cpu-profiler.js';
import { RssSampler } from './rss-sampler.js';
import type { ScenarioContext } from './scenarios/context.js';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function dispatch(job: ChildJob, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  switch (job.kind) {
    case 'raw-xadd':
      return (await import('./scenarios/raw-xadd.js')).runRawXadd(job, ctx);
    case 'publisher':
      return (await import('./scenarios/publisher.js')).runPublisher(job, ctx);
    case 'raw-consume':
      return (await import('./scenarios/raw-consume.js')).runRawConsume(job, ctx);
    case 'consumer':
      return (await import('./scenarios/consumer.js')).runConsumer(job, ctx);
    case 'offered-load':
      return (await import('./scenarios/offered-load.js')).runOfferedLoad(job, ctx);
    case 'paced-producer':
      return (await import('./scenarios/paced-producer.js')).runPacedProducer(job, ctx);
    case 'worker':
      return (await import('./scenarios/worker-process.js')).runWorkerProcess(job, ctx);
    case 'end-to-end':
      return (await import('./scenarios/end-to-end.js')).runEndToEnd(job, ctx);
    case 'chat-api':
      return (await import('./scenarios/chat-api-process.js')).runChatApiProcess(job, ctx);
    case 'raw-roundtrip':
      return (await import('./scenarios/raw-roundtrip.js')).runRawRoundTrip(job, ctx);
    case 'watchers':
      return (await import('./scenarios/watchers.js')).runWatchers(job, ctx);
    case 'watcher-clients':
      return (await import('./scenarios/watcher-clients.js')).runWatcherClients(job, ctx);
    case 'tracing':
      return (await import('./scenarios/tracing-overhead.js')).runTracing(job, ctx);
  }
}

async function run(job: ChildJob): Promise<void> {
  let done = 0;
  const total =
    'n' in job ? job.n : 'rate' in job ? job.rate * job.seconds : 'subscribers' in job ? job.subscribers : 0;
  let sampler: RssSampler | undefined;
  const profiler = job.profileFile ? new CpuProfiler() : undefined;
  let cpuStart: NodeJS.CpuUsage | undefined;
  let cpuMs: number | undefined;
  const ctx: ScenarioContext = {
    progress: (value) => {
      done = value;
    },
    measuring: async () => {
      sampler = new RssSampler((rssBytes) => void send({ type: 'progress', done, total, rssBytes }));
      cpuStart = process.cpuUsage();
      await profiler?.start();
    },
    measured: async () => {
      sampler?.stop();
      if (cpuStart) {
        const cpu = process.cpuUsage(cpuStart);
        cpuMs = (cpu.user + cpu.system) / 1000;
      }
      if (profiler && job.profileFile) await profiler.stop(job.profileFile);
    },
  };
  const outcome = await dispatch(job, ctx);
  sampler?.stop();
  const rss = sampler ?? new RssSampler(() => {});
  rss.stop();
  await send({
    type: 'result',
    outcome,
    rss: {
      startBytes: rss.startBytes,
      endBytes: rss.lastBytes,
      maxBytes: rss.maxBytes,
      maxHeapTotalBytes: rss.maxHeapTotalBytes,
      ...('timeline' in job && job.timeline ? { timeline: rss.timeline } : {}),
    },
    ...(cpuMs === undefined ? {} : { cpuMs }),
  });
}

process.once('message', (message: ParentMessage) => {
  if (message.type !== 'run') return;
  run(message.job).then(
    // Exit at once: a library timer left behind after close() (see the README's findings) must not hold the
    // next scenario up.
    () => process.exit(0),
    async (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      await send({ type: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
      process.exit(1);
    },
  );
});
