/**
 * Reads a flat `[name, value, name, value, …]` reply (XINFO, a stream entry's fields) into a record. A trailing
 * name without a value is dropped. The record has no prototype, so a field named `__proto__` is just a field.
 */
export function flatRecord<V = unknown>(reply: readonly V[]): Record<string, V> {
  const record = Object.create(null) as Record<string, V>;
  for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = reply[i + 1] as V;
  return record;
}
