/**
 * The hash tag of a key (the part Redis Cluster hashes), or undefined when the key has none.
 * Follows the cluster spec: the first `{`, then the first `}` after it, with at least one character between.
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open === -1) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}
