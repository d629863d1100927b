import { ChatPipelineError } from './errors.js';
import { hashTagOf } from './hash-tag.js';
import { CLUSTER_SLOT_COUNT, keySlot } from './key-slot.js';

/** Most partitions a completion stream may be split into. */
export const MAX_PARTITIONS = 1024;

const PARTITION_MARKER = 'chat.pipeline.error.invalid_partitions';

/** A partition count, index or base stream name that cannot work (for example P = 0, or a base with braces). */
export class PartitionOptionsError extends ChatPipelineError<'invalid_partitions'> {
  constructor(message: string) {
    super('invalid_partitions', message);
    ChatPipelineError.mark(this, PARTITION_MARKER);
  }

  static override isInstance(error: unknown): error is PartitionOptionsError {
    return ChatPipelineError.hasMarker(error, PARTITION_MARKER);
  }
}

const encoder = new TextEncoder();

/**
 * 32-bit FNV-1a of the UTF-8 bytes of `text` (offset basis 0x811c9dc5, prime 0x01000193), as an unsigned
 * integer. The partition hash: simple enough for every language to reproduce bit for bit.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}

function assertPartitionCount(partitions: number): void {
  if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS)
    throw new PartitionOptionsError(
      `partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${String(partitions)}`,
    );
}

/**
 * The partition (0 … P-1) a completion for `taskId` goes to: `fnv1a32(taskId) mod P`. Every message of a task
 * lands on one partition, so one consumer sees them in order; publisher and worker both use this function.
 */
export function partitionFor(taskId: string, partitions: number): number {
  assertPartitionCount(partitions);
  return fnv1a32(taskId) % partitions;
}

/**
 * The hash tag of partition `index` of `partitions`: the first of `"<index>"`, `"<index>.1"`, `"<index>.2"`, …
 * whose slot lies in the index-th of P equal slot ranges. So P partitions spread evenly over the slot space
 * and, on an evenly split cluster, over the masters (plain `{0}`, `{1}`, `{2}` land on slots 13907, 9842
 * and 5649: two of three on one master of a 3-master cluster).
 */
export function partitionTag(index: number, partitions: number): string {
  assertPartitionCount(partitions);
  if (!Number.isSafeInteger(index) || index < 0 || index >= partitions)
    throw new PartitionOptionsError(`partition index must be 0 … ${partitions - 1}, got ${String(index)}`);
  const low = Math.floor((index * CLUSTER_SLOT_COUNT) / partitions);
  const high = Math.floor(((index + 1) * CLUSTER_SLOT_COUNT) / partitions);
  for (let attempt = 0; ; attempt += 1) {
    const tag = attempt === 0 ? String(index) : `${index}.${attempt}`;
    const slot = keySlot(`{${tag}}`);
    if (slot >= low && slot < high) return tag;
  }
}

/**
 * The stream of partition `index`: `<base>:{<tag>}` (see {@link partitionTag}), or `base` itself when there is
 * one partition, so existing producers keep working. Its dead-letter stream (`deadLetterStreamFor`) and the
 * publisher's idempotency markers carry the same tag, so they share its slot.
 */
export function partitionStream(base: string, index: number, partitions: number): string {
  assertPartitionCount(partitions);
  if (partitions === 1) {
    if (index !== 0) throw new PartitionOptionsError(`partition index must be 0, got ${String(index)}`);
    return base;
  }
  if (base.length === 0) throw new PartitionOptionsError('the base stream name is empty');
  // The first {…} of a key is its tag: a braced base would pin every partition to the base's slot.
  if (hashTagOf(base) !== undefined || /[{}]/.test(base))
    throw new PartitionOptionsError(
      `base stream ${JSON.stringify(base)} must not contain braces: each partition gets its own hash tag`,
    );
  return `${base}:{${partitionTag(index, partitions)}}`;
}

/** Every partition stream of `base`, in partition order: `[base]` for P = 1. */
export function partitionStreams(base: string, partitions: number): string[] {
  assertPartitionCount(partitions);
  return Array.from({ length: partitions }, (_, index) => partitionStream(base, index, partitions));
}
