import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ColumnConfigSchema } from '../../domain/columns.ts';
import type { Store } from '../../engine/ports.ts';
import type { AuthEnv } from '../shared/auth.ts';
import { UNMETERED_CREDITS } from '../extruct/user.ts';
import { DATABAR, ERRORS, json, jsonBody, TableParamsSchema, tableIdOf } from './common.ts';
import { keyFor, uniqueName } from '../../domain/column-names.ts';
import { columnOutput, tableOutput } from './present.ts';
import {
  ColumnCreateSchema,
  ColumnSchema,
  TableCreateSchema,
  TableRenameSchema,
  TableSchema,
  UserMeSchema,
} from './schemas.ts';

const userMe = createRoute({
  ...DATABAR,
  method: 'get',
  path: '/v1/user/me',
  summary: 'Get user info',
  responses: { 200: json(UserMeSchema), ...ERRORS },
});

const createTable = createRoute({
  ...DATABAR,
  method: 'post',
  path: '/v1/table/create',
  summary: 'Create a table',
  description: 'Optionally with input columns (by name) and a number of empty rows.',
  request: { body: jsonBody(TableCreateSchema.nullable()) },
  responses: { 200: json(TableSchema), ...ERRORS },
});

const listTables = createRoute({
  ...DATABAR,
  method: 'get',
  path: '/v1/table/',
  summary: 'List tables',
  responses: { 200: json(z.array(TableSchema)), ...ERRORS },
});

const renameTable = createRoute({
  ...DATABAR,
  method: 'patch',
  path: '/v1/table/{table_uuid}',
  summary: 'Rename a table',
  request: { params: TableParamsSchema, body: jsonBody(TableRenameSchema) },
  responses: { 200: json(TableSchema), ...ERRORS },
});

const deleteTable = createRoute({
  ...DATABAR,
  method: 'delete',
  path: '/v1/table/{table_uuid}',
  summary: 'Delete a table',
  request: { params: TableParamsSchema },
  responses: { 200: json(TableSchema), ...ERRORS },
});

const listColumns = createRoute({
  ...DATABAR,
  method: 'get',
  path: '/v1/table/{table_uuid}/columns',
  summary: 'List columns',
  request: { params: TableParamsSchema },
  responses: { 200: json(z.array(ColumnSchema)), ...ERRORS },
});

const createColumn = createRoute({
  ...DATABAR,
  method: 'post',
  path: '/v1/table/{table_uuid}/columns',
  summary: 'Create a column',
  request: { params: TableParamsSchema, body: jsonBody(ColumnCreateSchema) },
  responses: { 200: json(ColumnSchema), ...ERRORS },
});

export function registerTableRoutes(app: OpenAPIHono<AuthEnv>, store: Store): void {
  const origin = (url: string) => new URL(url).origin;

  app.openapi(userMe, (c) => {
    const workspace = c.get('workspace');
    return c.json(
      {
        first_name: workspace.ownerEmail.split('@')[0] ?? '',
        email: workspace.ownerEmail,
        balance: UNMETERED_CREDITS,
        plan: 'self-hosted',
        workspace: workspace.id,
      },
      200,
    );
  });

  app.openapi(createTable, async (c) => {
    const body = c.req.valid('json') ?? {};
    const keys = new Set<string>();
    const names = new Set<string>();
    const detail = await store.createTable(c.get('workspace').id, {
      name: body.name ?? 'Untitled Table',
      description: null,
      tags: null,
      kind: 'generic',
      notify: false,
      settings: { exclude_from_search: false },
      columns: (body.columns ?? []).map((name) => {
        const unique = uniqueName(name, names);
        return ColumnConfigSchema.parse({ kind: 'input', name: unique, key: keyFor(unique, keys) });
      }),
    });
    if (body.rows) {
      for (let start = 0; start < body.rows; start += 1000) {
        const count = Math.min(1000, body.rows - start);
        await store.insertRows(
          c.get('workspace').id,
          detail.table.id,
          Array.from({ length: count }, () => ({ data: {} })),
        );
      }
    }
    const { table } = await store.getTable(c.get('workspace').id, detail.table.id);
    return c.json(tableOutput(table, origin(c.req.url)), 200);
  });

  app.openapi(listTables, async (c) => {
    const tables = [];
    for (let offset = 0; ; offset += 100) {
      const page = await store.listTables(c.get('workspace').id, { sort: '-created_at', offset, limit: 100 });
      tables.push(...page.items);
      if (page.items.length < 100) break;
    }
    return c.json(
      tables.map((table) => tableOutput(table, origin(c.req.url))),
      200,
    );
  });

  app.openapi(renameTable, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const detail = await store.updateTable(c.get('workspace').id, tableId, {
      name: c.req.valid('json').name,
    });
    return c.json(tableOutput(detail.table, origin(c.req.url)), 200);
  });

  app.openapi(deleteTable, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const detail = await store.deleteTable(c.get('workspace').id, tableId);
    return c.json(tableOutput(detail.table, origin(c.req.url)), 200);
  });

  app.openapi(listColumns, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const { columns } = await store.getTable(c.get('workspace').id, tableId);
    return c.json(
      columns.map((column) => columnOutput(column, columns)),
      200,
    );
  });

  app.openapi(createColumn, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const workspaceId = c.get('workspace').id;
    const { columns } = await store.getTable(workspaceId, tableId);
    const key = keyFor(c.req.valid('json').name, new Set(columns.map((column) => column.config.key)));
    const [created] = await store.addColumns(
      workspaceId,
      tableId,
      [ColumnConfigSchema.parse({ kind: 'input', name: c.req.valid('json').name, key })],
      { at: 'end' },
    );
    return c.json(columnOutput(created!, [...columns, created!]), 200);
  });
}
