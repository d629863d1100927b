import { z } from 'zod';
import { operationCompleteSchema } from './message-schema.js';

/** `$id` of the published v1 JSON Schema. */
export const JSON_SCHEMA_V1_ID = 'https://chat-pipeline.dev/schemas/operation-complete.v1.json';

/**
 * Builds the JSON Schema (draft 2020-12) of what a producer may send, from the zod schema.
 * The committed artifact `schema/operation-complete.v1.json` is this output; a test keeps them equal.
 */
export function buildOperationCompleteJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(operationCompleteSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    ...generated,
    $id: JSON_SCHEMA_V1_ID,
    title: 'OperationCompleteMessage',
    description:
      "The JSON held in the 'data' field of a completion stream entry (XADD chat:completions * data <json>).",
  };
}
