import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Run } from '../../domain/runs.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Store } from '../../engine/ports.ts';
import type { AuthEnv } from '../shared/auth.ts';
import { INVALID, json, jsonBody, NOT_FOUND, SECURITY, UNAUTHORIZED } from './responses.ts';
import {
  ColumnStatsOutputSchema,
  DataQuerySchema,
  RunIdParamsSchema,
  RunListOutputSchema,
  RunOutputSchema,
  TableIdParamsSchema,
  TableRunOutputSchema,
  TableRunParamsInputSchema,
} from './schemas.ts';
import type { z } from '@hono/zod-openapi';

const runTable = createRoute({
  method: 'post',
  path: '/v1/tables/{table_id}/run',
  tags: ['tables'],
  summary: 'Run Table',
  description:
    'Initiate a table run, optionally for a selected range of rows and/or columns. Track it with GET /v1/tables/{table_id}: complete when run_status=idle and num_cells_in_progress=0.',
  security: SECURITY,
  request: { params: TableIdParamsSchema, body: jsonBody(TableRunParamsInputSchema.nullable()) },
  responses: { 200: json(TableRunOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const listRuns = createRoute({
  method: 'get',
  path: '/v1/tables/{table_id}/runs',
  tags: ['runs'],
  summary: 'List Runs (ext)',
  security: SECURITY,
  request: { params: TableIdParamsSchema, query: DataQuerySchema },
  responses: { 200: json(RunListOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const getRun = createRoute({
  method: 'get',
  path: '/v1/tables/{table_id}/runs/{run_id}',
  tags: ['runs'],
  summary: 'Get Run (ext)',
  description: 'A run with its cells counted by status and its cost.',
  security: SECURITY,
  request: { params: RunIdParamsSchema },
  responses: { 200: json(RunOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const cancelRun = createRoute({
  method: 'post',
  path: '/v1/tables/{table_id}/runs/{run_id}/cancel',
  tags: ['runs'],
  summary: 'Cancel Run (ext)',
  description: 'Queued cells end cancelled; running ones are abandoned without a charge.',
  security: SECURITY,
  request: { params: RunIdParamsSchema },
  responses: { 200: json(RunOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

export function tableRunOutput(run: Run): z.infer<typeof TableRunOutputSchema> {
  return {
    id: run.id,
    created_at: run.createdAt,
    // Seed 000 has no `cancelled`: a cancelled run is over, as `done` says.
    status: run.status === 'cancelled' ? 'done' : run.status,
    rows: run.rowIds,
    columns: run.columnIds,
    num_requested_cells: run.numRequestedCells,
    mode: run.mode,
  };
}

export function runOutput(run: Run): z.infer<typeof RunOutputSchema> {
  return {
    ...tableRunOutput(run),
    status: run.status,
    finished_at: run.finishedAt,
    counts: run.counts,
    cost: run.cost,
    max_cost: run.maxCost,
  };
}

const columnStats = createRoute({
  method: 'get',
  path: '/v1/tables/{table_id}/column_stats',
  tags: ['tables'],
  summary: 'Column Stats (ext)',
  description:
    "Each computed column's cells by status over the whole table, with their cost: the progress a grid header shows.",
  security: SECURITY,
  request: { params: TableIdParamsSchema },
  responses: { 200: json(ColumnStatsOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

export function registerRunRoutes(app: OpenAPIHono<AuthEnv>, store: Store, engine: Engine): void {
  app.openapi(columnStats, async (c) => {
    const stats = await store.columnStats(c.get('workspace').id, c.req.valid('param').table_id);
    return c.json(
      {
        num_rows: stats.numRows,
        columns: stats.columns.map(({ columnId, counts, cost }) => {
          const planned = Object.values(counts).reduce((sum, count) => sum + count, 0);
          return {
            column_id: columnId,
            counts: {
              requested: counts.queued,
              in_progress: counts.running,
              done: counts.done,
              failed: counts.failed,
              skipped: counts.skipped,
              cancelled: counts.cancelled,
              stale: counts.stale,
              not_run: Math.max(0, stats.numRows - planned),
            },
            cost,
          };
        }),
      },
      200,
    );
  });

  app.openapi(runTable, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    const params = c.req.valid('json') ?? TableRunParamsInputSchema.parse({});
    const run = await engine.startRun(c.get('workspace').id, tableId, {
      mode: params.mode,
      rowIds: params.rows ?? null,
      columnIds: params.columns ?? null,
    });
    return c.json(tableRunOutput(run), 200);
  });

  app.openapi(listRuns, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    const page = c.req.valid('query');
    const { items } = await store.listRuns(c.get('workspace').id, tableId, page);
    return c.json({ items: items.map(runOutput), offset: page.offset, limit: page.limit }, 200);
  });

  app.openapi(getRun, async (c) => {
    const { table_id: tableId, run_id: runId } = c.req.valid('param');
    return c.json(runOutput(await store.getRun(c.get('workspace').id, tableId, runId)), 200);
  });

  app.openapi(cancelRun, async (c) => {
    const { table_id: tableId, run_id: runId } = c.req.valid('param');
    return c.json(runOutput(await engine.cancelRun(c.get('workspace').id, tableId, runId)), 200);
  });
}
