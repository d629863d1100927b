import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeData } from '../src/index.js';
import { encodeStamped, prepareStamp, type Stamp } from '../src/internal.js';
import { anyValue } from './arbitraries.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 2000);
const MAX = 1024 * 1024;
const AT = '2026-01-02T03:04:05.678Z';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** What the publisher did before the fast path, and still does when it declines: encode a stamped copy. */
function reference(input: unknown, stamp: Stamp): { json: string } | { error: string } {
  try {
    return { json: encodeData({ ...(input as object), ...stamp.fields } as never, { maxBytes: MAX }) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** The fast path may decline (undefined); when it answers, its bytes are the reference's and the reference accepts. */
let answered = 0;
function agrees(input: unknown, stamp: Stamp): boolean {
  const fast = encodeStamped(input, stamp, MAX);
  if (fast === undefined) return true;
  answered++;
  expect(reference(input, stamp)).toEqual({ json: fast });
  return true;
}

class Completion {
  operation_id = 'op';
  task_id = 't';
  success = true;
}

const values = anyValue;

const mostly = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof(
    { arbitrary: valid, weight: 8 },
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: values, weight: 1 },
  );

/** Every own key of `record` defined as a plain data property in `keys`' order (`__proto__` included). */
function withKeys(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys)
    Object.defineProperty(out, key, {
      value: record[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/**
 * Messages near the valid shape: the contract fields mostly valid, `result` and `error` sometimes left out, an
 * extra key and a `__proto__` key sometimes, now and then one of the fields a stamp carries (or `toJSON`); their
 * keys in the Python producer's order or shuffled.
 */
const candidates = fc
  .record(
    {
      operation_id: mostly(fc.string({ minLength: 1 })),
      task_id: mostly(fc.string({ minLength: 1 })),
      success: mostly(fc.boolean()),
      result: mostly(
        fc.oneof(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }), fc.string(), fc.constant(null)),
      ),
      error: mostly(fc.option(fc.string(), { nil: null })),
      extra: values,
      ['__proto__']: fc.oneof(fc.jsonValue(), values),
      stamped: fc.option(
        fc.tuple(
          fc.constantFrom('schema_version', 'published_at', 'traceparent', 'tracestate', 'toJSON'),
          values,
        ),
        { freq: 4 },
      ),
    },
    { requiredKeys: ['operation_id', 'task_id', 'success', 'stamped'] },
  )
  .chain(({ stamped, ...record }) => {
    const fields: Record<string, unknown> = withKeys(record, Object.keys(record));
    if (stamped) fields[stamped[0]] = stamped[1];
    const keys = Object.keys(fields);
    return fc
      .oneof(fc.constant(keys), fc.shuffledSubarray(keys, { minLength: keys.length }))
      .map((order) => withKeys(fields, order));
  });

const stamps = fc.constantFrom(
  prepareStamp({}),
  prepareStamp({ schema_version: '1.1' }),
  prepareStamp({ schema_version: '1.1', published_at: AT }),
  prepareStamp({ schema_version: '1.1', published_at: AT, traceparent: TRACEPARENT, tracestate: 'a=1' }),
  prepareStamp({ published_at: 'yesterday' }),
  prepareStamp({ traceparent: TRACEPARENT.toUpperCase() }),
);

describe('encodeStamped: the stamped copy’s bytes without building it, or no answer', () => {
  it('on arbitrary messages near the valid shape, keys in any order, with any stamp', () => {
    answered = 0;
    fc.assert(fc.property(candidates, stamps, agrees), { numRuns: RUNS });
    // Not vacuous: the fast path answered for a good share of them.
    expect(answered).toBeGreaterThan(RUNS / 20);
  });

  it('on arbitrary values', () => {
    fc.assert(fc.property(fc.anything(), stamps, agrees), { numRuns: RUNS });
  });

  const stamp = prepareStamp({ schema_version: '1.1', published_at: AT });
  const message = { operation_id: 'op', task_id: 't', success: true, result: { a: [1, 'x'] }, error: null };

  it('answers for the common messages: the Python producer’s order, another order, fields left out, extras', () => {
    const accepted = [
      message,
      { task_id: 't', success: false, operation_id: 'op', error: 'boom' },
      { operation_id: 'op', task_id: 't', success: true, result: 'text' },
      { ...message, extra: { kept: true }, schema: undefined },
      { ...message, result: undefined }, // the Python producer's order, but `result` still becomes null
      { operation_id: 'op', task_id: 't', success: true, result: 'r', extra: 1, error: 'e' }, // error moves up
      JSON.parse('{"operation_id":"op","task_id":"t","success":true,"__proto__":{"kept":1}}'),
    ];
    for (const input of accepted) {
      const fast = encodeStamped(input, stamp, MAX);
      expect(fast).toBeDefined();
      expect(reference(input, stamp)).toEqual({ json: fast });
    }
    expect(encodeStamped(message, stamp, MAX)).toBe(
      '{"operation_id":"op","task_id":"t","success":true,"result":{"a":[1,"x"]},"error":null,' +
        `"schema_version":"1.1","published_at":"${AT}"}`,
    );
  });

  it('reads what a spread copies: own enumerable properties, an accessor once', () => {
    const hidden = { ...message };
    Object.defineProperty(hidden, 'operation_id', { value: 'op', enumerable: false });
    // The copy lacks operation_id, so it is invalid: declined, and the slow path refuses it as before.
    expect(encodeStamped(hidden, stamp, MAX)).toBeUndefined();
    expect(reference(hidden, stamp)).toMatchObject({ error: expect.stringContaining('operation_id') });
    let reads = 0;
    const getter = {
      ...message,
      get task_id() {
        reads++;
        return 't';
      },
    };
    expect(JSON.parse(encodeStamped(getter, stamp, MAX)!).task_id).toBe('t');
    expect(reads).toBe(1);
    // A class instance: its own fields are what the copy has, as before.
    const instance = encodeStamped(new Completion(), stamp, MAX);
    expect(instance).toBeDefined();
    expect(reference(new Completion(), stamp)).toEqual({ json: instance });
  });

  it('declines what the caller stamps differently, and every invalid message, so the slow path decides', () => {
    const full = prepareStamp({
      schema_version: '1.1',
      published_at: AT,
      traceparent: TRACEPARENT,
      tracestate: 'a=1',
    });
    const declined: unknown[] = [
      { ...message, published_at: AT }, // carries a stamped field: the caller keeps its own
      { ...message, published_at: undefined }, // present but undefined: the stamp takes its place
      { ...message, tracestate: 'mine' }, // replaced where traceparent is absent, in place
      Object.assign(Object.create({ schema_version: '1' }), message), // inherited: neither stamped nor copied
      { ...message, toJSON: () => 'replaced' },
      { ...message, operation_id: '' },
      { ...message, result: [1] },
      { ...message, extra: 10n }, // cannot be serialised
      null,
      'text',
    ];
    for (const input of declined) expect(encodeStamped(input, full, MAX)).toBeUndefined();
    // An invalid stamp value: nothing is answered, so the slow path rejects every message as before.
    expect(encodeStamped(message, prepareStamp({ published_at: 'yesterday' }), MAX)).toBeUndefined();
    // Over the cap (stamp included): the slow path throws MessageTooLargeError with the size.
    const size = Buffer.byteLength(encodeStamped(message, stamp, MAX)!, 'utf8');
    expect(encodeStamped(message, stamp, size)).toBeDefined();
    expect(encodeStamped(message, stamp, size - 1)).toBeUndefined();
  });
});
