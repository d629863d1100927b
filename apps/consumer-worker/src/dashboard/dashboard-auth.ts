import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The bearer token of `Authorization: Bearer <token>`, if any. */
function bearerOf(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/** Compares in constant time (over fixed-length digests, so the token's length does not leak either). */
function sameToken(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Whether `request` carries the dashboard token. The API accepts it only in `Authorization: Bearer`, which a
 * cross-site page cannot make a browser send; the page itself (a navigation, which cannot carry a header) also
 * accepts `?token=`, which its script then removes from the address bar.
 */
export function hasToken(request: IncomingMessage, token: string, options: { allowQuery: boolean }): boolean {
  const bearer = bearerOf(request);
  if (bearer !== undefined) return sameToken(bearer, token);
  if (!options.allowQuery) return false;
  const query = new URL(request.url ?? '/', 'http://dashboard.invalid').searchParams.get('token');
  return query !== null && sameToken(query, token);
}

/**
 * Whether a state-changing request comes from the dashboard's own page: a browser's `Origin` (sent on every
 * cross-origin request and on same-origin POSTs) must name this host, and `Sec-Fetch-Site`, when sent, must be
 * `same-origin`. A request with neither (curl, scripts) passes: it has the token in a header, which no
 * cross-site page can add.
 */
export function isSameOrigin(request: IncomingMessage): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
