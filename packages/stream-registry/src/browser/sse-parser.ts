/** One server-sent event, as the EventSource specification dispatches it. */
export interface ServerSentEvent {
  /** The `id:` of this event, if it had one. */
  id: string | undefined;
  /** The `event:` type; `message` when absent. */
  event: string;
  /** The `data:` lines joined with newlines. */
  data: string;
}

/**
 * Parses an SSE byte stream into events (the EventSource parsing rules: any line ending, comments skipped,
 * multi-line data joined, an event without data not dispatched). `retry:` is ignored: reconnecting is the
 * caller's policy.
 */
export async function* parseServerSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let id: string | undefined;
  let event = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let match = /\r\n|\r|\n/.exec(buffer);
      // A lone trailing CR may be the first half of CRLF: wait for the next read.
      while (match && !(match[0] === '\r' && match.index === buffer.length - 1)) {
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === '') {
          if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
          data = [];
          id = undefined;
          event = '';
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          let text = colon === -1 ? '' : line.slice(colon + 1);
          if (text.startsWith(' ')) text = text.slice(1);
          if (field === 'data') data.push(text);
          else if (field === 'id' && !text.includes('\0')) id = text;
          else if (field === 'event') event = text;
        }
        match = /\r\n|\r|\n/.exec(buffer);
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
