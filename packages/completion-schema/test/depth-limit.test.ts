import { describe, expect, it } from 'vitest';
import { isValidMessageFast } from '../src/fast-validate.js';
import {
  decode,
  encode,
  MAX_MESSAGE_BYTES,
  MAX_RESULT_DEPTH,
  MessageTooDeepError,
  MessageValidationError,
} from '../src/index.js';

const base = { operation_id: 'op-1', task_id: 't-1', success: true } as const;

/** Wire JSON of a message whose `result` is an object holding arrays, `depth` levels in all. */
function deepData(depth: number): string {
  const inner = depth - 1;
  return `{"operation_id":"o","task_id":"t","success":true,"result":{"a":${'['.repeat(inner)}1${']'.repeat(inner)}}}`;
}

/** A `result` object nested `depth` levels (`{ a: { a: … } }`), built without recursion. */
function deepObject(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let level = 1; level < depth; level++) {
    const child: Record<string, unknown> = {};
    node.a = child;
    node = child;
  }
  node.a = 1;
  return root;
}

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('depth limit of result (MAX_RESULT_DEPTH)', () => {
  it('is far above real results and far below any call stack', () => {
    expect(MAX_RESULT_DEPTH).toBe(128);
  });

  it('decode accepts a result exactly MAX_RESULT_DEPTH levels deep', () => {
    expect(decode(['data', deepData(MAX_RESULT_DEPTH)]).ok).toBe(true);
    expect(decode(['data', JSON.stringify({ ...base, result: deepObject(MAX_RESULT_DEPTH) })]).ok).toBe(true);
  });

  it('decode refuses one level more with too_deep, naming the depth found and the limit', () => {
    expect(decode(['data', deepData(MAX_RESULT_DEPTH + 1)])).toEqual({
      ok: false,
      error: { code: 'too_deep', detail: 'result is nested 129 levels deep, over the 128-level limit' },
    });
  });

  it('decode refuses a result 200 000 levels deep (well under the size cap) with too_deep', () => {
    const json = deepData(200_000);
    expect(json.length).toBeLessThan(MAX_MESSAGE_BYTES / 2);
    const decoded = decode(['data', json]);
    expect(decoded).toEqual({
      ok: false,
      error: { code: 'too_deep', detail: 'result is nested 200000 levels deep, over the 128-level limit' },
    });
  });

  it('decode reports too_deep even when other fields are wrong too (zod never walks such a result)', () => {
    const json = deepData(200_000).replace('"task_id":"t"', '"task_id":""');
    expect(decode(['data', json])).toMatchObject({ ok: false, error: { code: 'too_deep' } });
  });

  it('the fast validator accepts MAX_RESULT_DEPTH levels and refuses one more', () => {
    expect(isValidMessageFast({ ...base, result: deepObject(MAX_RESULT_DEPTH) })).toBe(true);
    expect(isValidMessageFast({ ...base, result: deepObject(MAX_RESULT_DEPTH + 1) })).toBe(false);
  });

  it('encode throws MessageTooDeepError for a 200 000-level object, with the depth and the limit', () => {
    const error = thrown(() => encode({ ...base, result: deepObject(200_000) } as never));
    expect(MessageTooDeepError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'too_deep', depth: 200_000, limitDepth: MAX_RESULT_DEPTH });
    expect((error as Error).message).toBe('result is nested 200000 levels deep, over the 128-level limit');
  });
});

describe('a cyclic result', () => {
  it('encode throws MessageValidationError naming the cycle, instead of walking it forever', () => {
    const inner: Record<string, unknown> = { name: 'x' };
    const result = { steps: [{ id: 1 }, inner] };
    inner.parent = result;
    const error = thrown(() => encode({ ...base, result } as never));
    expect(MessageValidationError.isInstance(error)).toBe(true);
    if (!MessageValidationError.isInstance(error)) return;
    expect(error.code).toBe('schema_violation');
    expect(error.issues).toMatchObject([{ path: ['result', 'steps', 1, 'parent'] }]);
    expect(error.message).toContain('result.steps.1.parent: refers back to result: a cycle');
  });

  it('a self-reference and a cycle below a shared (non-cyclic) object are told apart', () => {
    const shared = { v: 1 };
    expect(encode({ ...base, result: { a: shared, b: shared, c: [shared, shared] } })[1]).toContain(
      '"b":{"v":1}',
    );
    const self: Record<string, unknown> = {};
    self.me = self;
    const error = thrown(() =>
      encode({ ...base, result: { wrap: self } } as never),
    ) as MessageValidationError;
    expect(error.message).toContain('result.wrap.me: refers back to result.wrap');
  });

  it('a cycle in an unknown field is a typed validation error too, not a TypeError', () => {
    const extra: Record<string, unknown> = {};
    extra.loop = extra;
    const error = thrown(() => encode({ ...base, extra } as never));
    expect(MessageValidationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('cannot be serialised as JSON');
  });
});

describe('what result may be', () => {
  it.each([
    [[1, 2], 'result: must be a JSON object, a string or null; got an array'],
    [3, 'result: must be a JSON object, a string or null; got a number'],
    [true, 'result: must be a JSON object, a string or null; got a boolean'],
    [
      new Date(0),
      'result: must be a JSON object, a string or null; result is a Date, which JSON cannot hold',
    ],
    [
      { a: [1, Number.NaN] },
      'result: must be a JSON object, a string or null; result.a[1] is NaN, which JSON cannot hold',
    ],
    [{ a: { b: undefined } }, 'result.a.b is undefined, which JSON cannot hold'],
  ])('%o → says what is allowed and what it got', (result, text) => {
    const error = thrown(() => encode({ ...base, result } as never));
    expect(MessageValidationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(text);
  });

  it('decode says the same of an array result', () => {
    expect(decode(['data', JSON.stringify({ ...base, result: [] })])).toEqual({
      ok: false,
      error: {
        code: 'schema_violation',
        detail: 'result: must be a JSON object, a string or null; got an array',
      },
    });
  });
});
