import { describe, expect, it } from 'vitest';
import { readServerSentEvents, ServerSentEventParser } from './sse.ts';

describe('ServerSentEventParser', () => {
  it('dispatches a message on its blank line, with its event name and joined data lines', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push('event: status\ndata: {"a":\ndata: 1}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'status', data: '{"a":\n1}' }]);
  });

  it('skips comments and keepalives, and names unnamed messages "message"', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push(': keepalive\n\ndata: x\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('reads CRLF and CR line ends, even when a CRLF is split across chunks', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push('event: run\r')).toEqual([]);
    expect(parser.push('\ndata: 1\r\r')).toEqual([]);
    expect(parser.push('\nevent: rows\rdata: 2\r\n\r\n')).toEqual([
      { event: 'run', data: '1' },
      { event: 'rows', data: '2' },
    ]);
  });

  it('ends a line on a CR the stream ends with', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push('data: last\n\r')).toEqual([]);
    expect(parser.end()).toEqual([{ event: 'message', data: 'last' }]);
  });

  it('takes messages cut at any byte and drops one the stream ends before completing', async () => {
    const text = 'event: cells\ndata: {"n":"é"}\n\nevent: status\ndata: {}\n\nevent: run\ndata: {}\n';
    const bytes = new TextEncoder().encode(text);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        // One byte at a time: splits the two-byte "é" and every line end.
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const messages = [];
    for await (const message of readServerSentEvents(body)) messages.push(message);
    expect(messages).toEqual([
      { event: 'cells', data: '{"n":"é"}' },
      { event: 'status', data: '{}' },
    ]);
  });

  it('ends quietly when the signal aborts, even if the body never closes', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('event: run\ndata: 1\n\n'));
      },
    });
    const controller = new AbortController();
    const messages = [];
    for await (const message of readServerSentEvents(body, controller.signal)) {
      messages.push(message);
      controller.abort();
    }
    expect(messages).toEqual([{ event: 'run', data: '1' }]);
  });
});
