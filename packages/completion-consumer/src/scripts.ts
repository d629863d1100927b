import type { Cluster, Redis } from 'ioredis';
import autoclaim from './lua/autoclaim-1.lua';
import claimIds from './lua/claim-ids-1.lua';
import deadLetter from './lua/dead-letter-2.lua';
import defer from './lua/defer-1.lua';
import deleteIdleConsumer from './lua/delete-idle-consumer-1.lua';
import ownPending from './lua/own-pending-1.lua';
import renewLease from './lua/renew-lease-1.lua';
import replayDeadLetter from './lua/replay-dead-letter-2.lua';
import safeTrim from './lua/safe-trim-1.lua';
import trimFacts from './lua/trim-facts-1.lua';

/** An ioredis client the consumer can talk to: a single node or a cluster. */
export type RedisClient = Redis | Cluster;

/**
 * The Lua scripts of this package, by name: source and number of keys. Names are versioned so two versions of
 * the package sharing one client never run each other's scripts.
 */
const SCRIPTS = {
  chatConsumerAutoclaim_v1: { lua: autoclaim, numberOfKeys: 1 },
  chatConsumerClaimIds_v1: { lua: claimIds, numberOfKeys: 1 },
  chatConsumerDeadLetter_v1: { lua: deadLetter, numberOfKeys: 2 },
  chatConsumerDefer_v1: { lua: defer, numberOfKeys: 1 },
  chatConsumerDeleteIdle_v1: { lua: deleteIdleConsumer, numberOfKeys: 1 },
  chatConsumerOwnPending_v2: { lua: ownPending, numberOfKeys: 1 },
  chatConsumerRenewLease_v1: { lua: renewLease, numberOfKeys: 1 },
  chatConsumerReplay_v1: { lua: replayDeadLetter, numberOfKeys: 2 },
  chatConsumerSafeTrim_v1: { lua: safeTrim, numberOfKeys: 1 },
  chatConsumerTrimFacts_v1: { lua: trimFacts, numberOfKeys: 1 },
} as const;

/** Name of one of this package's scripts. */
export type ScriptName = keyof typeof SCRIPTS;

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Runs a script through ioredis `defineCommand` (EVALSHA, falling back to EVAL once per connection), defining
 * it on the client the first time. Keys come first, then arguments.
 */
export function runScript(
  redis: RedisClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  const client = redis as unknown as Record<string, ScriptFn | undefined>;
  let fn = client[name];
  if (typeof fn !== 'function') {
    redis.defineCommand(name, SCRIPTS[name]);
    fn = client[name] as ScriptFn;
  }
  return fn.call(redis, ...keys, ...args);
}
