import { luaScripts, scriptRunner } from '@chat/redis-kit';
import completeTask from './lua/complete-task-2.lua';
import completionStep from './lua/completion-step-2.lua';
import createTaskCluster from './lua/create-task-cluster-1.lua';
import createTaskCompat from './lua/create-task-compat-3.lua';
import findTasks from './lua/find-tasks-n.lua';
import createTaskHash from './lua/includes/create-task-hash.lua';
import isolated from './lua/includes/isolated.lua';
import serverTime from './lua/includes/server-time.lua';
import settleTaskFragment from './lua/includes/settle-task.lua';
import indexSession from './lua/index-session-1.lua';
import publishChunk from './lua/publish-chunk-2.lua';
import settleTaskCluster from './lua/settle-task-cluster-2.lua';
import settleTasks from './lua/settle-tasks-n.lua';

/** The registry's Lua scripts, by file name (`lua/<name>-<numKeys>.lua`), with the fragments they include. */
const SCRIPTS = luaScripts(
  'chatReg',
  {
    'complete-task-2': completeTask,
    'completion-step-2': completionStep,
    'create-task-cluster-1': createTaskCluster,
    'create-task-compat-3': createTaskCompat,
    'find-tasks-n': findTasks,
    'index-session-1': indexSession,
    'publish-chunk-2': publishChunk,
    'settle-task-cluster-2': settleTaskCluster,
    'settle-tasks-n': settleTasks,
  },
  {
    'create-task-hash': createTaskHash,
    isolated,
    'server-time': serverTime,
    'settle-task': settleTaskFragment,
  },
);

/**
 * Runs one of the registry's scripts (EVALSHA, falling back to EVAL once per connection), defining it on the
 * client the first time under a name derived from its content, so two copies of this package sharing a caller's
 * client never run each other's script text.
 */
export const runScript = scriptRunner(SCRIPTS);
