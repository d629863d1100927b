import { describe, expect, it } from 'vitest';
import { flatRecord } from './flat-reply.js';
import { sleep } from './sleep.js';
import { compareStreamIds, entryTimestamp, isStreamId } from './stream-id.js';

describe('small helpers', () => {
  it('flatRecord reads name/value pairs, drops a dangling name, keeps __proto__ as a field', () => {
    const record = flatRecord(['name', 'c1', 'pending', 3, '__proto__', 'x', 'dangling']);
    expect(record.name).toBe('c1');
    expect(record.pending).toBe(3);
    expect(Object.getOwnPropertyDescriptor(record, '__proto__')?.value).toBe('x');
    expect('dangling' in record).toBe(false);
    expect(Object.getPrototypeOf(record)).toBeNull();
  });

  it('sleep resolves at once on an aborted signal and when the signal aborts', async () => {
    const aborted = new AbortController();
    aborted.abort();
    await sleep(600_000, aborted.signal);
    const later = new AbortController();
    const waiting = sleep(600_000, later.signal);
    later.abort();
    await waiting;
    await sleep(1);
  });

  it('compareStreamIds agrees with comparing the parts as BigInts, on random ids with leading zeros and non-ids', () => {
    const reference = (a: string, b: string) => {
      const parts = (id: string) => (/^(\d{1,20})-(\d{1,20})$/.test(id) ? id.split('-') : ['0', '0']);
      const [aMs, aSeq] = parts(a).map(BigInt) as [bigint, bigint];
      const [bMs, bSeq] = parts(b).map(BigInt) as [bigint, bigint];
      if (aMs !== bMs) return aMs < bMs ? -1 : 1;
      return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
    };
    const digits = () =>
      Array.from({ length: 1 + Math.floor(Math.random() * 20) }, () =>
        Math.random() < 0.3 ? '0' : String(Math.floor(Math.random() * 10)),
      ).join('');
    const id = () =>
      Math.random() < 0.05
        ? ['$', '1', '-1', 'x-1', ''][Math.floor(Math.random() * 5)]!
        : `${digits()}-${digits()}`;
    for (let n = 0; n < 20_000; n++) {
      const a = id();
      const b = Math.random() < 0.2 ? a.replace(/^0*/, '0') : id();
      expect([a, b, compareStreamIds(a, b)]).toEqual([a, b, reference(a, b)]);
    }
  });

  it('entryTimestamp reads the milliseconds of an entry id', () => {
    expect(entryTimestamp('1700000000000-5')).toBe(1_700_000_000_000);
    expect(entryTimestamp('nonsense')).toBeNaN();
  });

  it('compareStreamIds orders by number, not by string, and isStreamId accepts only full ids', () => {
    const ids = ['10-0', '9-5', '9-10', '0-0', '18446744073709551615-1', '18446744073709551615-0'];
    expect([...ids].sort(compareStreamIds)).toEqual([
      '0-0',
      '9-5',
      '9-10',
      '10-0',
      '18446744073709551615-0',
      '18446744073709551615-1',
    ]);
    expect(compareStreamIds('5-1', '5-1')).toBe(0);
    expect(compareStreamIds('05-1', '5-01')).toBe(0);
    expect(compareStreamIds('nonsense', '0-0')).toBe(0);
    expect(compareStreamIds('nonsense', '0-1')).toBe(-1);
    expect(compareStreamIds('1-0', '$')).toBe(1);
    expect(isStreamId('1-2')).toBe(true);
    expect(isStreamId('1')).toBe(false);
    expect(isStreamId('$')).toBe(false);
  });
});
