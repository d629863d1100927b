import { DEFAULT_COMPLETION_STREAM, deadLetterStreamFor } from '@chat/completion-schema';
import { StreamRegistry } from '@chat/stream-registry';
import type { RedisServer } from '@chat/testing';
import { Redis } from 'ioredis';
import { type AuditResult, auditRun } from './audit.js';
import { KillLoop } from './kill-loop.js';
import { PacedProducer } from './producer.js';
import { measureRecovery, type Recovery } from './recovery.js';
import { WorkerFleet } from './worker-fleet.js';
import { buildCompletions, buildMalformed, registerTasks } from './workload.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One Redis fault of a run: when (fraction of the completions published), how, and for how long. */
export interface RedisFault {
  atFraction: number;
  /** `stop`: SIGTERM, a clean shutdown (AOF flushed); `kill`: SIGKILL, a crash. */
  mode: 'stop' | 'kill';
  /** How long Redis stays down. */
  outageMs: number;
}

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** A redis-server we own, with AOF on; it is stopped and started on the same port and data directory. */
  server: RedisServer;
  completions: number;
  poison: number;
  publishSpanMs: number;
  faults: RedisFault[];
  /** SIGKILL a random worker this often (0 = never). */
  killEveryMs: number;
  /**
   * SIGKILL one worker right before each Redis fault (after the kill loop paused), so every fault starts with a
   * replacement still booting, which the run must wait for before it injects the fault. @defaultValue false
   */
  killBeforeFaults?: boolean;
  workers: number;
  /** Extra worker environment. */
  env?: Record<string, string>;
  /** How long to wait for the end state after the producer finished. */
  settleTimeoutMs: number;
  /**
   * Wait for every expected dead letter before auditing. Off when Redis may lose acknowledged writes (the fsync
   * measurement), where a lost source entry never reaches the dead-letter stream. @defaultValue true
   */
  awaitDeadLetters?: boolean;
  /** Seed of the kill schedule. */
  seed?: number;
  log?: (line: string) => void;
}

/** Everything a chaos run measured. */
export interface ChaosReport {
  messages: { ordinary: number; poison: number; malformed: number };
  kills: number;
  redisRestarts: number;
  audit: AuditResult;
  duplicateDeliveries: number;
  /** Completions a worker took over from a dead owner after their settle. */
  takeovers: number;
  /** Of those, the ones taken over inside the continuation (a kill landed while it streamed). */
  continuationTakeovers: number;
  recoveries: Recovery[];
  worstRecoveryMs: number | null;
  settled: boolean;
  durationMs: number;
  /** From the first ordinary publish to the end state (pending empty, everything delivered). */
  processingMs: number;
  /** Workers started in total (initial + replacements). */
  processes: number;
}

/** A small seeded generator, so a kill schedule can be replayed from the printed seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Runs real worker processes against `server` while a producer publishes, SIGKILLing a random worker every
 * `killEveryMs` and stopping or killing Redis as `faults` say, then waits for the end state and audits it.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const stream = DEFAULT_COMPLETION_STREAM;
  const admin = new Redis(options.server.url, { maxRetriesPerRequest: null });
  admin.on('error', () => {});
  const registry = new StreamRegistry({ redis: admin });
  const completions = buildCompletions(options.completions, options.poison);
  const malformed = buildMalformed();
  await registerTasks(registry, completions);
  log(`registered ${completions.length} tasks in ${Date.now() - started} ms`);

  const fleet = new WorkerFleet(
    {
      REDIS_URL: options.server.url,
      NODE_ENV: 'production',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      // debug: duplicates and recovery are read from the per-completion `completion settled` lines.
      LOG_LEVEL: 'debug',
      CONCURRENCY: '16',
      MAX_DELIVERIES: '3',
      CLAIM_IDLE_MS: '1500',
      CLAIM_INTERVAL_MS: '500',
      RETRY_BASE_MS: '100',
      RETRY_MAX_MS: '300',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...options.env,
    },
    options.workers,
  );
  const producer = new PacedProducer(options.server.url, stream);
  const random = seededRandom(options.seed ?? Date.now());
  const recoveries: Recovery[] = [];
  let producing = true;
  let kills: KillLoop | undefined;
  try {
    await fleet.startAll();
    const expectedDeadLetters = new Map<string, string>();
    // Poison and malformed entries go first, so their retries and dead-lettering run through every fault.
    const poison = completions.filter((c) => c.expected === 'poison');
    const poisonIds = await producer.publish(poison);
    for (const id of poisonIds) expectedDeadLetters.set(id, 'max_deliveries');
    const rawIds = await producer.writeRaw(malformed);
    for (const [i, id] of rawIds.entries()) expectedDeadLetters.set(id, malformed[i]!.reason);
    const ordinary = completions.filter((c) => c.expected !== 'poison');

    const producingSince = Date.now();
    const killLoop = new KillLoop(fleet, options.killEveryMs, random, log);
    kills = killLoop;
    const producing$ = producer.run(ordinary, options.publishSpanMs).finally(() => {
      producing = false;
      // Kills land under load only; the end state is reached by the workers then running.
      void killLoop.stop();
    });
    const faulting$ = (async () => {
      for (const [index, fault] of options.faults.entries()) {
        while (producer.published < fault.atFraction * completions.length && producing) await sleep(50);
        // No kill in flight and every slot ready: a replacement still booting would miss the fault unwatched.
        await killLoop.quiesce({ killFirst: options.killBeforeFaults === true });
        await producer.pause();
        const watched = fleet.live();
        if (fault.mode === 'stop') await options.server.stop();
        else await options.server.kill();
        if (fault.outageMs > 0) await sleep(fault.outageMs);
        const startCalledAt = Date.now();
        await options.server.start();
        const redisStartedAt = Date.now();
        log(`redis ${fault.mode} #${index + 1}: down ${fault.outageMs} ms, back at ${redisStartedAt}`);
        producer.resume();
        const measured = await measureRecovery(
          watched,
          { startCalledAt, redisStartedAt },
          index + 1,
          fault.outageMs,
        );
        recoveries.push(...measured);
        log(`recovery after restart #${index + 1}: ${measured.map((r) => `${r.slot}:${r.ms}ms`).join(' ')}`);
        for (const r of measured)
          if (r.trace) log(`slot ${r.slot} after restart #${index + 1}:\n  ${r.trace.join('\n  ')}`);
        killLoop.resume();
      }
    })();
    await Promise.all([producing$, faulting$]);
    await killLoop.stop();
    log(`published ${producer.published} in ${Date.now() - started} ms; ${fleet.kills} kills`);

    // End state: every live slot ready, everything delivered, nothing pending, every dead letter written.
    await fleet.waitForAllReady(60_000);
    const dlq = deadLetterStreamFor(stream);
    let settled = false;
    const deadline = Date.now() + options.settleTimeoutMs;
    while (Date.now() < deadline) {
      const [pending, info, dlqLen] = await Promise.all([
        admin.xpending(stream, 'chat_consumers') as Promise<[number]>,
        admin.xinfo('STREAM', stream) as Promise<unknown[]>,
        admin.xlen(dlq),
      ]);
      const groups = (await admin.xinfo('GROUPS', stream)) as unknown[][];
      const lastDelivered = groups[0]?.[groups[0].indexOf('last-delivered-id') + 1];
      const lastGenerated = info[info.indexOf('last-generated-id') + 1];
      const deadLettersIn = options.awaitDeadLetters === false || dlqLen >= expectedDeadLetters.size;
      if (pending[0] === 0 && lastDelivered === lastGenerated && deadLettersIn) {
        settled = true;
        break;
      }
      await sleep(250);
    }
    const processingMs = Date.now() - producingSince;
    // Let the last acks of the live workers land before reading the end state.
    await sleep(500);
    const audit = await auditRun(admin, { completions, expectedDeadLetters, stream, deadLetterStream: dlq });
    let duplicateDeliveries = 0;
    let takeovers = 0;
    let continuationTakeovers = 0;
    for (const line of fleet.allLogs()) {
      if (line.msg === 'completion settled' && line.outcome === 'duplicate') duplicateDeliveries++;
      if (line.msg === 'resuming a completion settled earlier') {
        takeovers++;
        if (line.phase === 'continuing') continuationTakeovers++;
      }
    }
    const times = recoveries.map((r) => r.ms).filter((ms): ms is number => ms !== null);
    const report: ChaosReport = {
      messages: { ordinary: ordinary.length, poison: poison.length, malformed: malformed.length },
      kills: fleet.kills,
      redisRestarts: options.faults.length,
      audit,
      duplicateDeliveries,
      takeovers,
      continuationTakeovers,
      recoveries,
      worstRecoveryMs: times.length === recoveries.length && times.length ? Math.max(...times) : null,
      settled,
      durationMs: Date.now() - started,
      processingMs,
      processes: fleet.members.length,
    };
    const exits = await fleet.terminate();
    log(`final SIGTERM: ${exits.map((e) => `${e.slot}→${e.code} in ${e.ms} ms`).join(', ')}`);
    return report;
  } finally {
    await kills?.stop();
    producer.close();
    await fleet.killAll();
    await registry.close();
    admin.disconnect();
  }
}
