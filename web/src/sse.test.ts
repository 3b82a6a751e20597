import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.ts';

describe('SseParser', () => {
  it('returns named events with their JSON data, whatever the chunk boundaries', () => {
    const stream =
      'event: cells\ndata: {"cells":[]}\n\n: keepalive\n\nevent: status\r\ndata: {"a":1}\r\n\r\n';
    for (let split = 1; split < stream.length; split++) {
      const parser = new SseParser();
      const events = [...parser.push(stream.slice(0, split)), ...parser.push(stream.slice(split))];
      expect(events).toEqual([
        { event: 'cells', data: '{"cells":[]}' },
        { event: 'status', data: '{"a":1}' },
      ]);
    }
  });

  it('joins multi-line data and names unnamed events message', () => {
    expect(new SseParser().push('data: a\ndata:b\n\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
  });
});
