import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Run } from '../../domain/runs.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Store } from '../../engine/ports.ts';
import type { AuthEnv } from '../shared/auth.ts';
import { INVALID, json, jsonBody, NOT_FOUND, SECURITY, UNAUTHORIZED } from './responses.ts';
import {
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

export function registerRunRoutes(app: OpenAPIHono<AuthEnv>, store: Store, engine: Engine): void {
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
