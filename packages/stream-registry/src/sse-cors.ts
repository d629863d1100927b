/** CORS of the SSE handlers, for a page served from another origin than the chat API. */
export interface SSECorsOptions {
  /**
   * Origins allowed to read the stream: a list of exact origins (`https://app.example.com`), `'*'` for any, or a
   * predicate. A request from any other origin is answered normally but without CORS headers, so the browser
   * refuses it to the page.
   */
  origin: '*' | readonly string[] | ((origin: string) => boolean);
  /**
   * Send `access-control-allow-credentials: true`, so a page may use `new EventSource(url, { withCredentials:
   * true })` or `fetch(url, { credentials: 'include' })` with cookies. Never combined with `'*'`: the allowed
   * origin is echoed instead.
   * @defaultValue false
   */
  credentials?: boolean;
  /** How long a browser may cache a preflight answer, in seconds. @defaultValue 600 */
  maxAgeSeconds?: number;
}

/** The defaults of {@link SSECorsOptions}. */
export const DEFAULT_SSE_CORS_OPTIONS = Object.freeze({ credentials: false, maxAgeSeconds: 600 });

/** Request headers a cross-origin stream request may carry (`last-event-id` makes fetch preflight). */
const ALLOWED_HEADERS = 'last-event-id, authorization, content-type';

/** The CORS response headers for a request from `origin`; empty when CORS is off or the origin is not allowed. */
export function corsHeaders(
  cors: SSECorsOptions | undefined,
  origin: string | null | undefined,
  preflight: boolean,
): Record<string, string> {
  if (!cors || !origin) return {};
  const { credentials, maxAgeSeconds } = { ...DEFAULT_SSE_CORS_OPTIONS, ...cors };
  const allowed =
    cors.origin === '*'
      ? true
      : typeof cors.origin === 'function'
        ? cors.origin(origin)
        : cors.origin.includes(origin);
  if (!allowed) return {};
  const headers: Record<string, string> = {
    'access-control-allow-origin': cors.origin === '*' && !credentials ? '*' : origin,
    vary: 'origin',
  };
  if (credentials) headers['access-control-allow-credentials'] = 'true';
  if (preflight) {
    headers['access-control-allow-methods'] = 'GET, OPTIONS';
    headers['access-control-allow-headers'] = ALLOWED_HEADERS;
    headers['access-control-max-age'] = String(maxAgeSeconds);
  }
  return headers;
}
