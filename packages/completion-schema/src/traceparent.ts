/**
 * W3C trace-context `traceparent`: `version-traceid-parentid-flags` in lowercase hex, where version `ff` and
 * all-zero ids are invalid. Lookaheads only, so the same pattern works in JSON Schema validators.
 */
export const TRACEPARENT_PATTERN =
  /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** True when `value` is a valid W3C `traceparent` header value. */
export function isValidTraceparent(value: string): boolean {
  return TRACEPARENT_PATTERN.test(value);
}
