import { z } from 'zod';
import { IssueCollector } from './errors.ts';
import { templateReferences } from './templates.ts';

/**
 * Custom connectors (ext, Databar dialect): a workspace's own HTTP API, described as data, offered
 * in its catalog beside the built-in enrichments. `{param}` templates in the URL, headers and body
 * are filled from the params an add-enrichment mapping gives each row; headers (where keys live)
 * are stored encrypted and never shown again. A table that adds a connector keeps a snapshot of
 * its non-secret parts in the column config, so workers on any process run it without a lookup.
 */

/** Custom connectors' catalog ids start here: built-in enrichment ids stay below. */
export const CONNECTOR_ID_OFFSET = 100_000;

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const FIELD_TYPES = ['text', 'email', 'url', 'phone', 'number', 'boolean', 'json', 'list', 'date'] as const;
const PARAM_NAME = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'A param name is letters, digits and _, starting with a letter or _')
  .max(64);

export const ConnectorParamSchema = z.object({
  name: PARAM_NAME,
  is_required: z.boolean().default(true),
  type_field: z.enum(FIELD_TYPES).default('text'),
  description: z.string().max(1000).default(''),
});

export const ConnectorResponseFieldSchema = z.object({
  name: PARAM_NAME,
  /** Dotted path into the JSON answer (`data.email`, `items.0.id`); defaults to the name. */
  path: z.string().min(1).max(500).nullable().default(null),
  display_name: z.string().min(1).max(200).nullable().default(null),
  type_field: z.enum(FIELD_TYPES).default('text'),
});

/** The non-secret description of a connector: what a table's column keeps. */
export const ConnectorSnapshotSchema = z
  .object({
    id: z.number().int(),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).default(''),
    method: z.enum(HTTP_METHODS).default('GET'),
    url: z.string().min(1).max(4000),
    /** Names of the stored (encrypted) headers; their values are fetched at call time. */
    header_names: z.array(z.string()).default([]),
    parameters: z.array(ConnectorParamSchema).max(50).default([]),
    body_template: z
      .union([z.string(), z.record(z.string(), z.unknown())])
      .nullable()
      .default(null),
    response_fields: z.array(ConnectorResponseFieldSchema).max(50).default([]),
    /** Requests per minute, shared by every run of the workspace. */
    rate_limit: z.number().int().min(1).max(1_000_000).nullable().default(null),
    max_concurrency: z.number().int().min(1).max(1000).nullable().default(null),
    timeout_ms: z.number().int().min(100).max(300_000).default(30_000),
    /** USD charged per call that returns data (for cost tracking; default 0). */
    price: z.number().min(0).max(1000).default(0),
  })
  .meta({ id: 'ConnectorSnapshot' });
export type ConnectorSnapshot = z.output<typeof ConnectorSnapshotSchema>;

/** `POST /v1/connectors`: parameters may be given as bare names (required text params). */
export const ConnectorInputSchema = ConnectorSnapshotSchema.omit({ id: true, header_names: true })
  .extend({
    parameters: z
      .array(z.union([PARAM_NAME, ConnectorParamSchema]))
      .max(50)
      .default([])
      .transform((params) =>
        params.map((param) =>
          ConnectorParamSchema.parse(typeof param === 'string' ? { name: param } : param),
        ),
      ),
    /** Sent with every call; `{param}` templates allowed. Stored encrypted, never returned. */
    headers: z.record(z.string().min(1).max(200), z.string().max(8000)).nullable().default(null),
  })
  .strict()
  .meta({ id: 'ConnectorInput' });
export type ConnectorInput = z.output<typeof ConnectorInputSchema>;

/** The body template as text: JSON bodies are templated as their JSON. */
export function bodyTemplateText(template: ConnectorSnapshot['body_template']): string | null {
  if (template === null) return null;
  return typeof template === 'string' ? template : JSON.stringify(template);
}

/**
 * Checks what zod cannot: the URL is absolute http(s) (before templates are filled, a leading
 * `{param}` may supply it), params are unique, templates reference declared params only, response
 * fields are unique. Throws a ValidationError listing every problem.
 */
export function checkConnector(input: ConnectorInput): void {
  const issues = new IssueCollector();
  const declared = new Set<string>();
  input.parameters.forEach((param, index) => {
    if (declared.has(param.name))
      issues.add(['parameters', index, 'name'], `The param '${param.name}' is declared twice`);
    declared.add(param.name);
  });
  const undeclared = (template: string, loc: (string | number)[]) => {
    for (const key of templateReferences(template)) {
      if (!declared.has(key))
        issues.add(loc, `{${key}} is not a declared param (declared: ${[...declared].join(', ') || 'none'})`);
    }
  };
  if (!/^\{/.test(input.url.trim()) && !/^https?:\/\/[^/\s{}]+/i.test(input.url.trim()))
    issues.add(
      ['url'],
      'The URL must be absolute http(s), e.g. https://api.example.com/v1/lookup?q={domain}',
    );
  undeclared(input.url, ['url']);
  for (const [name, value] of Object.entries(input.headers ?? {})) undeclared(value, ['headers', name]);
  const body = bodyTemplateText(input.body_template);
  if (body !== null) undeclared(body, ['body_template']);
  const fields = new Set<string>();
  input.response_fields.forEach((field, index) => {
    if (fields.has(field.name))
      issues.add(['response_fields', index, 'name'], `The field '${field.name}' is declared twice`);
    fields.add(field.name);
  });
  issues.throwIfAny();
}
