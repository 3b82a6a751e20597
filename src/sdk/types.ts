import type { z } from 'zod';
import type {
  WebhookCreateInputSchema,
  WebhookCreateOutputSchema,
  WebhookDeliveryListOutputSchema,
  WebhookDeliveryOutputSchema,
  WebhookOutputSchema,
  WebhookPatchInputSchema,
} from '../api/extruct/webhook-schemas.ts';
import type { ConnectorInputSchema, ConnectorSnapshotSchema } from '../domain/connectors.ts';
import type {
  AddedEnrichmentSchema,
  AddedWaterfallSchema,
  AddEnrichmentSchema,
  AddWaterfallSchema,
  ColumnCreateSchema as DatabarColumnCreateSchema,
  ColumnSchema as DatabarColumnSchema,
  ConnectionSchema,
  ConnectionSetSchema,
  EnrichmentDetailSchema,
  EnrichmentSummarySchema,
  RowsDeletedSchema as DatabarRowsDeletedSchema,
  RowsDeleteSchema as DatabarRowsDeleteSchema,
  RowsInsertResultSchema,
  RowsInsertSchema,
  RowsPageSchema,
  RowsPatchResultSchema,
  RowsPatchSchema,
  RowsQuerySchema,
  RowsUpsertResultSchema,
  RowsUpsertSchema,
  RunEnrichmentRequestSchema,
  RunEnrichmentResponseSchema,
  TableCreateSchema as DatabarTableCreateSchema,
  TableEnrichmentListSchema,
  TableRenameSchema as DatabarTableRenameSchema,
  TableSchema as DatabarTableSchema,
  UserMeSchema,
  WaterfallSchema,
} from '../api/databar/schemas.ts';
import type {
  CellOutputSchema,
  DiscoveryResultsOutputSchema,
  DiscoveryTaskInputSchema,
  DiscoveryTaskOutputSchema,
  ColumnOutputSchema,
  ColumnsCreateInputSchema,
  DataQuerySchema,
  HealthcheckOutputSchema,
  RowInputSchema,
  RowOutputSchema,
  RowsCreateInputSchema,
  RowsDeleteInputSchema,
  RowsDeleteOutputSchema,
  RowsPatchInputSchema,
  RunListOutputSchema,
  ColumnStatsOutputSchema,
  CellDetailOutputSchema,
  RunOutputSchema,
  TABLE_EVENT_SCHEMAS,
  TableCreateInputSchema,
  TableDataOutputSchema,
  TableListItemSchema,
  TableListOutputSchema,
  TableListQuerySchema,
  TableOutputSchema,
  TablePatchInputSchema,
  TableRunOutputSchema,
  TableRunParamsInputSchema,
  TableStatusSchema,
  UserOutputSchema,
  ValidationErrorSchema,
} from '../api/extruct/schemas.ts';

/**
 * Every request and response type of the SDK, taken from the server's own zod schemas: responses are
 * `z.output` (what the server sends), request bodies `z.input` (defaults may be left out). Types only:
 * nothing of the server is loaded at run time.
 */

// ── Shared ───────────────────────────────────────────────────────────────────────────────────────

/** One problem of a 422 answer: FastAPI's `{loc, msg, type}`. */
export type ValidationIssue = z.output<typeof ValidationErrorSchema>;

// ── Extruct dialect ──────────────────────────────────────────────────────────────────────────────

export type Healthcheck = z.output<typeof HealthcheckOutputSchema>;
export type User = z.output<typeof UserOutputSchema>;
export type Table = z.output<typeof TableOutputSchema>;
export type TableStatus = z.output<typeof TableStatusSchema>;
export type TableListItem = z.output<typeof TableListItemSchema>;
export type TableListPage = z.output<typeof TableListOutputSchema>;
export type TableData = z.output<typeof TableDataOutputSchema>;
export type Column = z.output<typeof ColumnOutputSchema>;
export type ColumnConfig = Column['config'];
export type Row = z.output<typeof RowOutputSchema>;
export type Cell = z.output<typeof CellOutputSchema>;
export type CellStatus = Cell['status'];
export type TableRun = z.output<typeof TableRunOutputSchema>;
export type Run = z.output<typeof RunOutputSchema>;
export type RunStatus = Run['status'];
export type RunCounts = Run['counts'];
export type RunListPage = z.output<typeof RunListOutputSchema>;
/** ext: each computed column's cells by status and cost (`GET /v1/tables/{id}/column_stats`). */
export type ColumnStats = z.output<typeof ColumnStatsOutputSchema>;
/** ext: one computed cell in full (`GET /v1/tables/{id}/rows/{row_id}/cells/{column}`). */
export type CellDetail = z.output<typeof CellDetailOutputSchema>;
export type RowsDeleted = z.output<typeof RowsDeleteOutputSchema>;

/** The server's `ColumnConfigSchema`, reached through the column output that embeds it. */
type ColumnConfigSchema = (typeof ColumnOutputSchema)['shape']['config'];
/**
 * A column config as sent. The server's schema starts with a preprocess step (a config without
 * `kind` is an input column), which hides its input type; this is the union behind that step.
 */
export type ColumnConfigInput = z.input<ColumnConfigSchema['out']>;

type WithColumnConfigs<T> = Omit<T, 'column_configs'> & { column_configs?: ColumnConfigInput[] | null };

export type TableCreateInput = WithColumnConfigs<z.input<typeof TableCreateInputSchema>>;
export type TablePatchInput = z.input<typeof TablePatchInputSchema>;
/** Query of `GET /v1/tables`; `tags` match any. */
export type TableListQuery = Partial<z.output<typeof TableListQuerySchema>>;
/** `offset`/`limit` of `GET /v1/tables/{id}/data` and `GET /v1/tables/{id}/runs`. */
export type PageQuery = Partial<z.output<typeof DataQuerySchema>>;
export type RowInput = z.input<typeof RowInputSchema>;
export type RowsCreateInput = z.input<typeof RowsCreateInputSchema>;
export type RowsPatchInput = z.input<typeof RowsPatchInputSchema>;
export type RowsDeleteInput = z.input<typeof RowsDeleteInputSchema>;
export type ColumnsCreateInput = Omit<z.input<typeof ColumnsCreateInputSchema>, 'column_configs'> & {
  column_configs: ColumnConfigInput[];
};
export type RunParams = z.input<typeof TableRunParamsInputSchema>;
export type RunMode = NonNullable<RunParams['mode']>;

type TableEventSchemas = typeof TABLE_EVENT_SCHEMAS;
export type TableEventName = keyof TableEventSchemas;
/** One event of `GET /v1/tables/{id}/events`: its SSE name and its parsed `data`. */
export type TableEvent = {
  [Name in TableEventName]: { event: Name; data: z.output<TableEventSchemas[Name]> };
}[TableEventName];

// ── Databar dialect ──────────────────────────────────────────────────────────────────────────────

export type DatabarUser = z.output<typeof UserMeSchema>;
export type DatabarTable = z.output<typeof DatabarTableSchema>;
export type DatabarTableCreate = z.input<typeof DatabarTableCreateSchema>;
export type DatabarTableRename = z.input<typeof DatabarTableRenameSchema>;
export type DatabarColumn = z.output<typeof DatabarColumnSchema>;
export type DatabarColumnCreate = z.input<typeof DatabarColumnCreateSchema>;
export type DatabarRowsPage = z.output<typeof RowsPageSchema>;
/** A row as Databar sends it: `{id, <column name>: value…}`. */
export type DatabarRow = DatabarRowsPage['data'][number];
export type DatabarRowsInsert = z.input<typeof RowsInsertSchema>;
export type DatabarRowsInsertResult = z.output<typeof RowsInsertResultSchema>;
export type DatabarRowsPatch = z.input<typeof RowsPatchSchema>;
export type DatabarRowsPatchResult = z.output<typeof RowsPatchResultSchema>;
export type DatabarRowsUpsert = z.input<typeof RowsUpsertSchema>;
export type DatabarRowsUpsertResult = z.output<typeof RowsUpsertResultSchema>;
export type DatabarRowsDelete = z.input<typeof DatabarRowsDeleteSchema>;
export type DatabarRowsDeleted = z.output<typeof DatabarRowsDeletedSchema>;
export type Enrichment = z.output<typeof EnrichmentSummarySchema>;
export type EnrichmentDetail = z.output<typeof EnrichmentDetailSchema>;
export type Waterfall = z.output<typeof WaterfallSchema>;
export type AddEnrichmentInput = z.input<typeof AddEnrichmentSchema>;
export type AddedEnrichment = z.output<typeof AddedEnrichmentSchema>;
export type AddWaterfallInput = z.input<typeof AddWaterfallSchema>;
export type AddedWaterfall = z.output<typeof AddedWaterfallSchema>;
export type TableEnrichmentList = z.output<typeof TableEnrichmentListSchema>;
export type RunEnrichmentInput = z.input<typeof RunEnrichmentRequestSchema>;
export type RunEnrichmentResult = z.output<typeof RunEnrichmentResponseSchema>;
export type Connection = z.output<typeof ConnectionSchema>;
export type ConnectionSet = z.input<typeof ConnectionSetSchema>;

/** The operators of Databar's row `filter` (src/api/databar/rows.ts), AND-ed across columns. */
export type DatabarFilterOperator = 'equals' | 'contains' | 'not_equals' | 'is_empty' | 'is_not_empty';
/** `{"<column name>": {"<operator>": value}}`; sent JSON-encoded in the `filter` query parameter. */
export type DatabarRowFilter = Record<string, Partial<Record<DatabarFilterOperator, unknown>>>;

type DatabarRowsQueryParams = Partial<z.output<typeof RowsQuerySchema>>;
/** Query of `GET /v1/table/{uuid}/rows`; `filter` as an object (encoded for you) or as its JSON text. */
export type DatabarRowsQuery = Omit<DatabarRowsQueryParams, 'filter'> & {
  filter?: DatabarRowFilter | string;
};

/** ext: a custom HTTP connector as sent (`POST /v1/connectors`) and as answered (headers by name only). */
export type ConnectorInput = z.input<typeof ConnectorInputSchema>;
export type Connector = z.output<typeof ConnectorSnapshotSchema> & { created_at: string };

/** ext: webhooks (`/v1/webhooks`) and their delivery log. */
export type WebhookCreateInput = z.input<typeof WebhookCreateInputSchema>;
export type WebhookPatch = z.input<typeof WebhookPatchInputSchema>;
export type Webhook = z.output<typeof WebhookOutputSchema>;
/** The answer of `POST /v1/webhooks`: the webhook with its signing secret, shown this once. */
export type WebhookWithSecret = z.output<typeof WebhookCreateOutputSchema>;
export type WebhookDelivery = z.output<typeof WebhookDeliveryOutputSchema>;
export type WebhookDeliveryPage = z.output<typeof WebhookDeliveryListOutputSchema>;

/** ext: discovery tasks (`/v1/discovery_tasks`). */
export type DiscoveryTaskInput = z.input<typeof DiscoveryTaskInputSchema>;
export type DiscoveryTask = z.output<typeof DiscoveryTaskOutputSchema>;
export type DiscoveryResults = z.output<typeof DiscoveryResultsOutputSchema>;
