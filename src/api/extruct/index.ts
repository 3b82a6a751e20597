import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { Engine } from '../../engine/engine.ts';
import type { TableEvents } from '../../engine/events.ts';
import type { EntityName } from '../../domain/errors.ts';
import type { Store } from '../../engine/ports.ts';
import { bearerAuth, type AuthEnv } from '../shared/auth.ts';
import { createDialectApp } from '../shared/dialect-app.ts';
import { registerColumnRoutes } from './columns.ts';
import { registerCsvRoutes } from './csv.ts';
import { registerEventRoutes } from './events.ts';
import { json } from './responses.ts';
import { registerRowRoutes } from './rows.ts';
import { registerRunRoutes } from './runs.ts';
import { HealthcheckOutputSchema } from './schemas.ts';
import { registerTableRoutes } from './tables.ts';
import { registerUserRoutes } from './user.ts';
import { registerWebhookRoutes, type WebhookRouteDeps } from './webhooks.ts';
import { registerDiscoveryRoutes } from './discovery.ts';
import type { DiscoveryService } from '../../engine/discovery.ts';

const ENTITY_NAMES = {
  workspace: 'Workspace',
  table: 'Table',
  column: 'Column',
  row: 'Row',
  run: 'Run',
  api_key: 'API key',
  table_enrichment: 'Table enrichment',
  enrichment: 'Enrichment',
  waterfall: 'Waterfall',
  webhook: 'Webhook',
  webhook_delivery: 'Webhook delivery',
  discovery_task: 'Discovery task',
  connector: 'Connector',
} as const satisfies Record<EntityName, string>;

const healthcheck = createRoute({
  method: 'get',
  path: '/v1/healthcheck',
  tags: ['health'],
  summary: 'Healthcheck',
  responses: { 200: json(HealthcheckOutputSchema) },
});

/** The Extruct AI Tables dialect: `/v1/tables/...`, Bearer keys, `{detail}` errors naming what was not found. */
export function createExtructApp(
  store: Store,
  engine: Engine,
  events: TableEvents,
  logger: Logger,
  webhooks?: WebhookRouteDeps,
  discovery?: DiscoveryService,
): OpenAPIHono<AuthEnv> {
  const app = createDialectApp({ notFound: (entity) => `${ENTITY_NAMES[entity]} not found` }, logger);
  app.openapi(healthcheck, (c) => c.json({ status: 'ok' as const }, 200));
  const auth = bearerAuth(store);
  app.use('/v1/user', auth);
  app.use('/v1/tables', auth);
  app.use('/v1/tables/*', auth);
  registerUserRoutes(app);
  registerTableRoutes(app, store);
  registerRowRoutes(app, store, engine);
  registerColumnRoutes(app, store);
  registerRunRoutes(app, store, engine);
  registerEventRoutes(app, store, events);
  if (webhooks) registerWebhookRoutes(app, store, webhooks);
  registerCsvRoutes(app, store, engine);
  if (discovery) registerDiscoveryRoutes(app, store, discovery);
  return app;
}
