import type { CellCounts } from '../domain/cell-status.ts';
import type { ColumnConfig, TableKind } from '../domain/columns.ts';
import type {
  ApiKey,
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
}

export const systemClock: Clock = { now: () => Date.now() };

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
export interface Store {
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
  getRow(workspaceId: string, tableId: string, rowId: string): Promise<RowsResult>;
  /** One page of rows in table order, with the table header. */
  getTableData(
    workspaceId: string,
    tableId: string,
    page: { offset: number; limit: number },
  ): Promise<TableData>;
}

export type { CellCounts };
