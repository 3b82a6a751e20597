import { Hono, type MiddlewareHandler } from 'hono';
import { handleMcpRequest } from './http.ts';

/** What the MCP tools call: the whole HTTP app, in process. */
interface InProcessApi {
  request(url: string, init: RequestInit): Response | Promise<Response>;
}

/**
 * MCP's streamable HTTP transport at `/mcp`, behind `auth` (the Extruct dialect's Bearer check: 401
 * `{detail}` without a valid key). The tools call `api` in process with the same key, so they see
 * what it sees. The composition root mounts it on the HTTP app.
 */
export function createMcpRoutes(options: {
  auth: MiddlewareHandler;
  api: InProcessApi;
  maxBodyBytes: number;
}): Hono {
  const app = new Hono();
  app.use('/mcp', options.auth);
  app.on(['GET', 'POST', 'DELETE'], '/mcp', (c) => {
    // The auth middleware has accepted this header: its token is the key.
    const key = /^Bearer\s+(\S+)/i.exec(c.req.header('authorization') ?? '')![1]!;
    return handleMcpRequest(c.req.raw, key, {
      fetch: async (url, init) => options.api.request(url, init),
      maxBodyBytes: options.maxBodyBytes,
    });
  });
  return app;
}
