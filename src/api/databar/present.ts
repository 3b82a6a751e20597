import type { z } from '@hono/zod-openapi';
import type { ColumnConfig } from '../../domain/columns.ts';
import type { Column, RowWithCells, Table } from '../../domain/model.ts';
import type { ColumnSchema, TableSchema } from './schemas.ts';

/** Databar shows tables and columns by name and numbered processors; these map our model onto that. */

export function tableOutput(table: Table, origin: string): z.infer<typeof TableSchema> {
  return {
    identifier: table.id,
    name: table.name,
    created_at: table.createdAt,
    updated_at: table.updatedAt,
    workspace_identifier: table.workspaceId,
    table_url: `${origin}/tables/${table.id}`,
  };
}

/** The table enrichment a column belongs to (its result column, or one of its field columns). */
export function processorOf(column: Column, columns: Column[]): number | null {
  const config = column.config;
  if (config.kind === 'enrichment' || config.kind === 'waterfall') return config.value.table_enrichment_id;
  if (config.kind === 'enrichment_field') {
    const source = columns.find((candidate) => candidate.config.key === config.value.source);
    return source ? processorOf(source, columns) : null;
  }
  return null;
}

function typeOfValue(config: ColumnConfig): string {
  switch (config.kind) {
    case 'input':
      return 'text';
    case 'agent':
      return config.value.output_format;
    case 'enrichment':
    case 'waterfall':
      return 'json';
    default:
      return 'text';
  }
}

export function columnOutput(column: Column, columns: Column[]): z.infer<typeof ColumnSchema> {
  return {
    identifier: column.id,
    internal_name: column.config.key,
    name: column.config.name,
    type_of_value: typeOfValue(column.config),
    data_processor_id: processorOf(column, columns),
  };
}

/** A row as Databar shows it: `{id, <column name>: value}`; computed columns by their answer. */
export function rowData(columns: Column[], { row, cells }: RowWithCells): Record<string, unknown> {
  const byColumn = new Map(cells.map((cell) => [cell.columnId, cell]));
  const data: Record<string, unknown> = {};
  for (const column of columns) {
    data[column.config.name] =
      column.config.kind === 'input'
        ? (row.values[column.id] ?? null)
        : (byColumn.get(column.id)?.value?.answer ?? null);
  }
  return data;
}

/** Finds a column by name, else key, else id (Databar clients use names; ours may use either). */
export function findColumn(columns: Column[], reference: string): Column | undefined {
  return (
    columns.find((column) => column.config.name === reference) ??
    columns.find((column) => column.config.key === reference) ??
    columns.find((column) => column.id === reference)
  );
}
