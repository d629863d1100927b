import { InvalidTokenError, StreamRegistryOptionsError } from './errors.js';

/** What a stream token grants: one task's stream, as one user, until it expires. */
export interface StreamTokenClaims {
  taskId: string;
  /** The user the SSE handler checks the task's owner against; null for an anonymous task. */
  userId: string | null;
  /** Expiry, in seconds since the epoch. */
  expiresAt: number;
}

/** Options of {@link createStreamToken}. */
export interface CreateStreamTokenOptions {
  /** The HMAC key the SSE handlers verify with (at least 32 bytes of randomness). */
  secret: string;
  taskId: string;
  userId: string | null;
  /**
   * Lifetime in seconds. Short, because the token sits in a URL (logs, history); it only needs to outlive the
   * task's stream, and every reconnect re-presents the same token.
   * @defaultValue 900 ({@link DEFAULT_STREAM_TOKEN_TTL_SECONDS})
   */
  ttlSeconds?: number;
  /** The clock, in milliseconds since the epoch. @defaultValue Date.now */
  now?: () => number;
}

/** Default lifetime of a stream token, in seconds. */
export const DEFAULT_STREAM_TOKEN_TTL_SECONDS = 900;

/** Defaults of {@link CreateStreamTokenOptions}. */
export const DEFAULT_STREAM_TOKEN_OPTIONS = Object.freeze({
  /** @defaultValue 900 */
  ttlSeconds: DEFAULT_STREAM_TOKEN_TTL_SECONDS,
  /** @defaultValue Date.now */
  now: Date.now,
});

/** Applies {@link DEFAULT_STREAM_TOKEN_OPTIONS} and validates, throwing a {@link StreamRegistryOptionsError}. */
function resolveStreamTokenOptions(options: CreateStreamTokenOptions): Required<CreateStreamTokenOptions> {
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_STREAM_TOKEN_OPTIONS.ttlSeconds;
  if (!options.secret)
    throw new StreamRegistryOptionsError('a stream token needs a secret', { option: 'secret' });
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
    throw new StreamRegistryOptionsError('ttlSeconds must be a positive integer', { option: 'ttlSeconds' });
  return { ...options, ttlSeconds, now: options.now ?? DEFAULT_STREAM_TOKEN_OPTIONS.now };
}

const encoder = new TextEncoder();

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

// Web Crypto, not node:crypto, so the same code runs in Node, Deno, Bun and edge route handlers.
async function sign(secret: string, payload: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(payload)));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/**
 * A short-lived token that lets a browser open one task's SSE stream without headers (EventSource cannot send
 * any): `<base64url claims>.<base64url HMAC-SHA256>`. The chat API issues it to the user it authenticated; the SSE
 * handlers verify it with the same `secret` (`SSEOptions.tokenSecret`).
 */
export async function createStreamToken(options: CreateStreamTokenOptions): Promise<string> {
  const { secret, taskId, userId, ttlSeconds, now } = resolveStreamTokenOptions(options);
  const claims = { t: taskId, u: userId, e: Math.floor(now() / 1000) + ttlSeconds };
  const payload = toBase64Url(encoder.encode(JSON.stringify(claims)));
  return `${payload}.${toBase64Url(await sign(secret, payload))}`;
}

/**
 * Checks a stream token for `taskId` against one or more secrets (several while rotating one), returning its
 * claims; throws `invalid_token` when it is malformed, forged, expired or for another task.
 */
export async function verifyStreamToken(
  token: string,
  taskId: string,
  secret: string | readonly string[],
  now: () => number = Date.now,
): Promise<StreamTokenClaims> {
  const invalid = (why: string) => new InvalidTokenError(`stream token ${why}`, { taskId });
  const [payload, signature, extra] = token.split('.');
  const given = signature === undefined ? undefined : fromBase64Url(signature);
  if (!payload || !given || extra !== undefined) throw invalid('is malformed');
  let valid = false;
  for (const key of typeof secret === 'string' ? [secret] : secret) {
    if (sameBytes(await sign(key, payload), given)) valid = true;
  }
  if (!valid) throw invalid('has a bad signature');
  let claims: { t?: unknown; u?: unknown; e?: unknown };
  try {
    claims = JSON.parse(new TextDecoder().decode(fromBase64Url(payload)));
  } catch {
    throw invalid('is malformed');
  }
  if (typeof claims.e !== 'number' || claims.e * 1000 <= now()) throw invalid('has expired');
  if (claims.t !== taskId) throw invalid('is for another task');
  const userId = typeof claims.u === 'string' ? claims.u : null;
  return { taskId, userId, expiresAt: claims.e };
}
