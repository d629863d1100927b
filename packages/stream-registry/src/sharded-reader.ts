import { fnv1a32 } from '@chat/completion-schema';
import type { LiveSink } from './live-sink.js';
import type { LiveReader } from './shared-reader.js';

/**
 * Live tailing over several reader connections, each a {@link LiveReader} of its own share of the streams (by a
 * hash of the key, so a stream always stays on one). A shared reader re-issues its `XREAD` with every tailed key
 * after each wake, so its cost per live entry grows with the streams it tails; split over `n` connections, a wake
 * re-issues only its connection's share.
 */
export class ShardedStreamReader implements LiveReader {
  constructor(private readonly shards: readonly LiveReader[]) {}

  private shardOf(key: string): LiveReader {
    return this.shards[fnv1a32(key) % this.shards.length]!;
  }

  add(key: string, sink: LiveSink, seenId: string): string {
    return this.shardOf(key).add(key, sink, seenId);
  }

  remove(key: string, sink: LiveSink): void {
    this.shardOf(key).remove(key, sink);
  }

  get sinkCount(): number {
    return this.shards.reduce((sum, shard) => sum + shard.sinkCount, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((shard) => shard.close()));
  }
}
