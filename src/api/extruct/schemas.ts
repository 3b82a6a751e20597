import { z } from '@hono/zod-openapi';
import { WIRE_CELL_STATUSES } from '../../domain/cell-status.ts';
import { ColumnConfigSchema, CriterionDefinitionSchema, TableKindSchema } from '../../domain/columns.ts';
import {
  DEFAULT_DISCOVERY_RESULTS,
  DISCOVERY_STATUSES,
  MAX_DISCOVERY_RESULTS,
} from '../../domain/discovery.ts';
import { RUN_MODES, RUN_STATUSES } from '../../domain/runs.ts';
import { TABLE_SORTS } from '../../engine/ports.ts';

/**
 * The Extruct dialect's wire shapes, named like the vendor's schemas. Each one validates requests,
 * generates the OpenAPI document and types the SDK.
 */

export const ErrorDetailSchema = z.object({ detail: z.string() }).meta({ id: 'ErrorDetail' });

export const ValidationErrorSchema = z
  .object({
    loc: z.array(z.union([z.string(), z.number().int()])),
    msg: z.string(),
    type: z.string(),
  })
  .meta({ id: 'ValidationError' });

export const HTTPValidationErrorSchema = z
  .object({ detail: z.array(ValidationErrorSchema) })
  .meta({ id: 'HTTPValidationError' });

export const UuidSchema = z.uuid();

export const TableIdParamsSchema = z.object({
  table_id: UuidSchema.meta({ param: { name: 'table_id', in: 'path' }, description: 'Table ID.' }),
});

export const RowIdParamsSchema = TableIdParamsSchema.extend({
  row_id: UuidSchema.meta({ param: { name: 'row_id', in: 'path' }, description: 'Row ID.' }),
});

export const ColumnIdParamsSchema = TableIdParamsSchema.extend({
  column_id: UuidSchema.meta({ param: { name: 'column_id', in: 'path' }, description: 'Column ID.' }),
});

const TimestampSchema = z.string().meta({ format: 'date-time' });
const JsonObjectSchema = z.record(z.string(), z.unknown());

export const HealthcheckOutputSchema = z
  .object({ status: z.literal('ok') })
  .meta({ id: 'HealthcheckOutput' });

export const UserOutputSchema = z
  .object({
    user_id: z.string(),
    email: z.string(),
    available_credits: z.number().int(),
    organization_id: z.string().nullable(),
    organization_name: z.string().nullable(),
    organization_slug: z.string().nullable(),
  })
  .meta({ id: 'UserOutput' });

export const OwnerInfoSchema = z.object({ id: z.string(), email: z.string() }).meta({ id: 'OwnerInfo' });

export const TableRelationshipOutputSchema = z
  .object({
    table_id: z.string().describe('ID of the related table'),
    relationship_type: z.enum(['company_people']).describe('Type of relationship'),
  })
  .meta({ id: 'TableRelationshipOutput' });

export const TableStatusSchema = z
  .object({
    num_rows: z.number().int().describe('Number of rows in the table'),
    num_output_columns: z.number().int().describe('Number of output columns in the table'),
    num_input_columns: z.number().int().describe('Number of input columns in the table'),
    num_cells_completed: z.number().int().describe('Number of non-input cells that have been completed'),
    num_cells_in_progress: z.number().int().describe('Number of non-input cells that are in progress'),
    num_columns: z.number().int(),
    run_status: z.enum(['running', 'idle']),
  })
  .meta({ id: 'TableStatus' });

export const ColumnOutputSchema = z
  .object({ id: z.string(), created_at: TimestampSchema, config: ColumnConfigSchema })
  .meta({ id: 'ColumnOutputSchema' });

export const TableSettingsSchema = z
  .looseObject({ exclude_from_search: z.boolean().default(false) })
  .meta({ id: 'TableSettings' });

/** Seed 003's `TableHeaderWithStatusOutput`, field for field. */
export const TableOutputSchema = z
  .object({
    id: z.string().describe('Table ID.'),
    created_at: TimestampSchema.describe('Table creation time.'),
    name: z.string().describe('Table name.'),
    description: z.string().nullable().describe('Table description.'),
    tags: z.array(z.string()).nullable().describe('Table tags.'),
    kind: TableKindSchema,
    columns: z.array(ColumnOutputSchema).describe('Table columns configurations.'),
    owner: OwnerInfoSchema,
    child_relationships: z.array(TableRelationshipOutputSchema).describe('Child table relationships.'),
    parent_relationships: z.array(TableRelationshipOutputSchema).describe('Parent table relationships.'),
    status: TableStatusSchema,
  })
  .meta({ id: 'TableHeaderWithStatusOutput' });

export const TableCreateInputSchema = z
  .object({
    name: z.string().min(1).max(500).default('Untitled Table'),
    description: z.string().max(10_000).nullable().optional(),
    tags: z.array(z.string().min(1).max(100)).max(100).nullable().optional(),
    kind: TableKindSchema.default('generic'),
    notify: z.boolean().default(false),
    settings: TableSettingsSchema.nullable().optional(),
    column_configs: z
      .array(ColumnConfigSchema)
      .max(500)
      .nullable()
      .optional()
      .describe('Column configurations.'),
  })
  .meta({ id: 'TableCreateInput' });

export const TablePatchInputSchema = z
  .object({
    name: z.string().min(1).max(500).optional(),
    description: z.string().max(10_000).nullable().optional(),
    tags: z.array(z.string().min(1).max(100)).max(100).nullable().optional(),
    notify: z.boolean().optional(),
    settings: TableSettingsSchema.optional(),
  })
  .meta({ id: 'TablePatchInput' });

export const TableListQuerySchema = z.object({
  kind: TableKindSchema.optional(),
  search: z.string().max(500).optional(),
  tags: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((value) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]))
    .meta({ description: 'Repeat to match tables with any of these tags.' }),
  sort: z.enum(TABLE_SORTS).default('-created_at'),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const TableListItemSchema = z
  .object({
    id: z.string(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
    name: z.string(),
    description: z.string().nullable(),
    tags: z.array(z.string()).nullable(),
    kind: TableKindSchema,
    settings: TableSettingsSchema,
    owner: OwnerInfoSchema,
    num_rows: z.number().int(),
  })
  .meta({ id: 'TableListItem' });

export const TableListOutputSchema = z
  .object({ items: z.array(TableListItemSchema), offset: z.number().int(), limit: z.number().int() })
  .meta({ id: 'TableListOutput' });

export const CellValueSchema = z
  .object({
    answer: z.unknown(),
    sources: z.array(z.object({ url: z.string(), title: z.string().optional() })).optional(),
    explanation: z.string().optional(),
  })
  .meta({ id: 'CellValue' });

/** A cell as vendor scripts read it: `row.data[key].value.answer`. */
export const CellOutputSchema = z
  .object({
    value: CellValueSchema.nullable(),
    status: z.enum(WIRE_CELL_STATUSES),
    error: z.object({ type: z.string(), message: z.string() }).optional(),
    reason: z.string().optional().describe('Why the cell was skipped: missing_input, dependency_failed, …'),
  })
  .meta({ id: 'CellOutput' });

export const RowOutputSchema = z
  .object({
    id: z.string(),
    created_at: TimestampSchema.describe('Row creation time.'),
    is_missing_inputs: z.boolean(),
    parent_row_id: z.string().nullable().describe('ID of the parent row, if any.'),
    data: z.record(z.string(), CellOutputSchema.nullable()),
    metadata: JsonObjectSchema.nullable().describe('Additional metadata'),
    parent_data: JsonObjectSchema.nullable().describe(
      'Data from the parent row, if requested and available.',
    ),
  })
  .meta({ id: 'RowOutput' });

export const RowInputSchema = z
  .object({ data: JsonObjectSchema, metadata: JsonObjectSchema.nullable().optional() })
  .meta({ id: 'RowInput' });

export const RowsCreateInputSchema = z
  .object({
    rows: z.array(RowInputSchema).min(1).max(1000),
    run: z.boolean().default(false),
  })
  .meta({ id: 'TableRowsCreateInput' });

export const RowUpdateSchema = RowInputSchema.extend({ id: UuidSchema.optional() }).meta({
  id: 'RowUpdateInput',
});

export const RowsPatchInputSchema = z
  .object({
    rows: z.array(RowUpdateSchema).min(1).max(1000),
    run: z.boolean().default(false),
  })
  .meta({ id: 'TableRowsUpdateInput' });

export const RowsDeleteInputSchema = z
  .object({ rows: z.array(UuidSchema).min(1).max(10_000) })
  .meta({ id: 'TableRowsDeleteInput' });

export const RowsDeleteOutputSchema = z
  .object({ deleted: z.array(z.string()) })
  .meta({ id: 'TableRowsDeleteOutput' });

export const DataQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const TableDataOutputSchema = TableOutputSchema.extend({
  notify: z.boolean(),
  settings: TableSettingsSchema,
  rows: z.array(RowOutputSchema),
}).meta({ id: 'TableDataOutput' });

/** ext: the `data` of each event of `GET /v1/tables/{table_id}/events`, by event name (see events.ts). */
export const TABLE_EVENT_SCHEMAS = {
  cells: z.object({
    cells: z.array(
      z.object({ row_id: z.string(), column_id: z.string(), status: z.enum(WIRE_CELL_STATUSES) }),
    ),
  }),
  rows: z.object({ change: z.enum(['added', 'updated', 'deleted']), row_ids: z.array(z.string()) }),
  table: z.object({ change: z.enum(['updated', 'columns', 'deleted']) }),
  run: z.object({ run_id: z.string() }),
  status: TableStatusSchema,
  /** The table changed in a way this server did not hear (another process wrote): re-read what is shown. */
  refresh: z.object({}),
} as const;

export const ColumnsCreateInputSchema = z
  .object({
    column_configs: z.array(ColumnConfigSchema).min(1).max(500),
    insert_after: z
      .union([z.boolean(), UuidSchema])
      .default(true)
      .describe(
        'true: after the last column; false: before the first; a column id: right after that column.',
      ),
  })
  .meta({ id: 'ColumnsCreateInput' });

export const TableRunExecutionModeSchema = z.enum(RUN_MODES).meta({ id: 'TableRunExecutionMode' });

/** Seed 000's `TableRunParamsInput`: `additionalProperties: false`. */
export const TableRunParamsInputSchema = z
  .strictObject({
    mode: TableRunExecutionModeSchema.default('new').describe(
      'Table run execution mode. NEW (default) - run cells without values; ALL - run all cells; FAILED - run failed cells',
    ),
    rows: z.array(UuidSchema).nullable().optional(),
    columns: z.array(UuidSchema).nullable().optional(),
    max_cost: z
      .number()
      .min(0)
      .nullable()
      .optional()
      .describe('ext: stop claiming cells once the run has cost this much (USD)'),
  })
  .meta({ id: 'TableRunParamsInput' });

/** Seed 000's `TableRunOutput`, field for field. */
export const TableRunOutputSchema = z
  .object({
    id: z.string(),
    created_at: TimestampSchema,
    status: z.enum(['created', 'in_progress', 'done', 'failed']),
    rows: z.array(z.string()).nullable(),
    columns: z.array(z.string()).nullable(),
    num_requested_cells: z.number().int(),
    mode: TableRunExecutionModeSchema,
  })
  .meta({ id: 'TableRunOutput' });

/** ext: a run with its progress. */
export const RunOutputSchema = TableRunOutputSchema.extend({
  status: z.enum(RUN_STATUSES),
  finished_at: TimestampSchema.nullable(),
  counts: z.object({
    queued: z.number().int(),
    running: z.number().int(),
    done: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
    cancelled: z.number().int(),
  }),
  cost: z.number(),
  max_cost: z.number().nullable(),
}).meta({ id: 'Run' });

export const CellParamsSchema = RowIdParamsSchema.extend({
  column: z
    .string()
    .min(1)
    .meta({ param: { name: 'column', in: 'path' }, description: 'Column key or ID.' }),
});

/** ext: one computed cell in full: what the cell form carries, plus attempts, cost and usage. */
export const CellDetailOutputSchema = z
  .object({
    row_id: z.string(),
    column_id: z.string(),
    column_key: z.string(),
    /** null: the cell was never planned (not run). */
    status: z.enum(WIRE_CELL_STATUSES).nullable(),
    value: CellValueSchema.nullable(),
    error: z.object({ type: z.string(), message: z.string() }).nullable(),
    reason: z.string().nullable(),
    attempts: z.number().int(),
    cost: z.number(),
    usage: z
      .object({
        input_tokens: z.number().optional(),
        output_tokens: z.number().optional(),
        searches: z.number().optional(),
        pages_fetched: z.number().optional(),
        cached: z.boolean().optional(),
        timings_ms: z.object({ search: z.number(), fetch: z.number(), llm: z.number() }).optional(),
      })
      .nullable(),
    updated_at: TimestampSchema.nullable(),
  })
  .meta({ id: 'CellDetailOutput' });

/** ext: each computed column's progress over the whole table, for grid headers. */
export const ColumnStatsOutputSchema = z
  .object({
    num_rows: z.number().int(),
    columns: z.array(
      z.object({
        column_id: z.string(),
        /** Cells by wire status; `not_run`: rows with no cell for the column yet. */
        counts: z.object({
          requested: z.number().int(),
          in_progress: z.number().int(),
          done: z.number().int(),
          failed: z.number().int(),
          skipped: z.number().int(),
          cancelled: z.number().int(),
          stale: z.number().int(),
          not_run: z.number().int(),
        }),
        cost: z.number(),
      }),
    ),
  })
  .meta({ id: 'ColumnStatsOutput' });

export const RunListOutputSchema = z
  .object({ items: z.array(RunOutputSchema), offset: z.number().int(), limit: z.number().int() })
  .meta({ id: 'RunListOutput' });

export const RunIdParamsSchema = TableIdParamsSchema.extend({
  run_id: UuidSchema.meta({ param: { name: 'run_id', in: 'path' }, description: 'Run ID.' }),
});

// ── CSV import and export (ext) ─────────────────────────────────────────────────────────────

const queryFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((flag) => flag === 'true' || flag === '1');

export const CsvImportQuerySchema = z.object({
  create_columns: queryFlag(true).meta({
    description:
      'Headers that match no column (by key, then name) become new input columns; false ignores them.',
  }),
  run: queryFlag(false).meta({ description: "After the import, run the table's new cells (mode `new`)." }),
});

export const CsvImportOutputSchema = z
  .object({
    imported: z.number().int().meta({ description: 'Rows added.' }),
    headers: z.array(
      z.object({
        header: z.string(),
        key: z.string().nullable().meta({ description: 'The column this header fills; null when ignored.' }),
        created: z.boolean(),
        ignored: z.string().nullable().meta({ description: 'Why the header was ignored.' }),
      }),
    ),
    errors: z
      .array(z.object({ line: z.number().int(), message: z.string() }))
      .meta({ description: 'Lines skipped, with their line number in the file (the first 100).' }),
    error_count: z.number().int(),
    run_id: z.string().nullable(),
  })
  .meta({ id: 'CsvImportOutput' });

export const CsvExportQuerySchema = z.object({
  columns: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((value) =>
      value === undefined ? undefined : [value].flat().flatMap((item) => item.split(',')),
    )
    .meta({ description: 'Column keys to export (repeat or comma-separate); default every column.' }),
  header: z.enum(['name', 'key']).default('name'),
  include: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((value) => (value === undefined ? [] : [value].flat().flatMap((item) => item.split(','))))
    .pipe(z.array(z.enum(['row_id', 'status', 'explanation', 'sources', 'error'])))
    .meta({
      description:
        'Extra fields: `row_id` first, and per computed column `Name (status)`, `(explanation)`, `(sources)`, `(error)`.',
    }),
  bom: queryFlag(true).meta({ description: 'Start with a UTF-8 byte order mark (spreadsheets need it).' }),
});

// ── discovery tasks (ext) ─────────────────────────────────────────────────────────────────

const DomainSchema = z
  .string()
  .min(1)
  .max(253)
  .transform((value) =>
    value
      .trim()
      .toLowerCase()
      .replace(/^https?:\/\//, '')
      .replace(/^www\./, '')
      .replace(/\/.*$/, ''),
  );

export const DiscoveryTaskInputSchema = z
  .object({
    query: z.string().trim().min(1).max(2_000).describe('What companies to find, in plain words.'),
    desired_num_results: z
      .number()
      .int()
      .min(1)
      .max(MAX_DISCOVERY_RESULTS)
      .default(DEFAULT_DISCOVERY_RESULTS)
      .describe('How many companies to find and grade (1–250).'),
    criteria: z
      .array(CriterionDefinitionSchema)
      .min(1)
      .max(10)
      .nullable()
      .optional()
      .describe('What each company is graded on (1–5); inferred from the query when omitted.'),
    exclude_domains: z.array(DomainSchema).max(10_000).default([]).describe('Companies to leave out.'),
  })
  .meta({ id: 'DiscoveryTaskInput' });

export const DiscoveryTaskOutputSchema = z
  .object({
    id: z.string(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
    status: z.enum(DISCOVERY_STATUSES),
    query: z.string(),
    desired_num_results: z.number().int(),
    criteria: z.array(CriterionDefinitionSchema),
    exclude_domains: z.array(z.string()),
    table_id: z.string().nullable().describe('The company table holding the candidates, once built.'),
    num_results: z.number().int().describe('Companies found (rows of the table).'),
    num_graded: z.number().int().describe('Companies graded on every criterion.'),
    num_in_progress: z.number().int().describe('Companies still being graded.'),
    num_failed: z.number().int().describe('Companies that could not be graded.'),
    exhausted: z.boolean().describe('The search ran out of companies before desired_num_results.'),
    reason: z.string().nullable().describe('Why there are fewer results than asked, or why the task failed.'),
  })
  .meta({ id: 'DiscoveryTask' });

const CriterionScoreSchema = z.object({ grade: z.number().int(), explanation: z.string() });

export const DiscoveryResultSchema = z
  .object({
    row_id: z.string(),
    domain: z.string().nullable(),
    company_name: z.string().nullable(),
    company_website: z.string().nullable(),
    relevance: z.number().describe('The mean grade over the criteria (0 while ungraded).'),
    scores: z.record(z.string(), CriterionScoreSchema).nullable(),
    status: z.string().describe('The status of the grading cell.'),
  })
  .meta({ id: 'DiscoveryResult' });

export const DiscoveryResultsOutputSchema = z.object({
  task: DiscoveryTaskOutputSchema,
  items: z.array(DiscoveryResultSchema),
  offset: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
});
