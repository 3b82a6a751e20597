import { z } from 'zod';
import { ConnectorSnapshotSchema } from './connectors.ts';

/**
 * Column configs: the discriminated union of seed 003, plus our `formula` and `http` kinds.
 * This schema is the single source of validation, OpenAPI and SDK types for a column's config.
 */

export const TABLE_KINDS = ['generic', 'company', 'people'] as const;
export type TableKind = (typeof TABLE_KINDS)[number];
export const TableKindSchema = z.enum(TABLE_KINDS).meta({ id: 'TableKind' });

export const AGENT_TYPES = ['research', 'research_pro', 'research_reasoning', 'llm', 'linkedin'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];
export const AgentTypeSchema = z.enum(AGENT_TYPES).meta({ id: 'AgentType' });

export const OUTPUT_FORMATS = [
  'text',
  'url',
  'number',
  'email',
  'label',
  'json',
  'grade',
  'people',
  'numeric',
  'money',
  'date',
  'phone',
  'select',
  'multiselect',
] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export const OutputFormatSchema = z.enum(OUTPUT_FORMATS).meta({ id: 'AgentOutputFormat' });

/** Formats whose answers must come from `labels`. */
export const LABELLED_FORMATS: ReadonlySet<OutputFormat> = new Set(['select', 'multiselect', 'label']);

export const COLUMN_KEY_PATTERN = /^[a-z][a-z0-9_]*$/;
const ColumnKeySchema = z
  .string()
  .max(64)
  .regex(
    COLUMN_KEY_PATTERN,
    'Key must be snake_case: lowercase letters, digits and _, starting with a letter',
  );
const ColumnNameSchema = z.string().min(1).max(200);

const base = { name: ColumnNameSchema, key: ColumnKeySchema };

export const InputColumnConfigSchema = z
  .object({ kind: z.literal('input').default('input'), ...base })
  .meta({ id: 'InputColumnConfig' });

export const AgentColumnValueSchema = z
  .object({
    agent_type: AgentTypeSchema.default('research_pro'),
    prompt: z.string().max(20_000).default(''),
    output_format: OutputFormatSchema.default('text'),
    labels: z.array(z.string().min(1)).nullable().default(null),
    output_schema: z.record(z.string(), z.unknown()).nullable().default(null),
    extra_dependencies: z.array(z.string()).nullable().default(null),
    /** ext: a model name overriding the default model of the agent type. */
    model: z.string().min(1).nullable().optional(),
  })
  .meta({ id: 'AgentColumnSchema' });

export const AgentColumnConfigSchema = z
  .object({ kind: z.literal('agent'), ...base, value: AgentColumnValueSchema })
  .meta({ id: 'AgentColumnConfig' });

export const CriterionGradeColumnConfigSchema = z
  .object({
    kind: z.literal('criterion_grade'),
    ...base,
    value: z.object({ criterion: z.string().min(1).max(5000) }).meta({ id: 'CriterionGraderAgentSchema' }),
  })
  .meta({ id: 'CriterionGradeColumnConfig' });

export const PeopleFinderColumnConfigSchema = z
  .object({
    kind: z.literal('company_people_finder'),
    ...base,
    value: z
      .object({
        roles: z.array(z.string().min(1)).min(1),
        provider: z.literal('research_pro').default('research_pro'),
        max_results: z.number().int().min(1).max(100).default(5),
      })
      .meta({ id: 'PeopleFinderAgentSchema' }),
  })
  .meta({ id: 'PeopleFinderColumnConfig' });

export const CriterionDefinitionSchema = z
  .object({
    key: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/),
    name: z.string().min(1).max(100),
    criterion: z.string().min(10).max(500),
  })
  .meta({ id: 'CriterionDefinition' });

export const DiscoveryScoresColumnConfigSchema = z
  .object({
    kind: z.literal('discovery_scores'),
    ...base,
    criteria: z.record(z.string(), CriterionDefinitionSchema).nullable().default(null),
  })
  .meta({ id: 'DiscoveryScoresColumnConfig' });

function systemColumn<K extends string>(kind: K, id: string) {
  return z.object({ kind: z.literal(kind), ...base }).meta({ id });
}

export const CompanyNameColumnConfigSchema = systemColumn('company_name', 'CompanyNameColumnConfig');
export const CompanyWebsiteColumnConfigSchema = systemColumn('company_website', 'CompanyWebsiteColumnConfig');
export const CompanyProfileColumnConfigSchema = systemColumn('company_profile', 'CompanyProfileColumnConfig');
export const EmailFinderColumnConfigSchema = systemColumn('email_finder', 'EmailFinderColumnConfig');
export const PhoneFinderColumnConfigSchema = systemColumn('phone_finder', 'PhoneFinderColumnConfig');

export const ReverseEmailLookupColumnConfigSchema = z
  .object({ kind: z.literal('reverse_email_lookup'), ...base, email_column_key: z.string().min(1) })
  .meta({ id: 'ReverseEmailLookupColumnConfig' });

/** ext: a CEL expression over the row's keys, evaluated without any network call. */
export const FormulaColumnConfigSchema = z
  .object({
    kind: z.literal('formula'),
    ...base,
    value: z.object({ expression: z.string().min(1).max(10_000) }).meta({ id: 'FormulaColumnSchema' }),
  })
  .meta({ id: 'FormulaColumnConfig' });

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** ext: one HTTP call per row; `{key}` templates in url, headers and body; `extract` is a dotted JSON path. */
export const HttpColumnConfigSchema = z
  .object({
    kind: z.literal('http'),
    ...base,
    value: z
      .object({
        method: z.enum(HTTP_METHODS).default('GET'),
        url: z.string().min(1).max(4000),
        headers: z.record(z.string(), z.string()).nullable().default(null),
        body: z
          .union([z.string(), z.record(z.string(), z.unknown())])
          .nullable()
          .default(null),
        extract: z.string().min(1).nullable().default(null),
        /** Reuse identical calls' results (default: GET yes, other methods no). */
        cache: z.boolean().nullable().default(null),
        max_concurrency: z.number().int().min(1).max(1000).nullable().default(null),
        requests_per_minute: z.number().int().min(1).max(1_000_000).nullable().default(null),
        timeout_ms: z.number().int().min(100).max(300_000).default(30_000),
      })
      .meta({ id: 'HttpColumnSchema' }),
  })
  .meta({ id: 'HttpColumnConfig' });

export const LAUNCH_STRATEGIES = ['run_on_click', 'run_on_update'] as const;
export type LaunchStrategy = (typeof LAUNCH_STRATEGIES)[number];

/** A catalog param's source: a column of the row (by key), or one constant for every row. */
export const ParamSourceSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('mapping'), column: z.string().min(1) }),
    z.object({ type: z.literal('simple'), value: z.unknown() }),
  ])
  .meta({ id: 'EnrichmentParamSource' });

const automation = {
  /** CEL over the row; `{column}` references allowed. A row failing it is skipped (condition_not_met). */
  run_if: z.string().min(1).max(5_000).nullable().default(null),
  launch_strategy: z.enum(LAUNCH_STRATEGIES).default('run_on_click'),
};

/** ext (made by the Databar dialect's add-enrichment): one catalog enrichment per row; the answer is its result object. */
export const EnrichmentColumnConfigSchema = z
  .object({
    kind: z.literal('enrichment'),
    ...base,
    value: z
      .object({
        table_enrichment_id: z.number().int(),
        enrichment_id: z.number().int(),
        mapping: z.record(z.string(), ParamSourceSchema),
        ...automation,
        /** A custom connector's non-secret description, as it was when the table added it. */
        connector: ConnectorSnapshotSchema.nullable().optional(),
      })
      .meta({ id: 'EnrichmentColumnSchema' }),
  })
  .meta({ id: 'EnrichmentColumnConfig' });

/** ext (add-waterfall): catalog enrichments tried in order until one returns valid (and verified) data. */
export const WaterfallColumnConfigSchema = z
  .object({
    kind: z.literal('waterfall'),
    ...base,
    value: z
      .object({
        table_enrichment_id: z.number().int(),
        waterfall: z.string().min(1),
        enrichments: z.array(z.number().int()).min(1),
        mapping: z.record(z.string(), ParamSourceSchema),
        email_verifier: z.number().int().nullable().default(null),
        ...automation,
      })
      .meta({ id: 'WaterfallColumnSchema' }),
  })
  .meta({ id: 'WaterfallColumnConfig' });

/** ext: one field of an enrichment's or waterfall's result, as a column of its own. */
export const EnrichmentFieldColumnConfigSchema = z
  .object({
    kind: z.literal('enrichment_field'),
    ...base,
    value: z
      .object({ source: z.string().min(1), field: z.string().min(1) })
      .meta({ id: 'EnrichmentFieldColumnSchema' }),
  })
  .meta({ id: 'EnrichmentFieldColumnConfig' });

const COLUMN_CONFIG_SCHEMAS = [
  InputColumnConfigSchema,
  AgentColumnConfigSchema,
  CriterionGradeColumnConfigSchema,
  PeopleFinderColumnConfigSchema,
  DiscoveryScoresColumnConfigSchema,
  CompanyNameColumnConfigSchema,
  CompanyWebsiteColumnConfigSchema,
  CompanyProfileColumnConfigSchema,
  EmailFinderColumnConfigSchema,
  PhoneFinderColumnConfigSchema,
  ReverseEmailLookupColumnConfigSchema,
  FormulaColumnConfigSchema,
  HttpColumnConfigSchema,
  EnrichmentColumnConfigSchema,
  WaterfallColumnConfigSchema,
  EnrichmentFieldColumnConfigSchema,
] as const;

/** A config without `kind` is an input column, as the seed's default says. */
function defaultKindToInput(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !('kind' in value)) {
    return { ...value, kind: 'input' };
  }
  return value;
}

export const ColumnConfigSchema = z
  .preprocess(defaultKindToInput, z.discriminatedUnion('kind', COLUMN_CONFIG_SCHEMAS))
  .meta({ id: 'ColumnConfig' });

export type ColumnConfig = z.output<typeof ColumnConfigSchema>;
export type ColumnConfigInput = z.input<typeof ColumnConfigSchema>;
export type ColumnKind = ColumnConfig['kind'];
export type AgentColumnConfig = z.output<typeof AgentColumnConfigSchema>;

/** Input columns hold what the user gives; every other kind is computed, one cell per row. */
export function isInputKind(kind: ColumnKind): boolean {
  return kind === 'input';
}
