import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { ColumnConfigSchema } from '../../domain/columns.ts';
import { isUuid } from '../../domain/ids.ts';
import type { Column } from '../../domain/model.ts';
import type { Engine } from '../../engine/engine.ts';
import type { RowFilter, RowFilterOperator, Store } from '../../engine/ports.ts';
import type { AuthEnv } from '../shared/auth.ts';
import { ApiError, validationFailed } from '../shared/errors.ts';
import { DATABAR, ERRORS, json, jsonBody, TableParamsSchema, tableIdOf } from './common.ts';
import { keyFor } from '../../domain/column-names.ts';
import { findColumn, rowData } from './present.ts';
import {
  DetailSchema,
  RowsDeletedSchema,
  RowsDeleteSchema,
  RowsInsertResultSchema,
  RowsInsertSchema,
  RowsPageSchema,
  RowsPatchResultSchema,
  RowsPatchSchema,
  RowsQuerySchema,
  RowsUpsertResultSchema,
  RowsUpsertSchema,
} from './schemas.ts';

/** Databar's batch limit for row writes. */
const MAX_BATCH = 500;
const OPERATORS: readonly RowFilterOperator[] = [
  'equals',
  'contains',
  'not_equals',
  'is_empty',
  'is_not_empty',
];

const getRows = createRoute({
  ...DATABAR,
  method: 'get',
  path: '/v1/table/{table_uuid}/rows',
  summary: 'Get rows',
  description: 'Rows by page, each `{id, <column name>: value}`; `filter` combines conditions with AND.',
  request: { params: TableParamsSchema, query: RowsQuerySchema },
  responses: { 200: json(RowsPageSchema), 400: json(DetailSchema, 'UNKNOWN_COLUMNS in a filter'), ...ERRORS },
});

const insertRows = createRoute({
  ...DATABAR,
  method: 'post',
  path: '/v1/table/{table_uuid}/rows',
  summary: 'Insert rows',
  description: `Up to ${MAX_BATCH} rows, fields by column name; optional new columns and de-duplication by key columns.`,
  request: { params: TableParamsSchema, body: jsonBody(RowsInsertSchema) },
  responses: {
    200: json(RowsInsertResultSchema),
    400: json(DetailSchema, 'BATCH_TOO_LARGE, UNKNOWN_COLUMNS or INVALID_DATA'),
    ...ERRORS,
  },
});

const patchRows = createRoute({
  ...DATABAR,
  method: 'patch',
  path: '/v1/table/{table_uuid}/rows',
  summary: 'Update rows',
  description: 'Per-row results: rows that cannot be updated are reported, the others are applied.',
  request: { params: TableParamsSchema, body: jsonBody(RowsPatchSchema) },
  responses: {
    200: json(RowsPatchResultSchema),
    400: json(DetailSchema, 'BATCH_TOO_LARGE, UNKNOWN_COLUMNS or INVALID_DATA'),
    ...ERRORS,
  },
});

const upsertRows = createRoute({
  ...DATABAR,
  method: 'post',
  path: '/v1/table/{table_uuid}/rows/upsert',
  summary: 'Upsert rows by key',
  request: { params: TableParamsSchema, body: jsonBody(RowsUpsertSchema) },
  responses: {
    200: json(RowsUpsertResultSchema),
    400: json(DetailSchema, 'BATCH_TOO_LARGE, UNKNOWN_COLUMNS or INVALID_DATA'),
    ...ERRORS,
  },
});

const deleteRows = createRoute({
  ...DATABAR,
  method: 'post',
  path: '/v1/table/{table_uuid}/rows/delete',
  summary: 'Delete rows',
  request: { params: TableParamsSchema, body: jsonBody(RowsDeleteSchema) },
  responses: { 200: json(RowsDeletedSchema), ...ERRORS },
});

function checkBatch(size: number): void {
  if (size > MAX_BATCH)
    throw new ApiError(400, `BATCH_TOO_LARGE: at most ${MAX_BATCH} rows per request, got ${size}`);
}

/** Fields by column name → data by input column key; unknown names and computed columns are refused. */
function toData(
  columns: Column[],
  fields: Record<string, unknown>,
  unknown: Set<string>,
  computed: Set<string>,
): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    const column = findColumn(columns, name);
    if (!column) unknown.add(name);
    else if (column.config.kind !== 'input') computed.add(name);
    else data[column.config.key] = value;
  }
  return data;
}

function refuseFields(unknown: Set<string>, computed: Set<string>): void {
  if (unknown.size > 0) {
    throw new ApiError(
      400,
      `UNKNOWN_COLUMNS: no column named ${[...unknown].map((name) => `'${name}'`).join(', ')} (set options.allow_new_columns to create them)`,
    );
  }
  if (computed.size > 0) {
    throw new ApiError(
      400,
      `INVALID_DATA: ${[...computed].map((name) => `'${name}'`).join(', ')} ${computed.size === 1 ? 'is an enrichment result' : 'are enrichment results'}, not input columns`,
    );
  }
}

/** The `filter` query parameter: `{"column": {"operator": value}}`, AND-ed. */
function parseFilter(raw: string | undefined, columns: Column[]): RowFilter[] {
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw validationFailed([
      { loc: ['query', 'filter'], msg: 'filter must be a JSON object', type: 'json_invalid' },
    ]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw validationFailed([
      { loc: ['query', 'filter'], msg: 'filter must be a JSON object', type: 'dict_type' },
    ]);
  }
  const filters: RowFilter[] = [];
  for (const [name, condition] of Object.entries(parsed as Record<string, unknown>)) {
    const column = findColumn(columns, name);
    if (!column) throw new ApiError(400, `UNKNOWN_COLUMNS: no column named '${name}'`);
    const entries =
      condition !== null && typeof condition === 'object'
        ? Object.entries(condition as Record<string, unknown>)
        : [];
    if (entries.length === 0) {
      throw validationFailed([
        { loc: ['query', 'filter', name], msg: `Use one of ${OPERATORS.join(', ')}`, type: 'value_error' },
      ]);
    }
    for (const [operator, value] of entries) {
      if (!OPERATORS.includes(operator as RowFilterOperator)) {
        throw validationFailed([
          {
            loc: ['query', 'filter', name, operator],
            msg: `Unknown operator; use one of ${OPERATORS.join(', ')}`,
            type: 'enum',
          },
        ]);
      }
      filters.push({
        columnId: column.id,
        computed: column.config.kind !== 'input',
        operator: operator as RowFilterOperator,
        value,
      });
    }
  }
  return filters;
}

export function registerRowRoutes(app: OpenAPIHono<AuthEnv>, store: Store, engine: Engine): void {
  app.openapi(getRows, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const query = c.req.valid('query');
    const workspaceId = c.get('workspace').id;
    const { columns } = await store.getTable(workspaceId, tableId);
    const result = await store.findRows(workspaceId, tableId, {
      filters: parseFilter(query.filter, columns),
      offset: (query.page - 1) * query.per_page,
      limit: query.per_page,
    });
    return c.json(
      {
        data: result.rows.map((row) => ({ id: row.row.id, ...rowData(result.columns, row) })),
        has_next_page: query.page * query.per_page < result.total,
        total_count: result.total,
        page: query.page,
      },
      200,
    );
  });

  app.openapi(insertRows, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const body = c.req.valid('json');
    const workspaceId = c.get('workspace').id;
    checkBatch(body.rows.length);
    let { columns } = await store.getTable(workspaceId, tableId);
    if (body.options?.allow_new_columns) {
      const names = new Set(
        body.rows.flatMap((row) => Object.keys(row.fields)).filter((name) => !findColumn(columns, name)),
      );
      if (names.size > 0) {
        const keys = new Set(columns.map((column) => column.config.key));
        const added = await store.addColumns(
          workspaceId,
          tableId,
          [...names].map((name) =>
            ColumnConfigSchema.parse({ kind: 'input', name, key: keyFor(name, keys) }),
          ),
          { at: 'end' },
        );
        columns = [...columns, ...added];
      }
    }
    const unknown = new Set<string>();
    const computed = new Set<string>();
    const data = body.rows.map((row) => toData(columns, row.fields, unknown, computed));
    refuseFields(unknown, computed);

    // De-duplication: by the key columns' values, against the table and within the batch.
    const dedupe = body.options?.dedupe?.enabled ? body.options.dedupe.keys : [];
    const keyColumns = dedupe.map((name) => findColumn(columns, name));
    if (keyColumns.some((column) => !column || column.config.kind !== 'input')) {
      throw new ApiError(400, `UNKNOWN_COLUMNS: dedupe keys must name input columns (${dedupe.join(', ')})`);
    }
    const tupleOf = (values: Record<string, unknown>) =>
      keyColumns.map((column) => values[column!.config.key] ?? null);
    const existing =
      keyColumns.length > 0
        ? await store.findRowsByValues(
            workspaceId,
            tableId,
            keyColumns.map((column) => column!.id),
            data.map(tupleOf),
          )
        : new Map<string, string>();
    const signature = (values: Record<string, unknown>) =>
      JSON.stringify(
        tupleOf(values).map((value) =>
          value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value),
        ),
      );
    const plan: { index: number; duplicateOf?: string; signature?: string }[] = [];
    const seen = new Map<string, number>();
    data.forEach((values, index) => {
      if (keyColumns.length === 0) return plan.push({ index });
      const key = signature(values);
      const known = existing.get(key);
      if (known) return plan.push({ index, duplicateOf: known });
      if (seen.has(key)) return plan.push({ index, signature: key, duplicateOf: '' });
      seen.set(key, index);
      return plan.push({ index, signature: key });
    });
    const toCreate = plan.filter((item) => item.duplicateOf === undefined);
    const created =
      toCreate.length > 0
        ? await store.insertRows(
            workspaceId,
            tableId,
            toCreate.map((item) => ({ data: data[item.index]! })),
          )
        : { rows: [], columns };
    const createdByIndex = new Map(toCreate.map((item, position) => [item.index, created.rows[position]!]));
    const createdBySignature = new Map(
      toCreate.flatMap((item) =>
        item.signature ? [[item.signature, createdByIndex.get(item.index)!.row.id] as const] : [],
      ),
    );
    const results = [];
    for (const item of plan) {
      const fresh = createdByIndex.get(item.index);
      if (fresh) {
        results.push({
          index: item.index,
          id: fresh.row.id,
          action: 'created' as const,
          row_data: rowData(created.columns, fresh),
        });
      } else {
        const id = item.duplicateOf || createdBySignature.get(item.signature!)!;
        const { rows } = await store.getRow(workspaceId, tableId, id);
        results.push({
          index: item.index,
          id,
          action: 'skipped_duplicate' as const,
          row_data: rowData(columns, rows[0]!),
        });
      }
    }
    if (created.rows.length > 0)
      await engine.onRowsWritten(
        workspaceId,
        tableId,
        created.rows.map(({ row }) => row.id),
        'inserted',
      );
    return c.json({ results }, 200);
  });

  app.openapi(patchRows, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const body = c.req.valid('json');
    const workspaceId = c.get('workspace').id;
    checkBatch(body.rows.length);
    const { columns } = await store.getTable(workspaceId, tableId);
    const unknown = new Set<string>();
    const computed = new Set<string>();
    const data = body.rows.map((row) => toData(columns, row.fields, unknown, computed));
    refuseFields(unknown, computed);
    const results: { id: string; ok: boolean; error?: string; row_data?: Record<string, unknown> }[] = [];
    const updates: { id: string; data: Record<string, unknown> }[] = [];
    const ids = body.rows.map((row) => row.id);
    const found = new Set(
      (
        await Promise.all(
          ids.filter(isUuid).map((id) =>
            store.getRow(workspaceId, tableId, id).then(
              ({ rows }) => rows[0]!,
              () => undefined,
            ),
          ),
        )
      )
        .filter((row) => row !== undefined)
        .map((row) => row.row.id),
    );
    const current = new Map<string, Record<string, unknown>>();
    for (const [index, row] of body.rows.entries()) {
      if (!found.has(row.id)) {
        results.push({ id: row.id, ok: false, error: 'Row not found' });
        continue;
      }
      let values = data[index]!;
      if (!body.overwrite) {
        // overwrite=false fills only what is empty.
        const { rows } = await store.getRow(workspaceId, tableId, row.id);
        const existing = rows[0]!.row.values;
        current.set(row.id, existing);
        values = Object.fromEntries(
          Object.entries(values).filter(([key]) => {
            const column = columns.find((candidate) => candidate.config.key === key)!;
            const before = existing[column.id];
            return before === undefined || before === null || before === '';
          }),
        );
      }
      updates.push({ id: row.id, data: values });
      results.push({ id: row.id, ok: true });
    }
    if (updates.length > 0) {
      const written = await store.updateRows(workspaceId, tableId, updates);
      if (body.return_rows) {
        const byId = new Map(written.rows.map((row) => [row.row.id, row]));
        for (const result of results)
          if (result.ok) result.row_data = rowData(written.columns, byId.get(result.id)!);
      }
      await engine.onRowsWritten(
        workspaceId,
        tableId,
        updates.map((update) => update.id),
        'updated',
      );
    }
    return c.json({ results }, 200);
  });

  app.openapi(upsertRows, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const body = c.req.valid('json');
    const workspaceId = c.get('workspace').id;
    checkBatch(body.rows.length);
    const { columns } = await store.getTable(workspaceId, tableId);
    const unknown = new Set<string>();
    const computed = new Set<string>();
    const items = body.rows.map((row) => ({
      key: toData(columns, row.key, unknown, computed),
      fields: toData(columns, row.fields, unknown, computed),
    }));
    refuseFields(unknown, computed);
    const results: {
      index: number;
      id: string | null;
      action: 'created' | 'updated' | null;
      ok: boolean;
      error?: string;
    }[] = [];
    const inserted: string[] = [];
    const updated: string[] = [];
    for (const [index, item] of items.entries()) {
      const keyNames = Object.keys(item.key);
      if (keyNames.length === 0) {
        results.push({
          index,
          id: null,
          action: null,
          ok: false,
          error: 'INVALID_DATA: key must name at least one input column',
        });
        continue;
      }
      const keyColumns = keyNames.map((key) => columns.find((column) => column.config.key === key)!);
      const tuple = keyNames.map((key) => item.key[key]);
      const found = await store.findRowsByValues(
        workspaceId,
        tableId,
        keyColumns.map((column) => column.id),
        [tuple],
      );
      const match = [...found.values()][0];
      if (match) {
        await store.updateRows(workspaceId, tableId, [{ id: match, data: { ...item.key, ...item.fields } }]);
        updated.push(match);
        results.push({ index, id: match, action: 'updated', ok: true });
      } else {
        const { rows } = await store.insertRows(workspaceId, tableId, [
          { data: { ...item.key, ...item.fields } },
        ]);
        inserted.push(rows[0]!.row.id);
        results.push({ index, id: rows[0]!.row.id, action: 'created', ok: true });
      }
    }
    if (inserted.length > 0) await engine.onRowsWritten(workspaceId, tableId, inserted, 'inserted');
    if (updated.length > 0) await engine.onRowsWritten(workspaceId, tableId, updated, 'updated');
    return c.json({ results }, 200);
  });

  app.openapi(deleteRows, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const body = c.req.valid('json');
    const deleted = await store.deleteRows(c.get('workspace').id, tableId, body.row_ids.filter(isUuid));
    return c.json({ deleted }, 200);
  });
}
