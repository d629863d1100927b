import { keySlot } from '@chat/completion-schema';
import type { Redis } from 'ioredis';
import {
  SharedStreamReader,
  type SharedStreamReaderOptions,
  type TailedStream,
  type XReadReply,
} from './shared-reader.js';

/** Settings of {@link ClusterNodeReader}. */
export interface ClusterNodeReaderOptions extends SharedStreamReaderOptions {
  /** Pause between empty polling rounds, when the tailed streams span several slots. */
  pollMs: number;
  /** Told of every failed read, so the cluster reader can check whether the node still owns the slots. */
  onFailure: (error: unknown) => void;
}

/**
 * The live reader of one cluster master, used by {@link ClusterStreamReader}. A node refuses one XREAD over keys
 * of several slots (CROSSSLOT), so while the tailed streams share a slot it blocks as on a single server, and
 * when they span slots it polls instead: one pipeline of non-blocking XREADs, one per slot, every `pollMs` while
 * nothing arrives. Streams move between node readers with their position and sinks when a slot moves.
 */
export class ClusterNodeReader extends SharedStreamReader {
  constructor(private readonly nodeOptions: ClusterNodeReaderOptions) {
    super(nodeOptions);
  }

  /** Takes over a tailed stream with its position and sinks (a cluster slot moved to this node). */
  attach(key: string, tailed: TailedStream): void {
    this.track(key, tailed);
  }

  /** Gives up a tailed stream, position and sinks included, so another node's reader can continue it. */
  detach(key: string): TailedStream | undefined {
    const tailed = this.streams.get(key);
    this.streams.delete(key);
    return tailed;
  }

  protected override async round(): Promise<void> {
    const groups = this.slotGroups();
    if (groups.length === 1) return super.round();
    const delivered = await this.reader.read((connection) => this.poll(connection as Redis, groups), {
      blocking: false,
    });
    if (!delivered) await this.pause(this.nodeOptions.pollMs);
  }

  protected override onFailure(error: unknown): void {
    this.nodeOptions.onFailure(error);
  }

  /** Tailed keys grouped by slot. */
  private slotGroups(): string[][] {
    const groups = new Map<number, string[]>();
    for (const key of this.streams.keys()) {
      const slot = keySlot(key);
      const group = groups.get(slot);
      if (group) group.push(key);
      else groups.set(slot, [key]);
    }
    return [...groups.values()];
  }

  /** One round trip of non-blocking XREADs, one per slot; true when any entry arrived. */
  private async poll(connection: Redis, groups: string[][]): Promise<boolean> {
    const pipeline = connection.pipeline();
    const from = new Map<string, string>();
    for (const keys of groups) {
      pipeline.xread(...(this.xreadArgs(keys, from) as ['COUNT', string, 'STREAMS']));
    }
    const replies = (await pipeline.exec()) ?? [];
    let any = false;
    let failure: unknown;
    for (const [error, reply] of replies) {
      if (error) failure ??= error;
      else if (reply) {
        any = true;
        this.fanOut(reply as NonNullable<XReadReply>, from);
      }
    }
    if (failure) throw failure;
    return any;
  }
}
