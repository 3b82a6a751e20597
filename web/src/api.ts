import type { z } from 'zod';
import type {
  CellOutputSchema,
  ColumnStatsOutputSchema,
  ColumnOutputSchema,
  HTTPValidationErrorSchema,
  RowOutputSchema,
  RunListOutputSchema,
  RunOutputSchema,
  TableDataOutputSchema,
  TableListItemSchema,
  TableListOutputSchema,
  TableOutputSchema,
  TableRunOutputSchema,
  TableRunParamsInputSchema,
  TableStatusSchema,
  UserOutputSchema,
  ValidationErrorSchema,
} from '../../src/api/extruct/schemas.ts';
import type {
  AgentColumnConfigSchema,
  ColumnConfig,
  CriterionGradeColumnConfigSchema,
  FormulaColumnConfigSchema,
  HttpColumnConfigSchema,
  InputColumnConfigSchema,
  TableKind,
} from '../../src/domain/columns.ts';
import { SseParser } from './sse.ts';

/**
 * A small typed client of the Extruct dialect for the browser: `fetch` with the key as a Bearer
 * token. Response types are the server's own zod schemas (`z.infer`, types only: nothing of the
 * server is bundled). The typed SDK (src/sdk) replaces this module when it lands.
 */

export type User = z.infer<typeof UserOutputSchema>;
export type Table = z.infer<typeof TableOutputSchema>;
export type TableStatus = z.infer<typeof TableStatusSchema>;
export type TableListItem = z.infer<typeof TableListItemSchema>;
export type TableList = z.infer<typeof TableListOutputSchema>;
export type TableData = z.infer<typeof TableDataOutputSchema>;
export type Column = z.infer<typeof ColumnOutputSchema>;
export type Row = z.infer<typeof RowOutputSchema>;
export type Cell = z.infer<typeof CellOutputSchema>;
export type WireStatus = Cell['status'];
export type Run = z.infer<typeof RunOutputSchema>;
export type ColumnStats = z.infer<typeof ColumnStatsOutputSchema>;
export type RunList = z.infer<typeof RunListOutputSchema>;
export type TableRun = z.infer<typeof TableRunOutputSchema>;
export type RunParams = z.input<typeof TableRunParamsInputSchema>;
export type RunMode = NonNullable<RunParams['mode']>;
export type ValidationIssue = z.infer<typeof ValidationErrorSchema>;
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

/** Events of `GET /v1/tables/{id}/events` (src/api/extruct/events.ts). */
export type TableEvent =
  | { event: 'cells'; data: { cells: { row_id: string; column_id: string; status: WireStatus }[] } }
  | { event: 'rows'; data: { change: 'added' | 'updated' | 'deleted'; row_ids: string[] } }
  | { event: 'table'; data: { change: 'updated' | 'columns' | 'deleted' } }
  | { event: 'run'; data: { run_id: string } }
  | { event: 'status'; data: TableStatus };

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

function isValidationBody(body: unknown): body is z.infer<typeof HTTPValidationErrorSchema> {
  return (
    typeof body === 'object' &&
    body !== null &&
    Array.isArray((body as { detail?: unknown }).detail) &&
    (body as { detail: unknown[] }).detail.every((issue) => typeof issue === 'object' && issue !== null)
  );
}

export class ApiClient {
  constructor(
    readonly key: string,
    readonly baseUrl = '',
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  private headers(json: boolean): Record<string, string> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    if (json) headers['content-type'] = 'application/json';
    return headers;
  }

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      method,
      headers: this.headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) {
      if (isValidationBody(parsed)) throw new ApiError(response.status, parsed.detail);
      const detail =
        typeof parsed === 'object' &&
        parsed !== null &&
        typeof (parsed as { detail?: unknown }).detail === 'string'
          ? (parsed as { detail: string }).detail
          : `${response.status} ${response.statusText}`;
      throw new ApiError(response.status, detail);
    }
    return parsed as T;
  }

  getUser(): Promise<User> {
    return this.request('GET', '/v1/user');
  }

  listTables(query: TableListQuery = {}): Promise<TableList> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(name, String(value));
    }
    const qs = params.toString();
    return this.request('GET', `/v1/tables${qs ? `?${qs}` : ''}`);
  }

  createTable(input: {
    name: string;
    kind: TableKind;
    description?: string | null;
    column_configs?: ColumnConfigInput[];
  }): Promise<Table> {
    return this.request('POST', '/v1/tables', input);
  }

  getTable(tableId: string, signal?: AbortSignal): Promise<Table> {
    return this.request('GET', `/v1/tables/${tableId}`, undefined, signal);
  }

  updateTable(tableId: string, patch: { name?: string; description?: string | null }): Promise<Table> {
    return this.request('PATCH', `/v1/tables/${tableId}`, patch);
  }

  deleteTable(tableId: string): Promise<Table> {
    return this.request('DELETE', `/v1/tables/${tableId}`);
  }

  /** One page of rows in cell form; paging ends when fewer than `limit` rows come back. */
  getData(tableId: string, offset: number, limit: number, signal?: AbortSignal): Promise<TableData> {
    return this.request(
      'GET',
      `/v1/tables/${tableId}/data?offset=${offset}&limit=${limit}`,
      undefined,
      signal,
    );
  }

  /**
   * The whole table as CSV, streamed by the server (ext `GET /v1/tables/{id}/export.csv`): every
   * column headed by its key (the import reads keys back), BOM and CRLF for spreadsheets, formula-like cells neutralised.
   */
  async exportCsv(tableId: string, signal?: AbortSignal): Promise<Blob> {
    const response = await this.fetchImpl(`${this.baseUrl}/v1/tables/${tableId}/export.csv?header=key`, {
      headers: { ...this.headers(false), accept: 'text/csv' },
      signal,
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => null)) as { detail?: unknown } | null;
      throw new ApiError(
        response.status,
        typeof body?.detail === 'string' ? body.detail : `${response.status} ${response.statusText}`,
      );
    }
    return response.blob();
  }

  /** Each computed column's cells by status over the whole table, and cost (ext). */
  getColumnStats(tableId: string, signal?: AbortSignal): Promise<ColumnStats> {
    return this.request('GET', `/v1/tables/${tableId}/column_stats`, undefined, signal);
  }

  getRow(tableId: string, rowId: string, signal?: AbortSignal): Promise<Row> {
    return this.request('GET', `/v1/tables/${tableId}/rows/${rowId}`, undefined, signal);
  }

  /** Inserts 1–1000 rows; answers the raw rows (data keyed by input column key). */
  insertRows(tableId: string, rows: { data: Record<string, unknown> }[], run = false): Promise<unknown[]> {
    return this.request('POST', `/v1/tables/${tableId}/rows`, { rows, run });
  }

  updateRows(tableId: string, rows: { id: string; data: Record<string, unknown> }[]): Promise<unknown[]> {
    return this.request('PATCH', `/v1/tables/${tableId}/rows`, { rows });
  }

  deleteRows(tableId: string, rowIds: string[]): Promise<{ deleted: string[] }> {
    return this.request('DELETE', `/v1/tables/${tableId}/rows`, { rows: rowIds });
  }

  addColumns(
    tableId: string,
    configs: ColumnConfigInput[],
    insertAfter: boolean | string = true,
  ): Promise<Column[]> {
    return this.request('POST', `/v1/tables/${tableId}/columns`, {
      column_configs: configs,
      insert_after: insertAfter,
    });
  }

  updateColumn(tableId: string, columnId: string, config: ColumnConfigInput): Promise<Column> {
    return this.request('PATCH', `/v1/tables/${tableId}/columns/${columnId}`, config);
  }

  deleteColumn(tableId: string, columnId: string): Promise<Column> {
    return this.request('DELETE', `/v1/tables/${tableId}/columns/${columnId}`);
  }

  run(tableId: string, params: RunParams): Promise<TableRun> {
    return this.request('POST', `/v1/tables/${tableId}/run`, params);
  }

  listRuns(tableId: string, limit = 50): Promise<RunList> {
    return this.request('GET', `/v1/tables/${tableId}/runs?limit=${limit}`);
  }

  getRun(tableId: string, runId: string): Promise<Run> {
    return this.request('GET', `/v1/tables/${tableId}/runs/${runId}`);
  }

  cancelRun(tableId: string, runId: string): Promise<Run> {
    return this.request('POST', `/v1/tables/${tableId}/runs/${runId}/cancel`);
  }

  /**
   * Follows the table's event stream until `signal` aborts, reconnecting after a drop (1 s, then
   * up to 15 s between tries). EventSource cannot send the Bearer header, so this reads the
   * `text/event-stream` body with fetch.
   */
  async followEvents(tableId: string, handlers: EventHandlers, signal: AbortSignal): Promise<void> {
    let delayMs = 1000;
    while (!signal.aborted) {
      try {
        const response = await this.fetchImpl(`${this.baseUrl}/v1/tables/${tableId}/events`, {
          headers: { ...this.headers(false), accept: 'text/event-stream' },
          signal,
        });
        if (response.status === 404) return; // the table is gone: nothing more will come
        if (!response.ok || !response.body) throw new ApiError(response.status, response.statusText);
        delayMs = 1000;
        handlers.onOpen?.();
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.push(value)) {
            let data: unknown;
            try {
              data = JSON.parse(message.data);
            } catch {
              continue;
            }
            handlers.onEvent({ event: message.event, data } as TableEvent);
          }
        }
      } catch (error) {
        if (signal.aborted) return;
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
