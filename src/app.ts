import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { pino, type Logger } from 'pino';
import { createHttpApp } from './api/http-app.ts';
import { bearerAuth } from './api/shared/auth.ts';
import { createMcpRoutes } from './mcp/index.ts';
import { VERSION as PACKAGE_VERSION } from './version.ts';
import type { Config } from './config.ts';
import { bootstrapWorkspace, type IssuedKey } from './engine/api-keys.ts';
import { Engine, type EngineOptions } from './engine/engine.ts';
import { DiscoveryService } from './engine/discovery.ts';
import { observeStore, TableEvents } from './engine/events.ts';
import { DEFAULT_RETRY_POLICY } from './engine/retry.ts';
import { systemClock, type Clock, type Store } from './engine/ports.ts';
import { createProviders } from './providers/index.ts';
import { VENDOR_ENRICHMENTS } from './providers/catalog/vendors/index.ts';
import { openPostgresEventRelay, openStore } from './storage/index.ts';
import { createSecretBox } from './engine/secret-box.ts';
import { WebhookDeliverer, type WebhookDelivererOptions } from './engine/webhooks.ts';
import { createWebhookTransport } from './providers/http/webhook-transport.ts';
import { builtinEnrichments, systemMxResolver, type CredentialLookup } from './providers/index.ts';

export { VERSION } from './version.ts';

export interface AppParts {
  store: Store;
  engine: Engine;
  events: TableEvents;
  http: OpenAPIHono;
  logger: Logger;
  /** Sends webhook deliveries from the outbox; started with the engine (`ENRICHBASE_WORKER`). */
  webhooks: WebhookDeliverer;
  /** Discovery tasks: search, build a company table, grade it (`/v1/discovery_tasks`). */
  discovery: DiscoveryService;
  /** The default workspace's first key, when this start created it. Shown once. */
  firstKey: IssuedKey | undefined;
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    // Secrets never reach a log line, whatever a caller passes along.
    redact: {
      paths: ['key', 'apiKey', '*.authorization', '*.headers.authorization', '*["x-apikey"]'],
      censor: '[redacted]',
    },
  });
}

/** The composition root: config → store → HTTP app. Nothing listens yet. */
export async function buildApp(
  config: Config,
  options: {
    logger?: Logger;
    clock?: Clock;
    store?: Store;
    engine?: EngineOptions;
    webhooks?: WebhookDelivererOptions;
    /** The database whose LISTEN/NOTIFY carries table events between processes (default: the store's). */
    eventRelayUrl?: string;
  } = {},
): Promise<AppParts> {
  const logger = options.logger ?? createLogger(config);
  const events = new TableEvents();
  const baseStore =
    options.store ??
    (await openStore({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      clock: options.clock ?? systemClock,
    }));
  // Processes sharing a PostgreSQL store (the API, workers) hear each other's table events.
  const relayUrl = options.eventRelayUrl ?? (options.store ? undefined : config.databaseUrl);
  if (baseStore.kind === 'postgres' && relayUrl)
    events.connect(await openPostgresEventRelay(relayUrl, logger));
  // Every write through this store publishes its table events (the live grid listens).
  const store = observeStore(baseStore, events);
  const firstKey = await bootstrapWorkspace(store);
  const secretBox = createSecretBox(config.secretKey ?? loadOrCreateKeyFile(config.dataDir));

  const addressPolicy = { allowPrivate: config.httpAllowPrivate, allowedHosts: config.httpAllowedHosts };
  const credentials: CredentialLookup = async (workspaceId, provider) => {
    // A custom connector's "key" is its header templates, stored encrypted with it.
    const connector = /^connector:(\d+)$/.exec(provider);
    if (connector) {
      const headers = await store.getConnectorHeaders(workspaceId, Number(connector[1]));
      return headers ? secretBox.decrypt(headers) : undefined;
    }
    const secret = await store.getVendorSecret(workspaceId, provider);
    return secret ? secretBox.decrypt(secret) : config.vendorKeys[provider];
  };
  const {
    registry: providers,
    catalog,
    companyFinder,
  } = createProviders({
    enrichments: [...builtinEnrichments({ mx: systemMxResolver }), ...VENDOR_ENRICHMENTS],
    credentials,
    vendorBaseUrls: config.vendorBaseUrls,
    addressPolicy,
    llm: {
      openai: config.llm.openai,
      anthropic: config.llm.anthropic,
      models: config.llm.models,
      maxConcurrency: config.llm.maxConcurrency,
      requestsPerMinute: config.llm.requestsPerMinute,
      tokensPerMinute: config.llm.tokensPerMinute,
    },
    search: { searxngUrl: config.search.searxngUrl, braveApiKey: config.search.braveApiKey },
    children: store,
  });
  const engine = new Engine({
    store,
    providers,
    clock: options.clock ?? systemClock,
    logger,
    options: {
      leaseMs: config.leaseMs,
      cacheTtlMs: config.cacheTtlMs,
      retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: config.maxAttempts },
      ...options.engine,
    },
  });
  const webhooks = new WebhookDeliverer({
    store,
    // Webhook targets pass the same address guard as http columns.
    transport: createWebhookTransport(addressPolicy),
    secrets: secretBox,
    clock: options.clock ?? systemClock,
    logger,
    options: options.webhooks,
  });
  const discovery = new DiscoveryService({ store, engine, finder: companyFinder, logger });
  const http = createHttpApp({
    store,
    engine,
    events,
    catalog,
    secretBox,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    version: PACKAGE_VERSION,
    addressPolicy,
    wakeWebhooks: () => webhooks.wake(),
    // MCP over streamable HTTP at /mcp, behind the Extruct dialect's Bearer key.
    mount: (app) =>
      app.route(
        '/',
        createMcpRoutes({ auth: bearerAuth(store), api: app, maxBodyBytes: config.maxBodyBytes }),
      ),
    discovery,
  });
  return { store, engine, events, http, logger, webhooks, discovery, firstKey };
}

export interface RunningApp extends AppParts {
  url: string;
  stop(): Promise<void>;
}

/** Builds the app and serves it; `stop()` closes the server and then the store. */
export async function startApp(
  config: Config,
  options: { logger?: Logger; clock?: Clock; engine?: EngineOptions } = {},
): Promise<RunningApp> {
  const parts = await buildApp(config, options);
  if (config.runWorker) {
    parts.engine.start();
    parts.webhooks.start();
  }
  // Discovery tasks a stopped process left half-way are taken up again.
  void parts.discovery
    .resumeInterrupted()
    .catch((error: unknown) => parts.logger.warn({ err: error }, 'resuming discovery tasks failed'));
  const server = await new Promise<ServerType>((resolve, reject) => {
    const instance = serve({ fetch: parts.http.fetch, port: config.port, hostname: config.host }, () =>
      resolve(instance),
    );
    instance.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let stopped: Promise<void> | undefined;
  return {
    ...parts,
    url: `http://${host}:${port}`,
    stop: () =>
      (stopped ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await parts.discovery.stop();
        await parts.engine.stop();
        await parts.webhooks.stop();
        await parts.store.close();
      })()),
  };
}

/** The key that encrypts vendor keys, kept beside the SQLite file when not given (readable by the server only). */
function loadOrCreateKeyFile(dataDir: string): Buffer {
  const file = path.join(dataDir, 'secret.key');
  if (fs.existsSync(file)) return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  fs.mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
