import { describe, expect, it } from 'vitest';
import { REDACTED, redact } from './redact.js';

describe('redact', () => {
  it('replaces sensitive keys at any depth, in arrays too, ignoring case and dashes', () => {
    const input = {
      agent: {
        name: 'a',
        credentials: { user: 'u' },
        nodes: [{ config: { 'API-Key': 'k', Password: 'p' } }],
      },
      token: 't',
      private_key: 'pk',
      Authorization: 'Bearer x',
      secret: { nested: true },
      safe: 'kept',
    };
    expect(redact(input)).toEqual({
      agent: {
        name: 'a',
        credentials: REDACTED,
        nodes: [{ config: { 'API-Key': REDACTED, Password: REDACTED } }],
      },
      token: REDACTED,
      private_key: REDACTED,
      Authorization: REDACTED,
      secret: REDACTED,
      safe: 'kept',
    });
    expect(input.token).toBe('t');
  });

  it('leaves strings and null alone and survives cycles and __proto__ keys', () => {
    expect(redact('api_key=1')).toBe('api_key=1');
    expect(redact(null)).toBeNull();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(redact(cyclic)).toEqual({ a: 1, self: '[Circular]' });
    const hostile = JSON.parse('{"__proto__":{"polluted":true,"token":"x"}}');
    const out = redact(hostile) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});
