import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { Engine } from '../../engine/engine.ts';
import type { Store } from '../../engine/ports.ts';
import type { SecretBox } from '../../engine/secret-box.ts';
import type { AddressPolicy, Catalog } from '../../providers/index.ts';
import { apiKeyHeaderAuth, type AuthEnv } from '../shared/auth.ts';
import { createDialectApp } from '../shared/dialect-app.ts';
import { registerConnectionRoutes } from './connections.ts';
import { registerCustomConnectorRoutes } from './custom-connectors.ts';
import { registerEnrichmentRoutes } from './enrichments.ts';
import { registerRowRoutes } from './rows.ts';
import { registerTableRoutes } from './tables.ts';

export interface DatabarDeps {
  store: Store;
  engine: Engine;
  catalog: Catalog;
  secrets: SecretBox;
  logger: Logger;
  /** Outbound address rules: a custom connector's literal host is checked at creation. */
  addressPolicy: AddressPolicy;
}

/** The Databar dialect: `x-apikey`, `{"detail": "Not allowed"}` / `{"detail": "Not found"}`, over the same store. */
export function createDatabarApp(deps: DatabarDeps): OpenAPIHono<AuthEnv> {
  const app = createDialectApp({ notFound: () => 'Not found' }, deps.logger);
  const auth = apiKeyHeaderAuth(deps.store);
  for (const path of [
    '/v1/user/me',
    '/v1/table',
    '/v1/table/*',
    '/v1/enrichments',
    '/v1/enrichments/*',
    '/v1/waterfalls',
    '/v1/waterfalls/*',
    '/v1/connections',
    '/v1/connections/*',
    '/v1/connectors',
    '/v1/connectors/*',
  ]) {
    app.use(path, auth);
  }
  registerTableRoutes(app, deps.store);
  registerRowRoutes(app, deps.store, deps.engine);
  registerEnrichmentRoutes(app, deps.store, deps.engine, deps.catalog);
  registerConnectionRoutes(app, deps.store, deps.secrets, deps.catalog);
  registerCustomConnectorRoutes(app, deps.store, deps.secrets, deps.addressPolicy);
  return app;
}
