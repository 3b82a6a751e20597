import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ColumnConfigSchema } from '../../domain/columns.ts';
import type { ColumnPlacement, Store } from '../../engine/ports.ts';
import type { AuthEnv } from '../shared/auth.ts';
import { INVALID, json, jsonBody, NOT_FOUND, SECURITY, UNAUTHORIZED } from './responses.ts';
import {
  ColumnIdParamsSchema,
  ColumnOutputSchema,
  ColumnsCreateInputSchema,
  TableIdParamsSchema,
} from './schemas.ts';
import { columnOutput } from './serialize.ts';

const addColumns = createRoute({
  method: 'post',
  path: '/v1/tables/{table_id}/columns',
  tags: ['columns'],
  summary: 'Create Table Columns',
  security: SECURITY,
  request: { params: TableIdParamsSchema, body: jsonBody(ColumnsCreateInputSchema) },
  responses: { 200: json(z.array(ColumnOutputSchema)), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const patchColumn = createRoute({
  method: 'patch',
  path: '/v1/tables/{table_id}/columns/{column_id}',
  tags: ['columns'],
  summary: 'Update Table Column',
  description:
    "Replaces the column's config. A changed config makes that column's cells (and their dependents) stale.",
  security: SECURITY,
  request: { params: ColumnIdParamsSchema, body: jsonBody(ColumnConfigSchema) },
  responses: { 200: json(ColumnOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const deleteColumn = createRoute({
  method: 'delete',
  path: '/v1/tables/{table_id}/columns/{column_id}',
  tags: ['columns'],
  summary: 'Delete Table Column',
  description: 'Deletes the column and its cells; 422 while another column depends on it.',
  security: SECURITY,
  request: { params: ColumnIdParamsSchema },
  responses: { 200: json(ColumnOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

function placementOf(insertAfter: boolean | string): ColumnPlacement {
  if (insertAfter === true) return { at: 'end' };
  if (insertAfter === false) return { at: 'start' };
  return { afterColumnId: insertAfter };
}

export function registerColumnRoutes(app: OpenAPIHono<AuthEnv>, store: Store): void {
  app.openapi(addColumns, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    const body = c.req.valid('json');
    const columns = await store.addColumns(
      c.get('workspace').id,
      tableId,
      body.column_configs,
      placementOf(body.insert_after),
    );
    return c.json(columns.map(columnOutput), 200);
  });

  app.openapi(patchColumn, async (c) => {
    const { table_id: tableId, column_id: columnId } = c.req.valid('param');
    const column = await store.updateColumn(c.get('workspace').id, tableId, columnId, c.req.valid('json'));
    return c.json(columnOutput(column), 200);
  });

  app.openapi(deleteColumn, async (c) => {
    const { table_id: tableId, column_id: columnId } = c.req.valid('param');
    return c.json(columnOutput(await store.deleteColumn(c.get('workspace').id, tableId, columnId)), 200);
  });
}
