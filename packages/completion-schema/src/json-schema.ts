import * as z from 'zod/mini';
import { MAX_MESSAGE_BYTES, MAX_RESULT_DEPTH, SCHEMA_VERSION } from './constants.js';
import { operationCompleteSchema } from './message-schema.js';

/**
 * File name of the JSON Schema for a contract version: `operation-complete.v1.json` for 1.0,
 * `operation-complete.v1.1.json` for 1.1, `operation-complete.v2.json` for 2.0. Each released version keeps its own
 * file, never edited after release, so producers in other languages can pin the exact contract they target.
 */
export function jsonSchemaFileName(version: string = SCHEMA_VERSION): string {
  const [major, minor = '0'] = version.split('.');
  return minor === '0' ? `operation-complete.v${major}.json` : `operation-complete.v${major}.${minor}.json`;
}

/** `$id` of the published v1 JSON Schema. */
export const JSON_SCHEMA_V1_ID = 'https://chat-pipeline.dev/schemas/operation-complete.v1.json';

/**
 * Builds the JSON Schema (draft 2020-12) of what a producer may send, from the zod schema, for the version this
 * package writes ({@link SCHEMA_VERSION}). The committed artifact `schema/<jsonSchemaFileName()>` is this output;
 * a test keeps them equal, and another keeps released files unchanged.
 */
export function buildOperationCompleteJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(operationCompleteSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    ...generated,
    $id: `https://chat-pipeline.dev/schemas/${jsonSchemaFileName(SCHEMA_VERSION)}`,
    title: 'OperationCompleteMessage',
    description:
      "The JSON held in the 'data' field of a completion stream entry (XADD chat:completions * data <json>). " +
      `Two limits JSON Schema cannot express, checked by every reader: 'data' is at most ${MAX_MESSAGE_BYTES} bytes ` +
      `of UTF-8 (decode code too_large), and 'result' nests at most ${MAX_RESULT_DEPTH} levels, the result object ` +
      'itself being level 1 and each object or array inside it adding one (decode code too_deep).',
  };
}
