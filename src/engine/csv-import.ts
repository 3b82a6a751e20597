import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { keyFor, uniqueName } from '../domain/column-names.ts';
import { ColumnConfigSchema, isInputKind } from '../domain/columns.ts';
import { ValidationError } from '../domain/errors.ts';
import type { Column } from '../domain/model.ts';
import type { Store } from './ports.ts';

export interface CsvImportOptions {
  /** Headers that match no column become new input columns (default); otherwise they are ignored. */
  createColumns?: boolean;
  /** Rows per store write: large enough to amortise a transaction, small enough to keep memory flat. */
  batchSize?: number;
  /** Line errors kept in the report; all are counted. */
  maxReportedErrors?: number;
}

export interface CsvImportReport {
  imported: number;
  /** How each header was read: the column it fills, or why it was ignored. */
  headers: { header: string; key: string | null; created: boolean; ignored: string | null }[];
  errors: { line: number; message: string }[];
  errorCount: number;
}

const DEFAULTS = { createColumns: true, batchSize: 2000, maxReportedErrors: 100 };

/**
 * Streams a CSV into a table: the header row names columns (by key, else by name), each later line
 * becomes a row. A bad line is reported with its number and skipped; the import goes on. Memory is one
 * batch of rows, whatever the file's size.
 *
 * @example
 *   const report = await importCsv(store, workspaceId, tableId, fs.createReadStream('leads.csv'));
 */
export async function importCsv(
  store: Store,
  workspaceId: string,
  tableId: string,
  input: Readable,
  options: CsvImportOptions = {},
): Promise<CsvImportReport> {
  const settings = { ...DEFAULTS, ...options };
  const report: CsvImportReport = { imported: 0, headers: [], errors: [], errorCount: 0 };
  const fail = (line: number, message: string) => {
    report.errorCount += 1;
    if (report.errors.length < settings.maxReportedErrors) report.errors.push({ line, message });
  };

  const parser = parse({
    bom: true,
    relax_column_count: true,
    // `a"b` in an unquoted field is text, as spreadsheets write it, not an error.
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    info: true,
  });
  parser.on('skip', (error: CsvError & { lines?: number }) => fail(error.lines ?? 0, error.message));
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);

  let keys: (string | null)[] | undefined;
  let batch: { line: number; data: Record<string, string> }[] = [];
  const flush = async () => {
    if (batch.length > 0) report.imported += await insertBatch(store, workspaceId, tableId, batch, fail);
    batch = [];
  };
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      if (!keys) {
        keys = await mapHeaders(store, workspaceId, tableId, record, settings.createColumns, report);
        continue;
      }
      if (record.length > keys.length && record.slice(keys.length).some((field) => field.trim() !== '')) {
        fail(info.lines, `The line has ${record.length} fields; the header has ${keys.length}`);
        continue;
      }
      const data: Record<string, string> = {};
      record.forEach((field, index) => {
        const key = keys![index];
        if (key && field !== '') data[key] = field;
      });
      if (Object.keys(data).length === 0) continue;
      batch.push({ line: info.lines, data });
      if (batch.length >= settings.batchSize) await flush();
    }
  } catch (error) {
    // A malformed file (e.g. a quote never closed) ends the parse; what came before it stays imported.
    if (!(error instanceof CsvError)) throw error;
    fail((error as CsvError & { lines?: number }).lines ?? 0, error.message);
  }
  await flush();
  // The parser reports skipped lines as it reads; rows are checked as they are consumed.
  report.errors.sort((a, b) => a.line - b.line);
  if (!keys) throw ValidationError.single([], 'The CSV is empty: the first line must name the columns');
  return report;
}

/** Column keys by field position (null: ignored), creating input columns for unknown headers. */
async function mapHeaders(
  store: Store,
  workspaceId: string,
  tableId: string,
  headers: string[],
  createColumns: boolean,
  report: CsvImportReport,
): Promise<(string | null)[]> {
  const { columns } = await store.getTable(workspaceId, tableId);
  const takenKeys = new Set(columns.map((column) => column.config.key));
  const takenNames = new Set(columns.map((column) => column.config.name));
  const used = new Set<string>();
  const toCreate: { index: number; key: string; name: string }[] = [];
  const keys = headers.map((raw, index): string | null => {
    const header = raw.trim();
    const entry = { header, key: null as string | null, created: false, ignored: null as string | null };
    report.headers.push(entry);
    if (header === '') {
      entry.ignored = 'empty header';
      return null;
    }
    const column = matchColumn(columns, header);
    if (column && !isInputKind(column.config.kind)) {
      entry.ignored = `'${column.config.key}' is a computed column: its values are computed, not imported`;
      return null;
    }
    const key = column?.config.key ?? toCreate.find((pending) => pending.name === header)?.key;
    if (key && used.has(key)) {
      entry.ignored = `a second header for column '${key}'`;
      return null;
    }
    if (key) {
      used.add(key);
      entry.key = key;
      return key;
    }
    if (!createColumns) {
      entry.ignored = 'no column has this key or name';
      return null;
    }
    const created = { index, key: keyFor(header, takenKeys), name: uniqueName(header, takenNames) };
    toCreate.push(created);
    used.add(created.key);
    Object.assign(entry, { key: created.key, created: true });
    return created.key;
  });
  if (toCreate.length > 0) {
    await store.addColumns(
      workspaceId,
      tableId,
      toCreate.map(({ key, name }) => ColumnConfigSchema.parse({ kind: 'input', key, name })),
      { at: 'end' },
    );
  }
  return keys;
}

/** By key, else by name, else by name ignoring case and spacing. */
function matchColumn(columns: Column[], header: string): Column | undefined {
  const loose = (text: string) => text.toLowerCase().replace(/\s+/g, ' ');
  return (
    columns.find((column) => column.config.key === header) ??
    columns.find((column) => column.config.name === header) ??
    columns.find((column) => loose(column.config.name) === loose(header))
  );
}

/** Inserts a batch; rows the store refuses are reported by line and the rest inserted. */
async function insertBatch(
  store: Store,
  workspaceId: string,
  tableId: string,
  batch: { line: number; data: Record<string, string> }[],
  fail: (line: number, message: string) => void,
): Promise<number> {
  try {
    await store.insertRows(
      workspaceId,
      tableId,
      batch.map(({ data }) => ({ data })),
    );
    return batch.length;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const refused = new Map<number, string>();
    for (const issue of error.issues) {
      const [scope, index] = issue.path;
      if (scope === 'rows' && typeof index === 'number' && batch[index]) refused.set(index, issue.message);
    }
    // Nothing pinned to a row: the whole batch is wrong (e.g. a column removed meanwhile).
    if (refused.size === 0) throw error;
    for (const [index, message] of refused) fail(batch[index]!.line, message);
    const rest = batch.filter((_, index) => !refused.has(index));
    return rest.length > 0 ? insertBatch(store, workspaceId, tableId, rest, fail) : 0;
  }
}
