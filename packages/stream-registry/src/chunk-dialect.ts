import type { UIMessageChunk } from './chunk-schema.js';

/**
 * How the registry writes a tool's outcome into a task's chunk stream.
 * - `original`: exactly the Python original's chunks, so its subscriber (which rebuilds chunks by type and drops
 *   unknown types) shows them: success `{type: 'tool-output-available', toolCallId, toolName, output, success:
 *   true}`, failure `{type: 'error', errorText}` (the failure is not tied to the tool call).
 * - `ai-sdk`: the UI message stream protocol's own chunks: success `{type: 'tool-output-available', toolCallId,
 *   output}`, failure `{type: 'tool-output-error', toolCallId, errorText}` (the AI SDK marks the tool part
 *   `output-error`). A Python pod serving such a task drops the failure chunk.
 * Whatever is stored, the registry's SSE serves protocol chunks.
 */
export type ChunkDialect = 'original' | 'ai-sdk';

/** The dialects, for validation and documentation. */
export const CHUNK_DIALECTS: readonly ChunkDialect[] = Object.freeze(['original', 'ai-sdk']);

/** What a tool chunk names. */
export interface ToolChunkTarget {
  toolCallId: string;
  toolName: string;
}

/** The chunk that shows a tool's successful `output` (already a string, as stored), in `dialect`. */
export function toolOutputChunk(
  dialect: ChunkDialect,
  target: ToolChunkTarget & { output: string },
): UIMessageChunk {
  if (dialect === 'original') {
    return {
      type: 'tool-output-available',
      toolCallId: target.toolCallId,
      toolName: target.toolName,
      output: target.output,
      success: true,
    };
  }
  return { type: 'tool-output-available', toolCallId: target.toolCallId, output: target.output };
}

/** The chunk that shows a tool's failure `errorText`, in `dialect`. */
export function toolFailureChunk(
  dialect: ChunkDialect,
  target: ToolChunkTarget & { errorText: string },
): UIMessageChunk {
  if (dialect === 'original') return { type: 'error', errorText: target.errorText };
  return { type: 'tool-output-error', toolCallId: target.toolCallId, errorText: target.errorText };
}
