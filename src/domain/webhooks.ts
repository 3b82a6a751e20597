import type { Run } from './runs.ts';

/**
 * Webhooks: a workspace's HTTP endpoints told when something happens to its tables. A **webhook**
 * is an endpoint (one table, or the whole workspace when `tableId` is null) with the events it
 * wants; a **delivery** is one notification to one webhook, kept in the outbox (written in the
 * same transaction as the change it reports) until the endpoint accepts it with a 2xx or its
 * attempts run out. Its id is the event's id: stable across retries, so receivers can dedupe.
 */
export const WEBHOOK_EVENTS = ['run.finished', 'cell.failed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Webhook {
  id: string;
  workspaceId: string;
  /** null: every table of the workspace. */
  tableId: string | null;
  url: string;
  events: WebhookEvent[];
  enabled: boolean;
  createdAt: string;
}

/** One row of the delivery log. */
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  event: WebhookEvent;
  /** The exact body sent (JSON text): the same bytes on every attempt. */
  payload: string;
  status: DeliveryStatus;
  /** Attempts made so far (an attempt in flight included). */
  attempts: number;
  /** When the next attempt is due (pending only), epoch ms. */
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** The body of every delivery: Stripe-like, with the delivery id as the event id. */
export interface WebhookEnvelope<Data> {
  id: string;
  type: WebhookEvent;
  created_at: string;
  workspace_id: string;
  table_id: string;
  data: Data;
}

/**
 * The ext `Run` wire shape (`GET /v1/tables/{id}/runs/{run_id}`), for `run.finished` payloads.
 * Built here because the outbox row is written by the store, which cannot reach the API's
 * serializer; a test compares the two so they cannot drift apart.
 */
export function webhookRunData(run: Run) {
  return {
    id: run.id,
    created_at: run.createdAt,
    status: run.status,
    rows: run.rowIds,
    columns: run.columnIds,
    num_requested_cells: run.numRequestedCells,
    mode: run.mode,
    finished_at: run.finishedAt,
    counts: run.counts,
    cost: run.cost,
    max_cost: run.maxCost,
  };
}

/** One failed cell in a `cell.failed` payload (a completion batch's failures of one table go together). */
export interface FailedCellData {
  row_id: string;
  column_id: string;
  column_key: string | null;
  run_id: string | null;
  error: { type: string; message: string } | null;
}

/** Whether a webhook of `tableId` scope wants this event of this table. */
export function webhookMatches(
  webhook: Pick<Webhook, 'tableId' | 'events' | 'enabled'>,
  event: WebhookEvent,
  tableId: string,
): boolean {
  return (
    webhook.enabled &&
    (webhook.tableId === null || webhook.tableId === tableId) &&
    webhook.events.includes(event)
  );
}
