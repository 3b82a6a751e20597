import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Serves an in-process app on a real socket (127.0.0.1, a free port): the SDK over real HTTP. */
export async function listen(app: {
  fetch: (request: Request) => Response | Promise<Response>;
}): Promise<Listening> {
  const server = await new Promise<ServerType>((resolve, reject) => {
    const instance = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(instance));
    instance.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        // Event streams the test left open must not hold the close up.
        (server as Server).closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
      await settleEventStreams();
    },
  };
}

/**
 * A server event stream whose client left mid-flush still reads the table once (events.ts flushes
 * every 100 ms): let it finish before the test closes the store under it.
 */
export function settleEventStreams(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 250));
}
