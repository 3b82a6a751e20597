import type { Selectable } from 'kysely';
import { CELL_STATUSES, emptyCellCounts, type CellStatus } from '../domain/cell-status.ts';
import { ColumnConfigSchema, type TableKind } from '../domain/columns.ts';
import type {
  ApiKey,
  Cell,
  Column,
  JsonObject,
  Row,
  Table,
  TableSettings,
  Workspace,
} from '../domain/model.ts';
import type { Run, RunMode, RunStatus } from '../domain/runs.ts';
import type {
  ApiKeysTable,
  CellsTable,
  ColumnsTable,
  RowsTable,
  RunsTable,
  TablesTable,
  WorkspacesTable,
} from './schema.ts';

/** Mapping database rows to domain objects, shared by the store's parts. */

export const COUNTER_COLUMNS: Record<CellStatus, keyof TablesTable & `cells_${string}`> = {
  queued: 'cells_queued',
  running: 'cells_running',
  done: 'cells_done',
  failed: 'cells_failed',
  skipped: 'cells_skipped',
  cancelled: 'cells_cancelled',
  stale: 'cells_stale',
};

export function toIso(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : value;
}

export function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

export function toWorkspace(row: Selectable<WorkspacesTable>): Workspace {
  return {
    id: row.id,
    name: row.name,
    ownerId: row.owner_id,
    ownerEmail: row.owner_email,
    createdAt: toIso(row.created_at),
  };
}

export function toApiKey(row: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: toIso(row.created_at),
    revokedAt: row.revoked_at === null ? null : toIso(row.revoked_at),
  };
}

export function toTable(row: Selectable<TablesTable>): Table {
  const counts = emptyCellCounts();
  for (const status of CELL_STATUSES) counts[status] = Number(row[COUNTER_COLUMNS[status]]);
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    description: row.description,
    tags: parseJson<string[]>(row.tags),
    kind: row.kind as TableKind,
    notify: Boolean(row.notify),
    settings: parseJson<TableSettings>(row.settings)!,
    parentTableId: row.parent_table_id,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    numRows: Number(row.num_rows),
    cost: Number(row.cost),
    cellCounts: counts,
  };
}

export function toColumn(row: Selectable<ColumnsTable>): Column {
  return {
    id: row.id,
    tableId: row.table_id,
    // Re-parsing normalizes field order (jsonb reorders keys) and fills defaults added since the write.
    config: ColumnConfigSchema.parse(parseJson(row.config)),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

export function toRow(row: Selectable<RowsTable>): Row {
  return {
    id: row.id,
    tableId: row.table_id,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    parentRowId: row.parent_row_id,
    values: parseJson<Record<string, unknown>>(row.data)!,
    metadata: parseJson<JsonObject>(row.metadata),
    parentData: parseJson<JsonObject>(row.parent_data ?? null),
  };
}

export function toCell(
  row: Pick<
    Selectable<CellsTable>,
    | 'row_id'
    | 'column_id'
    | 'status'
    | 'value'
    | 'error'
    | 'reason'
    | 'attempts'
    | 'cost'
    | 'usage'
    | 'updated_at'
  >,
): Cell {
  return {
    rowId: row.row_id,
    columnId: row.column_id,
    status: row.status as CellStatus,
    value: parseJson(row.value),
    error: parseJson(row.error),
    reason: row.reason,
    attempts: Number(row.attempts),
    cost: Number(row.cost),
    usage: parseJson(row.usage),
    updatedAt: toIso(row.updated_at),
  };
}

export function toRun(row: Selectable<RunsTable>): Run {
  return {
    id: row.id,
    tableId: row.table_id,
    workspaceId: row.workspace_id,
    mode: row.mode as RunMode,
    rowIds: parseJson<string[]>(row.rows),
    columnIds: parseJson<string[]>(row.columns),
    status: row.status as RunStatus,
    numRequestedCells: Number(row.num_requested_cells),
    counts: {
      queued: Number(row.cells_queued),
      running: Number(row.cells_running),
      done: Number(row.cells_done),
      failed: Number(row.cells_failed),
      skipped: Number(row.cells_skipped),
      cancelled: Number(row.cells_cancelled),
    },
    cost: Number(row.cost),
    maxCost: row.max_cost === null ? null : Number(row.max_cost),
    bypassCache: Boolean(row.bypass_cache),
    createdAt: toIso(row.created_at),
    finishedAt: row.finished_at === null ? null : toIso(row.finished_at),
  };
}

export function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
