/**
 * Edit distance between `a` and `b` (optimal string alignment: insertions, deletions, substitutions and swaps of
 * two neighbours each cost 1), so `CONCURENCY` is 1 from `CONCURRENCY` and `CONCURRNECY` is 1 as well.
 */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known variable `name` is probably a misspelling of, if any. The process environment also holds variables
 * of the system, the runtime and the platform (`PATH`, `HOSTNAME`, `NODE_OPTIONS`, `HTTP_PROXY`, Kubernetes'
 * `REDIS_PORT`/`REDIS_SERVICE_HOST` service links, a base image's `REDIS_VERSION`), so a shared prefix proves
 * nothing: only a name close to a known one counts. Compared case-insensitively, `name` must be within edit
 * distance 1 of a known name of up to 8 characters (`NODE_ENV`, `DATA_DIR`, `POD_NAME`) or 2 of a longer one, or
 * differ from it in case only.
 */
export function likelyMeant(name: string, known: readonly string[]): string | undefined {
  if (known.includes(name)) return undefined;
  const upper = name.toUpperCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(upper, candidate);
    const allowed = candidate.length <= 8 ? 1 : 2;
    if (distance <= allowed && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}
