import { z } from '@hono/zod-openapi';
import { DELIVERY_STATUSES, WEBHOOK_EVENTS } from '../../domain/webhooks.ts';
import { UuidSchema } from './schemas.ts';

/** ext: webhooks and their delivery log, in the Extruct dialect's style (snake_case, `{items}` lists). */

const TimestampSchema = z.string().meta({ format: 'date-time' });

export const WebhookEventSchema = z.enum(WEBHOOK_EVENTS).meta({ id: 'WebhookEvent' });

const WebhookUrlSchema = z
  .url({ protocol: /^https?$/, error: 'Must be an http or https URL' })
  .max(2048)
  .describe('Where deliveries are POSTed. It must pass the same address guard as http columns.');

export const WebhookIdParamsSchema = z.object({
  webhook_id: UuidSchema.meta({ param: { name: 'webhook_id', in: 'path' }, description: 'Webhook ID.' }),
});

export const WebhookDeliveryIdParamsSchema = WebhookIdParamsSchema.extend({
  delivery_id: UuidSchema.meta({ param: { name: 'delivery_id', in: 'path' }, description: 'Delivery ID.' }),
});

export const WebhookCreateInputSchema = z
  .object({
    url: WebhookUrlSchema,
    table_id: UuidSchema.nullable()
      .optional()
      .describe('Only this table’s events; omitted or null: every table of the workspace.'),
    events: z
      .array(WebhookEventSchema)
      .min(1)
      .default(['run.finished'])
      .describe(
        '`run.finished` when a run ends (done, failed or cancelled); `cell.failed` for cells that failed.',
      ),
    secret: z
      .string()
      .min(16)
      .max(256)
      .optional()
      .describe('The signing secret; omitted: one is generated (`whsec_…`). Returned once, on creation.'),
  })
  .meta({ id: 'WebhookCreateInput' });

export const WebhookPatchInputSchema = z
  .object({
    url: WebhookUrlSchema.optional(),
    events: z.array(WebhookEventSchema).min(1).optional(),
    enabled: z.boolean().optional().describe('A disabled webhook gets no new deliveries; pending ones wait.'),
  })
  .meta({ id: 'WebhookPatchInput' });

export const WebhookOutputSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    table_id: z.string().nullable(),
    events: z.array(WebhookEventSchema),
    enabled: z.boolean(),
    created_at: TimestampSchema,
  })
  .meta({ id: 'Webhook' });

export const WebhookCreateOutputSchema = WebhookOutputSchema.extend({
  secret: z.string().describe('The signing secret. Shown this once: store it now.'),
}).meta({ id: 'WebhookWithSecret' });

export const WebhookListOutputSchema = z
  .object({ items: z.array(WebhookOutputSchema) })
  .meta({ id: 'WebhookListOutput' });

export const WebhookDeliveryOutputSchema = z
  .object({
    id: z.string().describe('The delivery id, also the payload’s `id`: the same on every attempt.'),
    webhook_id: z.string(),
    event: WebhookEventSchema,
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    next_attempt_at: TimestampSchema.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: TimestampSchema,
    delivered_at: TimestampSchema.nullable(),
    payload: z.record(z.string(), z.unknown()).describe('The JSON body sent.'),
  })
  .meta({ id: 'WebhookDelivery' });

export const WebhookDeliveryListOutputSchema = z
  .object({
    items: z.array(WebhookDeliveryOutputSchema),
    offset: z.number().int(),
    limit: z.number().int(),
    total: z.number().int(),
  })
  .meta({ id: 'WebhookDeliveryListOutput' });
