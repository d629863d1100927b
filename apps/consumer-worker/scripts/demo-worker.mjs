// The demo's worker: the deployable worker (the built dist/, same startup and signals as dist/main.js) with the
// hooks an application adds. `persist` stands in for the chat history, `continue` for the LLM: a deterministic
// answer to the tool's output, streamed word by word after it, as the original streams its model's reply.
import { runWorkerMain } from '../dist/index.js';

/** The stand-in model: the same output always gets the same answer. */
function answerTo(output) {
  let parsed;
  try {
    parsed = JSON.parse(output);
  } catch {
    parsed = output;
  }
  if (typeof parsed === 'object' && parsed?.name)
    return `Your agent ${parsed.name} is saved and ready to run.`;
  return `Done: ${String(parsed)}.`.replace(/\.\.$/, '.');
}

await runWorkerMain({
  hooks: {
    default: {
      async persist({ task, output, logger }) {
        logger.info({ taskId: task.taskId, bytes: output.length }, 'chat history: tool message stored');
      },
      async failure({ task, error, logger }) {
        logger.info({ taskId: task.taskId, error }, 'chat history: error response stored');
      },
      async continue({ task, output, writer }) {
        const id = `text-${task.toolCallId}`;
        await writer.write({ type: 'start-step' });
        await writer.write({ type: 'text-start', id });
        for (const word of answerTo(output).split(/(?<= )/)) {
          await writer.write({ type: 'text-delta', id, delta: word });
        }
        await writer.write({ type: 'text-end', id });
        await writer.write({ type: 'finish-step' });
      },
    },
  },
});
