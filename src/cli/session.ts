import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { loadConfig } from '../config.ts';
import { hashApiKey } from '../engine/api-keys.ts';
import type { Store } from '../engine/ports.ts';
import { createClient, type EnrichbaseClient } from '../sdk/index.ts';
import { openStore } from '../storage/index.ts';
import { CliError, pickByName, resolveTarget, type Target, type TargetOptions } from './target.ts';

/**
 * A CLI command's connection to Enrichbase: the typed SDK client, pointed either at a server
 * (`--url`/`--key`) or at the configured store opened in this process, where the same HTTP app
 * answers in memory. Commands are written once, against the SDK, for both.
 */
export interface CliSession {
  client: EnrichbaseClient;
  target: Target;
  /**
   * Local sessions: compute queued cells in this process (the engine) until `close()`; without it
   * a local run only queues cells for a server or worker on the same store. Remote: the server computes.
   */
  compute(): void;
  close(): Promise<void>;
}

export async function openSession(options: TargetOptions): Promise<CliSession> {
  const target = resolveTarget(options);
  if (target.kind === 'remote') {
    return {
      client: createClient({ baseUrl: target.url, apiKey: target.key }),
      target,
      compute: () => undefined,
      close: () => Promise.resolve(),
    };
  }
  const config = loadConfig();
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    // A key that exists only in this process's memory: nothing is written to the store's key table.
    const token = `local_${randomBytes(24).toString('base64url')}`;
    const tokenHash = hashApiKey(token);
    // eslint-disable-next-line prefer-const -- assigned once the app has bootstrapped the store
    let workspace: Awaited<ReturnType<Store['findWorkspaceByName']>>;
    const sessionStore = withAuthentication(store, (hash) =>
      Promise.resolve(hash === tokenHash ? workspace : undefined),
    );
    // stdout belongs to the command's output (and to the MCP protocol): logs go to stderr.
    const logger = pino({ level: 'warn' }, pino.destination(2));
    const { buildApp } = await import('../app.ts');
    const app = await buildApp(config, { store: sessionStore, logger });
    if (app.firstKey) {
      process.stderr.write(
        `Created workspace '${app.firstKey.workspace.name}' in ${store.location}; its first API key (shown once): ${app.firstKey.key}\n`,
      );
    }
    workspace = await store.findWorkspaceByName(target.workspace);
    if (!workspace) {
      throw new CliError(
        `no workspace named '${target.workspace}' in ${store.location} (create one with \`enrichbase keys create -w ${target.workspace}\`)`,
      );
    }
    let computing = false;
    return {
      client: createClient({
        baseUrl: 'http://enrichbase.local',
        apiKey: token,
        fetch: async (input, init) => app.http.request(input, init),
        retry: false,
      }),
      target,
      compute: () => {
        if (computing) return;
        computing = true;
        app.engine.start();
      },
      close: async () => {
        if (computing) await app.engine.stop();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Runs `work` with a session and closes it, whatever happens. */
export async function withSession<T>(
  options: TargetOptions,
  work: (session: CliSession) => Promise<T>,
): Promise<T> {
  const session = await openSession(options);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A table by id, or by its exact name when that names one table of the workspace. */
export async function resolveTableId(client: EnrichbaseClient, reference: string): Promise<string> {
  if (UUID.test(reference)) return reference;
  const { items } = await client.tables.listPage({ search: reference, limit: 100 });
  return pickByName(items, reference);
}

/** The store, but `authenticate` answers for the session's in-memory key first. */
function withAuthentication(
  store: Store,
  authenticate: (hash: string) => Promise<Awaited<ReturnType<Store['authenticate']>>>,
): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'authenticate') {
        return async (hash: string) => (await authenticate(hash)) ?? target.authenticate(hash);
      }
      const value: unknown = Reflect.get(target, property, target);
      // Methods run on the real store: its #private fields are not reachable through the proxy.
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
