import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc16,
  deadLetterStreamFor,
  fnv1a32,
  keySlot,
  PartitionOptionsError,
  partitionFor,
  partitionStreams,
} from '../src/index.js';

// The vectors other languages check their implementation against (also listed in the README).
const FNV_VECTORS: [taskId: string, fnv1a32: number, p3: number, p4: number][] = [
  ['a', 0xe40c292c, 1, 0],
  ['foobar', 0xbf9cf968, 1, 0],
  ['task-1', 0x8830f446, 0, 2],
  ['task-2', 0x8730f2b3, 1, 3],
  ['task-3', 0x8630f120, 2, 0],
  ['tâche-é', 0xbdd521bf, 2, 3],
  ['任务-42', 0xa171c4e6, 1, 2],
];

describe('partitioning', () => {
  it('hashes task ids with 32-bit FNV-1a over UTF-8 and routes by hash mod P', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    for (const [taskId, hash, p3, p4] of FNV_VECTORS) {
      expect(fnv1a32(taskId)).toBe(hash);
      expect(partitionFor(taskId, 3)).toBe(p3);
      expect(partitionFor(taskId, 4)).toBe(p4);
      expect(partitionFor(taskId, 1)).toBe(0);
    }
  });

  it('computes Redis Cluster slots (CRC16/XMODEM of the hash tag, mod 16384)', () => {
    expect(crc16('123456789')).toBe(0x31c3);
    expect(keySlot('{0}')).toBe(13907);
    expect(keySlot('chat:completions')).toBe(4100);
    expect(keySlot('a:{user1}:b')).toBe(keySlot('user1'));
  });

  it('names partitions with tags spread over the slot range; P = 1 keeps the original name', () => {
    expect(partitionStreams('chat:completions', 1)).toEqual(['chat:completions']);
    expect(partitionStreams('chat:completions', 3)).toEqual([
      'chat:completions:{0.1}',
      'chat:completions:{1}',
      'chat:completions:{2.4}',
    ]);
    expect(partitionStreams('chat:completions', 4)).toEqual([
      'chat:completions:{0.1}',
      'chat:completions:{1.3}',
      'chat:completions:{2.1}',
      'chat:completions:{3.3}',
    ]);
    for (const partitions of [2, 3, 5, 16, 100]) {
      const slots = partitionStreams('s', partitions).map(keySlot);
      slots.forEach((slot, i) => {
        expect(slot).toBeGreaterThanOrEqual(Math.floor((i * 16384) / partitions));
        expect(slot).toBeLessThan(Math.floor(((i + 1) * 16384) / partitions));
      });
    }
    // The dead-letter stream of a partition shares its slot.
    for (const stream of partitionStreams('chat:completions', 3))
      expect(keySlot(deadLetterStreamFor(stream))).toBe(keySlot(stream));
  });

  it('spreads random task ids roughly evenly and always in range', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 64 }), (taskId, partitions) => {
        const p = partitionFor(taskId, partitions);
        return Number.isInteger(p) && p >= 0 && p < partitions;
      }),
    );
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i += 1) counts[partitionFor(`task-${i}`, 3)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(9_000);
  });

  it('refuses partition counts and base names that cannot work, with a typed error', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 1025])
      expect(() => partitionFor('t', bad)).toThrow(PartitionOptionsError);
    expect(() => partitionStreams('svc:{a}:completions', 3)).toThrow(/braces/);
    try {
      partitionStreams('', 2);
    } catch (error) {
      expect(PartitionOptionsError.isInstance(error)).toBe(true);
      expect((error as PartitionOptionsError).code).toBe('invalid_partitions');
    }
    // One partition keeps any name, braces included: nothing is derived from it.
    expect(partitionStreams('svc:{a}:completions', 1)).toEqual(['svc:{a}:completions']);
  });
});
