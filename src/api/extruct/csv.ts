import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { exportCsv } from '../../engine/csv-export.ts';
import { importCsv } from '../../engine/csv-import.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Store } from '../../engine/ports.ts';
import type { AuthEnv } from '../shared/auth.ts';
import { INVALID, json, NOT_FOUND, SECURITY, UNAUTHORIZED } from './responses.ts';
import {
  CsvExportQuerySchema,
  CsvImportOutputSchema,
  CsvImportQuerySchema,
  TableIdParamsSchema,
} from './schemas.ts';

const importRoute = createRoute({
  method: 'post',
  path: '/v1/tables/{table_id}/import',
  tags: ['rows'],
  summary: 'Import CSV (ext)',
  description: [
    'Streams a CSV body (`text/csv`, UTF-8, with or without BOM, LF or CRLF) into the table, in constant memory.',
    'The first line names the columns by key or by name; each later line becomes a row.',
    'A malformed line is skipped and reported with its line number; the import goes on.',
    'Values of computed columns are not imported (their headers are reported as ignored).',
  ].join(' '),
  security: SECURITY,
  request: {
    params: TableIdParamsSchema,
    query: CsvImportQuerySchema,
    body: { required: true, content: { 'text/csv': { schema: z.string() } } },
  },
  responses: { 200: json(CsvImportOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const exportRoute = createRoute({
  method: 'get',
  path: '/v1/tables/{table_id}/export.csv',
  tags: ['rows'],
  summary: 'Export CSV (ext)',
  description: [
    "Streams every row as CSV (RFC 4180, CRLF): inputs as given, computed cells' answers (lists as `a, b`, objects as JSON).",
    "Text a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) is prefixed with `'`.",
  ].join(' '),
  security: SECURITY,
  request: { params: TableIdParamsSchema, query: CsvExportQuerySchema },
  responses: {
    200: { description: 'The table as CSV', content: { 'text/csv': { schema: z.string() } } },
    ...UNAUTHORIZED,
    ...NOT_FOUND,
    ...INVALID,
  },
});

export function registerCsvRoutes(app: OpenAPIHono<AuthEnv>, store: Store, engine: Engine): void {
  app.openapi(importRoute, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    const query = c.req.valid('query');
    const workspaceId = c.get('workspace').id;
    // Before reading the body: an unknown table is a 404 whatever was sent.
    await store.getTable(workspaceId, tableId);
    const body = c.req.raw.body;
    const input = body ? Readable.fromWeb(body as WebReadableStream<Uint8Array>) : Readable.from([]);
    const report = await importCsv(store, workspaceId, tableId, input, {
      createColumns: query.create_columns,
    });
    const run =
      query.run && report.imported > 0
        ? await engine.startRun(workspaceId, tableId, { mode: 'new', rowIds: null, columnIds: null })
        : undefined;
    return c.json(
      {
        imported: report.imported,
        headers: report.headers,
        errors: report.errors,
        error_count: report.errorCount,
        run_id: run?.id ?? null,
      },
      200,
    );
  });

  app.openapi(exportRoute, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    const query = c.req.valid('query');
    const extras = query.include.filter((field) => field !== 'row_id');
    const { table, csv } = await exportCsv(store, c.get('workspace').id, tableId, {
      columns: query.columns,
      header: query.header,
      extras,
      rowId: query.include.includes('row_id'),
      bom: query.bom,
    });
    return new Response(Readable.toWeb(csv) as ReadableStream, {
      status: 200,
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': contentDisposition(`${table.name}.csv`),
      },
    });
  });
}

/** `attachment` with an ASCII fallback name and the exact UTF-8 one (RFC 6266). */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
