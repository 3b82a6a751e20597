import type { z } from 'zod';
import type {
  AgentColumnConfigSchema,
  ColumnConfig,
  CriterionGradeColumnConfigSchema,
  FormulaColumnConfigSchema,
  HttpColumnConfigSchema,
  InputColumnConfigSchema,
  TableKind,
} from '../../src/domain/columns.ts';
import {
  createClient,
  EnrichbaseApiError,
  type Cell,
  type CellDetail,
  type Column,
  type ColumnStats,
  type EnrichbaseClient,
  type Row,
  type Run,
  type RunListPage,
  type RunMode,
  type RunParams,
  type Table,
  type TableData,
  type TableEvent,
  type TableListItem,
  type TableListPage,
  type TableRun,
  type TableStatus,
  type User,
  type ValidationIssue,
} from '../../src/sdk/index.ts';

/**
 * The UI's view of the API: the typed SDK (src/sdk) with the calls the pages make, errors as
 * `ApiError` (the API's own detail, for people to read), and the event stream kept open across
 * drops. Types are the server's zod schemas (types only: nothing of the server is bundled).
 */

// The SDK's types (the server's zod schemas), under the names the pages use.
export type {
  Cell,
  Column,
  ColumnStats,
  Row,
  Run,
  RunMode,
  RunParams,
  Table,
  TableData,
  TableListItem,
  TableRun,
  TableStatus,
  User,
  ValidationIssue,
};
export type TableList = TableListPage;
export type RunList = RunListPage;
export type WireStatus = Cell['status'];
export type { ColumnConfig, TableKind };
/**
 * A column config as sent: the request shape of the kinds the UI edits (defaults may be left
 * out), or any complete config. (The server's own `ColumnConfigInput` is `unknown`: its schema
 * starts with a preprocess step.)
 */
export type ColumnConfigInput =
  | z.input<typeof InputColumnConfigSchema>
  | z.input<typeof AgentColumnConfigSchema>
  | z.input<typeof CriterionGradeColumnConfigSchema>
  | z.input<typeof FormulaColumnConfigSchema>
  | z.input<typeof HttpColumnConfigSchema>
  | ColumnConfig;

export type { CellDetail, TableEvent };

/** An error answer of the API: `detail` is a message, or the 422 list of problems. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | ValidationIssue[],
  ) {
    super(typeof detail === 'string' ? detail : detail.map((issue) => issue.msg).join('; '));
    this.name = 'ApiError';
  }

  get issues(): ValidationIssue[] {
    return typeof this.detail === 'string' ? [] : this.detail;
  }
}

export interface TableListQuery {
  search?: string;
  kind?: TableKind;
  sort?: string;
  offset?: number;
  limit?: number;
}

export interface EventHandlers {
  onEvent(event: TableEvent): void;
  /** The stream is open (again): anything missed while it was down should be re-read. */
  onOpen?(): void;
  onError?(error: unknown): void;
}

/** Runs an SDK call; its error answers become ApiErrors with the API's detail. */
async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof EnrichbaseApiError) throw new ApiError(error.status, error.detail);
    throw error;
  }
}

export class ApiClient {
  readonly #sdk: EnrichbaseClient;

  constructor(
    readonly key: string,
    readonly baseUrl = '',
    fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {
    this.#sdk = createClient({ baseUrl, apiKey: key, fetch: (url, init) => fetchImpl(url, init) });
  }

  getUser(): Promise<User> {
    return call(() => this.#sdk.user());
  }

  listTables(query: TableListQuery = {}): Promise<TableList> {
    return call(() =>
      this.#sdk.tables.listPage({ ...query, search: query.search || undefined } as Parameters<
        EnrichbaseClient['tables']['listPage']
      >[0]),
    );
  }

  createTable(input: {
    name: string;
    kind: TableKind;
    description?: string | null;
    column_configs?: ColumnConfigInput[];
  }): Promise<Table> {
    return call(() => this.#sdk.tables.create(input));
  }

  getTable(tableId: string, signal?: AbortSignal): Promise<Table> {
    return call(() => this.#sdk.tables.get(tableId, { signal }));
  }

  updateTable(tableId: string, patch: { name?: string; description?: string | null }): Promise<Table> {
    return call(() => this.#sdk.tables.update(tableId, patch));
  }

  deleteTable(tableId: string): Promise<Table> {
    return call(() => this.#sdk.tables.delete(tableId));
  }

  /** One page of rows in cell form; paging ends when fewer than `limit` rows come back. */
  getData(tableId: string, offset: number, limit: number, signal?: AbortSignal): Promise<TableData> {
    return call(() => this.#sdk.tables.data(tableId, { offset, limit }, { signal }));
  }

  getRow(tableId: string, rowId: string, signal?: AbortSignal): Promise<Row> {
    return call(() => this.#sdk.rows.get(tableId, rowId, { signal }));
  }

  /** One computed cell in full (ext): attempts, cost, usage and a waterfall's steps beside the cell form. */
  getCell(tableId: string, rowId: string, columnKey: string, signal?: AbortSignal): Promise<CellDetail> {
    return call(() => this.#sdk.rows.cell(tableId, rowId, columnKey, { signal }));
  }

  /** Each computed column's cells by status over the whole table, and cost (ext). */
  getColumnStats(tableId: string, signal?: AbortSignal): Promise<ColumnStats> {
    return call(() => this.#sdk.tables.columnStats(tableId, { signal }));
  }

  /**
   * The whole table as CSV, streamed by the server (ext `GET /v1/tables/{id}/export.csv`): every
   * column headed by its key (the import reads keys back), BOM and CRLF for spreadsheets,
   * formula-like cells neutralised.
   */
  exportCsv(tableId: string, signal?: AbortSignal): Promise<Blob> {
    return call(async () =>
      (await this.#sdk.tables.exportCsv(tableId, { header: 'key' }, { signal })).blob(),
    );
  }

  /** Inserts 1–1000 rows; answers the rows. */
  insertRows(tableId: string, rows: { data: Record<string, unknown> }[], run = false): Promise<unknown[]> {
    return call(() => this.#sdk.rows.add(tableId, { rows, run }));
  }

  updateRows(tableId: string, rows: { id: string; data: Record<string, unknown> }[]): Promise<unknown[]> {
    return call(() => this.#sdk.rows.update(tableId, { rows }));
  }

  deleteRows(tableId: string, rowIds: string[]): Promise<{ deleted: string[] }> {
    return call(() => this.#sdk.rows.delete(tableId, { rows: rowIds }));
  }

  addColumns(
    tableId: string,
    configs: ColumnConfigInput[],
    insertAfter: boolean | string = true,
  ): Promise<Column[]> {
    return call(() => this.#sdk.columns.add(tableId, { column_configs: configs, insert_after: insertAfter }));
  }

  updateColumn(tableId: string, columnId: string, config: ColumnConfigInput): Promise<Column> {
    return call(() => this.#sdk.columns.update(tableId, columnId, config));
  }

  deleteColumn(tableId: string, columnId: string): Promise<Column> {
    return call(() => this.#sdk.columns.delete(tableId, columnId));
  }

  run(tableId: string, params: RunParams): Promise<TableRun> {
    return call(() => this.#sdk.tables.run(tableId, params));
  }

  listRuns(tableId: string, limit = 50): Promise<RunList> {
    return call(() => this.#sdk.runs.listPage(tableId, { limit }));
  }

  getRun(tableId: string, runId: string): Promise<Run> {
    return call(() => this.#sdk.runs.get(tableId, runId));
  }

  cancelRun(tableId: string, runId: string): Promise<Run> {
    return call(() => this.#sdk.runs.cancel(tableId, runId));
  }

  /**
   * Follows the table's event stream until `signal` aborts, reconnecting after a drop (1 s, then
   * up to 15 s between tries). EventSource cannot send the Bearer header: the SDK reads the
   * `text/event-stream` body with fetch.
   */
  async followEvents(tableId: string, handlers: EventHandlers, signal: AbortSignal): Promise<void> {
    let delayMs = 1000;
    while (!signal.aborted) {
      try {
        const events = this.#sdk.tables.events(tableId, {
          signal,
          onOpen: () => {
            delayMs = 1000;
            handlers.onOpen?.();
          },
        });
        for await (const event of events) handlers.onEvent(event);
      } catch (error) {
        if (signal.aborted) return;
        // The table is gone: nothing more will come.
        if (error instanceof EnrichbaseApiError && error.status === 404) return;
        handlers.onError?.(error);
      }
      if (signal.aborted) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      delayMs = Math.min(delayMs * 2, 15_000);
    }
  }
}
