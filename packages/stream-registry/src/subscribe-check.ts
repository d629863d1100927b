import { isStreamId, ZERO_ID } from '@chat/redis-kit';
import type { SubscribeFacts } from './coalesced-reads.js';
import { ForbiddenError, InvalidCursorError, TaskExpiredError, TaskNotFoundError } from './errors.js';
import { checkCursor, parseStreamInfo } from './stream-info.js';
import { type ActiveTask, taskFromHash } from './task.js';

/** What a subscription may start from once its checks passed. */
export interface SubscribeStart {
  task: ActiveTask;
  cursor: string;
}

/**
 * The checks before a subscription, in one round trip (HGETALL + XINFO STREAM on keys of one slot, read by `load`,
 * which concurrent subscribers of the task share): the task
 * exists (else `task_not_found`, or `task_expired` when its chunks outlived it), the caller may read it
 * (`forbidden`), and the cursor neither skips trimmed entries (`cursor_trimmed`) nor is bogus (`invalid_cursor`).
 */
export async function checkSubscribe(
  load: () => Promise<SubscribeFacts>,
  taskId: string,
  userId: string | null | undefined,
  lastEventId: string | null | undefined,
): Promise<SubscribeStart> {
  // EventSource and the original's default both use 0 / 0-0 for "from the beginning".
  const cursor = lastEventId === '0' || !lastEventId ? ZERO_ID : lastEventId;
  if (!isStreamId(cursor)) {
    throw new InvalidCursorError(`cursor ${JSON.stringify(cursor)} is not a stream id`, {
      taskId,
      cursor,
    });
  }
  const [hash, info] = await load();
  const task = taskId ? taskFromHash(hash) : null;
  if (!task) {
    if (info) throw new TaskExpiredError(`task ${taskId} expired`, { taskId });
    throw new TaskNotFoundError(`task ${taskId} not found`, { taskId });
  }
  if (task.userId !== null && task.userId !== (userId ?? null)) {
    throw new ForbiddenError(`task ${taskId} belongs to another user`, { taskId });
  }
  if (info) checkCursor(taskId, cursor, parseStreamInfo(info as unknown[]));
  return { task, cursor };
}
