/** Keys whose values never leave the worker in clear: stored results, streamed chunks, webhooks. */
export const DEFAULT_SENSITIVE_KEYS: readonly string[] = [
  'api_key',
  'apikey',
  'password',
  'secret',
  'token',
  'access_token',
  'refresh_token',
  'authorization',
  'credentials',
  'private_key',
];

/** Replacement for a redacted value. */
export const REDACTED = '[REDACTED]';

function normalise(key: string): string {
  return key.toLowerCase().replace(/-/g, '_');
}

/**
 * Returns a deep copy of `value` with the values of sensitive keys replaced, at any depth. Matching ignores case
 * and treats `-` as `_`, so `API-Key` and `api_key` are both caught. Cycles are cut rather than followed.
 */
export function redact(value: unknown, sensitiveKeys: readonly string[] = DEFAULT_SENSITIVE_KEYS): unknown {
  const keys = new Set(sensitiveKeys.map(normalise));
  const seen = new WeakSet<object>();
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) {
      if (seen.has(node)) return '[Circular]';
      seen.add(node);
      return node.map(walk);
    }
    if (node !== null && typeof node === 'object') {
      if (seen.has(node)) return '[Circular]';
      seen.add(node);
      // A null-prototype target, so a `__proto__` key in the input stays a plain key.
      const out: Record<string, unknown> = Object.create(null);
      for (const [key, child] of Object.entries(node)) {
        out[key] = keys.has(normalise(key)) ? REDACTED : walk(child);
      }
      return { ...out };
    }
    return node;
  };
  return walk(value);
}
