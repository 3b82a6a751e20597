import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { toWireStatus } from '../../domain/cell-status.ts';
import { isInputKind } from '../../domain/columns.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Store } from '../../engine/ports.ts';
import type { AuthEnv } from '../shared/auth.ts';
import { INVALID, json, jsonBody, NOT_FOUND, SECURITY, UNAUTHORIZED } from './responses.ts';
import {
  CellDetailOutputSchema,
  CellParamsSchema,
  RowIdParamsSchema,
  RowOutputSchema,
  RowsCreateInputSchema,
  RowsDeleteInputSchema,
  RowsDeleteOutputSchema,
  RowsPatchInputSchema,
  TableIdParamsSchema,
} from './schemas.ts';
import { createRowRenderer } from './serialize.ts';
import { z } from '@hono/zod-openapi';

const RowListSchema = z.array(RowOutputSchema);

const addRows = createRoute({
  method: 'post',
  path: '/v1/tables/{table_id}/rows',
  tags: ['rows'],
  summary: 'Create Table Rows',
  description:
    'Appends 1–1000 rows. Values go in `data`, keyed by input column key. `run: true` starts a run (mode new) over the new rows.',
  security: SECURITY,
  request: { params: TableIdParamsSchema, body: jsonBody(RowsCreateInputSchema) },
  responses: { 200: json(RowListSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const patchRows = createRoute({
  method: 'patch',
  path: '/v1/tables/{table_id}/rows',
  tags: ['rows'],
  summary: 'Update Table Rows',
  description:
    'Merges `data` into the rows named by `id`; a row without `id` is created. Changed input values make dependent cells stale.',
  security: SECURITY,
  request: { params: TableIdParamsSchema, body: jsonBody(RowsPatchInputSchema) },
  responses: { 200: json(RowListSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const deleteRows = createRoute({
  method: 'delete',
  path: '/v1/tables/{table_id}/rows',
  tags: ['rows'],
  summary: 'Delete Table Rows',
  security: SECURITY,
  request: { params: TableIdParamsSchema, body: jsonBody(RowsDeleteInputSchema) },
  responses: { 200: json(RowsDeleteOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const getRow = createRoute({
  method: 'get',
  path: '/v1/tables/{table_id}/rows/{row_id}',
  tags: ['rows'],
  summary: 'Get Table Row',
  security: SECURITY,
  request: { params: RowIdParamsSchema },
  responses: { 200: json(RowOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const getCell = createRoute({
  method: 'get',
  path: '/v1/tables/{table_id}/rows/{row_id}/cells/{column}',
  tags: ['rows'],
  summary: 'Get Cell (ext)',
  description:
    "One computed cell in full, by column key or ID: status, value (with a waterfall's `steps`), error, reason, and what the cell form leaves out: attempts, cost and usage (tokens, searches, pages, timings).",
  security: SECURITY,
  request: { params: CellParamsSchema },
  responses: { 200: json(CellDetailOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

/** `run: true`: a run in mode new over exactly these rows. */
async function runRows(
  engine: Engine,
  workspaceId: string,
  tableId: string,
  rowIds: string[],
): Promise<void> {
  await engine.startRun(workspaceId, tableId, { mode: 'new', rowIds, columnIds: null });
}

export function registerRowRoutes(app: OpenAPIHono<AuthEnv>, store: Store, engine: Engine): void {
  app.openapi(addRows, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    const body = c.req.valid('json');
    const result = await store.insertRows(c.get('workspace').id, tableId, body.rows);
    const written = result.rows.map(({ row }) => row.id);
    if (body.run) await runRows(engine, c.get('workspace').id, tableId, written);
    else await engine.onRowsWritten(c.get('workspace').id, tableId, written, 'inserted');
    return c.json(result.rows.map(createRowRenderer(result.columns)), 200);
  });

  app.openapi(patchRows, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    const body = c.req.valid('json');
    const result = await store.updateRows(c.get('workspace').id, tableId, body.rows);
    const written = result.rows.map(({ row }) => row.id);
    if (body.run) await runRows(engine, c.get('workspace').id, tableId, written);
    else await engine.onRowsWritten(c.get('workspace').id, tableId, written, 'updated');
    return c.json(result.rows.map(createRowRenderer(result.columns)), 200);
  });

  app.openapi(deleteRows, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    const body = c.req.valid('json');
    return c.json({ deleted: await store.deleteRows(c.get('workspace').id, tableId, body.rows) }, 200);
  });

  app.openapi(getRow, async (c) => {
    const { table_id: tableId, row_id: rowId } = c.req.valid('param');
    const result = await store.getRow(c.get('workspace').id, tableId, rowId);
    return c.json(createRowRenderer(result.columns)(result.rows[0]!), 200);
  });

  app.openapi(getCell, async (c) => {
    const { table_id: tableId, row_id: rowId, column: reference } = c.req.valid('param');
    const result = await store.getRow(c.get('workspace').id, tableId, rowId);
    const column = result.columns.find(
      (candidate) => candidate.config.key === reference || candidate.id === reference,
    );
    if (!column || isInputKind(column.config.kind)) throw new NotFoundError('column', reference);
    const cell = result.rows[0]!.cells.find((candidate) => candidate.columnId === column.id);
    const usage = cell?.usage;
    return c.json(
      {
        row_id: rowId,
        column_id: column.id,
        column_key: column.config.key,
        status: cell ? toWireStatus(cell.status) : null,
        value: cell?.value ?? null,
        error: cell?.error ?? null,
        reason: cell?.reason ?? null,
        attempts: cell?.attempts ?? 0,
        cost: cell?.cost ?? 0,
        usage: usage
          ? {
              input_tokens: usage.inputTokens,
              output_tokens: usage.outputTokens,
              searches: usage.searches,
              pages_fetched: usage.pagesFetched,
              cached: usage.cached,
              timings_ms: usage.timingsMs,
            }
          : null,
        updated_at: cell?.updatedAt ?? null,
      },
      200,
    );
  });
}
