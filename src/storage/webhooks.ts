import { sql, type Insertable, type Selectable, type Transaction } from 'kysely';
import type { CellError } from '../domain/model.ts';
import { NotFoundError, ValidationError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import {
  webhookMatches,
  webhookRunData,
  type DeliveryStatus,
  type FailedCellData,
  type Webhook,
  type WebhookDelivery,
  type WebhookEnvelope,
  type WebhookEvent,
} from '../domain/webhooks.ts';
import type {
  ClaimedDelivery,
  Clock,
  DeliveryAttemptOutcome,
  NewWebhook,
  WebhookPatch,
  WebhookStore,
} from '../engine/ports.ts';
import type { StoreDb, StoreDialect } from './dialect.ts';
import { chunks, parseJson, toIso, toRun } from './mapping.ts';
import type { Database, WebhookDeliveriesTable, WebhooksTable } from './schema.ts';

type Trx = Transaction<Database>;

/** Failed cells one `cell.failed` delivery carries at most (a bigger batch is split). */
const CELLS_PER_DELIVERY = 500;

/** Webhooks, their delivery log, and the outbox workers claim from. */
export class WebhookQueries implements WebhookStore {
  readonly #db: StoreDb;
  readonly #dialect: StoreDialect;
  readonly #clock: Clock;

  constructor(db: StoreDb, dialect: StoreDialect, clock: Clock) {
    this.#db = db;
    this.#dialect = dialect;
    this.#clock = clock;
  }

  async createWebhook(workspaceId: string, input: NewWebhook): Promise<Webhook> {
    if (input.tableId !== null) {
      const table = await this.#db
        .selectFrom('tables')
        .select('id')
        .where('id', '=', input.tableId)
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirst();
      if (!table) throw ValidationError.single(['table_id'], `No table with id '${input.tableId}'`);
    }
    const row = {
      id: newId(),
      workspace_id: workspaceId,
      table_id: input.tableId,
      url: input.url,
      secret: input.encryptedSecret,
      events: JSON.stringify(input.events),
      enabled: this.#dialect.bool(true),
      created_at: new Date(this.#clock.now()).toISOString(),
    };
    await this.#db.insertInto('webhooks').values(row).execute();
    return toWebhook(row);
  }

  async listWebhooks(workspaceId: string): Promise<Webhook[]> {
    const rows = await this.#db
      .selectFrom('webhooks')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toWebhook);
  }

  async getWebhook(workspaceId: string, webhookId: string): Promise<Webhook> {
    return toWebhook(await this.#requireWebhook(this.#db, workspaceId, webhookId));
  }

  async updateWebhook(workspaceId: string, webhookId: string, patch: WebhookPatch): Promise<Webhook> {
    return this.#db.transaction().execute(async (trx) => {
      await this.#requireWebhook(trx, workspaceId, webhookId);
      const set: Partial<Insertable<WebhooksTable>> = {};
      if (patch.url !== undefined) set.url = patch.url;
      if (patch.events !== undefined) set.events = JSON.stringify(patch.events);
      if (patch.enabled !== undefined) set.enabled = this.#dialect.bool(patch.enabled);
      if (Object.keys(set).length > 0)
        await trx.updateTable('webhooks').set(set).where('id', '=', webhookId).execute();
      return toWebhook(await this.#requireWebhook(trx, workspaceId, webhookId));
    });
  }

  async deleteWebhook(workspaceId: string, webhookId: string): Promise<Webhook> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await this.#requireWebhook(trx, workspaceId, webhookId);
      // The log goes with it (ON DELETE CASCADE): a deleted endpoint is never called again.
      await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', webhookId).execute();
      await trx.deleteFrom('webhooks').where('id', '=', webhookId).execute();
      return toWebhook(row);
    });
  }

  async listWebhookDeliveries(
    workspaceId: string,
    webhookId: string,
    page: { offset: number; limit: number },
  ): Promise<{ items: WebhookDelivery[]; total: number }> {
    await this.#requireWebhook(this.#db, workspaceId, webhookId);
    const base = this.#db.selectFrom('webhook_deliveries').where('webhook_id', '=', webhookId);
    const [rows, total] = await Promise.all([
      // Ids are UUIDv7: by id is by creation.
      base.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
      base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toDelivery), total: Number(total.n) };
  }

  async retryWebhookDelivery(
    workspaceId: string,
    webhookId: string,
    deliveryId: string,
  ): Promise<WebhookDelivery> {
    return this.#db.transaction().execute(async (trx) => {
      await this.#requireWebhook(trx, workspaceId, webhookId);
      const row = await trx
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('id', '=', deliveryId)
        .where('webhook_id', '=', webhookId)
        .executeTakeFirst();
      if (!row) throw new NotFoundError('webhook_delivery', deliveryId);
      const nowMs = this.#clock.now();
      // An attempt in flight is not doubled: its own outcome decides what comes next.
      const inFlight =
        row.status === 'pending' && row.leased_until !== null && Number(row.leased_until) > nowMs;
      if (inFlight) return toDelivery(row);
      await trx
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', next_attempt_at: nowMs, leased_until: null, delivered_at: null })
        .where('id', '=', deliveryId)
        .execute();
      return toDelivery({
        ...row,
        status: 'pending',
        next_attempt_at: nowMs,
        leased_until: null,
        delivered_at: null,
      });
    });
  }

  async claimWebhookDeliveries(
    limit: number,
    at: { nowMs: number; leaseMs: number },
  ): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    return this.#db.transaction().execute(async (trx) => {
      const leaseEnd = at.nowMs + at.leaseMs;
      // Postgres: FOR UPDATE SKIP LOCKED on the deliveries only (the webhooks filter is a subquery,
      // so two workers never block each other on one busy endpoint).
      const candidates = this.#dialect.lockForClaim(
        trx
          .selectFrom('webhook_deliveries')
          .select('id')
          // A literal, so SQLite uses the partial index.
          .where('status', '=', sql.lit('pending'))
          .where('next_attempt_at', '<=', at.nowMs)
          .where('webhook_id', 'in', this.#enabledWebhookIds())
          .orderBy('next_attempt_at')
          .orderBy('id')
          .limit(limit),
      );
      const claimed = await trx
        .updateTable('webhook_deliveries')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          // If this worker dies, the delivery is due again when the lease ends.
          next_attempt_at: leaseEnd,
          leased_until: leaseEnd,
        }))
        .where('id', 'in', candidates)
        .returning(['id', 'webhook_id', 'event', 'payload', 'attempts'])
        .execute();
      if (claimed.length === 0) return [];
      const hooks = await trx
        .selectFrom('webhooks')
        .select(['id', 'url', 'secret'])
        .where('id', 'in', [...new Set(claimed.map((row) => row.webhook_id))])
        .execute();
      const byId = new Map(hooks.map((hook) => [hook.id, hook]));
      return claimed.map((row): ClaimedDelivery => {
        const hook = byId.get(row.webhook_id)!;
        return {
          id: row.id,
          webhookId: row.webhook_id,
          event: row.event as WebhookEvent,
          url: hook.url,
          encryptedSecret: hook.secret,
          payload: row.payload,
          attempt: Number(row.attempts),
        };
      });
    });
  }

  async recordWebhookAttempt(
    deliveryId: string,
    attempt: number,
    outcome: DeliveryAttemptOutcome,
    nowMs: number,
  ): Promise<boolean> {
    const common = { leased_until: null, last_status_code: outcome.statusCode };
    const set: Partial<Insertable<WebhookDeliveriesTable>> =
      outcome.status === 'delivered'
        ? {
            ...common,
            status: 'delivered',
            next_attempt_at: null,
            last_error: null,
            delivered_at: new Date(nowMs).toISOString(),
          }
        : outcome.status === 'retry'
          ? { ...common, next_attempt_at: outcome.nextAttemptAt, last_error: outcome.error }
          : { ...common, status: 'failed', next_attempt_at: null, last_error: outcome.error };
    const result = await this.#db
      .updateTable('webhook_deliveries')
      .set(set)
      .where('id', '=', deliveryId)
      .where('attempts', '=', attempt)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async nextWebhookDeliveryAt(): Promise<number | undefined> {
    const row = await this.#db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('due'))
      .where('status', '=', sql.lit('pending'))
      // A disabled webhook's deliveries wait, and must not keep a worker's loop awake.
      .where('webhook_id', 'in', this.#enabledWebhookIds())
      .executeTakeFirst();
    return row?.due === null || row?.due === undefined ? undefined : Number(row.due);
  }

  #enabledWebhookIds() {
    return this.#db
      .selectFrom('webhooks')
      .select('webhooks.id')
      .where('webhooks.enabled', '=', this.#dialect.bool(true));
  }

  async #requireWebhook(
    db: StoreDb | Trx,
    workspaceId: string,
    webhookId: string,
  ): Promise<Selectable<WebhooksTable>> {
    const row = await db
      .selectFrom('webhooks')
      .selectAll()
      .where('id', '=', webhookId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('webhook', webhookId);
    return row;
  }
}

// ── the outbox, written inside the transactions that make events happen ────────────────────

/** The enabled webhooks of these workspaces, parsed (few per workspace: filtered in memory). */
async function readWebhooks(trx: Trx, workspaceIds: string[]): Promise<Webhook[]> {
  if (workspaceIds.length === 0) return [];
  const rows = await trx
    .selectFrom('webhooks')
    .selectAll()
    .where('workspace_id', 'in', workspaceIds)
    .execute();
  return rows.map(toWebhook).filter((hook) => hook.enabled);
}

async function insertDeliveries(trx: Trx, rows: Insertable<WebhookDeliveriesTable>[]): Promise<void> {
  for (const batch of chunks(rows, 200)) await trx.insertInto('webhook_deliveries').values(batch).execute();
}

function delivery<Data>(
  webhookId: string,
  event: WebhookEvent,
  envelope: Omit<WebhookEnvelope<Data>, 'id' | 'type'>,
  nowMs: number,
): Insertable<WebhookDeliveriesTable> {
  const id = newId();
  const body: WebhookEnvelope<Data> = {
    id,
    type: event,
    created_at: envelope.created_at,
    workspace_id: envelope.workspace_id,
    table_id: envelope.table_id,
    data: envelope.data,
  };
  return {
    id,
    webhook_id: webhookId,
    event,
    payload: JSON.stringify(body),
    status: 'pending',
    next_attempt_at: nowMs,
    created_at: envelope.created_at,
  };
}

/**
 * One `run.finished` delivery per matching webhook for each of these runs, which the caller has
 * just marked finished in this transaction: the notification commits with the status, or neither.
 */
export async function enqueueRunFinished(trx: Trx, runIds: string[], now: string): Promise<void> {
  if (runIds.length === 0) return;
  // Webhooks first: without any (the common case), finishing a run costs one indexed read more.
  const hookRows = await trx
    .selectFrom('webhooks')
    .selectAll()
    .where('workspace_id', 'in', (eb) =>
      eb.selectFrom('runs').select('runs.workspace_id').where('runs.id', 'in', runIds),
    )
    .execute();
  const hooks = hookRows.map(toWebhook).filter((hook) => hook.enabled);
  if (hooks.length === 0) return;
  const runs = (await trx.selectFrom('runs').selectAll().where('id', 'in', runIds).execute()).map(toRun);
  const nowMs = Date.parse(now);
  const rows: Insertable<WebhookDeliveriesTable>[] = [];
  for (const run of runs) {
    for (const hook of hooks) {
      if (hook.workspaceId !== run.workspaceId || !webhookMatches(hook, 'run.finished', run.tableId))
        continue;
      rows.push(
        delivery(
          hook.id,
          'run.finished',
          {
            created_at: now,
            workspace_id: run.workspaceId,
            table_id: run.tableId,
            data: { run: webhookRunData(run) },
          },
          nowMs,
        ),
      );
    }
  }
  await insertDeliveries(trx, rows);
}

export interface FailedCell {
  tableId: string;
  rowId: string;
  columnId: string;
  runId: string | null;
  error: CellError | null;
}

/** `cell.failed` deliveries for cells that failed in this completion transaction: one per table and webhook. */
export async function enqueueCellsFailed(trx: Trx, cells: FailedCell[], now: string): Promise<void> {
  if (cells.length === 0) return;
  const byTable = new Map<string, FailedCell[]>();
  for (const cell of cells) byTable.set(cell.tableId, [...(byTable.get(cell.tableId) ?? []), cell]);
  const tables = await trx
    .selectFrom('tables')
    .select(['id', 'workspace_id'])
    .where('id', 'in', [...byTable.keys()])
    .execute();
  const hooks = (await readWebhooks(trx, [...new Set(tables.map((table) => table.workspace_id))])).filter(
    (hook) => hook.events.includes('cell.failed'),
  );
  if (hooks.length === 0) return;
  const keys = new Map<string, string>();
  for (const batch of chunks([...new Set(cells.map((cell) => cell.columnId))], 500)) {
    for (const column of await trx
      .selectFrom('columns')
      .select(['id', 'key'])
      .where('id', 'in', batch)
      .execute())
      keys.set(column.id, column.key);
  }
  const nowMs = Date.parse(now);
  const rows: Insertable<WebhookDeliveriesTable>[] = [];
  for (const table of tables) {
    const failed = byTable.get(table.id) ?? [];
    for (const hook of hooks) {
      if (hook.workspaceId !== table.workspace_id || !webhookMatches(hook, 'cell.failed', table.id)) continue;
      for (const batch of chunks(failed, CELLS_PER_DELIVERY)) {
        const data: FailedCellData[] = batch.map((cell) => ({
          row_id: cell.rowId,
          column_id: cell.columnId,
          column_key: keys.get(cell.columnId) ?? null,
          run_id: cell.runId,
          error: cell.error ? { type: cell.error.type, message: cell.error.message } : null,
        }));
        rows.push(
          delivery(
            hook.id,
            'cell.failed',
            { created_at: now, workspace_id: table.workspace_id, table_id: table.id, data: { cells: data } },
            nowMs,
          ),
        );
      }
    }
  }
  await insertDeliveries(trx, rows);
}

// ── mapping ──────────────────────────────────────────────────────────────────────────────

function toWebhook(row: Selectable<WebhooksTable>): Webhook {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    tableId: row.table_id,
    url: row.url,
    events: parseJson<WebhookEvent[]>(row.events) ?? [],
    enabled: Boolean(row.enabled),
    createdAt: toIso(row.created_at),
  };
}

function toDelivery(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    event: row.event as WebhookEvent,
    payload: row.payload,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at === null ? null : Number(row.next_attempt_at),
    lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
    lastError: row.last_error,
    createdAt: toIso(row.created_at),
    deliveredAt: row.delivered_at === null ? null : toIso(row.delivered_at),
  };
}
