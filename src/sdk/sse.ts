/** One message of a `text/event-stream`. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * The event-stream format (WHATWG HTML §9.2.6) fed in chunks of any size: lines end in LF, CRLF or
 * CR, `:` starts a comment (keepalives), `data` lines join with LF, and a blank line dispatches.
 * Written here rather than with EventSource, which cannot send an Authorization header.
 */
export class ServerSentEventParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];

  /** Parses a chunk; returns the messages it completed. */
  push(chunk: string): ServerSentEvent[] {
    return this.#parse(chunk, false);
  }

  /** The stream ended: a held CR ends its line; a message without its blank line is dropped. */
  end(): ServerSentEvent[] {
    const messages = this.#parse('', true);
    this.#buffer = '';
    this.#event = '';
    this.#data = [];
    return messages;
  }

  #parse(chunk: string, final: boolean): ServerSentEvent[] {
    this.#buffer += chunk;
    const messages: ServerSentEvent[] = [];
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = lineEnd.exec(this.#buffer); match; match = lineEnd.exec(this.#buffer)) {
      // A CR that ends the chunk may be the first half of a CRLF: wait for the next chunk.
      if (!final && match[0] === '\r' && match.index === this.#buffer.length - 1) break;
      const message = this.#line(this.#buffer.slice(start, match.index));
      if (message) messages.push(message);
      start = match.index + match[0].length;
    }
    this.#buffer = this.#buffer.slice(start);
    return messages;
  }

  #line(line: string): ServerSentEvent | undefined {
    if (line === '') {
      const message =
        this.#data.length > 0 ? { event: this.#event || 'message', data: this.#data.join('\n') } : undefined;
      this.#event = '';
      this.#data = [];
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    return undefined;
  }
}

/**
 * The messages of an event-stream body, until it ends or the signal aborts; leaving the loop early
 * closes the stream.
 */
export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new ServerSentEventParser();
  // Not every fetch ties the body to the request's signal (an in-process app's does not): a read
  // left pending would never return.
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    if (signal?.aborted) return;
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        // A fetch that does tie them rejects the read: the same abort, the same quiet end.
        if (signal?.aborted) return;
        throw error;
      }
      const { value, done } = chunk;
      if (done) {
        yield* parser.push(decoder.decode());
        yield* parser.end();
        return;
      }
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
    await reader.cancel().catch(() => undefined);
  }
}
