import { luaScripts, scriptRunner } from '@chat/redis-kit';
import type { Cluster, Redis } from 'ioredis';
import autoclaim from './lua/autoclaim-1.lua';
import claimIds from './lua/claim-ids-1.lua';
import deadLetter from './lua/dead-letter-2.lua';
import defer from './lua/defer-1.lua';
import deleteIdleConsumer from './lua/delete-idle-consumer-1.lua';
import addMaxLen from './lua/includes/add-maxlen.lua';
import claimPending from './lua/includes/claim-pending.lua';
import ownPending from './lua/own-pending-1.lua';
import renewLease from './lua/renew-lease-1.lua';
import replayDeadLetter from './lua/replay-dead-letter-2.lua';
import safeTrim from './lua/safe-trim-1.lua';
import trimFacts from './lua/trim-facts-1.lua';

/** An ioredis client the consumer can talk to: a single node or a cluster. */
export type RedisClient = Redis | Cluster;

/** The Lua scripts of this package, by file name (`lua/<name>-<numKeys>.lua`), with the fragments they include. */
const SCRIPTS = luaScripts(
  'chatConsumer',
  {
    'autoclaim-1': autoclaim,
    'claim-ids-1': claimIds,
    'dead-letter-2': deadLetter,
    'defer-1': defer,
    'delete-idle-consumer-1': deleteIdleConsumer,
    'own-pending-1': ownPending,
    'renew-lease-1': renewLease,
    'replay-dead-letter-2': replayDeadLetter,
    'safe-trim-1': safeTrim,
    'trim-facts-1': trimFacts,
  },
  { 'add-maxlen': addMaxLen, 'claim-pending': claimPending },
);

/**
 * Runs a script (EVALSHA, falling back to EVAL once per connection), defining it on the client the first time
 * under a name derived from its content. Keys come first, as many as the file name says, then arguments.
 */
export const runScript = scriptRunner(SCRIPTS);
