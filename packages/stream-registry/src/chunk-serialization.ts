import { dataChunkSchema, type UIMessageChunk, uiMessageChunkSchema } from './chunk-schema.js';

/**
 * What a stored chunk becomes on the wire: a protocol chunk (an SSE `data:` event), an SSE comment (a stored
 * `heartbeat`), or nothing, with the reason (a type the protocol lacks, an unknown type, a chunk missing a field).
 */
export type WireChunk =
  | { kind: 'chunk'; chunk: UIMessageChunk }
  | { kind: 'comment'; comment: string }
  | { kind: 'dropped'; type: string; reason: 'not_in_protocol' | 'unknown_type' | 'invalid' };

/** The SSE comment a stored `heartbeat` chunk becomes, as the Python original sends it. */
export const HEARTBEAT_COMMENT = 'heartbeat';

/**
 * Stored types the UI message stream protocol has no chunk for, dropped from SSE: the Python original's `usage`
 * (token counts) and `heartbeat` (sent as a comment instead). Mapping `usage` onto `message-metadata` would merge
 * it into the application's own message metadata, which its `messageMetadataSchema` may reject.
 */
export const NON_PROTOCOL_CHUNK_TYPES: readonly string[] = Object.freeze(['usage', HEARTBEAT_COMMENT]);

// Every member of the union but `data-*`, whose type is a template rather than one literal.
const protocolSchemas = uiMessageChunkSchema.options.filter(
  (schema): schema is Exclude<(typeof uiMessageChunkSchema.options)[number], typeof dataChunkSchema> =>
    schema !== dataChunkSchema,
);

type ChunkSchema = (typeof protocolSchemas)[number] | typeof dataChunkSchema;

// The protocol's fields of each type are the keys of its schema (one source for what is stored and what is
// sent), except the fields the `original` chunk dialect stores beside them.
const schemaByType = new Map<string, ChunkSchema>(
  protocolSchemas.map((schema) => [schema.shape.type.value, schema]),
);
const STORAGE_ONLY_FIELDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'tool-output-available': ['toolName', 'success'],
});

function schemaOf(type: string): ChunkSchema | undefined {
  return type.startsWith('data-') ? dataChunkSchema : schemaByType.get(type);
}

/**
 * Serializes one stored chunk for the AI SDK: each known type keeps only the protocol's fields for it (the Python
 * original stores `toolName` and `success` on tool outputs, `code` and `details` on errors, `sessionId` on
 * `start`, which the protocol does not have), a `heartbeat` becomes an SSE comment, and `usage`, unknown types and
 * chunks missing a required field are dropped, never passed through raw.
 */
export function toWireChunk(stored: unknown): WireChunk {
  const type =
    typeof stored === 'object' && stored !== null ? (stored as { type?: unknown }).type : undefined;
  if (typeof type !== 'string') return { kind: 'dropped', type: String(type), reason: 'invalid' };
  if (type === HEARTBEAT_COMMENT) return { kind: 'comment', comment: HEARTBEAT_COMMENT };
  if (NON_PROTOCOL_CHUNK_TYPES.includes(type)) return { kind: 'dropped', type, reason: 'not_in_protocol' };
  const schema = schemaOf(type);
  if (!schema) return { kind: 'dropped', type, reason: 'unknown_type' };
  const source = stored as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  const storageOnly = STORAGE_ONLY_FIELDS[type];
  for (const field of Object.keys(schema.shape)) {
    if (source[field] !== undefined && !storageOnly?.includes(field)) picked[field] = source[field];
  }
  const parsed = schema.safeParse(picked);
  if (!parsed.success) return { kind: 'dropped', type, reason: 'invalid' };
  return { kind: 'chunk', chunk: parsed.data as UIMessageChunk };
}
