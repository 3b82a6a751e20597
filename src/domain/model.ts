/**
 * Glossary — each term means one thing in code, API and UI.
 *
 * - workspace: the unit of ownership and isolation; owns tables; an API key belongs to exactly one.
 * - API key: a random secret shown once; stored only as a hash; resolves to its workspace.
 * - table: rows × columns, of kind generic, company or people; may be the child of another table.
 * - column: a typed config (input, agent, formula, http, …) with a snake_case key unique in its table.
 * - row: one record of a table; holds the values of its input columns.
 * - cell: one (row, computed column) pair: status, value, error, attempts, cost, timestamps, lease.
 * - run: a request to compute a set of cells (mode new/all/failed, scoped to rows and/or columns).
 * - attempt: one try at computing a cell; a cell may take several (retries).
 * - lease: a worker's time-limited claim on a running cell, fenced by the attempt number.
 * - provider: what computes a cell's value (an LLM, a vendor API, a formula); reached through a port.
 */
import type { CellCounts, CellStatus } from './cell-status.ts';
import type { ColumnConfig, TableKind } from './columns.ts';

export interface Workspace {
  id: string;
  name: string;
  ownerId: string;
  ownerEmail: string;
  createdAt: string;
}

export interface ApiKey {
  id: string;
  workspaceId: string;
  name: string;
  /** The first characters of the key, safe to show, so a person can tell keys apart. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface TableSettings {
  exclude_from_search: boolean;
  [setting: string]: unknown;
}

export interface Table {
  id: string;
  workspaceId: string;
  name: string;
  description: string | null;
  tags: string[] | null;
  kind: TableKind;
  notify: boolean;
  settings: TableSettings;
  parentTableId: string | null;
  createdAt: string;
  updatedAt: string;
  numRows: number;
  /** Maintained counts of computed cells by status, updated in the same transaction as the cells. */
  cellCounts: CellCounts;
  /** What its cells have cost so far (USD). */
  cost: number;
}

export interface Column {
  id: string;
  tableId: string;
  config: ColumnConfig;
  createdAt: string;
  updatedAt: string;
}

/** A table with what the header shows: its columns in order, owner, and related tables. */
export interface TableDetail {
  table: Table;
  columns: Column[];
  owner: { id: string; email: string };
  childTableIds: string[];
}

export type JsonObject = Record<string, unknown>;

export interface Row {
  id: string;
  tableId: string;
  createdAt: string;
  updatedAt: string;
  parentRowId: string | null;
  /** Input values keyed by column id (not key, so renaming a key rewrites nothing). */
  values: Record<string, unknown>;
  metadata: JsonObject | null;
  /** A child row's parent row values by key, as they were when the row was found. */
  parentData?: JsonObject | null;
}

export interface CellValue {
  answer: unknown;
  sources?: { url: string; title?: string }[];
  explanation?: string;
}

export interface CellError {
  type: string;
  message: string;
}

/** What computing a cell used: tokens, searches, pages, and where the time went. */
export interface CellUsage {
  inputTokens?: number;
  outputTokens?: number;
  searches?: number;
  pagesFetched?: number;
  /** The result was reused (cache or a shared identical call): no new spend. */
  cached?: boolean;
  timingsMs?: { search: number; fetch: number; llm: number };
}

export interface Cell {
  rowId: string;
  columnId: string;
  status: CellStatus;
  value: CellValue | null;
  error: CellError | null;
  /** Why a cell was skipped: `missing_input`, `dependency_failed`, `condition_not_met`. */
  reason: string | null;
  attempts: number;
  cost: number;
  usage: CellUsage | null;
  updatedAt: string;
}

export interface RowWithCells {
  row: Row;
  cells: Cell[];
}

/** A new row as the domain sees it: input values by column id. */
export interface NewRow {
  values: Record<string, unknown>;
  metadata: JsonObject | null;
  parentRowId?: string | null;
}

/** A change to a row: values are merged into the existing ones; `metadata` replaces when given. */
export interface RowChange {
  id: string;
  values: Record<string, unknown>;
  metadata?: JsonObject | null;
}
