import { pagesByOffset } from './paging.ts';
import { readServerSentEvents } from './sse.ts';
import { segment, type CallOptions, type Query, type Transport } from './transport.ts';
import type {
  CellDetail,
  DiscoveryResults,
  DiscoveryTask,
  DiscoveryTaskInput,
  Webhook,
  WebhookCreateInput,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookPatch,
  WebhookWithSecret,
  Column,
  ColumnStats,
  ColumnConfigInput,
  ColumnsCreateInput,
  Healthcheck,
  PageQuery,
  Row,
  RowsCreateInput,
  RowsDeleted,
  RowsDeleteInput,
  RowsPatchInput,
  Run,
  RunListPage,
  RunParams,
  Table,
  TableCreateInput,
  TableData,
  TableEvent,
  TableEventName,
  TableListItem,
  TableListPage,
  TableListQuery,
  TablePatchInput,
  TableRun,
  User,
} from './types.ts';

/** The event names this SDK knows; a newer server's other events are skipped, not mistyped. */
const TABLE_EVENT_NAMES: Record<TableEventName, true> = {
  cells: true,
  rows: true,
  table: true,
  run: true,
  status: true,
  refresh: true,
};

const tablePath = (tableId: string) => `/v1/tables/${segment(tableId)}`;

/** The Extruct dialect (`/v1/tables/...`, Bearer key). */
export function createExtructApi(transport: Transport) {
  const call = <T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    options: CallOptions | undefined,
    extra: { body?: unknown; query?: Query; idempotent?: boolean } = {},
  ) =>
    transport.json<T>({
      method,
      path,
      auth: 'bearer',
      signal: options?.signal,
      body: extra.body,
      query: extra.query,
      idempotent: extra.idempotent,
    });

  const dataPage = (tableId: string, query: PageQuery = {}, options?: CallOptions) =>
    call<TableData>('GET', `${tablePath(tableId)}/data`, options, { query });
  const listTablesPage = (query: TableListQuery = {}, options?: CallOptions) =>
    call<TableListPage>('GET', '/v1/tables', options, { query });
  const listRunsPage = (tableId: string, query: PageQuery = {}, options?: CallOptions) =>
    call<RunListPage>('GET', `${tablePath(tableId)}/runs`, options, { query });

  const tables = {
    /** `POST /v1/tables`. */
    create: (input: TableCreateInput = {}, options?: CallOptions) =>
      call<Table>('POST', '/v1/tables', options, { body: input }),
    /** Every root table matching the query, page after page (`limit` is the page size). */
    list: (
      query: TableListQuery = {},
      options?: CallOptions,
    ): AsyncGenerator<TableListItem, void, undefined> =>
      pagesByOffset(
        async (offset, limit) => (await listTablesPage({ ...query, offset, limit }, options)).items,
        query,
      ),
    /** One page of `GET /v1/tables`. */
    listPage: listTablesPage,
    /** `GET /v1/tables/{id}`: the header and the seed-003 status. */
    get: (tableId: string, options?: CallOptions) => call<Table>('GET', tablePath(tableId), options),
    /** `PATCH /v1/tables/{id}`. */
    update: (tableId: string, patch: TablePatchInput, options?: CallOptions) =>
      call<Table>('PATCH', tablePath(tableId), options, { body: patch, idempotent: true }),
    /** `DELETE /v1/tables/{id}`: with its rows, cells, runs and child tables; answers the deleted table. */
    delete: (tableId: string, options?: CallOptions) => call<Table>('DELETE', tablePath(tableId), options),
    /** One page of `GET /v1/tables/{id}/data`: the table with rows in cell form. */
    data: dataPage,
    /** Every row of the table in cell form, page after page (`limit` is the page size). */
    rows: (
      tableId: string,
      query: PageQuery = {},
      options?: CallOptions,
    ): AsyncGenerator<Row, void, undefined> =>
      pagesByOffset(
        async (offset, limit) => (await dataPage(tableId, { offset, limit }, options)).rows,
        query,
      ),
    /** ext `GET /v1/tables/{id}/column_stats`: each computed column's cells by status, and cost. */
    columnStats: (tableId: string, options?: CallOptions) =>
      call<ColumnStats>('GET', `${tablePath(tableId)}/column_stats`, options),
    /** `POST /v1/tables/{id}/run` (seed 000); an empty body runs mode `new` over the whole table. */
    run: (tableId: string, params: RunParams = {}, options?: CallOptions) =>
      call<TableRun>('POST', `${tablePath(tableId)}/run`, options, { body: params }),
    /**
     * The table's change events (`GET /v1/tables/{id}/events`) until the loop is left, the signal
     * aborts or the server ends the stream (the table was deleted). `onOpen` is called once the
     * stream is open (a client that reconnects re-reads what it shows then).
     */
    events: (tableId: string, options?: CallOptions & { onOpen?: () => void }) =>
      tableEvents(transport, tableId, options, options?.onOpen),
    /**
     * ext `GET /v1/tables/{id}/export.csv`: the response, its body the CSV as the server streams it
     * (`columns`, `include`, `header`, `bom` as the endpoint documents them).
     */
    exportCsv: (
      tableId: string,
      query: { columns?: string; include?: string; header?: 'name' | 'key'; bom?: boolean } = {},
      options?: CallOptions,
    ) =>
      transport.send({
        method: 'GET',
        path: `${tablePath(tableId)}/export.csv`,
        auth: 'bearer',
        accept: 'text/csv',
        query,
        signal: options?.signal,
      }),
  };

  const rows = {
    /** `POST /v1/tables/{id}/rows`: 1–1000 rows; `run: true` also runs them (mode `new`). */
    add: (tableId: string, input: RowsCreateInput, options?: CallOptions) =>
      call<Row[]>('POST', `${tablePath(tableId)}/rows`, options, { body: input }),
    /** `PATCH /v1/tables/{id}/rows`: merges `data` into rows by `id`; a row without `id` is created. */
    update: (tableId: string, input: RowsPatchInput, options?: CallOptions) =>
      call<Row[]>('PATCH', `${tablePath(tableId)}/rows`, options, { body: input }),
    /** `DELETE /v1/tables/{id}/rows`. */
    delete: (tableId: string, input: RowsDeleteInput, options?: CallOptions) =>
      call<RowsDeleted>('DELETE', `${tablePath(tableId)}/rows`, options, { body: input }),
    /** ext: one computed cell in full, by column key or id: attempts, cost, usage, a waterfall's steps. */
    cell: (tableId: string, rowId: string, column: string, options?: CallOptions) =>
      call<CellDetail>(
        'GET',
        `${tablePath(tableId)}/rows/${segment(rowId)}/cells/${segment(column)}`,
        options,
      ),
    /** `GET /v1/tables/{id}/rows/{row_id}`: one row in cell form. */
    get: (tableId: string, rowId: string, options?: CallOptions) =>
      call<Row>('GET', `${tablePath(tableId)}/rows/${segment(rowId)}`, options),
  };

  const columns = {
    /** `POST /v1/tables/{id}/columns`. */
    add: (tableId: string, input: ColumnsCreateInput, options?: CallOptions) =>
      call<Column[]>('POST', `${tablePath(tableId)}/columns`, options, { body: input }),
    /** `PATCH /v1/tables/{id}/columns/{column_id}`: replaces the config (a changed one makes cells stale). */
    update: (tableId: string, columnId: string, config: ColumnConfigInput, options?: CallOptions) =>
      call<Column>('PATCH', `${tablePath(tableId)}/columns/${segment(columnId)}`, options, {
        body: config,
        idempotent: true,
      }),
    /** `DELETE /v1/tables/{id}/columns/{column_id}`; a 422 while another column depends on it. */
    delete: (tableId: string, columnId: string, options?: CallOptions) =>
      call<Column>('DELETE', `${tablePath(tableId)}/columns/${segment(columnId)}`, options),
  };

  const runs = {
    /** Every run of the table, newest first, page after page. */
    list: (
      tableId: string,
      query: PageQuery = {},
      options?: CallOptions,
    ): AsyncGenerator<Run, void, undefined> =>
      pagesByOffset(
        async (offset, limit) => (await listRunsPage(tableId, { offset, limit }, options)).items,
        query,
      ),
    /** One page of `GET /v1/tables/{id}/runs`. */
    listPage: listRunsPage,
    /** `GET /v1/tables/{id}/runs/{run_id}`: status, counts by cell status, cost. */
    get: (tableId: string, runId: string, options?: CallOptions) =>
      call<Run>('GET', `${tablePath(tableId)}/runs/${segment(runId)}`, options),
    /** `POST /v1/tables/{id}/runs/{run_id}/cancel`: queued cells end `cancelled`. */
    cancel: (tableId: string, runId: string, options?: CallOptions) =>
      call<Run>('POST', `${tablePath(tableId)}/runs/${segment(runId)}/cancel`, options, { idempotent: true }),
  };

  const webhooks = {
    /** ext `POST /v1/webhooks`: the answer carries the signing secret, this once. */
    create: (input: WebhookCreateInput, options?: CallOptions) =>
      call<WebhookWithSecret>('POST', '/v1/webhooks', options, { body: input }),
    list: async (options?: CallOptions) =>
      (await call<{ items: Webhook[] }>('GET', '/v1/webhooks', options)).items,
    get: (webhookId: string, options?: CallOptions) =>
      call<Webhook>('GET', `/v1/webhooks/${segment(webhookId)}`, options),
    /** ext `PATCH /v1/webhooks/{id}`: `url`, `events`, `enabled`. */
    update: (webhookId: string, patch: WebhookPatch, options?: CallOptions) =>
      call<Webhook>('PATCH', `/v1/webhooks/${segment(webhookId)}`, options, {
        body: patch,
        idempotent: true,
      }),
    delete: (webhookId: string, options?: CallOptions) =>
      call<Webhook>('DELETE', `/v1/webhooks/${segment(webhookId)}`, options),
    /** The delivery log, newest first. */
    deliveries: (webhookId: string, query: PageQuery = {}, options?: CallOptions) =>
      call<WebhookDeliveryPage>('GET', `/v1/webhooks/${segment(webhookId)}/deliveries`, options, { query }),
    /** One more attempt at a delivery, now (same id and body). */
    retryDelivery: (webhookId: string, deliveryId: string, options?: CallOptions) =>
      call<WebhookDelivery>(
        'POST',
        `/v1/webhooks/${segment(webhookId)}/deliveries/${segment(deliveryId)}/retry`,
        options,
        { idempotent: true },
      ),
  };

  const discovery = {
    /** ext `POST /v1/discovery_tasks`: answers at once; the task searches, builds and grades a company table. */
    create: (input: DiscoveryTaskInput, options?: CallOptions) =>
      call<DiscoveryTask>('POST', '/v1/discovery_tasks', options, { body: input }),
    get: (taskId: string, options?: CallOptions) =>
      call<DiscoveryTask>('GET', `/v1/discovery_tasks/${segment(taskId)}`, options),
    /** The companies found, most relevant first. */
    results: (taskId: string, query: PageQuery = {}, options?: CallOptions) =>
      call<DiscoveryResults>('GET', `/v1/discovery_tasks/${segment(taskId)}/results`, options, { query }),
  };

  return {
    /** `GET /v1/healthcheck` (no key needed). */
    healthcheck: (options?: CallOptions) =>
      transport.json<Healthcheck>({
        method: 'GET',
        path: '/v1/healthcheck',
        auth: 'none',
        signal: options?.signal,
      }),
    /** `GET /v1/user`: the owner of the key's workspace. */
    user: (options?: CallOptions) => call<User>('GET', '/v1/user', options),
    tables,
    rows,
    webhooks,
    discovery,
    columns,
    runs,
  };
}

export type ExtructApi = ReturnType<typeof createExtructApi>;

/** `onOpen` runs once the server has answered and subscribed, before the first event. */
export async function* tableEvents(
  transport: Transport,
  tableId: string,
  options?: CallOptions,
  onOpen?: () => void,
): AsyncGenerator<TableEvent, void, undefined> {
  const response = await transport.send({
    method: 'GET',
    path: `${tablePath(tableId)}/events`,
    auth: 'bearer',
    accept: 'text/event-stream',
    signal: options?.signal,
  });
  if (!response.body) return;
  onOpen?.();
  for await (const message of readServerSentEvents(response.body, options?.signal)) {
    if (!Object.hasOwn(TABLE_EVENT_NAMES, message.event)) continue;
    yield { event: message.event, data: JSON.parse(message.data) as unknown } as TableEvent;
  }
}
