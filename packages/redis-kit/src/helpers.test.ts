import { describe, expect, it } from 'vitest';
import { flatRecord } from './flat-reply.js';
import { sleep } from './sleep.js';
import { entryTimestamp } from './stream-id.js';

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

  it('entryTimestamp reads the milliseconds of an entry id', () => {
    expect(entryTimestamp('1700000000000-5')).toBe(1_700_000_000_000);
    expect(entryTimestamp('nonsense')).toBeNaN();
  });
});
