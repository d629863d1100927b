import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FastObjectCheck } from '../src/chunk-fast-check.js';
import { type UIMessageChunk, uiMessageChunkSchema } from '../src/chunk-schema.js';

const objectSchemas = uiMessageChunkSchema.options;
const check = new FastObjectCheck(objectSchemas);

/** One valid chunk of every type, some with every optional field. */
const valid: UIMessageChunk[] = [
  { type: 'start' },
  { type: 'start', messageId: 'm1', messageMetadata: { a: 1 } },
  { type: 'start-step' },
  { type: 'finish-step' },
  { type: 'finish' },
  { type: 'finish', finishReason: 'stop', messageMetadata: null },
  { type: 'text-start', id: 't' },
  { type: 'text-delta', id: 't', delta: 'hello' },
  { type: 'text-delta', id: 't', delta: 'x', providerMetadata: { openai: { id: 1 } } },
  { type: 'text-end', id: 't' },
  { type: 'tool-input-start', toolCallId: 'c', toolName: 'n', providerExecuted: true, dynamic: false },
  { type: 'tool-input-delta', toolCallId: 'c', inputTextDelta: '{' },
  { type: 'tool-input-available', toolCallId: 'c', toolName: 'n', input: { q: 1 } },
  { type: 'tool-output-available', toolCallId: 'c', output: '{"ok":true}' },
  {
    type: 'tool-output-available',
    toolCallId: 'c',
    toolName: 'n',
    output: 'x',
    success: true,
    preliminary: false,
  },
  { type: 'tool-output-error', toolCallId: 'c', errorText: 'boom' },
  { type: 'error', errorText: 'boom' },
  { type: 'data-progress', data: { n: 1 }, transient: true },
];

const oddValues: unknown[] = [
  undefined,
  null,
  0,
  1,
  '',
  'x',
  true,
  false,
  {},
  [],
  { nested: { a: 1 } },
  'stop',
  'sideways',
];

/** Every valid chunk, each field deleted, set to each odd value, and extra fields added. */
function cases(): unknown[] {
  const out: unknown[] = [...valid, null, 1, 'text-delta', [], [{ type: 'start' }], new Date()];
  for (const chunk of valid) {
    const keys = [...Object.keys(chunk), 'extra', 'providerMetadata', 'finishReason', 'messageId', 'output'];
    for (const key of keys) {
      const { [key]: _dropped, ...without } = chunk as Record<string, unknown>;
      out.push(without);
      for (const value of oddValues) out.push({ ...chunk, [key]: value });
    }
    out.push(JSON.parse(`{"__proto__":{"polluted":true},${JSON.stringify(chunk).slice(1)}`));
    out.push(Object.assign(Object.create(null), chunk));
    out.push(Object.assign(new (class Chunk {})(), chunk));
    // The same fields in another order: the output keeps zod's order.
    out.push(Object.fromEntries(Object.entries(chunk).reverse()));
  }
  return out;
}

describe('FastObjectCheck (the chunk check that spares zod)', () => {
  it('agrees with zod on every case: same verdict when it answers, same object in the same key order', () => {
    let answered = 0;
    const all = cases();
    for (const input of all) {
      const fast = check.parse(input);
      const slow = uiMessageChunkSchema.safeParse(input);
      if (fast === undefined) continue;
      answered++;
      expect(slow.success, JSON.stringify(input)).toBe(true);
      expect(Object.keys(fast), JSON.stringify(input)).toEqual(Object.keys(slow.data as object));
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.data));
      expect(fast).toEqual(slow.data);
    }
    // It answers the common cases itself (not a check that always defers).
    expect(answered).toBeGreaterThan(all.length / 4);
    for (const chunk of valid) {
      if ('providerMetadata' in chunk || chunk.type.startsWith('data-')) continue;
      expect(check.parse(chunk), chunk.type).toBeDefined();
    }
  });

  it('never answers for what zod rejects', () => {
    for (const input of cases()) {
      if (!uiMessageChunkSchema.safeParse(input).success) expect(check.parse(input)).toBeUndefined();
    }
  });

  it('leaves to zod every schema or field it does not know: checks, refinements, strict or stripping objects', () => {
    const checked = new FastObjectCheck([
      z.looseObject({ type: z.literal('min'), s: z.string().min(1) }),
      z.looseObject({ type: z.literal('refined'), s: z.string().refine((v) => v !== 'no') }),
      z.looseObject({ type: z.literal('optional-min'), s: z.string().min(1).optional() }),
      z.looseObject({ type: z.literal('object-refine'), s: z.string() }).refine(() => false) as never,
      z.strictObject({ type: z.literal('strict'), s: z.string() }),
      z.object({ type: z.literal('strip'), s: z.string() }),
      z.looseObject({ type: z.literal('plain'), s: z.string() }),
    ]);
    for (const type of ['min', 'refined', 'optional-min', 'object-refine', 'strict', 'strip']) {
      expect(checked.parse({ type, s: '' }), type).toBeUndefined();
      expect(checked.parse({ type, s: 'no', extra: 1 }), type).toBeUndefined();
    }
    expect(checked.parse({ type: 'plain', s: '', extra: 1 })).toEqual({ type: 'plain', s: '', extra: 1 });
  });
});
