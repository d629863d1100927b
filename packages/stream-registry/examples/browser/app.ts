// The browser side of the example: an assistant message streamed through the AI SDK with the resumable chat
// transport (?mode=ai, the default), or with the plain chunk iterator (?mode=plain). Bundled by server.ts.
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import {
  createResumableChatTransport,
  streamTaskChunks,
  type TaskStreamLocation,
} from '../../src/browser/index.js';

declare global {
  interface Window {
    /** What the page saw, for the browser tests. */
    demo: { chunks: string[]; reconnects: number; status: string; error?: string };
  }
}

window.demo = { chunks: [], reconnects: 0, status: 'idle' };
const params = new URLSearchParams(location.search);
const statusLine = document.getElementById('status') as HTMLElement;
const messages = document.getElementById('messages') as HTMLElement;

function setStatus(status: string, error?: string): void {
  window.demo.status = status;
  if (error) window.demo.error = error;
  statusLine.dataset.status = status;
  statusLine.textContent = error ? `${status}: ${error}` : status;
}

function render(message: UIMessage): void {
  let element = document.getElementById(`message-${message.id}`);
  if (!element) {
    element = document.createElement('div');
    element.id = `message-${message.id}`;
    element.className = 'message';
    element.dataset.role = message.role;
    messages.append(element);
  }
  element.replaceChildren(
    ...message.parts.flatMap((part) => {
      if (part.type === 'text') {
        const p = document.createElement('p');
        p.className = 'text';
        p.textContent = part.text;
        return [p];
      }
      if (part.type.startsWith('tool-')) {
        const tool = part as { type: string; state: string; output?: unknown; errorText?: string };
        const pre = document.createElement('div');
        pre.className = 'tool';
        pre.dataset.state = tool.state;
        pre.textContent = `${tool.type} ${tool.state}${
          tool.output === undefined ? '' : ` ${JSON.stringify(tool.output)}`
        }${tool.errorText ? ` ${tool.errorText}` : ''}`;
        return [pre];
      }
      return [];
    }),
  );
}

const retry = { initialDelayMs: 100, maxDelayMs: 1000, maxRetries: 30 };
const onReconnect = () => {
  window.demo.reconnects += 1;
  setStatus('reconnecting');
};

async function viaAiSdk(location: TaskStreamLocation): Promise<void> {
  const transport = createResumableChatTransport<UIMessageChunk, UIMessage>({
    start: async () => location,
    retry,
    onReconnect,
  });
  const stream = await transport.sendMessages({
    trigger: 'submit-message',
    chatId: 'demo',
    messageId: undefined,
    messages: [],
    abortSignal: undefined,
  });
  const tapped = stream.pipeThrough(
    new TransformStream<UIMessageChunk, UIMessageChunk>({
      transform(chunk, controller) {
        window.demo.chunks.push(chunk.type);
        if (window.demo.status === 'reconnecting') setStatus('streaming');
        controller.enqueue(chunk);
      },
    }),
  );
  for await (const message of readUIMessageStream({ stream: tapped, terminateOnError: true }))
    render(message);
}

async function viaPlainIterator(location: TaskStreamLocation): Promise<void> {
  const message: UIMessage = { id: 'plain', role: 'assistant', parts: [] };
  const texts = new Map<string, { type: 'text'; text: string }>();
  for await (const { chunk } of streamTaskChunks(location.url, { retry, onReconnect })) {
    window.demo.chunks.push(chunk.type);
    if (window.demo.status === 'reconnecting') setStatus('streaming');
    if (chunk.type === 'start' && typeof chunk.messageId === 'string') message.id = chunk.messageId;
    if (chunk.type === 'text-start') {
      const part = { type: 'text' as const, text: '' };
      texts.set(String(chunk.id), part);
      message.parts.push(part);
    }
    if (chunk.type === 'text-delta') {
      const part = texts.get(String(chunk.id));
      if (part) part.text += String(chunk.delta);
    }
    if (chunk.type === 'tool-input-available' || chunk.type === 'tool-output-available') {
      const name = String(chunk.toolName ?? 'create_agent');
      const existing = message.parts.find((p) => 'toolCallId' in p && p.toolCallId === chunk.toolCallId) as
        | { state: string; output?: unknown }
        | undefined;
      if (existing) Object.assign(existing, { state: 'output-available', output: chunk.output });
      else
        message.parts.push({
          type: `tool-${name}`,
          toolCallId: String(chunk.toolCallId),
          state: 'input-available',
          input: chunk.input,
        } as UIMessage['parts'][number]);
    }
    render(message);
  }
}

async function run(location: TaskStreamLocation): Promise<void> {
  setStatus('streaming');
  try {
    if (params.get('mode') === 'plain') await viaPlainIterator(location);
    else await viaAiSdk(location);
    setStatus('done');
  } catch (error) {
    setStatus('error', error instanceof Error ? error.message : String(error));
  }
}

const stream = params.get('stream');
if (stream) void run({ url: stream });

document.getElementById('ask')?.addEventListener('click', async () => {
  const response = await fetch('/demo/ask', { method: 'POST' });
  const { streamUrl } = (await response.json()) as { streamUrl: string };
  // A reload resumes the same task: its stream replays from the beginning.
  history.replaceState(
    null,
    '',
    `?${new URLSearchParams({ ...Object.fromEntries(params), stream: streamUrl })}`,
  );
  await run({ url: streamUrl });
});
