import { EventEmitter } from 'node:events';

/** Lifecycle state of a consumer. */
export type ConsumerState = 'starting' | 'ready' | 'degraded' | 'closing' | 'closed';

/** Where an entry came from. */
export type EntrySource = 'new' | 'own-pending' | 'claimed' | 'retry';

/** Events a {@link CompletionConsumer} emits, with their payloads. */
export interface ConsumerEvents {
  /** The state changed. */
  state: [state: ConsumerState, previous: ConsumerState];
  /** A handler resolved and the entry was queued for acknowledgement. */
  processed: [info: { entryId: string; deliveryCount: number; durationMs: number }];
  /** A handler threw. */
  failed: [info: { entryId: string; deliveryCount: number; error: unknown }];
  /** A failed entry was scheduled for another delivery after `delayMs`. */
  retry: [info: { entryId: string; deliveryCount: number; delayMs: number }];
  /** An entry was written to the dead-letter stream and acknowledged. */
  deadLettered: [
    info: { entryId: string; deliveryCount: number; reason: string; error: string; deadLetterId: string },
  ];
  /** Entries were claimed from other (or dead) consumers' pending lists. */
  claimed: [info: { entryIds: string[] }];
  /** Pending entries were deleted from the stream before anyone processed them: data loss. */
  lost: [info: { entryIds: string[]; reason: 'lost_before_processing' }];
  /**
   * Entries were removed from the stream before the group read them (`count` null: the server cannot count them):
   * data loss, between `afterId` and `beforeId`.
   */
  trimmedUnread: [info: { count: number | null; afterId: string; beforeId: string }];
  /** A running handler's entry was claimed by another consumer (its lease ran out). */
  leaseLost: [info: { entryIds: string[] }];
  /** The group was missing (stream deleted, Redis restarted empty) and was created again. */
  groupRecreated: [info: { stream: string; group: string }];
  /** A Redis or internal error the consumer recovered from (it keeps running). */
  error: [error: unknown];
}

/** An EventEmitter whose `on/off/once/emit` are typed by an event map. */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> extends EventEmitter {
  override on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  override off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }

  override emit<K extends keyof Events & string>(event: K, ...args: Events[K]): boolean {
    return super.emit(event, ...args);
  }
}
