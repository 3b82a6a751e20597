import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import { isInputKind } from '../domain/columns.ts';
import { ValidationError } from '../domain/errors.ts';
import type { Cell, Column, RowWithCells, Table } from '../domain/model.ts';
import type { Store } from './ports.ts';

/** Extra fields a computed column may add beside its answer. */
export const CSV_EXTRAS = ['status', 'explanation', 'sources', 'error'] as const;
export type CsvExtra = (typeof CSV_EXTRAS)[number];

export interface CsvExportOptions {
  /** Column keys to export, in table order; default every column. */
  columns?: string[];
  /** Header row of column names (default) or keys. */
  header?: 'name' | 'key';
  /** Per computed column, fields after its answer: `Name (status)`, … */
  extras?: CsvExtra[];
  /** A first `row_id` field. */
  rowId?: boolean;
  /** A UTF-8 byte order mark first, so spreadsheets read non-Latin text right (default). */
  bom?: boolean;
}

const PAGE = 1000;

/**
 * The whole table as CSV, streamed a page at a time (keyset paging: the last page costs what the first
 * does). Text a spreadsheet would run as a formula is neutralised.
 *
 * @example
 *   const { csv } = await exportCsv(store, workspaceId, tableId, { extras: ['status'] });
 *   csv.pipe(fs.createWriteStream('out.csv'));
 */
export async function exportCsv(
  store: Store,
  workspaceId: string,
  tableId: string,
  options: CsvExportOptions = {},
): Promise<{ table: Table; csv: Readable }> {
  // The first page is read before streaming starts, so a missing table is a 404, not a broken stream.
  const first = await store.getTableData(workspaceId, tableId, { offset: 0, limit: PAGE });
  const columns = pickColumns(first.columns, options.columns);
  const fields = fieldsOf(columns, options);

  async function* records(): AsyncGenerator<string[]> {
    yield fields.map((field) => field.header);
    let rows = first.rows;
    for (;;) {
      for (const row of rows) yield recordOf(row, fields);
      if (rows.length < PAGE) return;
      const next = await store.getTableData(workspaceId, tableId, {
        offset: 0,
        limit: PAGE,
        afterRowId: rows[rows.length - 1]!.row.id,
      });
      rows = next.rows;
    }
  }

  const csv = stringify({ bom: options.bom ?? true, record_delimiter: 'windows' });
  pipeline(Readable.from(records()), csv, () => {
    // An error mid-stream destroys `csv`; its reader sees the failure.
  });
  return { table: first.detail.table, csv };
}

interface Field {
  header: string;
  value(row: RowWithCells, cells: Map<string, Cell>): string;
}

function pickColumns(columns: Column[], keys: string[] | undefined): Column[] {
  if (!keys || keys.length === 0) return columns;
  const known = new Set(columns.map((column) => column.config.key));
  const unknown = keys.filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw ValidationError.single(
      ['columns'],
      `Unknown column key(s): ${unknown.join(', ')}`,
      'value_error',
      'query',
    );
  }
  const wanted = new Set(keys);
  return columns.filter((column) => wanted.has(column.config.key));
}

function fieldsOf(columns: Column[], options: CsvExportOptions): Field[] {
  const fields: Field[] = [];
  if (options.rowId) fields.push({ header: 'row_id', value: (row) => row.row.id });
  for (const column of columns) {
    const header = options.header === 'key' ? column.config.key : column.config.name;
    if (isInputKind(column.config.kind)) {
      fields.push({ header, value: (row) => formatValue(row.row.values[column.id]) });
      continue;
    }
    fields.push({ header, value: (_, cells) => formatValue(cells.get(column.id)?.value?.answer) });
    for (const extra of options.extras ?? []) {
      fields.push({
        header: `${header} (${extra})`,
        value: (_, cells) => extraOf(cells.get(column.id), extra),
      });
    }
  }
  return fields;
}

function recordOf(row: RowWithCells, fields: Field[]): string[] {
  const cells = new Map(row.cells.map((cell) => [cell.columnId, cell]));
  return fields.map((field) => field.value(row, cells));
}

function extraOf(cell: Cell | undefined, extra: CsvExtra): string {
  if (!cell) return '';
  switch (extra) {
    case 'status':
      return cell.status;
    case 'explanation':
      return neutralize(cell.value?.explanation ?? '');
    case 'sources':
      return neutralize((cell.value?.sources ?? []).map((source) => source.url).join('\n'));
    case 'error':
      return neutralize(cell.error?.message ?? cell.reason ?? '');
  }
}

/**
 * Lists of plain values read as a spreadsheet user expects ("a, b"); anything nested stays JSON. Numbers
 * are numbers (a negative one is not a formula); text is neutralised.
 */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return neutralize(value);
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
    return neutralize(value.map((item) => (item === null ? '' : String(item))).join(', '));
  }
  return JSON.stringify(value);
}

/**
 * A cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab or CR first: OWASP's CSV injection list)
 * gets a leading `'`, which spreadsheets show as text and do not run.
 */
export function neutralize(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}
