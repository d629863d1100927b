import { compareStreamIds } from '@chat/redis-kit';
import { type RedisClient, runScript } from './scripts.js';

/** What Redis reports about a stream and one of its groups, as far as detecting unread trimmed entries needs. */
export interface TrimFacts {
  /** Entries in the stream now. */
  length: number;
  /** Id of the oldest entry, or null when the stream is empty. */
  firstId: string | null;
  /** Id of the newest entry ever added. */
  lastGeneratedId: string;
  /** Entries ever added to the stream (`entries-added`); null before Redis 7.0. */
  entriesAdded: number | null;
  /** The group's position: the last entry delivered to any of its consumers. */
  lastDeliveredId: string;
  /** The group's logical read counter (`entries-read`); null when Redis cannot tell or is older than 7.0. */
  entriesRead: number | null;
}

/**
 * Where a group stands against its stream's retention. `gap`: entries after the group's position were removed
 * before the group read them (its position is older than the first entry). `deficit`: entries ever added that
 * the group neither read nor can still read, `entries-added − entries-read − entries still ahead of the group`;
 * known in a gap and when the group has read everything, null otherwise or when the server has no counters.
 */
export interface TrimPosition {
  gap: boolean;
  deficit: number | null;
}

/** Compares the group's position with the stream's first entry and counters; pure, so it is unit-tested. */
export function trimPosition(facts: TrimFacts): TrimPosition {
  const { length, firstId, lastGeneratedId, entriesAdded, lastDeliveredId } = facts;
  const gap =
    firstId !== null
      ? compareStreamIds(lastDeliveredId, firstId) < 0
      : compareStreamIds(lastDeliveredId, lastGeneratedId) < 0;
  // A group that never received anything has read nothing, whatever entries-read says (Redis reports nil there).
  const read = lastDeliveredId === '0-0' ? 0 : facts.entriesRead;
  const caughtUp = compareStreamIds(lastDeliveredId, lastGeneratedId) === 0;
  if (entriesAdded === null || read === null || (!gap && !caughtUp)) return { gap, deficit: null };
  // In a gap every entry still in the stream is ahead of the group; caught up, none is.
  const ahead = gap ? length : 0;
  return { gap, deficit: Math.max(0, entriesAdded - read - ahead) };
}

/** Reads {@link TrimFacts} in one script call; undefined when the stream or the group does not exist. */
export async function readTrimFacts(
  redis: RedisClient,
  stream: string,
  group: string,
): Promise<TrimFacts | undefined> {
  const reply = (await runScript(redis, 'trim-facts-1', [stream], [group])) as
    | [number, string | null, string, number | null, string, number | null]
    | null;
  if (!reply) return undefined;
  const [length, firstId, lastGeneratedId, entriesAdded, lastDeliveredId, entriesRead] = reply;
  return {
    length: Number(length),
    firstId: firstId || null,
    lastGeneratedId,
    entriesAdded: typeof entriesAdded === 'number' ? entriesAdded : null,
    lastDeliveredId,
    entriesRead: typeof entriesRead === 'number' ? entriesRead : null,
  };
}

/** One detection: entries removed from the stream before the group read them. */
export interface TrimmedUnread {
  /** Entries newly found lost; null when the server cannot count them (Redis < 7.0, or `entries-read` unknown). */
  count: number | null;
  /** The lost entries lie after this id (the group's position)… */
  afterId: string;
  /** …and before this one (the stream's first entry; its last id when the stream is empty). */
  beforeId: string;
}

/**
 * Watches one group for entries trimmed before it read them (producer `MAXLEN`, or any XTRIM) and counts each
 * lost entry once. Redis 7.0 to 8.0 keep a group's `entries-read` short by the entries it skipped over a gap, so
 * the deficit stays after the group reads on; counting only its increases makes both behaviours exact.
 */
export class TrimmedUnreadDetector {
  /** The deficit already counted; undefined until the first observation. */
  private counted: number | undefined;
  /** The position of the last gap reported without a count, so it is reported once. */
  private uncountedAt: string | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly stream: string,
    private readonly group: string,
  ) {}

  /** Checks once (one round trip); returns a detection when entries were newly found lost. */
  async check(): Promise<TrimmedUnread | undefined> {
    const facts = await readTrimFacts(this.redis, this.stream, this.group);
    if (!facts) return undefined;
    const { gap, deficit } = trimPosition(facts);
    const range = { afterId: facts.lastDeliveredId, beforeId: facts.firstId ?? facts.lastGeneratedId };
    if (deficit === null) {
      if (!gap || this.uncountedAt === facts.lastDeliveredId) return undefined;
      this.uncountedAt = facts.lastDeliveredId;
      return { count: null, ...range };
    }
    const previous = this.counted;
    this.counted = deficit;
    // Caught up at the first look: any deficit is history (a server whose entries-read stays short), not news.
    if (previous === undefined && !gap) return undefined;
    const fresh = deficit - (previous ?? 0);
    return fresh > 0 ? { count: fresh, ...range } : undefined;
  }
}
