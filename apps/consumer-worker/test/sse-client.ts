/** One server-sent event as a browser's EventSource would deliver it. */
export interface SSEEvent {
  id: string | undefined;
  data: string;
}

/**
 * Reads a server-sent event stream over HTTP until `data: [DONE]` (or the end), as a browser would.
 * Used by the demo and the tests to look at the stream from the outside.
 */
export async function readSSE(
  url: string,
  options: {
    headers?: Record<string, string>;
    signal?: AbortSignal;
    onEvent?: (event: SSEEvent) => void;
  } = {},
): Promise<{ status: number; headers: Headers; events: SSEEvent[]; done: boolean }> {
  const response = await fetch(url, { headers: options.headers, signal: options.signal });
  const events: SSEEvent[] = [];
  if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
    await response.body?.cancel();
    return { status: response.status, headers: response.headers, events, done: false };
  }
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary !== -1) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      boundary = buffer.indexOf('\n\n');
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('id:')) id = line.slice(3).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      const event = { id, data: data.join('\n') };
      events.push(event);
      options.onEvent?.(event);
      if (event.data === '[DONE]') {
        await reader.cancel().catch(() => {});
        return { status: response.status, headers: response.headers, events, done: true };
      }
    }
  }
  return { status: response.status, headers: response.headers, events, done: false };
}
