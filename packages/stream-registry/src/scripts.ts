import type { Cluster, Redis } from 'ioredis';
import completeTask2 from './lua/complete-task-2.lua';
import createTask1 from './lua/create-task-1.lua';
import createTask3 from './lua/create-task-3.lua';
import indexSession1 from './lua/index-session-1.lua';
import publishChunk2 from './lua/publish-chunk-2.lua';

type Args = (string | number)[];

/** The registry's Lua scripts as ioredis custom commands (EVALSHA, falling back to EVAL once per script). */
export interface RegistryCommands {
  chatRegCreateTask3_v1(...args: Args): Promise<number>;
  chatRegCreateTask1_v1(...args: Args): Promise<number>;
  chatRegIndexSession_v1(...args: Args): Promise<number>;
  chatRegPublishChunk_v1(...args: Args): Promise<[string, string?]>;
  chatRegComplete_v1(...args: Args): Promise<number>;
}

const SCRIPTS: [keyof RegistryCommands, number, string][] = [
  ['chatRegCreateTask3_v1', 3, createTask3],
  ['chatRegCreateTask1_v1', 1, createTask1],
  ['chatRegIndexSession_v1', 1, indexSession1],
  ['chatRegPublishChunk_v1', 2, publishChunk2],
  ['chatRegComplete_v1', 2, completeTask2],
];

/**
 * Registers the scripts on a client. Names carry a version so two copies of this package sharing a caller's
 * client never run each other's script text.
 */
export function withRegistryCommands(redis: Redis | Cluster): (Redis | Cluster) & RegistryCommands {
  const target = redis as (Redis | Cluster) & Partial<RegistryCommands>;
  for (const [name, numberOfKeys, lua] of SCRIPTS) {
    if (typeof target[name] !== 'function') redis.defineCommand(name, { numberOfKeys, lua });
  }
  return redis as (Redis | Cluster) & RegistryCommands;
}
