import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Store } from '../../engine/ports.ts';
import type { AuthEnv } from '../shared/auth.ts';
import { INVALID, json, jsonBody, NOT_FOUND, SECURITY, UNAUTHORIZED } from './responses.ts';
import {
  DataQuerySchema,
  TableCreateInputSchema,
  TableDataOutputSchema,
  TableIdParamsSchema,
  TableListOutputSchema,
  TableListQuerySchema,
  TableOutputSchema,
  TablePatchInputSchema,
} from './schemas.ts';
import { createRowRenderer, tableListItem, tableOutput } from './serialize.ts';

const createTable = createRoute({
  method: 'post',
  path: '/v1/tables',
  tags: ['tables'],
  summary: 'Create Table',
  security: SECURITY,
  request: { body: jsonBody(TableCreateInputSchema) },
  responses: { 200: json(TableOutputSchema), ...UNAUTHORIZED, ...INVALID },
});

const listTables = createRoute({
  method: 'get',
  path: '/v1/tables',
  tags: ['tables'],
  summary: 'List Tables',
  description: 'Root tables of your workspace (child tables are reached through their parent).',
  security: SECURITY,
  request: { query: TableListQuerySchema },
  responses: { 200: json(TableListOutputSchema), ...UNAUTHORIZED, ...INVALID },
});

const getTable = createRoute({
  method: 'get',
  path: '/v1/tables/{table_id}',
  tags: ['tables'],
  summary: 'Get Table',
  description:
    'Get table header and status. A run is complete when run_status=idle and num_cells_in_progress=0.',
  security: SECURITY,
  request: { params: TableIdParamsSchema },
  responses: { 200: json(TableOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const patchTable = createRoute({
  method: 'patch',
  path: '/v1/tables/{table_id}',
  tags: ['tables'],
  summary: 'Update Table',
  security: SECURITY,
  request: { params: TableIdParamsSchema, body: jsonBody(TablePatchInputSchema) },
  responses: { 200: json(TableOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const deleteTable = createRoute({
  method: 'delete',
  path: '/v1/tables/{table_id}',
  tags: ['tables'],
  summary: 'Delete Table',
  description: 'Deletes the table with its rows, cells, runs and child tables; returns the deleted table.',
  security: SECURITY,
  request: { params: TableIdParamsSchema },
  responses: { 200: json(TableOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const getTableData = createRoute({
  method: 'get',
  path: '/v1/tables/{table_id}/data',
  tags: ['tables'],
  summary: 'Get Table Data',
  description: 'One page of rows in cell form. Paging ends when fewer than `limit` rows come back.',
  security: SECURITY,
  request: { params: TableIdParamsSchema, query: DataQuerySchema },
  responses: { 200: json(TableDataOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

export function registerTableRoutes(app: OpenAPIHono<AuthEnv>, store: Store): void {
  app.openapi(createTable, async (c) => {
    const body = c.req.valid('json');
    const detail = await store.createTable(c.get('workspace').id, {
      name: body.name,
      description: body.description ?? null,
      tags: body.tags ?? null,
      kind: body.kind,
      notify: body.notify,
      settings: body.settings ?? { exclude_from_search: false },
      columns: body.column_configs ?? [],
    });
    return c.json(tableOutput(detail), 200);
  });

  app.openapi(listTables, async (c) => {
    const query = c.req.valid('query');
    const { items, total } = await store.listTables(c.get('workspace').id, query);
    c.header('x-extruct-pagination-total', String(total));
    c.header('x-extruct-pagination-total-pages', String(Math.ceil(total / query.limit)));
    c.header('x-extruct-pagination-limit', String(query.limit));
    c.header('x-extruct-pagination-offset', String(query.offset));
    c.header('x-extruct-pagination-page', String(Math.floor(query.offset / query.limit) + 1));
    return c.json({ items: items.map(tableListItem), offset: query.offset, limit: query.limit }, 200);
  });

  app.openapi(getTable, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    return c.json(tableOutput(await store.getTable(c.get('workspace').id, tableId)), 200);
  });

  app.openapi(patchTable, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    const body = c.req.valid('json');
    const detail = await store.updateTable(c.get('workspace').id, tableId, body);
    return c.json(tableOutput(detail), 200);
  });

  app.openapi(deleteTable, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    return c.json(tableOutput(await store.deleteTable(c.get('workspace').id, tableId)), 200);
  });

  app.openapi(getTableData, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    const page = c.req.valid('query');
    const data = await store.getTableData(c.get('workspace').id, tableId, page);
    const render = createRowRenderer(data.columns);
    return c.json(
      {
        ...tableOutput(data.detail),
        notify: data.detail.table.notify,
        settings: data.detail.table.settings,
        rows: data.rows.map(render),
      },
      200,
    );
  });
}
