import { DATA_FIELD } from '@chat/completion-schema';
import { type RedisClient, runScript } from './scripts.js';

/** Why an entry was dead-lettered: a decode error code, a delivery-limit or handler verdict, or a handler's own reason. */
export type DeadLetterReason =
  | 'invalid_json'
  | 'schema_violation'
  | 'missing_data_field'
  | 'too_large'
  | 'too_deep'
  | 'unsupported_version'
  | 'max_deliveries'
  | 'permanent_error'
  | (string & {});

/** What is recorded about one dead-lettered entry. */
export interface DeadLetterInput {
  /** The original entry's field/value list, as read. */
  fields: readonly string[];
  reason: DeadLetterReason;
  error: string;
  deliveryCount: number;
  sourceStream: string;
  sourceId: string;
  consumer: string;
}

/** Longest `error` text stored; a handler's error can be arbitrarily large. */
const MAX_ERROR_CHARS = 4_000;

/**
 * Field/value list of a dead-letter entry: the original `data` verbatim (or, for an entry without `data`, the
 * original field list as JSON in `fields`), then why, when and where.
 */
export function deadLetterFields(input: DeadLetterInput, now = new Date()): string[] {
  const fields: string[] = [];
  const dataIndex = input.fields.findIndex((value, i) => i % 2 === 0 && value === DATA_FIELD);
  const data = dataIndex >= 0 ? input.fields[dataIndex + 1] : undefined;
  if (typeof data === 'string') fields.push('data', data);
  else fields.push('fields', JSON.stringify(input.fields));
  fields.push(
    'reason',
    input.reason,
    'error',
    input.error.slice(0, MAX_ERROR_CHARS),
    'delivery_count',
    String(input.deliveryCount),
    'source_stream',
    input.sourceStream,
    'source_id',
    input.sourceId,
    'consumer',
    input.consumer,
    'failed_at',
    now.toISOString(),
  );
  return fields;
}

/**
 * XADDs the dead letter and XACKs the source entry in one script (one round trip, atomic). Returns the
 * dead-letter id, or undefined when the entry is no longer this consumer's (nothing written then).
 */
export async function writeDeadLetter(
  redis: RedisClient,
  keys: { stream: string; deadLetterStream: string; group: string; maxLen: number },
  input: DeadLetterInput,
): Promise<string | undefined> {
  const id = await runScript(
    redis,
    'dead-letter-2',
    [keys.stream, keys.deadLetterStream],
    [keys.group, input.sourceId, input.consumer, keys.maxLen, ...deadLetterFields(input)],
  );
  return typeof id === 'string' ? id : undefined;
}
