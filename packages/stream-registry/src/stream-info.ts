import { compareStreamIds, flatRecord, ZERO_ID } from '@chat/redis-kit';
import { CursorTrimmedError, InvalidCursorError } from './errors.js';

/** The parts of XINFO STREAM a cursor check needs. */
export interface StreamInfo {
  lastGeneratedId: string;
  /** Highest id removed by XDEL (Redis 7+; trimming does not move it); undefined on older servers. */
  maxDeletedId: string | undefined;
  /** Entries ever added (Redis 7+); more than `length` means some were trimmed or deleted. */
  entriesAdded: number | undefined;
  length: number;
  firstId: string | null;
}

/** Reads XINFO STREAM's flat reply. */
export function parseStreamInfo(reply: unknown[]): StreamInfo {
  const info = flatRecord(reply);
  const first = info['first-entry'];
  const maxDeleted = info['max-deleted-entry-id'];
  return {
    lastGeneratedId: String(info['last-generated-id'] ?? ZERO_ID),
    maxDeletedId: typeof maxDeleted === 'string' ? maxDeleted : undefined,
    entriesAdded: info['entries-added'] !== undefined ? Number(info['entries-added']) : undefined,
    length: Number(info.length ?? 0),
    firstId: Array.isArray(first) && typeof first[0] === 'string' ? first[0] : null,
  };
}

/**
 * Throws when resuming after `cursor` would silently skip entries (`cursor_trimmed`), or when the cursor is
 * past anything this stream ever held (`invalid_cursor`, most likely another task's id).
 *
 * Trimming removes from the head, so after a removal a cursor before the first kept entry may have missed
 * something. Redis does not say which id was trimmed last, so a cursor equal to exactly that id is refused too:
 * conservative, never a silent gap.
 */
export function checkCursor(taskId: string, cursor: string, info: StreamInfo): void {
  if (compareStreamIds(cursor, info.lastGeneratedId) > 0) {
    throw new InvalidCursorError(`cursor ${cursor} is past the end of task ${taskId}`, {
      taskId,
      cursor,
    });
  }
  const firstKept = info.firstId ?? info.lastGeneratedId;
  const beforeFirst = compareStreamIds(cursor, firstKept) < 0;
  const trimmed =
    info.entriesAdded !== undefined
      ? (info.entriesAdded > info.length && beforeFirst) ||
        (info.maxDeletedId !== undefined && compareStreamIds(cursor, info.maxDeletedId) < 0)
      : // Redis 6 keeps no history: only a real cursor before the first kept entry is known to be stale.
        cursor !== ZERO_ID && info.firstId !== null && beforeFirst;
  if (trimmed) {
    throw new CursorTrimmedError(
      `entries after cursor ${cursor} of task ${taskId} were trimmed; oldest kept is ${info.firstId}`,
      { taskId, cursor, oldestId: info.firstId },
    );
  }
}
