import { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.ts';
import type { DiscoveryService } from '../engine/discovery.ts';
import type { TableEvents } from '../engine/events.ts';
import type { SecretBox } from '../engine/secret-box.ts';
import type { Catalog } from '../providers/index.ts';
import { STRICT_POLICY, type AddressPolicy } from '../providers/http/address-guard.ts';
import type { Store } from '../engine/ports.ts';
import { createDocsApp } from './docs.ts';
import { createDatabarApp } from './databar/index.ts';
import { createExtructApp } from './extruct/index.ts';
import { createErrorHandler } from './shared/errors.ts';
import { jsonBodies } from './shared/json-body.ts';
import { createUiApp } from './ui.ts';

export interface HttpAppOptions {
  store: Store;
  engine: Engine;
  events: TableEvents;
  catalog: Catalog;
  secretBox: SecretBox;
  logger: Logger;
  maxBodyBytes: number;
  version: string;
  /** The outbound address guard (webhook targets are checked against it); strict when omitted. */
  addressPolicy?: AddressPolicy;
  /** Nudges this process's webhook deliverer. */
  wakeWebhooks?: () => void;
  /** Adds routes of other parts (the MCP endpoint) to the app, before the UI's catch-all. */
  mount?: (app: OpenAPIHono) => void;
  /** Discovery tasks (`/v1/discovery_tasks`); not served when omitted. */
  discovery?: DiscoveryService;
}

/** Both API dialects, the OpenAPI document and its docs page, on one Hono app. */
export function createHttpApp(options: HttpAppOptions): OpenAPIHono {
  const { store, engine, events, logger } = options;
  const app = new OpenAPIHono();
  app.onError(createErrorHandler({ notFound: () => 'Not Found' }, logger));
  app.notFound((c) => c.json({ detail: 'Not Found' }, 404));
  app.use('/v1/*', ...jsonBodies(options.maxBodyBytes, /^\/v1\/tables\/[^/]+\/import$/));

  app.route(
    '/',
    createExtructApp(
      store,
      engine,
      events,
      logger,
      {
        secrets: options.secretBox,
        addressPolicy: options.addressPolicy ?? STRICT_POLICY,
        wake: options.wakeWebhooks,
      },
      options.discovery,
    ),
  );
  app.route(
    '/',
    createDatabarApp({
      store,
      engine,
      catalog: options.catalog,
      secrets: options.secretBox,
      logger,
      addressPolicy: options.addressPolicy ?? STRICT_POLICY,
    }),
  );
  app.route('/', createDocsApp());
  // Routes the composition root adds (the MCP endpoint), before the UI's catch-all.
  options.mount?.(app);

  app.openAPIRegistry.registerComponent('securitySchemes', 'HTTPBearer', { type: 'http', scheme: 'bearer' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'APIKeyHeader', {
    type: 'apiKey',
    in: 'header',
    name: 'x-apikey',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Enrichbase',
      version: options.version,
      description:
        'Self-hosted AI enrichment tables. Speaks the Extruct AI Tables API (`/v1/tables/...`, Bearer key) and the Databar table API (`/v1/table/...`, `x-apikey`).',
    },
  });
  // The browser UI last: API routes win, and unknown /v1 paths stay JSON 404s.
  app.route('/', createUiApp());
  return app;
}
