/** Default completion stream key, as in the Python original. */
export const DEFAULT_COMPLETION_STREAM = 'chat:completions';

/** Default consumer group name, as in the Python original. */
export const DEFAULT_CONSUMER_GROUP = 'chat_consumers';

/** Largest encoded `data` value accepted on the wire, in bytes (1 MiB). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * Deepest nesting of `result` accepted on the wire: the result object itself is level 1 and every object or array
 * inside it adds one, so `{"a":[{"b":1}]}` is 3 levels deep. Deeper results are refused (`decode` code `too_deep`,
 * `MessageTooDeepError` when encoding) before any code walks them.
 *
 * Why a bound at all: readers downstream (redaction, `JSON.stringify`, other languages' parsers and serialisers)
 * recurse once per level, and a 1 MiB message can nest about 500 000 levels (`[[[…]]]`), far past any call stack.
 * Why 128: a generated agent's JSON (graph, nodes, links, input schemas) nests a few dozen levels at most, so 128
 * leaves ample room, while 128 frames are harmless to every recursive step we or a consumer in another language
 * take (Python's default recursion limit is 1000, Go's encoding/json stops at 10 000).
 */
export const MAX_RESULT_DEPTH = 128;

/** The one field every completion stream entry carries. */
export const DATA_FIELD = 'data';

/** Major version of the wire contract this package reads and writes. An absent `schema_version` means 1. */
export const SCHEMA_MAJOR_VERSION = 1;

/** Full version of the contract this package writes, `MAJOR.MINOR`. */
export const SCHEMA_VERSION = '1.1';
