import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { NotFoundError } from '../../domain/errors.ts';
import type { Store } from '../../engine/ports.ts';
import { secretHint, type SecretBox } from '../../engine/secret-box.ts';
import type { Catalog } from '../../providers/index.ts';
import type { AuthEnv } from '../shared/auth.ts';
import { validationFailed } from '../shared/errors.ts';
import { DATABAR, ERRORS, json, jsonBody } from './common.ts';
import { ConnectionSchema, ConnectionSetSchema } from './schemas.ts';

const ProviderParamsSchema = z.object({
  provider: z.string().meta({ param: { name: 'provider', in: 'path' } }),
});
const connectionsRoute = { ...DATABAR, tags: ['Connections (ext)'] };

const listConnections = createRoute({
  ...connectionsRoute,
  method: 'get',
  path: '/v1/connections',
  summary: "List the workspace's vendor keys (ext)",
  description:
    'Which vendors have a key, with its last characters only: keys are stored encrypted and never returned.',
  responses: { 200: json(z.array(ConnectionSchema)), ...ERRORS },
});

const setConnection = createRoute({
  ...connectionsRoute,
  method: 'put',
  path: '/v1/connections/{provider}',
  summary: 'Set a vendor key (ext)',
  request: { params: ProviderParamsSchema, body: jsonBody(ConnectionSetSchema) },
  responses: { 200: json(ConnectionSchema), ...ERRORS },
});

const deleteConnection = createRoute({
  ...connectionsRoute,
  method: 'delete',
  path: '/v1/connections/{provider}',
  summary: 'Remove a vendor key (ext)',
  request: { params: ProviderParamsSchema },
  responses: { 200: json(z.object({ deleted: z.boolean() })), ...ERRORS },
});

export function registerConnectionRoutes(
  app: OpenAPIHono<AuthEnv>,
  store: Store,
  secrets: SecretBox,
  catalog: Catalog,
): void {
  const providers = new Set(
    catalog.enrichments
      .filter((definition) => definition.auth_method === 'api_key')
      .map((definition) => definition.provider),
  );

  app.openapi(listConnections, async (c) => {
    const list = await store.listVendorCredentials(c.get('workspace').id);
    return c.json(
      list.map((item) => ({ provider: item.provider, hint: item.hint, updated_at: item.updatedAt })),
      200,
    );
  });

  app.openapi(setConnection, async (c) => {
    const { provider } = c.req.valid('param');
    if (!providers.has(provider)) {
      throw validationFailed([
        {
          loc: ['path', 'provider'],
          msg: `Unknown provider; one of ${[...providers].sort().join(', ')}`,
          type: 'enum',
        },
      ]);
    }
    const key = c.req.valid('json').api_key.trim();
    const saved = await store.setVendorCredential(
      c.get('workspace').id,
      provider,
      secrets.encrypt(key),
      secretHint(key),
    );
    return c.json({ provider: saved.provider, hint: saved.hint, updated_at: saved.updatedAt }, 200);
  });

  app.openapi(deleteConnection, async (c) => {
    const { provider } = c.req.valid('param');
    if (!(await store.deleteVendorCredential(c.get('workspace').id, provider)))
      throw new NotFoundError('api_key', provider);
    return c.json({ deleted: true }, 200);
  });
}
