import type { CellCounts, CellStatus } from '../domain/cell-status.ts';
import type { ColumnConfig, TableKind } from '../domain/columns.ts';
import type { ConnectorSnapshot } from '../domain/connectors.ts';
import type { CriterionDefinition, DiscoveryStatus, DiscoveryTask } from '../domain/discovery.ts';
import type { Run, RunMode, SkipReason } from '../domain/runs.ts';
import type { Webhook, WebhookDelivery, WebhookEvent } from '../domain/webhooks.ts';
import type {
  ApiKey,
  CellError,
  CellUsage,
  CellValue,
  Column,
  JsonObject,
  RowWithCells,
  Table,
  TableDetail,
  TableSettings,
  Workspace,
} from '../domain/model.ts';

/**
 * The ports the engine and the API are written against. Adapters live in storage/ (one per
 * database) and providers/. Signatures speak domain verbs and never leak a connection, pool or
 * transaction: a step that writes several things is one method, so the adapter can make it atomic.
 */

/** Time, injected so tests can drive it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` of this clock's time, or early (without error) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export const TABLE_SORTS = ['-created_at', 'created_at', 'name', '-name', 'num_rows', '-num_rows'] as const;
export type TableSort = (typeof TABLE_SORTS)[number];

export interface TableListQuery {
  kind?: TableKind;
  /** Case-insensitive substring of name or description. */
  search?: string;
  /** Tables carrying any of these tags. */
  tags?: string[];
  sort: TableSort;
  offset: number;
  limit: number;
}

export interface NewTable {
  name: string;
  description: string | null;
  tags: string[] | null;
  kind: TableKind;
  notify: boolean;
  settings: TableSettings;
  columns: ColumnConfig[];
}

export interface TablePatch {
  name?: string;
  description?: string | null;
  tags?: string[] | null;
  notify?: boolean;
  settings?: TableSettings;
}

/** Where new columns go: at the end, at the start, or after the column with this id. */
export type ColumnPlacement = { at: 'end' } | { at: 'start' } | { afterColumnId: string };

/** A row as a client writes it: input values by column key. */
export interface RowInput {
  data: Record<string, unknown>;
  metadata?: JsonObject | null;
}

/** A row update; without `id` it creates a row. */
export interface RowUpdate extends RowInput {
  id?: string;
}

/** Rows with the columns they were read under, so a caller can render cells by key. */
export interface RowsResult {
  columns: Column[];
  rows: RowWithCells[];
}

export interface TableData extends RowsResult {
  detail: TableDetail;
}

/**
 * Everything Enrichbase keeps. Every table-scoped method takes the caller's workspace id and
 * answers `NotFoundError` for an object of another workspace exactly as for a missing one.
 * Rule violations throw `ValidationError` with paths relative to the request body.
 *
 * @example
 *   const store = await openStore({ databaseUrl: undefined, dataDir: './data' });
 *   const ws = await store.createWorkspace({ name: 'default', ownerEmail: 'owner@localhost' });
 *   const { table } = await store.createTable(ws.id, { name: 'Leads', kind: 'generic', … });
 */
/** A Databar table enrichment or waterfall: its numbered id, and the column holding its results. */
export interface TableEnrichment {
  id: number;
  tableId: string;
  kind: 'enrichment' | 'waterfall';
  /** The catalog enrichment id, or the waterfall identifier. */
  catalogRef: string;
  name: string;
  /** The column holding the whole result (its fields have columns of their own). */
  columnId: string | null;
  createdAt: string;
}

export interface NewTableEnrichment {
  kind: 'enrichment' | 'waterfall';
  catalogRef: string;
  name: string;
  /** The columns to add, given the new enrichment's id: the result column first, then one per field. */
  columns: (tableEnrichmentId: number) => ColumnConfig[];
}

export type RowFilterOperator = 'equals' | 'contains' | 'not_equals' | 'is_empty' | 'is_not_empty';

export interface RowFilter {
  columnId: string;
  /** Input columns are read from the row; computed ones from their cell's answer. */
  computed: boolean;
  operator: RowFilterOperator;
  value?: unknown;
}

export interface VendorCredential {
  provider: string;
  /** The last characters of the key, to tell keys apart; never the key. */
  hint: string;
  updatedAt: string;
}

/** Databar's side of the store: table enrichments, filtered row pages, row lookups by value, vendor keys. */
export interface EnrichmentStore {
  /** Adds the enrichment and its columns in one transaction (the columns pass the same rules as any). */
  addTableEnrichment(
    workspaceId: string,
    tableId: string,
    input: NewTableEnrichment,
  ): Promise<{ enrichment: TableEnrichment; columns: Column[] }>;
  listTableEnrichments(workspaceId: string, tableId: string): Promise<TableEnrichment[]>;
  getTableEnrichment(workspaceId: string, tableId: string, id: number): Promise<TableEnrichment>;

  /** A page of rows matching every filter (AND), with the total count of matches. */
  findRows(
    workspaceId: string,
    tableId: string,
    query: { filters: RowFilter[]; offset: number; limit: number },
  ): Promise<RowsResult & { total: number }>;
  /** Rows whose input values equal one of the given tuples (compared as text), by the tuple's JSON. */
  findRowsByValues(
    workspaceId: string,
    tableId: string,
    columnIds: string[],
    tuples: unknown[][],
  ): Promise<Map<string, string>>;

  /** Stores a vendor key, already encrypted by the caller. */
  setVendorCredential(
    workspaceId: string,
    provider: string,
    encryptedSecret: string,
    hint: string,
  ): Promise<VendorCredential>;
  listVendorCredentials(workspaceId: string): Promise<VendorCredential[]>;
  /** The encrypted secret, for the server to decrypt just before a call. */
  getVendorSecret(workspaceId: string, provider: string): Promise<string | undefined>;
  deleteVendorCredential(workspaceId: string, provider: string): Promise<boolean>;
}

export interface NewWebhook {
  /** null: every table of the workspace. */
  tableId: string | null;
  url: string;
  events: WebhookEvent[];
  /** The signing secret, already encrypted by the caller. */
  encryptedSecret: string;
}

export interface WebhookPatch {
  url?: string;
  events?: WebhookEvent[];
  enabled?: boolean;
}

/** A delivery as a worker holds it; `attempt` is its fence (a late result of an older attempt is discarded). */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  event: WebhookEvent;
  url: string;
  encryptedSecret: string;
  payload: string;
  attempt: number;
}

export type DeliveryAttemptOutcome =
  | { status: 'delivered'; statusCode: number }
  | { status: 'retry'; nextAttemptAt: number; statusCode: number | null; error: string }
  | { status: 'failed'; statusCode: number | null; error: string };

/**
 * Webhooks and their outbox. The store writes deliveries itself, in the transactions that finish
 * runs and fail cells; workers claim due ones under a lease and record each attempt, fenced.
 *
 * @example
 *   const [delivery] = await store.claimWebhookDeliveries(10, { nowMs: Date.now(), leaseMs: 60_000 });
 *   await store.recordWebhookAttempt(delivery.id, delivery.attempt, { status: 'delivered', statusCode: 200 }, Date.now());
 */
export interface WebhookStore {
  /** A `tableId` outside the workspace is a ValidationError at `table_id`. */
  createWebhook(workspaceId: string, input: NewWebhook): Promise<Webhook>;
  listWebhooks(workspaceId: string): Promise<Webhook[]>;
  getWebhook(workspaceId: string, webhookId: string): Promise<Webhook>;
  updateWebhook(workspaceId: string, webhookId: string, patch: WebhookPatch): Promise<Webhook>;
  /** Deletes the webhook and its delivery log; returns what it was. */
  deleteWebhook(workspaceId: string, webhookId: string): Promise<Webhook>;
  /** The delivery log, newest first. */
  listWebhookDeliveries(
    workspaceId: string,
    webhookId: string,
    page: { offset: number; limit: number },
  ): Promise<{ items: WebhookDelivery[]; total: number }>;
  /** Makes a delivery due now (again, if it was delivered or failed): one more attempt, counted on. */
  retryWebhookDelivery(workspaceId: string, webhookId: string, deliveryId: string): Promise<WebhookDelivery>;
  /** Leases up to `limit` due pending deliveries of enabled webhooks until `nowMs + leaseMs`. */
  claimWebhookDeliveries(limit: number, at: { nowMs: number; leaseMs: number }): Promise<ClaimedDelivery[]>;
  /** Records an attempt's outcome if `attempt` is still the delivery's latest; returns whether it was. */
  recordWebhookAttempt(
    deliveryId: string,
    attempt: number,
    outcome: DeliveryAttemptOutcome,
    nowMs: number,
  ): Promise<boolean>;
  /** When the earliest pending delivery becomes due (epoch ms), or undefined when none is pending. */
  nextWebhookDeliveryAt(): Promise<number | undefined>;
}

/** What a people finder wrote to its child table for one company row. */
export interface ChildRowsResult {
  childTableId: string;
  /** Ids of the rows added (people not yet in the child table for this parent row). */
  insertedRowIds: string[];
  /** People already there (same profile URL, else same name), or with neither. */
  skipped: number;
}

/**
 * Company and people tables: a company_people_finder column writes the people it finds to the
 * child table it made.
 *
 * @example
 *   await store.addChildRows(ws, companyTableId, finderColumnId, companyRowId, {
 *     rows: [{ input: 'Ada Lovelace', full_name: 'Ada Lovelace', role: 'CEO', profile_url: null }],
 *     parentData: { input: 'acme.com', company_name: 'Acme' },
 *   });
 */
export interface ChildRowsWriter {
  /**
   * Adds rows (values by the child table's keys) under `parentRowId`, skipping people already there
   * for that row: re-running a finder never duplicates anyone.
   */
  addChildRows(
    workspaceId: string,
    parentTableId: string,
    parentColumnId: string,
    parentRowId: string,
    input: { rows: Record<string, unknown>[]; parentData: JsonObject },
  ): Promise<ChildRowsResult>;
}

export interface NewDiscoveryTask {
  query: string;
  desiredNumResults: number;
  criteria: CriterionDefinition[];
  excludeDomains: string[];
}

export interface DiscoveryTaskPatch {
  status?: DiscoveryStatus;
  criteria?: CriterionDefinition[];
  tableId?: string | null;
  runId?: string | null;
  numCandidates?: number;
  exhausted?: boolean;
  reason?: string | null;
}

/**
 * Discovery tasks: the record of a search for companies and the table it built.
 *
 * @example
 *   const task = await store.createDiscoveryTask(ws, { query: 'AI logistics startups', desiredNumResults: 50, criteria: [], excludeDomains: [] });
 *   await store.updateDiscoveryTask(ws, task.id, { status: 'in_progress' });
 */
export interface DiscoveryStore {
  createDiscoveryTask(workspaceId: string, input: NewDiscoveryTask): Promise<DiscoveryTask>;
  getDiscoveryTask(workspaceId: string, taskId: string): Promise<DiscoveryTask>;
  updateDiscoveryTask(workspaceId: string, taskId: string, patch: DiscoveryTaskPatch): Promise<DiscoveryTask>;
  /**
   * Tasks whose process stopped before their run began (no table or no run yet, untouched since
   * `staleBefore`), each claimed for the caller by moving its `updatedAt` (two processes never both get one).
   */
  claimStaleDiscoveryTasks(staleBefore: string): Promise<DiscoveryTask[]>;
}

export interface ColumnStats {
  columnId: string;
  counts: CellCounts;
  cost: number;
}

/** A workspace's custom connector as stored: its snapshot (catalog id included) and when it was made. */
export interface StoredConnector {
  connector: ConnectorSnapshot;
  createdAt: string;
}

/**
 * Custom connectors (ext): a workspace's own HTTP APIs in its catalog. Header templates are
 * encrypted by the caller and only ever read back for a call.
 *
 * @example
 *   const { connector } = await store.createConnector(ws, { spec, encryptedHeaders: box.encrypt(json) });
 *   await store.getConnectorHeaders(ws, connector.id); // the encrypted headers, for the call
 */
export interface ConnectorStore {
  createConnector(
    workspaceId: string,
    input: { spec: Omit<ConnectorSnapshot, 'id'>; encryptedHeaders: string | null },
  ): Promise<StoredConnector>;
  listConnectors(workspaceId: string): Promise<StoredConnector[]>;
  /** By catalog id (CONNECTOR_ID_OFFSET + n); undefined when the workspace has no such connector. */
  getConnector(workspaceId: string, catalogId: number): Promise<StoredConnector | undefined>;
  getConnectorHeaders(workspaceId: string, catalogId: number): Promise<string | null | undefined>;
  deleteConnector(workspaceId: string, catalogId: number): Promise<StoredConnector>;
}

export interface Store
  extends RunStore, EnrichmentStore, WebhookStore, ChildRowsWriter, DiscoveryStore, ConnectorStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives, for people: a file path or a redacted URL. */
  readonly location: string;
  close(): Promise<void>;

  createWorkspace(input: { name: string; ownerEmail: string }): Promise<Workspace>;
  listWorkspaces(): Promise<Workspace[]>;
  findWorkspaceByName(name: string): Promise<Workspace | undefined>;

  /** Records a key by its hash; the key itself is never stored. */
  createApiKey(input: {
    workspaceId: string;
    name: string;
    keyHash: string;
    prefix: string;
  }): Promise<ApiKey>;
  /** The workspace of an unrevoked key with this hash, if any. */
  authenticate(keyHash: string): Promise<Workspace | undefined>;
  listApiKeys(workspaceId: string): Promise<ApiKey[]>;
  revokeApiKey(workspaceId: string, keyId: string): Promise<ApiKey>;

  createTable(workspaceId: string, input: NewTable): Promise<TableDetail>;
  /** Root tables only (no child tables), with the total matching count for paging. */
  listTables(
    workspaceId: string,
    query: TableListQuery,
  ): Promise<{ items: (Table & { owner: Workspace })[]; total: number }>;
  getTable(workspaceId: string, tableId: string): Promise<TableDetail>;
  updateTable(workspaceId: string, tableId: string, patch: TablePatch): Promise<TableDetail>;
  /** Deletes the table with its columns, rows, cells and child tables; returns what it was. */
  deleteTable(workspaceId: string, tableId: string): Promise<TableDetail>;

  addColumns(
    workspaceId: string,
    tableId: string,
    configs: ColumnConfig[],
    placement: ColumnPlacement,
  ): Promise<Column[]>;
  /** Replaces a column's config; a changed computed config makes its cells and their dependents stale. */
  updateColumn(workspaceId: string, tableId: string, columnId: string, config: ColumnConfig): Promise<Column>;
  /** Refuses (ValidationError) while another column depends on it. */
  deleteColumn(workspaceId: string, tableId: string, columnId: string): Promise<Column>;

  insertRows(workspaceId: string, tableId: string, rows: RowInput[]): Promise<RowsResult>;
  /** Merges values into existing rows (creating rows without id); changed inputs make dependent cells stale. */
  updateRows(workspaceId: string, tableId: string, rows: RowUpdate[]): Promise<RowsResult>;
  /** Deletes the rows of this table among `rowIds`; returns the ids actually deleted. */
  deleteRows(workspaceId: string, tableId: string, rowIds: string[]): Promise<string[]>;
  /**
   * Each computed column's cells by status and their cost, over the whole table (a grid header's
   * progress). Cells never planned (never run) are not counted: `numRows` minus the sum is their number.
   */
  columnStats(workspaceId: string, tableId: string): Promise<{ numRows: number; columns: ColumnStats[] }>;
  getRow(workspaceId: string, tableId: string, rowId: string): Promise<RowsResult>;
  /**
   * One page of rows in table order, with the table header. `afterRowId` pages by key instead of offset
   * (what a full export needs: every page costs the same).
   */
  getTableData(
    workspaceId: string,
    tableId: string,
    page: { offset: number; limit: number; afterRowId?: string },
  ): Promise<TableData>;
}

export interface RunRequest {
  mode: RunMode;
  /** Row ids to scope the run; null = every row. */
  rowIds: string[] | null;
  /** Column ids to scope the run; null = every computed column. Input columns are ignored. */
  columnIds: string[] | null;
  /** Stop claiming the run's cells once its cost reaches this (USD). */
  maxCost?: number | null;
}

/** A cell as a worker holds it: its identity, its lease fence, and everything needed to compute it. */
export interface ClaimedCell {
  rowId: string;
  columnId: string;
  tableId: string;
  workspaceId: string;
  runId: string | null;
  /** The lease token: the completion must carry it, or it is discarded. */
  fence: number;
  /** Attempts so far, this one included. */
  attempt: number;
  column: Column;
  tableKind: TableKind;
  /** The row's values by column key: inputs as given, computed columns by their answer (done cells only). */
  values: Record<string, unknown>;
  /** A child row's parent row values by key (its `parent_data`); undefined for root rows. */
  parentValues?: Record<string, unknown>;
  /** Cached results older than this (epoch ms) are not reused: set for `mode: all` runs, which recompute. */
  cacheNotBefore: number | undefined;
}

export interface CellRef {
  rowId: string;
  columnId: string;
  fence: number;
}

export type Usage = CellUsage;

export type CellOutcome =
  | {
      status: 'done';
      value: CellValue;
      cost: number;
      usage?: Usage;
      cacheKey?: string;
      /** Store the result for reuse (written with the cell, in one transaction). */
      cacheEntry?: { workspaceId: string; cost: number; createdAt: number; expiresAt: number };
    }
  | { status: 'failed'; error: CellError; cost?: number; usage?: Usage }
  | { status: 'skipped'; reason: SkipReason; error?: CellError }
  /** Back to the queue until `availableAt` (epoch ms), keeping the error for people to see. */
  | { status: 'retry'; availableAt: number; error: CellError; cost?: number };

export interface CellResult extends CellRef {
  outcome: CellOutcome;
}

export interface CellChange {
  tableId: string;
  rowId: string;
  columnId: string;
  status: CellStatus;
}

export interface CompletionReport {
  applied: number;
  discarded: number;
  /** The cells whose status changed (recorded results, and cells skipped because an upstream one failed). */
  changed: CellChange[];
}

export interface CachedResult {
  value: CellValue;
  cost: number;
  usage: Usage | null;
}

/**
 * The run engine's half of the store: runs are planned into queued cells, workers claim cells with a
 * lease, and complete them fenced. Cells are the queue; no other job table exists.
 */
export interface RunStore {
  /** Queues the cells a run asks for and records the run; unknown row/column ids are a ValidationError. */
  planRun(workspaceId: string, tableId: string, request: RunRequest): Promise<Run>;
  getRun(workspaceId: string, tableId: string, runId: string): Promise<Run>;
  listRuns(
    workspaceId: string,
    tableId: string,
    page: { offset: number; limit: number },
  ): Promise<{ items: Run[]; total: number }>;
  /** Queued and running cells of the run end `cancelled`; running ones lose their lease (fence moves on). */
  cancelRun(workspaceId: string, tableId: string, runId: string): Promise<Run>;

  /** Leases up to `limit` claimable cells (queued, not waiting on upstream cells, due) to `workerId`. */
  claimCells(workerId: string, limit: number, leaseMs: number): Promise<ClaimedCell[]>;
  /** Extends the leases still held; returns the cells whose lease was lost (cancelled, swept, changed). */
  extendLeases(workerId: string, cells: CellRef[], leaseMs: number): Promise<CellRef[]>;
  /** Records results whose fence still matches; the rest are discarded. Returns how many were applied. */
  completeCells(results: CellResult[]): Promise<CompletionReport>;
  /** Returns running cells whose lease expired to the queue. */
  releaseExpiredLeases(): Promise<number>;
  /** When the earliest queued, non-waiting cell becomes due (epoch ms), or undefined when none is queued. */
  nextDueAt(): Promise<number | undefined>;

  /** Cached results for these keys written after `notBefore` (epoch ms) and not expired, by key. */
  getCachedResults(
    workspaceId: string,
    cacheKeys: string[],
    notBefore?: number,
  ): Promise<Map<string, CachedResult>>;
  putCachedResult(workspaceId: string, cacheKey: string, result: CachedResult, ttlMs: number): Promise<void>;
}

export type ProviderErrorKind = 'retryable' | 'rate_limited' | 'non_retryable' | 'auth';

/** How a provider call failed; only the engine decides what each kind means for the cell. */
export interface ProviderError {
  kind: ProviderErrorKind;
  message: string;
  /** For `rate_limited` (and `retryable` with a Retry-After): wait at least this long. */
  retryAfterMs?: number;
}

export type ProviderResult =
  | { ok: true; value: CellValue; cost?: number; usage?: Usage }
  | { ok: false; error: ProviderError; cost?: number };

export interface ProviderLimits {
  maxConcurrency?: number;
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

export interface ProviderRequest {
  column: Column;
  tableKind: TableKind;
  values: Record<string, unknown>;
  workspaceId: string;
  /** The cell's table and row (providers that write elsewhere, like the people finder, need them). */
  tableId?: string;
  rowId?: string;
  /** A child row's parent row values by key (a people row's company). */
  parentValues?: Record<string, unknown>;
}

/** What a provider will do for one cell, decided before any call (so missing inputs cost nothing). */
/** What a provider's call may use of the engine while it runs. */
export interface ExecuteContext {
  signal: AbortSignal;
  /**
   * Runs `work` under another process-wide limiter as well, for calls made on the way (a waterfall's
   * steps under each vendor's own limits, shared with that vendor's columns). A refused provider
   * (tripped on auth) answers its error without running `work`.
   */
  limited: <Result extends { ok: true } | { ok: false; error: ProviderError }>(
    limiterKey: string,
    limits: ProviderLimits | undefined,
    work: () => Promise<Result>,
  ) => Promise<Result | { ok: false; error: ProviderError }>;
}

/** A context whose calls pass no limiter: for calls made outside the engine (discovery's planning, benchmarks). */
export function directExecuteContext(signal: AbortSignal): ExecuteContext {
  return { signal, limited: (_key, _limits, work) => work() };
}

export type PreparedCall =
  | {
      kind: 'call';
      /** Calls with the same limiter key share one concurrency limit and one rate limit, process-wide. */
      limiterKey: string;
      limits?: ProviderLimits;
      /** Identical work has an identical key: one call, reused across rows, runs and tables. */
      cacheKey?: string;
      estimatedTokens?: number;
      execute(context: ExecuteContext): Promise<ProviderResult>;
    }
  | { kind: 'skip'; reason: SkipReason; message: string }
  | { kind: 'fail'; error: ProviderError };

/**
 * Computes cells of one column kind.
 *
 * @example
 *   const prepared = provider.prepare({ column, tableKind: 'generic', values: { name: 'Acme' }, workspaceId });
 *   if (prepared.kind === 'call') await prepared.execute(directExecuteContext(signal));
 */
export interface Provider {
  readonly name: string;
  prepare(request: ProviderRequest): PreparedCall;
}

export interface ProviderRegistry {
  /** The provider computing this column, or undefined when none is available for its kind. */
  forColumn(column: Column): Provider | undefined;
}

export type { CellCounts };
