import fs from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { CSV_EXTRAS, exportCsv, type CsvExtra } from '../engine/csv-export.ts';
import { importCsv, type CsvImportReport } from '../engine/csv-import.ts';
import {
  CliError,
  findLocalTable,
  findRemoteTable,
  remoteFetch,
  resolveTarget,
  withLocalStore,
  type TargetOptions,
} from './target.ts';

interface ImportOptions extends TargetOptions {
  createColumns: boolean;
  run?: boolean;
  json?: boolean;
}

interface ExportOptions extends TargetOptions {
  output?: string;
  columns?: string;
  include?: string;
  header: 'name' | 'key';
  bom: boolean;
}

/** Adds the server/workspace options every table command takes. */
export function withTargetOptions(command: Command): Command {
  return command
    .option('--url <url>', 'a server to talk to (default: $ENRICHBASE_URL; none: open the local store)')
    .option('--key <key>', 'API key for --url (default: $ENRICHBASE_API_KEY)')
    .option('-w, --workspace <name>', 'workspace of the local store', 'default');
}

export function registerCsvCommands(program: Command): void {
  withTargetOptions(
    program
      .command('import')
      .description(
        'stream a CSV into a table: the header names columns by key or name; bad lines are reported and skipped',
      )
      .argument('<table>', 'table id or exact name')
      .argument('[file]', 'CSV file (default: standard input)'),
  )
    .option('--no-create-columns', 'ignore headers that match no column instead of adding input columns')
    .option('--run', "run the table's new cells afterwards")
    .option('--json', 'print the import report as JSON')
    .action(async (table: string, file: string | undefined, options: ImportOptions) => {
      const input = file && file !== '-' ? fs.createReadStream(file) : process.stdin;
      const target = resolveTarget(options);
      let report: CsvImportReport & { runId: string | null };
      if (target.kind === 'remote') {
        const tableId = await findRemoteTable(target, table);
        const query = `?create_columns=${options.createColumns}&run=${options.run === true}`;
        const response = await remoteFetch(target, `/v1/tables/${tableId}/import${query}`, {
          method: 'POST',
          headers: { 'content-type': 'text/csv' },
          body: Readable.toWeb(input) as ReadableStream,
          duplex: 'half',
        });
        const body = (await response.json()) as CsvImportReport & {
          error_count: number;
          run_id: string | null;
        };
        report = { ...body, errorCount: body.error_count, runId: body.run_id };
      } else {
        report = await withLocalStore(target.workspace, async (store, workspaceId) => {
          const tableId = await findLocalTable(store, workspaceId, table);
          const result = await importCsv(store, workspaceId, tableId, input, {
            createColumns: options.createColumns,
          });
          // The local store has no engine here: the run is queued for whichever server or worker runs on it.
          const run =
            options.run && result.imported > 0
              ? await store.planRun(workspaceId, tableId, { mode: 'new', rowIds: null, columnIds: null })
              : undefined;
          return { ...result, runId: run?.id ?? null };
        });
      }
      printImportReport(report, options.json === true);
    });

  withTargetOptions(
    program
      .command('export')
      .description('stream a table as CSV (formula-injection safe) to standard output or a file')
      .argument('<table>', 'table id or exact name'),
  )
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option('--columns <keys>', 'comma-separated column keys (default: every column)')
    .option('--include <fields>', `extra fields: row_id,${CSV_EXTRAS.join(',')}`)
    .option('--header <kind>', 'header row of column names or keys', 'name')
    .option('--no-bom', 'no UTF-8 byte order mark')
    .action(async (table: string, options: ExportOptions) => {
      const include = options.include?.split(',').map((field) => field.trim()) ?? [];
      const unknown = include.filter(
        (field) => field !== 'row_id' && !(CSV_EXTRAS as readonly string[]).includes(field),
      );
      if (unknown.length > 0) throw new CliError(`unknown --include field(s): ${unknown.join(', ')}`);
      if (options.header !== 'name' && options.header !== 'key')
        throw new CliError('--header is name or key');
      const output: Writable = options.output ? fs.createWriteStream(options.output) : process.stdout;
      const target = resolveTarget(options);
      if (target.kind === 'remote') {
        const tableId = await findRemoteTable(target, table);
        const query = new URLSearchParams({ header: options.header, bom: String(options.bom) });
        if (options.columns) query.set('columns', options.columns);
        if (include.length > 0) query.set('include', include.join(','));
        const response = await remoteFetch(target, `/v1/tables/${tableId}/export.csv?${query.toString()}`);
        await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), output);
        return;
      }
      await withLocalStore(target.workspace, async (store, workspaceId) => {
        const tableId = await findLocalTable(store, workspaceId, table);
        const { csv } = await exportCsv(store, workspaceId, tableId, {
          columns: options.columns?.split(',').map((key) => key.trim()),
          header: options.header,
          extras: include.filter((field): field is CsvExtra => field !== 'row_id'),
          rowId: include.includes('row_id'),
          bom: options.bom,
        });
        await pipeline(csv, output);
      });
    });
}

function printImportReport(report: CsvImportReport & { runId: string | null }, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const created = report.headers.filter((header) => header.created).map((header) => header.key);
  const lines = [`imported ${report.imported.toLocaleString('en')} rows`];
  if (created.length > 0) lines.push(`added input columns: ${created.join(', ')}`);
  for (const header of report.headers.filter((entry) => entry.ignored)) {
    lines.push(`ignored column '${header.header}': ${header.ignored}`);
  }
  if (report.errorCount > 0) {
    lines.push(`skipped ${report.errorCount} bad line(s):`);
    for (const error of report.errors) lines.push(`  line ${error.line}: ${error.message}`);
    if (report.errorCount > report.errors.length)
      lines.push(`  … and ${report.errorCount - report.errors.length} more`);
  }
  if (report.runId) lines.push(`run ${report.runId} queued`);
  process.stderr.write(`${lines.join('\n')}\n`);
}
