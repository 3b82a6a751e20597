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
 * Answers are plain JSON (no session, no server-initiated stream): GET and DELETE are 405, which the
 * transport's spec allows and its clients expect from a stateless server.
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
    enableJsonResponse: true,
    maxRequestBodySize: options.maxBodyBytes,
  });
  await server.connect(transport);
  try {
    // In JSON mode the answer is complete when this resolves: nothing is left to stream.
    return await transport.handleRequest(request);
  } finally {
    await server.close();
  }
}

function methodNotAllowed(): Response {
  const body = {
    jsonrpc: '2.0',
    error: { code: -32000, message: 'Method not allowed: this MCP server is stateless, send POST' },
    id: null,
  };
  return Response.json(body, { status: 405, headers: { Allow: 'POST' } });
}
