import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { z as zod } from 'zod';
import { ColumnConfigSchema, type ColumnConfig, type ParamSourceSchema } from '../../domain/columns.ts';
import { IssueCollector, NotFoundError, ValidationError } from '../../domain/errors.ts';
import { parseRunCondition } from '../../domain/formula.ts';
import type { Column } from '../../domain/model.ts';
import type { RunMode } from '../../domain/runs.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Store } from '../../engine/ports.ts';
import { connectorDefinition, type Catalog, type EnrichmentDefinition, type WaterfallDefinition } from '../../providers/index.ts';
import { CONNECTOR_ID_OFFSET, type ConnectorSnapshot } from '../../domain/connectors.ts';
import type { AuthEnv } from '../shared/auth.ts';
import { DATABAR, ERRORS, json, jsonBody, TableParamsSchema, tableIdOf } from './common.ts';
import { keyFor, uniqueName } from '../../domain/column-names.ts';
import { findColumn } from './present.ts';
import {
  AddedEnrichmentSchema,
  AddedWaterfallSchema,
  AddEnrichmentSchema,
  AddWaterfallSchema,
  EnrichmentDetailSchema,
  EnrichmentSummarySchema,
  RunEnrichmentRequestSchema,
  RunEnrichmentResponseSchema,
  TableEnrichmentListSchema,
  WaterfallSchema,
} from './schemas.ts';

type ParamSource = zod.output<typeof ParamSourceSchema>;
type MappingInput = zod.output<typeof AddEnrichmentSchema>['mapping'];

const catalogRoute = { ...DATABAR, tags: ['Enrichments'] };

const listEnrichments = createRoute({
  ...catalogRoute,
  method: 'get',
  path: '/v1/enrichments/',
  summary: 'List enrichments',
  responses: { 200: json(z.array(EnrichmentSummarySchema)), ...ERRORS },
});

const getEnrichment = createRoute({
  ...catalogRoute,
  method: 'get',
  path: '/v1/enrichments/{enrichment_id}',
  summary: 'Get an enrichment',
  request: {
    params: z.object({ enrichment_id: z.string().meta({ param: { name: 'enrichment_id', in: 'path' } }) }),
  },
  responses: { 200: json(EnrichmentDetailSchema), ...ERRORS },
});

const listWaterfalls = createRoute({
  ...catalogRoute,
  method: 'get',
  path: '/v1/waterfalls/',
  summary: 'List waterfalls',
  responses: { 200: json(z.array(WaterfallSchema)), ...ERRORS },
});

const getWaterfall = createRoute({
  ...catalogRoute,
  method: 'get',
  path: '/v1/waterfalls/{identifier}',
  summary: 'Get a waterfall',
  request: {
    params: z.object({ identifier: z.string().meta({ param: { name: 'identifier', in: 'path' } }) }),
  },
  responses: { 200: json(WaterfallSchema), ...ERRORS },
});

const addEnrichment = createRoute({
  ...DATABAR,
  method: 'post',
  path: '/v1/table/{table_uuid}/add-enrichment',
  summary: 'Add an enrichment to a table',
  description:
    'Maps each enrichment param to a column (`{"type": "mapping", "value": <column name or id>}`) or a constant (`{"type": "simple", "value": …}`). Adds a result column plus one column per response field.',
  request: { params: TableParamsSchema, body: jsonBody(AddEnrichmentSchema) },
  responses: { 200: json(AddedEnrichmentSchema), ...ERRORS },
});

const addWaterfall = createRoute({
  ...DATABAR,
  method: 'post',
  path: '/v1/table/{table_uuid}/add-waterfall',
  summary: 'Add a waterfall to a table',
  request: { params: TableParamsSchema, body: jsonBody(AddWaterfallSchema) },
  responses: { 200: json(AddedWaterfallSchema), ...ERRORS },
});

const tableEnrichments = createRoute({
  ...DATABAR,
  method: 'get',
  path: '/v1/table/{table_uuid}/enrichments',
  summary: "List a table's enrichments",
  request: { params: TableParamsSchema },
  responses: { 200: json(TableEnrichmentListSchema), ...ERRORS },
});

const tableWaterfalls = createRoute({
  ...DATABAR,
  method: 'get',
  path: '/v1/table/{table_uuid}/waterfalls',
  summary: "List a table's waterfalls",
  request: { params: TableParamsSchema },
  responses: { 200: json(TableEnrichmentListSchema), ...ERRORS },
});

const runEnrichment = createRoute({
  ...DATABAR,
  method: 'post',
  path: '/v1/table/{table_uuid}/run-enrichment/{enrichment_id}',
  summary: 'Run table enrichment or waterfall',
  description:
    "`run_strategy`: `run_all` (default) every row in scope, `run_empty` only rows without a result, `run_errors` only rows whose last attempt failed. `row_ids` narrows the scope. The path's id is the table enrichment's id (from add-enrichment / add-waterfall).",
  request: {
    params: TableParamsSchema.extend({
      enrichment_id: z.string().meta({ param: { name: 'enrichment_id', in: 'path' } }),
    }),
    body: jsonBody(RunEnrichmentRequestSchema.nullable()),
  },
  responses: { 200: json(RunEnrichmentResponseSchema, 'Enrichment run started successfully'), ...ERRORS },
});

const STRATEGY_MODES: Record<'run_all' | 'run_empty' | 'run_errors', RunMode> = {
  run_all: 'all',
  run_empty: 'new',
  run_errors: 'failed',
};

function summaryOf(definition: EnrichmentDefinition): zod.infer<typeof EnrichmentSummarySchema> {
  return {
    id: definition.id,
    name: definition.name,
    description: definition.description,
    data_source: definition.data_source,
    price: definition.price,
    auth_method: definition.auth_method,
    pricing: definition.pricing,
    category: definition.category,
  };
}

/** A catalog enrichment, or one of the workspace's custom connectors (with its snapshot). */
async function findEnrichment(
  store: Store,
  catalog: Catalog,
  workspaceId: string,
  id: number,
): Promise<{ definition: EnrichmentDefinition; connector?: ConnectorSnapshot } | undefined> {
  if (id < CONNECTOR_ID_OFFSET) {
    const definition = catalog.enrichment(id);
    return definition ? { definition } : undefined;
  }
  const stored = await store.getConnector(workspaceId, id);
  return stored ? { definition: connectorDefinition(stored.connector), connector: stored.connector } : undefined;
}

function waterfallOf(waterfall: WaterfallDefinition): zod.infer<typeof WaterfallSchema> {
  return {
    identifier: waterfall.identifier,
    name: waterfall.name,
    description: waterfall.description,
    input_params: waterfall.input_params,
    output_fields: waterfall.output_fields,
    available_enrichments: waterfall.available_enrichments,
  };
}

/** Resolves a request's mapping (columns by name or id) to stored sources (columns by key), reporting problems. */
function resolveMapping(
  mapping: MappingInput,
  params: { name: string; is_required: boolean }[],
  columns: Column[],
  issues: IssueCollector,
  strictParams: boolean,
): Record<string, ParamSource> {
  const known = new Set(params.map((param) => param.name));
  const resolved: Record<string, ParamSource> = {};
  for (const [param, source] of Object.entries(mapping)) {
    if (strictParams && !known.has(param)) {
      issues.add(
        ['mapping', param],
        `Unknown param '${param}'; this enrichment takes ${[...known].join(', ') || 'no params'}`,
      );
      continue;
    }
    if (typeof source === 'object' && source.type === 'simple') {
      resolved[param] = { type: 'simple', value: source.value };
      continue;
    }
    const reference = typeof source === 'string' ? source : source.value;
    const column = findColumn(columns, reference);
    if (!column)
      issues.add(
        ['mapping', param, ...(typeof source === 'string' ? [] : ['value'])],
        `No column named '${reference}' in this table`,
      );
    else resolved[param] = { type: 'mapping', column: column.config.key };
  }
  for (const param of params) {
    if (param.is_required && !(param.name in resolved) && !(param.name in mapping)) {
      issues.add(['mapping', param.name], `The required param '${param.name}' is not mapped`, 'missing');
    }
  }
  return resolved;
}

/** `{Column Name}` placeholders of a run condition, rewritten to column keys (CEL identifiers). */
function resolveRunIf(
  runIf: string | null | undefined,
  columns: Column[],
  issues: IssueCollector,
): string | null {
  if (!runIf) return null;
  const resolved = runIf.replace(/\{\{?\s*([^{}]+?)\s*\}?\}/g, (whole, reference: string) => {
    const column = findColumn(columns, reference);
    if (!column) {
      issues.add(['run_if'], `No column named '${reference}' in this table`);
      return whole;
    }
    return `{${column.config.key}}`;
  });
  const parsed = parseRunCondition(resolved);
  if (!parsed.ok) issues.add(['run_if'], parsed.message);
  return resolved;
}

/** The result column and one column per output field, named to stay unique in the table. */
function resultColumns(
  columns: Column[],
  label: string,
  fields: { name: string; display_name: string }[],
  main: (key: string, name: string) => ColumnConfig,
): ColumnConfig[] {
  const keys = new Set(columns.map((column) => column.config.key));
  const names = new Set(columns.map((column) => column.config.name));
  const mainName = uniqueName(label, names);
  const mainKey = keyFor(label, keys);
  return [
    main(mainKey, mainName),
    ...fields.map((field) =>
      ColumnConfigSchema.parse({
        kind: 'enrichment_field',
        name: uniqueName(field.display_name, names),
        key: keyFor(`${mainKey}_${field.name}`, keys),
        value: { source: mainKey, field: field.name },
      }),
    ),
  ];
}

export function registerEnrichmentRoutes(
  app: OpenAPIHono<AuthEnv>,
  store: Store,
  engine: Engine,
  catalog: Catalog,
): void {
  app.openapi(listEnrichments, async (c) => {
    // The server's catalog, then the workspace's own connectors.
    const connectors = await store.listConnectors(c.get('workspace').id);
    const definitions = [
      ...catalog.enrichments,
      ...connectors.map(({ connector }) => connectorDefinition(connector)),
    ];
    return c.json(definitions.map(summaryOf), 200);
  });

  app.openapi(getEnrichment, async (c) => {
    const raw = c.req.valid('param').enrichment_id;
    const found = /^\d+$/.test(raw)
      ? await findEnrichment(store, catalog, c.get('workspace').id, Number(raw))
      : undefined;
    const definition = found?.definition;
    if (!definition) throw new NotFoundError('enrichment', raw);
    return c.json(
      { ...summaryOf(definition), params: definition.params, response_fields: definition.response_fields },
      200,
    );
  });

  app.openapi(listWaterfalls, (c) => c.json(catalog.waterfalls.map(waterfallOf), 200));

  app.openapi(getWaterfall, (c) => {
    const waterfall = catalog.waterfall(c.req.valid('param').identifier);
    if (!waterfall) throw new NotFoundError('waterfall', c.req.valid('param').identifier);
    return c.json(waterfallOf(waterfall), 200);
  });

  app.openapi(addEnrichment, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const body = c.req.valid('json');
    const workspaceId = c.get('workspace').id;
    const { columns } = await store.getTable(workspaceId, tableId);
    const issues = new IssueCollector();
    const found = await findEnrichment(store, catalog, workspaceId, body.enrichment);
    const definition = found?.definition;
    if (!definition)
      issues.add(
        ['enrichment'],
        `No enrichment with id ${body.enrichment} in the catalog (GET /v1/enrichments/)`,
      );
    const mapping = definition ? resolveMapping(body.mapping, definition.params, columns, issues, true) : {};
    const runIf = resolveRunIf(body.run_if, columns, issues);
    issues.throwIfAny();
    const { enrichment } = await store.addTableEnrichment(workspaceId, tableId, {
      kind: 'enrichment',
      catalogRef: String(definition!.id),
      name: definition!.name,
      columns: (id) =>
        resultColumns(columns, definition!.name, definition!.response_fields, (key, name) =>
          ColumnConfigSchema.parse({
            kind: 'enrichment',
            key,
            name,
            value: {
              table_enrichment_id: id,
              enrichment_id: definition!.id,
              mapping,
              run_if: runIf,
              launch_strategy: body.launch_strategy,
              connector: found?.connector ?? null,
            },
          }),
        ),
    });
    return c.json({ id: enrichment.id, enrichment_name: enrichment.name }, 200);
  });

  app.openapi(addWaterfall, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const body = c.req.valid('json');
    const workspaceId = c.get('workspace').id;
    const { columns } = await store.getTable(workspaceId, tableId);
    const issues = new IssueCollector();
    const waterfall = catalog.waterfall(body.waterfall);
    if (!waterfall)
      issues.add(['waterfall'], `No waterfall '${body.waterfall}' in the catalog (GET /v1/waterfalls/)`);
    body.enrichments.forEach((id, index) => {
      if (waterfall && !waterfall.available_enrichments.includes(id)) {
        issues.add(
          ['enrichments', index],
          `Enrichment ${id} cannot be a step of '${body.waterfall}' (available: ${waterfall.available_enrichments.join(', ')})`,
        );
      }
    });
    if (body.email_verifier !== undefined && body.email_verifier !== null) {
      const verifier = catalog.enrichment(body.email_verifier);
      if (!verifier || !verifier.params.some((param) => param.name === 'email')) {
        issues.add(['email_verifier'], `Enrichment ${body.email_verifier} is not an email verifier`);
      }
    }
    const mapping = waterfall
      ? resolveMapping(body.mapping, waterfall.input_params, columns, issues, true)
      : {};
    if (waterfall && Object.keys(mapping).length === 0 && Object.keys(body.mapping).length === 0) {
      issues.add(
        ['mapping'],
        `Map at least one of ${waterfall.input_params.map((param) => param.name).join(', ')}`,
        'missing',
      );
    }
    const runIf = resolveRunIf(body.run_if, columns, issues);
    issues.throwIfAny();
    const { enrichment } = await store.addTableEnrichment(workspaceId, tableId, {
      kind: 'waterfall',
      catalogRef: waterfall!.identifier,
      name: waterfall!.name,
      columns: (id) =>
        resultColumns(columns, waterfall!.name, waterfall!.output_fields, (key, name) =>
          ColumnConfigSchema.parse({
            kind: 'waterfall',
            key,
            name,
            value: {
              table_enrichment_id: id,
              waterfall: waterfall!.identifier,
              enrichments: body.enrichments,
              mapping,
              email_verifier: body.email_verifier ?? null,
              run_if: runIf,
              launch_strategy: body.launch_strategy,
            },
          }),
        ),
    });
    return c.json({ id: enrichment.id, waterfall_name: enrichment.name }, 200);
  });

  app.openapi(tableEnrichments, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const items = await store.listTableEnrichments(c.get('workspace').id, tableId);
    return c.json(
      items.filter((item) => item.kind === 'enrichment').map((item) => ({ id: item.id, name: item.name })),
      200,
    );
  });

  app.openapi(tableWaterfalls, async (c) => {
    const tableId = tableIdOf(c.req.valid('param').table_uuid);
    const items = await store.listTableEnrichments(c.get('workspace').id, tableId);
    return c.json(
      items.filter((item) => item.kind === 'waterfall').map((item) => ({ id: item.id, name: item.name })),
      200,
    );
  });

  app.openapi(runEnrichment, async (c) => {
    const params = c.req.valid('param');
    const tableId = tableIdOf(params.table_uuid);
    const workspaceId = c.get('workspace').id;
    const body = c.req.valid('json') ?? RunEnrichmentRequestSchema.parse({});
    if (!/^\d+$/.test(params.enrichment_id))
      throw new NotFoundError('table_enrichment', params.enrichment_id);
    const enrichment = await store.getTableEnrichment(workspaceId, tableId, Number(params.enrichment_id));
    const { columns } = await store.getTable(workspaceId, tableId);
    const main = columns.find((column) => column.id === enrichment.columnId);
    if (!main) throw new NotFoundError('table_enrichment', params.enrichment_id);
    const scope = columns.filter(
      (column) =>
        column.id === main.id ||
        (column.config.kind === 'enrichment_field' && column.config.value.source === main.config.key),
    );
    const run = await engine
      .startRun(workspaceId, tableId, {
        mode: STRATEGY_MODES[body.run_strategy],
        rowIds: body.row_ids ?? null,
        columnIds: scope.map((column) => column.id),
      })
      .catch((error: unknown) => {
        // The engine speaks of `rows`; this dialect's field is `row_ids`.
        if (error instanceof ValidationError) {
          throw new ValidationError(
            error.issues.map((issue) => ({
              ...issue,
              path: issue.path[0] === 'rows' ? ['row_ids', ...issue.path.slice(1)] : issue.path,
            })),
          );
        }
        throw error;
      });
    // A row is processed when its result cell was queued (its field cells follow it).
    return c.json({ status: 'queued', processing_rows: run.requestedByColumn?.[main.id] ?? 0 }, 200);
  });
}
