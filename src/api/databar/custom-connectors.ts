import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { checkConnector, ConnectorInputSchema, ConnectorSnapshotSchema } from '../../domain/connectors.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import type { Store, StoredConnector } from '../../engine/ports.ts';
import type { SecretBox } from '../../engine/secret-box.ts';
import type { AddressPolicy } from '../../providers/index.ts';
import { checkWebhookUrl } from '../../providers/http/webhook-transport.ts';
import type { AuthEnv } from '../shared/auth.ts';
import { DATABAR, ERRORS, json, jsonBody } from './common.ts';

const ConnectorOutputSchema = ConnectorSnapshotSchema.extend({ created_at: z.string() }).meta({
  id: 'Connector',
});
const ConnectorParamsSchema = z.object({
  connector_id: z
    .string()
    .meta({ param: { name: 'connector_id', in: 'path' }, description: 'The connector’s catalog id' }),
});
const route = { ...DATABAR, tags: ['Custom connectors (ext)'] };

const createConnector = createRoute({
  ...route,
  method: 'post',
  path: '/v1/connectors',
  summary: 'Add a custom HTTP connector to the catalog (ext)',
  description:
    "Describes one HTTP API call with `{param}` templates in `url`, `headers` and `body_template`; it appears in this workspace's `GET /v1/enrichments/` under its `id` and is added to tables with add-enrichment like any enrichment. Headers (where API keys go) are stored encrypted and never returned: answers list `header_names` only.",
  request: { body: jsonBody(ConnectorInputSchema) },
  responses: { 200: json(ConnectorOutputSchema), ...ERRORS },
});

const listConnectors = createRoute({
  ...route,
  method: 'get',
  path: '/v1/connectors',
  summary: "List the workspace's custom connectors (ext)",
  responses: { 200: json(z.array(ConnectorOutputSchema)), ...ERRORS },
});

const getConnector = createRoute({
  ...route,
  method: 'get',
  path: '/v1/connectors/{connector_id}',
  summary: 'Get a custom connector (ext)',
  request: { params: ConnectorParamsSchema },
  responses: { 200: json(ConnectorOutputSchema), ...ERRORS },
});

const deleteConnector = createRoute({
  ...route,
  method: 'delete',
  path: '/v1/connectors/{connector_id}',
  summary: 'Delete a custom connector (ext)',
  description:
    'Removes it from the catalog with its stored headers. Columns that use it keep their configuration, but their cells fail (auth) until the connector is added again, when its headers were needed.',
  request: { params: ConnectorParamsSchema },
  responses: { 200: json(ConnectorOutputSchema), ...ERRORS },
});

/** Databar answers a malformed id as it answers an unknown one: 404. */
function connectorIdOf(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new NotFoundError('connector', raw);
  return Number(raw);
}

function output(stored: StoredConnector): z.infer<typeof ConnectorOutputSchema> {
  return { ...stored.connector, created_at: stored.createdAt };
}

export function registerCustomConnectorRoutes(
  app: OpenAPIHono<AuthEnv>,
  store: Store,
  secrets: SecretBox,
  addressPolicy: AddressPolicy,
): void {
  app.openapi(createConnector, async (c) => {
    const { headers, ...input } = c.req.valid('json');
    checkConnector({ ...input, headers });
    // A literal host is checked now, as webhook targets are; every call is guarded again.
    if (!input.url.trim().startsWith('{') && !/^https?:\/\/[^/]*\{/i.test(input.url.trim())) {
      const refused = await checkWebhookUrl(addressPolicy, input.url.trim().replace(/\{[^}]*\}/g, 'x'));
      if (refused) throw ValidationError.single(['url'], refused);
    }
    const names = Object.keys(headers ?? {});
    const stored = await store.createConnector(c.get('workspace').id, {
      spec: { ...input, header_names: names },
      encryptedHeaders: names.length > 0 ? secrets.encrypt(JSON.stringify(headers)) : null,
    });
    return c.json(output(stored), 200);
  });

  app.openapi(listConnectors, async (c) =>
    c.json((await store.listConnectors(c.get('workspace').id)).map(output), 200),
  );

  app.openapi(getConnector, async (c) => {
    const id = connectorIdOf(c.req.valid('param').connector_id);
    const stored = await store.getConnector(c.get('workspace').id, id);
    if (!stored) throw new NotFoundError('connector', String(id));
    return c.json(output(stored), 200);
  });

  app.openapi(deleteConnector, async (c) => {
    const id = connectorIdOf(c.req.valid('param').connector_id);
    return c.json(output(await store.deleteConnector(c.get('workspace').id, id)), 200);
  });
}
