import { Hono } from 'hono';
import type { Store } from '../engine/ports.ts';
import { handleMcpRequest } from '../mcp/index.ts';
import { bearerAuth, type AuthEnv } from './shared/auth.ts';

/** What the MCP tools call: the whole HTTP app, in process. */
interface InProcessApi {
  request(url: string, init: RequestInit): Response | Promise<Response>;
}

/**
 * MCP's streamable HTTP transport at `/mcp`, behind the Extruct dialect's Bearer key (401 `{detail}`
 * without a valid one). The tools call `api` in process with the same key, so they see what it sees.
 */
export function createMcpApp(store: Store, api: InProcessApi, maxBodyBytes: number): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use('/mcp', bearerAuth(store));
  app.on(['GET', 'POST', 'DELETE'], '/mcp', (c) => {
    // bearerAuth has accepted this header: its token is the key.
    const key = /^Bearer\s+(\S+)/i.exec(c.req.header('authorization') ?? '')![1]!;
    return handleMcpRequest(c.req.raw, key, {
      fetch: async (url, init) => api.request(url, init),
      maxBodyBytes,
    });
  });
  return app;
}
