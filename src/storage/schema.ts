import type { ColumnType, Generated } from 'kysely';

/**
 * Row types of the database as Kysely sees them. JSON columns travel as text on both stores (the
 * Postgres adapter returns json/jsonb unparsed), timestamps as ISO strings in, string|Date out,
 * booleans as 0/1 on SQLite and true/false on Postgres.
 */
type Timestamp = ColumnType<string | Date, string, string>;
type Bool = ColumnType<number | boolean, number | boolean, number | boolean>;
type JsonText = string;

export interface WorkspacesTable {
  id: string;
  name: string;
  owner_id: string;
  owner_email: string;
  created_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  workspace_id: string;
  name: string;
  key_hash: string;
  prefix: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface TablesTable {
  id: string;
  workspace_id: string;
  parent_table_id: string | null;
  /** The company_people_finder column that made this child table (migration 0006). */
  parent_column_id: ColumnType<string | null, string | null | undefined, string | null>;
  name: string;
  description: string | null;
  tags: JsonText | null;
  kind: string;
  notify: Bool;
  settings: JsonText;
  created_at: Timestamp;
  updated_at: Timestamp;
  num_rows: Generated<number>;
  cells_queued: Generated<number>;
  cells_running: Generated<number>;
  cells_done: Generated<number>;
  cells_failed: Generated<number>;
  cells_skipped: Generated<number>;
  cells_cancelled: Generated<number>;
  cells_stale: Generated<number>;
  cost: Generated<number>;
}

export interface ColumnsTable {
  id: string;
  table_id: string;
  key: string;
  kind: string;
  position: number;
  config: JsonText;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RowsTable {
  id: string;
  table_id: string;
  parent_row_id: string | null;
  /** Input values keyed by column id. */
  data: JsonText;
  metadata: JsonText | null;
  /** A child row's parent row values by key, as found (migration 0006). */
  parent_data: ColumnType<JsonText | null, JsonText | null | undefined, JsonText | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CellsTable {
  row_id: string;
  column_id: string;
  table_id: string;
  status: string;
  value: JsonText | null;
  error: JsonText | null;
  reason: string | null;
  attempts: Generated<number>;
  cost: Generated<number>;
  run_id: string | null;
  worker_id: string | null;
  /** Epoch ms; the lease and the earliest next attempt are compared as numbers on both stores. */
  leased_until: number | null;
  available_at: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  fence: Generated<number>;
  waiting: ColumnType<number | boolean, number | boolean | undefined, number | boolean>;
  usage: JsonText | null;
  cache_key: string | null;
}

export interface RunsTable {
  id: string;
  table_id: string;
  workspace_id: string;
  mode: string;
  rows: JsonText | null;
  columns: JsonText | null;
  status: string;
  num_requested_cells: number;
  cells_queued: Generated<number>;
  cells_running: Generated<number>;
  cells_done: Generated<number>;
  cells_failed: Generated<number>;
  cells_skipped: Generated<number>;
  cells_cancelled: Generated<number>;
  cost: Generated<number>;
  max_cost: number | null;
  bypass_cache: Bool;
  created_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface CacheEntriesTable {
  workspace_id: string;
  cache_key: string;
  value: JsonText;
  cost: number;
  usage: JsonText | null;
  created_at: number;
  expires_at: number;
}

export interface ConnectorsTable {
  id: Generated<number>;
  workspace_id: string;
  /** The non-secret ConnectorSnapshot (without its id), as JSON. */
  spec: JsonText;
  /** The header templates, encrypted (AES-256-GCM by the server's secret), or null. */
  headers: string | null;
  created_at: Timestamp;
}

export interface TableEnrichmentsTable {
  id: Generated<number>;
  workspace_id: string;
  table_id: string;
  kind: string;
  catalog_ref: string;
  name: string;
  column_id: string | null;
  created_at: Timestamp;
}

export interface VendorCredentialsTable {
  workspace_id: string;
  provider: string;
  /** Encrypted (AES-256-GCM) by the server's secret; never returned. */
  secret: string;
  /** The key's last characters, to tell keys apart. */
  hint: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhooksTable {
  id: string;
  workspace_id: string;
  /** null: every table of the workspace. */
  table_id: string | null;
  url: string;
  /** Encrypted (AES-256-GCM) by the server's secret; shown to the client once, at creation. */
  secret: string;
  /** JSON array of event names. */
  events: JsonText;
  enabled: Bool;
  created_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event: string;
  /** The exact body sent, as text on both stores. */
  payload: string;
  status: string;
  attempts: Generated<number>;
  /** Epoch ms: when the next attempt is due (while one is in flight: when its lease ends). */
  next_attempt_at: number | null;
  /** Epoch ms: the end of the lease of the attempt in flight, if any. */
  leased_until: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
}

export interface DiscoveryTasksTable {
  id: string;
  workspace_id: string;
  query: string;
  desired_num_results: number;
  criteria: JsonText;
  exclude_domains: JsonText;
  status: string;
  table_id: string | null;
  run_id: string | null;
  num_candidates: Generated<number>;
  exhausted: ColumnType<number | boolean, number | boolean | undefined, number | boolean>;
  reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Database {
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  tables: TablesTable;
  columns: ColumnsTable;
  rows: RowsTable;
  cells: CellsTable;
  runs: RunsTable;
  cache_entries: CacheEntriesTable;
  table_enrichments: TableEnrichmentsTable;
  vendor_credentials: VendorCredentialsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  discovery_tasks: DiscoveryTasksTable;
  connectors: ConnectorsTable;
}
