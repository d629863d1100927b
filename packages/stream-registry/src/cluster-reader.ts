import type { Logger } from '@chat/completion-schema';
import { masterAt, masterKeyFor, nodeKeyOf } from '@chat/redis-kit';
import { type Cluster, Redis } from 'ioredis';
import { ClusterNodeReader } from './cluster-node-reader.js';
import type { LiveSink } from './live-sink.js';
import type { LiveReader } from './shared-reader.js';

/** Settings of {@link ClusterStreamReader}. */
export interface ClusterStreamReaderOptions {
  cluster: Cluster;
  blockMs: number;
  readCount: number;
  /** Pause between empty polling rounds of a node whose tailed streams span several slots. */
  pollMs: number;
  connectionName: string;
  logger: Logger;
}

/**
 * The live reader on a Redis Cluster: one {@link ClusterNodeReader} (one connection) per master node, each
 * tailing the streams whose slot that node serves. When a slot moves (failover, resharding: a read fails, or
 * the client refreshes its slot map) the affected streams move to the new owner's reader with their position
 * and subscribers, so nobody misses or repeats an entry. Still one blocking reader per node, never one per
 * subscriber.
 */
export class ClusterStreamReader implements LiveReader {
  private readonly readers = new Map<string, ClusterNodeReader>();
  /** Which node's reader tails each key. */
  private readonly nodeOfKey = new Map<string, string>();
  private readonly onRefresh = () => this.regroup();
  private refreshing = false;
  private closed = false;

  constructor(private readonly options: ClusterStreamReaderOptions) {
    options.cluster.on('refresh', this.onRefresh);
  }

  /** Live subscribers across every node's reader. */
  get sinkCount(): number {
    let count = 0;
    for (const reader of this.readers.values()) count += reader.sinkCount;
    return count;
  }

  /** Node keys (`host:port`) with a reader, and how many streams each tails; for tests and metrics. */
  nodeReaders(): Record<string, number> {
    return Object.fromEntries([...this.readers].map(([node, reader]) => [node, reader.size]));
  }

  add(key: string, sink: LiveSink, seenId: string): string {
    if (this.closed) {
      sink.close();
      return seenId;
    }
    const node = this.nodeOfKey.get(key) ?? this.ownerOf(key);
    this.nodeOfKey.set(key, node);
    return this.readerFor(node).add(key, sink, seenId);
  }

  remove(key: string, sink: LiveSink): void {
    const node = this.nodeOfKey.get(key);
    const reader = node === undefined ? undefined : this.readers.get(node);
    if (!reader) return;
    reader.remove(key, sink);
    if (!reader.has(key)) this.nodeOfKey.delete(key);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.options.cluster.off('refresh', this.onRefresh);
    const readers = [...this.readers.values()];
    this.readers.clear();
    this.nodeOfKey.clear();
    await Promise.all(readers.map((reader) => reader.close()));
  }

  /** The master serving `key`'s slot per the client's slot map (a known master if the map has no entry yet). */
  private ownerOf(key: string): string {
    const owner = masterKeyFor(this.options.cluster, key);
    if (owner) return owner;
    const master = this.options.cluster.nodes('master')[0];
    return master ? nodeKeyOf(master) : 'unknown:0';
  }

  private readerFor(node: string): ClusterNodeReader {
    let reader = this.readers.get(node);
    if (reader) return reader;
    const { cluster, blockMs, readCount, pollMs, logger, connectionName } = this.options;
    const at = node.lastIndexOf(':');
    reader = new ClusterNodeReader({
      connect: () =>
        new Redis({
          ...cluster.options.redisOptions,
          host: node.slice(0, at),
          port: Number(node.slice(at + 1)),
          maxRetriesPerRequest: null,
          enableAutoPipelining: false,
          connectionName,
        }),
      // Wakes the reader through the cluster's own (non-blocked) connection to the same node.
      unblockVia: () => masterAt(cluster, node),
      blockMs,
      readCount,
      pollMs,
      logger,
      onFailure: () => this.refreshAndRegroup(),
    });
    this.readers.set(node, reader);
    return reader;
  }

  /** A read failed (MOVED, node down): ask the cluster for the current slot map, then regroup. */
  private refreshAndRegroup(): void {
    if (this.refreshing || this.closed) return;
    this.refreshing = true;
    this.options.cluster.refreshSlotsCache(() => {
      this.refreshing = false;
      this.regroup();
    });
  }

  /** Moves each tailed stream whose slot changed owner to the owner's reader; drops readers of lost masters. */
  private regroup(): void {
    if (this.closed) return;
    for (const [key, node] of this.nodeOfKey) {
      const owner = this.ownerOf(key);
      if (owner === node) continue;
      const tailed = this.readers.get(node)?.detach(key);
      if (!tailed) {
        this.nodeOfKey.delete(key);
        continue;
      }
      this.options.logger.info({ key, from: node, to: owner }, 'stream-registry: live tail moved node');
      this.nodeOfKey.set(key, owner);
      this.readerFor(owner).attach(key, tailed);
    }
    const masters = new Set(this.options.cluster.nodes('master').map(nodeKeyOf));
    for (const [node, reader] of this.readers) {
      if (reader.size === 0 && !masters.has(node)) {
        this.readers.delete(node);
        void reader.close();
      }
    }
  }
}
