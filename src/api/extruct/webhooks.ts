import { createRoute, type OpenAPIHono, type z } from '@hono/zod-openapi';
import { ValidationError } from '../../domain/errors.ts';
import { generateWebhookSecret } from '../../domain/webhook-signature.ts';
import type { Webhook, WebhookDelivery } from '../../domain/webhooks.ts';
import type { Store } from '../../engine/ports.ts';
import type { SecretBox } from '../../engine/secret-box.ts';
import type { AddressPolicy } from '../../providers/http/address-guard.ts';
import { checkWebhookUrl } from '../../providers/http/webhook-transport.ts';
import { bearerAuth, type AuthEnv } from '../shared/auth.ts';
import { INVALID, json, jsonBody, NOT_FOUND, SECURITY, UNAUTHORIZED } from './responses.ts';
import { DataQuerySchema } from './schemas.ts';
import {
  WebhookCreateInputSchema,
  WebhookCreateOutputSchema,
  WebhookDeliveryIdParamsSchema,
  WebhookDeliveryListOutputSchema,
  WebhookDeliveryOutputSchema,
  WebhookIdParamsSchema,
  WebhookListOutputSchema,
  WebhookOutputSchema,
  WebhookPatchInputSchema,
} from './webhook-schemas.ts';

export interface WebhookRouteDeps {
  /** Encrypts signing secrets at rest, as vendor keys are. */
  secrets: SecretBox;
  /** The address guard of http columns: a target it refuses is refused at creation too. */
  addressPolicy: AddressPolicy;
  /** Nudges this process's deliverer (after a manual retry). */
  wake?: () => void;
}

const TAGS = ['webhooks'];

const createWebhook = createRoute({
  method: 'post',
  path: '/v1/webhooks',
  tags: TAGS,
  summary: 'Create Webhook (ext)',
  description:
    'Registers an endpoint for run completions (and optionally cell failures) of one table or the whole workspace. Deliveries are POSTed with `Enrichbase-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The signing secret is returned once.',
  security: SECURITY,
  request: { body: jsonBody(WebhookCreateInputSchema) },
  responses: { 200: json(WebhookCreateOutputSchema), ...UNAUTHORIZED, ...INVALID },
});

const listWebhooks = createRoute({
  method: 'get',
  path: '/v1/webhooks',
  tags: TAGS,
  summary: 'List Webhooks (ext)',
  security: SECURITY,
  responses: { 200: json(WebhookListOutputSchema), ...UNAUTHORIZED },
});

const getWebhook = createRoute({
  method: 'get',
  path: '/v1/webhooks/{webhook_id}',
  tags: TAGS,
  summary: 'Get Webhook (ext)',
  security: SECURITY,
  request: { params: WebhookIdParamsSchema },
  responses: { 200: json(WebhookOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const patchWebhook = createRoute({
  method: 'patch',
  path: '/v1/webhooks/{webhook_id}',
  tags: TAGS,
  summary: 'Update Webhook (ext)',
  security: SECURITY,
  request: { params: WebhookIdParamsSchema, body: jsonBody(WebhookPatchInputSchema) },
  responses: { 200: json(WebhookOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const deleteWebhook = createRoute({
  method: 'delete',
  path: '/v1/webhooks/{webhook_id}',
  tags: TAGS,
  summary: 'Delete Webhook (ext)',
  description: 'Deletes the webhook and its delivery log; pending deliveries are never sent.',
  security: SECURITY,
  request: { params: WebhookIdParamsSchema },
  responses: { 200: json(WebhookOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const listDeliveries = createRoute({
  method: 'get',
  path: '/v1/webhooks/{webhook_id}/deliveries',
  tags: TAGS,
  summary: 'List Webhook Deliveries (ext)',
  description: 'The delivery log, newest first: status, attempts, the last response code or error.',
  security: SECURITY,
  request: { params: WebhookIdParamsSchema, query: DataQuerySchema },
  responses: { 200: json(WebhookDeliveryListOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const retryDelivery = createRoute({
  method: 'post',
  path: '/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry',
  tags: TAGS,
  summary: 'Retry Webhook Delivery (ext)',
  description:
    'Makes the delivery due now: one more attempt, with the same id and body (a delivered one is sent again).',
  security: SECURITY,
  request: { params: WebhookDeliveryIdParamsSchema },
  responses: { 200: json(WebhookDeliveryOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

export function webhookOutput(webhook: Webhook): z.infer<typeof WebhookOutputSchema> {
  return {
    id: webhook.id,
    url: webhook.url,
    table_id: webhook.tableId,
    events: webhook.events,
    enabled: webhook.enabled,
    created_at: webhook.createdAt,
  };
}

export function deliveryOutput(delivery: WebhookDelivery): z.infer<typeof WebhookDeliveryOutputSchema> {
  return {
    id: delivery.id,
    webhook_id: delivery.webhookId,
    event: delivery.event,
    status: delivery.status,
    attempts: delivery.attempts,
    next_attempt_at:
      delivery.status === 'pending' && delivery.nextAttemptAt !== null
        ? new Date(delivery.nextAttemptAt).toISOString()
        : null,
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    created_at: delivery.createdAt,
    delivered_at: delivery.deliveredAt,
    payload: JSON.parse(delivery.payload) as Record<string, unknown>,
  };
}

async function requireAllowedUrl(policy: AddressPolicy, url: string): Promise<void> {
  const refused = await checkWebhookUrl(policy, url);
  if (refused) throw ValidationError.single(['url'], refused, 'value_error');
}

export function registerWebhookRoutes(app: OpenAPIHono<AuthEnv>, store: Store, deps: WebhookRouteDeps): void {
  const auth = bearerAuth(store);
  app.use('/v1/webhooks', auth);
  app.use('/v1/webhooks/*', auth);

  app.openapi(createWebhook, async (c) => {
    const body = c.req.valid('json');
    await requireAllowedUrl(deps.addressPolicy, body.url);
    const secret = body.secret ?? generateWebhookSecret();
    const webhook = await store.createWebhook(c.get('workspace').id, {
      url: body.url,
      tableId: body.table_id ?? null,
      events: [...new Set(body.events)],
      encryptedSecret: deps.secrets.encrypt(secret),
    });
    return c.json({ ...webhookOutput(webhook), secret }, 200);
  });

  app.openapi(listWebhooks, async (c) => {
    const items = await store.listWebhooks(c.get('workspace').id);
    return c.json({ items: items.map(webhookOutput) }, 200);
  });

  app.openapi(getWebhook, async (c) => {
    const { webhook_id: webhookId } = c.req.valid('param');
    return c.json(webhookOutput(await store.getWebhook(c.get('workspace').id, webhookId)), 200);
  });

  app.openapi(patchWebhook, async (c) => {
    const { webhook_id: webhookId } = c.req.valid('param');
    const body = c.req.valid('json');
    const workspaceId = c.get('workspace').id;
    // 404 before 422: another workspace's webhook is not there, whatever the body says.
    await store.getWebhook(workspaceId, webhookId);
    if (body.url !== undefined) await requireAllowedUrl(deps.addressPolicy, body.url);
    const webhook = await store.updateWebhook(workspaceId, webhookId, {
      url: body.url,
      events: body.events && [...new Set(body.events)],
      enabled: body.enabled,
    });
    return c.json(webhookOutput(webhook), 200);
  });

  app.openapi(deleteWebhook, async (c) => {
    const { webhook_id: webhookId } = c.req.valid('param');
    return c.json(webhookOutput(await store.deleteWebhook(c.get('workspace').id, webhookId)), 200);
  });

  app.openapi(listDeliveries, async (c) => {
    const { webhook_id: webhookId } = c.req.valid('param');
    const page = c.req.valid('query');
    const { items, total } = await store.listWebhookDeliveries(c.get('workspace').id, webhookId, page);
    return c.json({ items: items.map(deliveryOutput), offset: page.offset, limit: page.limit, total }, 200);
  });

  app.openapi(retryDelivery, async (c) => {
    const { webhook_id: webhookId, delivery_id: deliveryId } = c.req.valid('param');
    const delivery = await store.retryWebhookDelivery(c.get('workspace').id, webhookId, deliveryId);
    deps.wake?.();
    return c.json(deliveryOutput(delivery), 200);
  });
}
