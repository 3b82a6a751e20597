import type { SqlMigration } from './types.ts';

/**
 * Webhooks and their durable outbox. A delivery row is written in the transaction that makes the
 * event happen (a run finishing, cells failing), so no notification is lost to a crash; workers
 * claim due rows under a lease (`leased_until`, epoch ms; `next_attempt_at` moves to the lease's end
 * so a dead worker's attempt is retried after it) with `attempts` as the fence. The payload is kept as text on both stores: the bytes signed and
 * sent never change between attempts.
 */
export const webhooks: SqlMigration = {
  name: '0005_webhooks',
  sqlite: [
    `CREATE TABLE webhooks (
      id TEXT PRIMARY KEY,
      workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      table_id TEXT REFERENCES tables(id) ON DELETE CASCADE,
      url TEXT NOT NULL,
      secret TEXT NOT NULL,
      events TEXT NOT NULL,
      enabled INTEGER NOT NULL DEFAULT 1,
      created_at TEXT NOT NULL
    )`,
    `CREATE INDEX webhooks_workspace ON webhooks(workspace_id, created_at)`,
    `CREATE TABLE webhook_deliveries (
      id TEXT PRIMARY KEY,
      webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
      event TEXT NOT NULL,
      payload TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER,
      leased_until INTEGER,
      last_status_code INTEGER,
      last_error TEXT,
      created_at TEXT NOT NULL,
      delivered_at TEXT
    )`,
    `CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id)`,
    `CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending'`,
  ],
  postgres: [
    `CREATE TABLE webhooks (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      table_id uuid REFERENCES tables(id) ON DELETE CASCADE,
      url text NOT NULL,
      secret text NOT NULL,
      events jsonb NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL
    )`,
    `CREATE INDEX webhooks_workspace ON webhooks(workspace_id, created_at)`,
    `CREATE TABLE webhook_deliveries (
      id uuid PRIMARY KEY,
      webhook_id uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
      event text NOT NULL,
      payload text NOT NULL,
      status text NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at bigint,
      leased_until bigint,
      last_status_code integer,
      last_error text,
      created_at timestamptz NOT NULL,
      delivered_at timestamptz
    )`,
    `CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id)`,
    `CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending'`,
  ],
};
