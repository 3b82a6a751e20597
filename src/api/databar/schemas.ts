import { z } from '@hono/zod-openapi';
import { LAUNCH_STRATEGIES } from '../../domain/columns.ts';

/** The Databar dialect's wire shapes (`x-apikey`, `/v1/table/...`). */

export const DetailSchema = z.object({ detail: z.string() }).meta({ id: 'DatabarDetail' });

export const UserMeSchema = z
  .object({
    first_name: z.string(),
    email: z.string(),
    balance: z.number(),
    plan: z.string(),
    workspace: z.string(),
  })
  .meta({ id: 'DatabarUser' });

export const TableSchema = z
  .object({
    identifier: z.string(),
    name: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    workspace_identifier: z.string(),
    table_url: z.string(),
  })
  .meta({ id: 'DatabarTable' });

export const TableCreateSchema = z
  .object({
    name: z.string().min(1).max(500).optional(),
    columns: z.array(z.string().min(1).max(200)).max(500).optional(),
    rows: z.number().int().min(0).max(10_000).optional(),
  })
  .meta({ id: 'DatabarTableCreate' });

export const TableRenameSchema = z
  .object({ name: z.string().min(1).max(500) })
  .meta({ id: 'DatabarTableRename' });

export const ColumnSchema = z
  .object({
    identifier: z.string(),
    internal_name: z.string(),
    name: z.string(),
    type_of_value: z.string(),
    data_processor_id: z.number().int().nullable(),
  })
  .meta({ id: 'DatabarColumn' });

export const ColumnCreateSchema = z
  .object({
    name: z.string().min(1).max(200),
    type: z.literal('text').default('text'),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .meta({ id: 'DatabarColumnCreate' });

export const RowsQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(500).default(100),
  filter: z.string().optional().meta({
    description:
      'JSON: {"column": {"equals"|"contains"|"not_equals"|"is_empty"|"is_not_empty": value}}, combined with AND',
  }),
});

export const RowsPageSchema = z
  .object({
    data: z.array(z.record(z.string(), z.unknown())),
    has_next_page: z.boolean(),
    total_count: z.number().int(),
    page: z.number().int(),
  })
  .meta({ id: 'DatabarRowsPage' });

const FieldsSchema = z.record(z.string(), z.unknown());

export const RowsInsertSchema = z
  .object({
    rows: z.array(z.object({ fields: FieldsSchema })),
    options: z
      .object({
        allow_new_columns: z.boolean().default(false),
        dedupe: z
          .object({ enabled: z.boolean().default(false), keys: z.array(z.string()).default([]) })
          .optional(),
      })
      .optional(),
  })
  .meta({ id: 'DatabarRowsInsert' });

export const RowsInsertResultSchema = z
  .object({
    results: z.array(
      z.object({
        index: z.number().int(),
        id: z.string(),
        action: z.enum(['created', 'skipped_duplicate']),
        row_data: z.record(z.string(), z.unknown()),
      }),
    ),
  })
  .meta({ id: 'DatabarRowsInsertResult' });

export const RowsPatchSchema = z
  .object({
    rows: z.array(z.object({ id: z.string(), fields: FieldsSchema })),
    overwrite: z.boolean().default(true),
    return_rows: z.boolean().default(false),
  })
  .meta({ id: 'DatabarRowsPatch' });

export const RowsPatchResultSchema = z
  .object({
    results: z.array(
      z.object({
        id: z.string(),
        ok: z.boolean(),
        error: z.string().optional(),
        row_data: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
  })
  .meta({ id: 'DatabarRowsPatchResult' });

export const RowsUpsertSchema = z
  .object({ rows: z.array(z.object({ key: FieldsSchema, fields: FieldsSchema.default({}) })) })
  .meta({ id: 'DatabarRowsUpsert' });

export const RowsUpsertResultSchema = z
  .object({
    results: z.array(
      z.object({
        index: z.number().int(),
        id: z.string().nullable(),
        action: z.enum(['created', 'updated']).nullable(),
        ok: z.boolean(),
        error: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'DatabarRowsUpsertResult' });

export const RowsDeleteSchema = z
  .object({ row_ids: z.array(z.string()).min(1).max(10_000) })
  .meta({ id: 'DatabarRowsDelete' });
export const RowsDeletedSchema = z
  .object({ deleted: z.array(z.string()) })
  .meta({ id: 'DatabarRowsDeleted' });

export const ParamSchema = z
  .object({ name: z.string(), is_required: z.boolean(), type_field: z.string(), description: z.string() })
  .meta({ id: 'DatabarEnrichmentParam' });
export const ResponseFieldSchema = z
  .object({ name: z.string(), display_name: z.string(), type_field: z.string() })
  .meta({ id: 'DatabarResponseField' });

export const EnrichmentSummarySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string(),
    data_source: z.string(),
    price: z.number(),
    auth_method: z.string(),
    pricing: z.object({ type: z.string(), parameter: z.string().optional() }),
    category: z.array(z.string()),
  })
  .meta({ id: 'DatabarEnrichment' });

export const EnrichmentDetailSchema = EnrichmentSummarySchema.extend({
  params: z.array(ParamSchema),
  response_fields: z.array(ResponseFieldSchema),
}).meta({ id: 'DatabarEnrichmentDetail' });

export const WaterfallSchema = z
  .object({
    identifier: z.string(),
    name: z.string(),
    description: z.string(),
    input_params: z.array(ParamSchema),
    output_fields: z.array(ResponseFieldSchema),
    available_enrichments: z.array(z.number().int()),
  })
  .meta({ id: 'DatabarWaterfall' });

const MappingValueSchema = z.union([
  z.object({ type: z.literal('mapping'), value: z.string().min(1) }),
  z.object({ type: z.literal('simple'), value: z.unknown() }),
  // add-waterfall's short form: the column, by name or id
  z.string().min(1),
]);

export const AddEnrichmentSchema = z
  .object({
    enrichment: z.number().int(),
    mapping: z.record(z.string(), MappingValueSchema),
    launch_strategy: z.enum(LAUNCH_STRATEGIES).default('run_on_click'),
    run_if: z.string().min(1).max(5_000).nullable().optional(),
  })
  .meta({ id: 'DatabarAddEnrichment' });

export const AddWaterfallSchema = z
  .object({
    waterfall: z.string().min(1),
    enrichments: z.array(z.number().int()).min(1),
    mapping: z.record(z.string(), MappingValueSchema),
    email_verifier: z.number().int().nullable().optional(),
    launch_strategy: z.enum(LAUNCH_STRATEGIES).default('run_on_click'),
    run_if: z.string().min(1).max(5_000).nullable().optional(),
  })
  .meta({ id: 'DatabarAddWaterfall' });

export const AddedEnrichmentSchema = z
  .object({ id: z.number().int(), enrichment_name: z.string() })
  .meta({ id: 'DatabarAddedEnrichment' });
export const AddedWaterfallSchema = z
  .object({ id: z.number().int(), waterfall_name: z.string() })
  .meta({ id: 'DatabarAddedWaterfall' });
export const TableEnrichmentListSchema = z
  .array(z.object({ id: z.number().int(), name: z.string() }))
  .meta({ id: 'DatabarTableEnrichments' });

/** Seed 002's `RunEnrichmentRequest`. */
export const RunEnrichmentRequestSchema = z
  .object({
    run_strategy: z.enum(['run_all', 'run_empty', 'run_errors']).default('run_all'),
    row_ids: z.array(z.uuid()).nullable().optional(),
  })
  .meta({ id: 'RunEnrichmentRequest' });

/** Seed 002's `RunEnrichmentResponse`. */
export const RunEnrichmentResponseSchema = z
  .object({ status: z.string(), processing_rows: z.number().int().nullable() })
  .meta({ id: 'RunEnrichmentResponse' });

export const ConnectionSchema = z
  .object({ provider: z.string(), hint: z.string(), updated_at: z.string() })
  .meta({ id: 'VendorConnection' });
export const ConnectionSetSchema = z
  .object({ api_key: z.string().min(1).max(4_000) })
  .meta({ id: 'VendorConnectionSet' });
