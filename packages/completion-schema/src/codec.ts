import type { z } from 'zod';
import { DATA_FIELD, MAX_MESSAGE_BYTES, MAX_RESULT_DEPTH, SCHEMA_MAJOR_VERSION } from './constants.js';
import { MessageTooDeepError, MessageTooLargeError, MessageValidationError } from './errors.js';
import { isValidMessageFast } from './fast-validate.js';
import { formatPath, inspectJson } from './json-inspect.js';
import {
  type OperationCompleteInput,
  type OperationCompleteMessage,
  safeParseOperationComplete,
  schemaMajorOf,
} from './message-schema.js';

/** Why an entry could not be decoded. Dead-letter streams record it as the `reason`. */
export type DecodeErrorCode =
  | 'missing_data_field'
  | 'invalid_json'
  | 'schema_violation'
  | 'too_large'
  | 'too_deep'
  | 'unsupported_version';

/** A decode failure: a code to branch on and a one-line detail for a human. */
export interface DecodeError {
  code: DecodeErrorCode;
  detail: string;
}

/** The outcome of {@link decode}; it never throws. */
export type DecodeResult =
  | { ok: true; message: OperationCompleteMessage }
  | { ok: false; error: DecodeError };

/** Options shared by {@link encode} and {@link decode}. */
export interface CodecOptions {
  /** Size cap for the `data` value in bytes. @defaultValue 1048576 ({@link MAX_MESSAGE_BYTES}) */
  maxBytes?: number;
}

/** Defaults of {@link CodecOptions}. */
export const DEFAULT_CODEC_OPTIONS = Object.freeze({
  /** @defaultValue 1048576 */
  maxBytes: MAX_MESSAGE_BYTES,
} as const);

/** {@link CodecOptions} after {@link resolveCodecOptions}. */
export type ResolvedCodecOptions = Required<CodecOptions>;

/** Applies {@link DEFAULT_CODEC_OPTIONS}; a cap is not validated here, as {@link decode} must never throw. */
export function resolveCodecOptions(options: CodecOptions): ResolvedCodecOptions {
  return { maxBytes: options.maxBytes ?? DEFAULT_CODEC_OPTIONS.maxBytes };
}

/** Summarises zod issues on one line, e.g. `task_id: must be a non-empty string; success: expected boolean`. */
export function summarizeIssues(issues: readonly z.core.$ZodIssue[], maxLength = 500): string {
  const text = issues
    .map((issue) => `${issue.path.length ? issue.path.map(String).join('.') : '(message)'}: ${issue.message}`)
    .join('; ');
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

const ORIGINAL_FIELDS = new Set(['operation_id', 'task_id', 'success', 'result', 'error']);

/**
 * Puts the original's fields first, in pydantic's order, so our JSON equals the Python producer's byte for byte.
 * Object values come from the validated input rather than zod's copy: zod copies with plain assignment, which
 * silently drops `__proto__` keys (data loss) where JSON.parse had made them ordinary own keys.
 */
function canonical(parsed: OperationCompleteMessage, input: unknown): OperationCompleteMessage {
  const source = input as Record<string, unknown>;
  const { operation_id, task_id, success, error } = parsed;
  const result = typeof parsed.result === 'object' && parsed.result !== null ? source.result : parsed.result;
  const out: Record<string, unknown> = {
    operation_id,
    task_id,
    success,
    result: result ?? null,
    error: error ?? null,
  };
  for (const key of Object.keys(source)) {
    if (ORIGINAL_FIELDS.has(key)) continue;
    // Plain assignment of `__proto__` would set the prototype instead of adding the key.
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: source[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[key] = source[key];
    }
  }
  return out as OperationCompleteMessage;
}

/**
 * Fields a producer adds to each message of a batch that has none of them (`schema_version`, `published_at`, …),
 * checked and encoded once for the batch by {@link prepareStamp}; {@link encodeStamped} appends them.
 */
export interface Stamp {
  /** The fields, in the order they are added after the message's own. */
  readonly fields: Readonly<Record<string, string>>;
  /** The fields as the last members of a JSON object: `,"k":"v"}` (just `}` without fields). */
  readonly json: string;
  /** Whether the schema accepts every stamped value (when not, every message takes the describing slow path). */
  readonly valid: boolean;
}

/** Checks and encodes `fields` once, for {@link encodeStamped} to append to every message of a batch. */
export function prepareStamp(fields: Readonly<Record<string, string>>): Stamp {
  return {
    fields,
    // `{"x":0,"k":"v"}` less its first six characters: the members after a comma, or `}` alone.
    json: JSON.stringify({ x: 0, ...fields }).slice(6),
    valid: isValidMessageFast({ operation_id: 'x', task_id: 'x', success: true, ...fields }),
  };
}

const ORIGINAL_ORDER = [...ORIGINAL_FIELDS];

/**
 * `encodeData({ ...input, ...stamp.fields })` byte for byte, for the common input, without building that copy (a
 * spread that adds keys costs more than encoding the message): a message that has none of the stamp's fields is
 * copied with a plain spread (cheap), the copy validated and encoded, and the stamp appended. A copy whose keys start
 * with the original's five fields in pydantic's order (as the Python producer writes them) is already canonical.
 * Undefined for any other input (and for one over `maxBytes`): encode the stamped copy with {@link encodeData},
 * which decides and describes what is wrong.
 */
export function encodeStamped(input: unknown, stamp: Stamp, maxBytes: number): string | undefined {
  if (!stamp.valid || typeof input !== 'object' || input === null) return undefined;
  // Through the prototype chain, as the caller's "does it carry one" check reads.
  for (const key in stamp.fields) if (key in input) return undefined;
  const m: Record<string, unknown> = { ...input };
  if ('toJSON' in m || !isValidMessageFast(m)) return undefined;
  const keys = Object.keys(m);
  let ordered = m.result !== undefined && m.error !== undefined;
  for (let i = 0; i < 5; i++) ordered &&= keys[i] === ORIGINAL_ORDER[i];
  let json: string;
  try {
    json = JSON.stringify(ordered ? m : canonical(m as OperationCompleteMessage, m));
  } catch {
    return undefined;
  }
  json = json.slice(0, -1) + stamp.json;
  return json.length * 3 > maxBytes && Buffer.byteLength(json, 'utf8') > maxBytes ? undefined : json;
}

/**
 * The error for a `result` that no recursive code may walk: nested deeper than {@link MAX_RESULT_DEPTH}, or (from
 * a caller's object, never from JSON) containing itself. Checked iteratively, before zod's recursive `z.json()`.
 */
function unwalkableResult(input: unknown): MessageTooDeepError | MessageValidationError | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const { result } = input as Record<string, unknown>;
  if (typeof result !== 'object' || result === null) return undefined;
  const problem = inspectJson(result, MAX_RESULT_DEPTH);
  if (problem?.kind === 'too_deep') return new MessageTooDeepError(problem.depth, MAX_RESULT_DEPTH);
  if (problem?.kind !== 'cycle') return undefined;
  const issue: z.core.$ZodIssue = {
    code: 'custom',
    path: ['result', ...problem.path],
    message: `refers back to ${formatPath(['result', ...problem.target])}: a cycle, which JSON cannot hold`,
  };
  return new MessageValidationError(summarizeIssues([issue]), [issue]);
}

/**
 * Validates `input` and returns it as a canonical message.
 * @throws MessageValidationError when it breaks the contract (a cyclic `result` included, naming the cycle's
 * path); MessageTooDeepError when `result` nests deeper than {@link MAX_RESULT_DEPTH}.
 */
export function parseMessage(input: OperationCompleteInput): OperationCompleteMessage {
  if (isValidMessageFast(input)) return canonical(input as OperationCompleteMessage, input);
  const refused = unwalkableResult(input);
  if (refused) throw refused;
  const parsed = safeParseOperationComplete(input);
  if (!parsed.success)
    throw new MessageValidationError(summarizeIssues(parsed.error.issues), parsed.error.issues);
  return canonical(parsed.data, input);
}

/** Serialises a message to its wire JSON, validating it and enforcing the size cap and the depth limit. */
export function encodeData(input: OperationCompleteInput, options: CodecOptions = {}): string {
  const message = parseMessage(input);
  let json: string;
  try {
    json = JSON.stringify(message);
  } catch (error) {
    // Unknown fields are kept unchecked; one holding a cycle, a BigInt or extreme nesting cannot be serialised.
    const issue: z.core.$ZodIssue = {
      code: 'custom',
      path: [],
      message: `cannot be serialised as JSON: ${(error as Error)?.message ?? String(error)}`,
    };
    throw new MessageValidationError(summarizeIssues([issue]), [issue]);
  }
  const limit = resolveCodecOptions(options).maxBytes;
  // Byte length is at most 3× the UTF-16 length, so most messages skip the exact count.
  if (json.length * 3 > limit) {
    const size = Buffer.byteLength(json, 'utf8');
    if (size > limit) throw new MessageTooLargeError(size, limit);
  }
  return json;
}

/**
 * Encodes a message as the field/value list for XADD: `['data', json]`.
 * @throws MessageValidationError when the message breaks the contract; MessageTooLargeError over the size cap;
 * MessageTooDeepError when `result` nests deeper than {@link MAX_RESULT_DEPTH}.
 */
export function encode(
  input: OperationCompleteInput,
  options: CodecOptions = {},
): [typeof DATA_FIELD, string] {
  return [DATA_FIELD, encodeData(input, options)];
}

function fail(code: DecodeErrorCode, detail: string): DecodeResult {
  return { ok: false, error: { code, detail } };
}

function findData(fields: unknown): unknown {
  if (Array.isArray(fields)) {
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i];
      if (name === DATA_FIELD || (Buffer.isBuffer(name) && name.toString('utf8') === DATA_FIELD))
        return fields[i + 1];
    }
    return undefined;
  }
  if (fields instanceof Map) return fields.get(DATA_FIELD);
  if (typeof fields === 'object' && fields !== null && Object.hasOwn(fields, DATA_FIELD)) {
    return (fields as Record<string, unknown>)[DATA_FIELD];
  }
  return undefined;
}

/**
 * Decodes a stream entry's fields (the flat `[field, value, …]` list ioredis returns, or a record) into a valid
 * message. Never throws, whatever it is given.
 */
export function decode(fields: unknown, options: CodecOptions = {}): DecodeResult {
  try {
    const raw = findData(fields);
    if (raw === undefined || raw === null)
      return fail('missing_data_field', `entry has no '${DATA_FIELD}' field`);
    const limit = resolveCodecOptions(options).maxBytes;
    let text: string;
    if (typeof raw === 'string') {
      if (raw.length * 3 > limit) {
        const size = Buffer.byteLength(raw, 'utf8');
        if (size > limit)
          return fail('too_large', `'${DATA_FIELD}' is ${size} bytes, over the ${limit}-byte cap`);
      }
      text = raw;
    } else if (Buffer.isBuffer(raw)) {
      if (raw.length > limit)
        return fail('too_large', `'${DATA_FIELD}' is ${raw.length} bytes, over the ${limit}-byte cap`);
      text = raw.toString('utf8');
    } else {
      return fail('missing_data_field', `'${DATA_FIELD}' is a ${typeof raw}, not a string`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return fail('invalid_json', `'${DATA_FIELD}' is not JSON: ${(error as Error).message}`.slice(0, 300));
    }
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
      const version = (json as Record<string, unknown>).schema_version;
      const major = schemaMajorOf(version);
      if (major !== undefined && major !== SCHEMA_MAJOR_VERSION) {
        return fail(
          'unsupported_version',
          `schema_version ${JSON.stringify(version)} has major ${major}; this decoder reads major ${SCHEMA_MAJOR_VERSION}`,
        );
      }
    }
    if (isValidMessageFast(json))
      return { ok: true, message: canonical(json as OperationCompleteMessage, json) };
    const refused = unwalkableResult(json);
    if (refused) {
      return MessageTooDeepError.isInstance(refused)
        ? fail('too_deep', refused.message)
        : fail('schema_violation', summarizeIssues(refused.issues));
    }
    const parsed = safeParseOperationComplete(json);
    if (!parsed.success) return fail('schema_violation', summarizeIssues(parsed.error.issues));
    return { ok: true, message: canonical(parsed.data, json) };
  } catch (error) {
    // A last guard: whatever throws inside validation is bad input, not a crash.
    return fail(
      'schema_violation',
      `message could not be validated: ${(error as Error)?.message ?? String(error)}`,
    );
  }
}
