import type { FleetMember } from './worker-fleet.js';

/** How long one worker took to work again after Redis came back (null: not within the wait). */
export interface Recovery {
  restart: number;
  slot: number;
  pid: number;
  ms: number | null;
  /** The process is the one that ran before the outage (no restart). */
  sameProcess: boolean;
  /** For a slow or missing recovery: the worker's log lines from the outage on, to see why. */
  trace?: string[];
}

/** When Redis came back: when its restart began and when it first answered PING. */
export interface RedisReturn {
  /** Just before the new redis-server process was spawned: no line after this can predate the restart. */
  startCalledAt: number;
  /** When it first answered PING (the zero of every recovery time). */
  redisStartedAt: number;
}

/**
 * For each worker that ran before the outage: the time from Redis accepting connections again to that worker's
 * first sign of work, i.e. its first `completion settled` line or its consumer going back to `ready`, whichever
 * comes first (pino's `time` field, so pipe delays do not count). A worker may reconnect between the server's
 * bind and our PING seeing it; such a line counts, as 0 ms, instead of being skipped.
 */
export async function measureRecovery(
  members: FleetMember[],
  { startCalledAt, redisStartedAt }: RedisReturn,
  restart: number,
  outageMs: number,
  timeoutMs = 30_000,
): Promise<Recovery[]> {
  return Promise.all(
    members.map(async (member) => {
      const pid = member.process.child.pid ?? -1;
      const ms = await member.process
        .waitForLog(
          (l) =>
            typeof l.time === 'number' &&
            l.time >= startCalledAt &&
            (l.msg === 'completion settled' || (l.msg === 'consumer state' && l.state === 'ready')),
          timeoutMs,
        )
        .then(
          (line) => Math.max(0, (line.time as number) - redisStartedAt),
          () => null,
        );
      const trace =
        ms === null || ms > 5_000
          ? member.process.logs
              .filter((l) => typeof l.time === 'number' && l.time >= redisStartedAt - outageMs - 2_000)
              .filter((l) => l.msg !== 'redis connection error' && l.msg !== 'dispatch')
              .slice(0, 40)
              .map(
                (l) =>
                  `${(l.time as number) - redisStartedAt} ms ${l.msg} ${String((l.err as { message?: string } | undefined)?.message ?? l.err ?? l.state ?? l.outcome ?? '')}`,
              )
          : undefined;
      return {
        restart,
        slot: member.slot,
        pid,
        ms,
        sameProcess: member.process.child.exitCode === null && member.process.child.signalCode === null,
        ...(trace ? { trace } : {}),
      };
    }),
  );
}
