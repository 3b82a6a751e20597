import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { createClient, type FetchLike } from '../sdk/index.ts';
import { createMcpServer } from './server.ts';

export interface McpHttpOptions {
  /** Answers the SDK's calls: the Enrichbase app itself, in process (`app.request`). */
  fetch: FetchLike;
  /** Largest JSON-RPC body accepted (413 beyond). */
  maxBodyBytes: number;
}

/**
 * One request of MCP's streamable HTTP transport, stateless: a fresh server and transport per POST,
 * whose SDK client carries the caller's own key, so the tools see exactly that key's workspace.
 * A request answers as a server-sent event stream that ends with its response, so a long tool
 * (wait_for_run) can send progress notifications on the way; the server closes when the stream
 * ends or the client leaves. GET and DELETE are 405 (no session to resume), as the transport's
 * spec allows for a stateless server.
 *
 * @example
 * app.post('/mcp', (c) => handleMcpRequest(c.req.raw, key, { fetch: (url, init) => app.request(url, init), maxBodyBytes }));
 */
export async function handleMcpRequest(
  request: Request,
  apiKey: string,
  options: McpHttpOptions,
): Promise<Response> {
  if (request.method !== 'POST') return methodNotAllowed();
  const client = createClient({
    baseUrl: 'http://enrichbase.internal',
    apiKey,
    fetch: options.fetch,
    retry: false,
  });
  const server = createMcpServer(client);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    maxRequestBodySize: options.maxBodyBytes,
  });
  await server.connect(transport);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    void server.close().catch(() => undefined);
  };
  let response: Response;
  try {
    response = await transport.handleRequest(request);
  } catch (error) {
    close();
    throw error;
  }
  // Notifications answer 202 at once; requests stream until their response has been sent.
  if (!response.body || !response.headers.get('content-type')?.includes('text/event-stream')) {
    close();
    return response;
  }
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk: { done: boolean; value?: Uint8Array } = await reader
        .read()
        .catch(() => ({ done: true, value: undefined }));
      if (chunk.done || chunk.value === undefined) {
        controller.close();
        close();
      } else {
        controller.enqueue(chunk.value);
      }
    },
    cancel(reason) {
      close();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, headers: response.headers });
}

function methodNotAllowed(): Response {
  const body = {
    jsonrpc: '2.0',
    error: { code: -32000, message: 'Method not allowed: this MCP server is stateless, send POST' },
    id: null,
  };
  return Response.json(body, { status: 405, headers: { Allow: 'POST' } });
}
