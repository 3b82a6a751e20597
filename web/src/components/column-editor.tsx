import { useId, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import type { AgentType, OutputFormat } from '../../../src/domain/columns.ts';
import { ApiError, type ApiClient, type Column, type ColumnConfig, type ColumnConfigInput } from '../api.ts';
import { keyFromName, uniqueKey } from '../format.ts';
import { Modal } from './modal.tsx';
import { TemplateTextarea } from './template-input.tsx';

// The server's lists, mirrored (importing them would bundle zod); the checks below break the
// type-check if the server adds a value the UI does not offer.
const AGENT_TYPES = ['research', 'research_pro', 'research_reasoning', 'llm', 'linkedin'] as const;
const OUTPUT_FORMATS = [
  'text',
  'url',
  'number',
  'numeric',
  'email',
  'phone',
  'date',
  'money',
  'grade',
  'label',
  'select',
  'multiselect',
  'json',
  'people',
] as const;
type Missing<All, Listed> = Exclude<All, Listed> extends never ? true : Exclude<All, Listed>;
const _agentTypesComplete: Missing<AgentType, (typeof AGENT_TYPES)[number]> = true;
const _formatsComplete: Missing<OutputFormat, (typeof OUTPUT_FORMATS)[number]> = true;
void _agentTypesComplete;
void _formatsComplete;

const AGENT_TYPE_HELP: Record<AgentType, string> = {
  llm: 'one model call, no web access',
  research: 'searches the web and reads the pages it cites',
  research_pro: 'deeper research (default)',
  research_reasoning: 'research with a reasoning model',
  linkedin: 'LinkedIn lookup',
};
const LABELLED: readonly OutputFormat[] = ['select', 'multiselect', 'label'];
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
type HttpMethod = (typeof HTTP_METHODS)[number];

/** Kinds the editor has a form for; other kinds are edited as JSON. */
const EDITABLE_KINDS = [
  'input',
  'agent',
  'criterion_grade',
  'formula',
  'http',
  'company_people_finder',
  'email_finder',
  'phone_finder',
  'reverse_email_lookup',
] as const;
type EditableKind = (typeof EDITABLE_KINDS)[number];
type Kind = EditableKind | 'other';

const KIND_LABELS: Record<EditableKind, string> = {
  input: 'Input — values you enter or import',
  agent: 'Agent — an LLM or research agent answers a prompt',
  criterion_grade: 'Criterion grade — grades each row 1–5 against a criterion',
  formula: 'Formula — a CEL expression over the row',
  http: 'HTTP — one request per row',
  company_people_finder: 'People finder — people in given roles at each company (company tables)',
  email_finder: 'Email finder — a waterfall of your email vendors (people tables)',
  phone_finder: 'Phone finder — a waterfall of your phone vendors (people tables)',
  reverse_email_lookup: 'Reverse email lookup — the person behind an email address',
};

export interface FormState {
  name: string;
  key: string;
  keyTouched: boolean;
  kind: Kind;
  agentType: AgentType;
  prompt: string;
  outputFormat: OutputFormat;
  labels: string[];
  labelDraft: string;
  outputSchema: string;
  model: string;
  criterion: string;
  expression: string;
  method: HttpMethod;
  url: string;
  headers: string;
  body: string;
  extract: string;
  roles: string;
  maxResults: string;
  emailColumnKey: string;
  json: string;
}

export function initialState(column: Column | null): FormState {
  const state: FormState = {
    name: '',
    key: '',
    keyTouched: false,
    kind: 'agent',
    agentType: 'llm',
    prompt: '',
    outputFormat: 'text',
    labels: [],
    labelDraft: '',
    outputSchema: '',
    model: '',
    criterion: '',
    expression: '',
    method: 'GET',
    url: '',
    headers: '',
    body: '',
    extract: '',
    roles: '',
    maxResults: '5',
    emailColumnKey: '',
    json: '',
  };
  if (!column) return state;
  const config = column.config;
  Object.assign(state, { name: config.name, key: config.key, keyTouched: true });
  switch (config.kind) {
    case 'input':
      state.kind = 'input';
      break;
    case 'agent':
      Object.assign(state, {
        kind: 'agent',
        agentType: config.value.agent_type,
        prompt: config.value.prompt,
        outputFormat: config.value.output_format,
        labels: config.value.labels ?? [],
        outputSchema: config.value.output_schema ? JSON.stringify(config.value.output_schema, null, 2) : '',
        model: config.value.model ?? '',
      });
      break;
    case 'criterion_grade':
      Object.assign(state, { kind: 'criterion_grade', criterion: config.value.criterion });
      break;
    case 'formula':
      Object.assign(state, { kind: 'formula', expression: config.value.expression });
      break;
    case 'http':
      Object.assign(state, {
        kind: 'http',
        method: config.value.method,
        url: config.value.url,
        headers: config.value.headers ? JSON.stringify(config.value.headers, null, 2) : '',
        body:
          config.value.body === null
            ? ''
            : typeof config.value.body === 'string'
              ? config.value.body
              : JSON.stringify(config.value.body, null, 2),
        extract: config.value.extract ?? '',
      });
      break;
    case 'company_people_finder':
      Object.assign(state, {
        kind: 'company_people_finder',
        roles: config.value.roles.join(', '),
        maxResults: String(config.value.max_results),
      });
      break;
    case 'email_finder':
    case 'phone_finder':
      state.kind = config.kind;
      break;
    case 'reverse_email_lookup':
      Object.assign(state, { kind: 'reverse_email_lookup', emailColumnKey: config.email_column_key });
      break;
    default:
      Object.assign(state, { kind: 'other', json: JSON.stringify(config, null, 2) });
  }
  return state;
}

type FieldErrors = Record<string, string>;

/** Builds the config to send, or the problems found before asking the server. */
export function buildConfig(
  state: FormState,
  existing: ColumnConfig | undefined,
): { config: ColumnConfigInput } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const base = { name: state.name.trim(), key: state.key.trim() };
  const parseJson = (text: string, field: string): unknown => {
    if (!text.trim()) return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      errors[field] = `Not valid JSON: ${(error as Error).message}`;
      return undefined;
    }
  };
  let config: ColumnConfigInput | undefined;
  switch (state.kind) {
    case 'input':
      config = { kind: 'input', ...base };
      break;
    case 'agent': {
      const schema =
        state.outputFormat === 'json' ? parseJson(state.outputSchema, 'value.output_schema') : null;
      if (schema !== null && schema !== undefined && (typeof schema !== 'object' || Array.isArray(schema))) {
        errors['value.output_schema'] = 'The JSON schema must be an object';
      }
      config = {
        kind: 'agent',
        ...base,
        value: {
          agent_type: state.agentType,
          prompt: state.prompt,
          output_format: state.outputFormat,
          labels: LABELLED.includes(state.outputFormat) ? state.labels : null,
          output_schema: (schema as Record<string, unknown> | null | undefined) ?? null,
          extra_dependencies: existing?.kind === 'agent' ? existing.value.extra_dependencies : null,
          model: state.model.trim() || null,
        },
      };
      break;
    }
    case 'criterion_grade':
      config = { kind: 'criterion_grade', ...base, value: { criterion: state.criterion } };
      break;
    case 'formula':
      config = { kind: 'formula', ...base, value: { expression: state.expression } };
      break;
    case 'http': {
      const headers = parseJson(state.headers, 'value.headers');
      if (headers !== null && headers !== undefined) {
        const valid =
          typeof headers === 'object' &&
          !Array.isArray(headers) &&
          Object.values(headers).every((value) => typeof value === 'string');
        if (!valid)
          errors['value.headers'] =
            'Headers must be a JSON object of strings, e.g. {"accept": "application/json"}';
      }
      // A body that reads as a JSON object is sent as one; anything else as text.
      let body: string | Record<string, unknown> | null = state.body.trim() ? state.body : null;
      if (body !== null) {
        try {
          const parsed = JSON.parse(state.body) as unknown;
          if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
            body = parsed as Record<string, unknown>;
          }
        } catch {
          // text body
        }
      }
      const previous = existing?.kind === 'http' ? existing.value : undefined;
      config = {
        kind: 'http',
        ...base,
        value: {
          ...previous,
          method: state.method,
          url: state.url.trim(),
          headers: (headers as Record<string, string> | null | undefined) ?? null,
          body,
          extract: state.extract.trim() || null,
        },
      };
      break;
    }
    case 'company_people_finder': {
      const roles = state.roles
        .split(',')
        .map((role) => role.trim())
        .filter(Boolean);
      if (roles.length === 0) errors['value.roles'] = 'Name at least one role, e.g. CEO, Head of Sales';
      const maxResults = Number(state.maxResults);
      if (!Number.isInteger(maxResults) || maxResults < 1)
        errors['value.max_results'] = 'A whole number of people, 1 or more';
      config = {
        kind: 'company_people_finder',
        ...base,
        value: { roles, provider: 'research_pro', max_results: maxResults },
      };
      break;
    }
    case 'email_finder':
    case 'phone_finder':
      config = { kind: state.kind, ...base };
      break;
    case 'reverse_email_lookup':
      if (!state.emailColumnKey) errors.email_column_key = 'Choose the column that holds the email address';
      config = { kind: 'reverse_email_lookup', ...base, email_column_key: state.emailColumnKey };
      break;
    case 'other': {
      const parsed = parseJson(state.json, 'json');
      if (parsed !== undefined) config = parsed as ColumnConfigInput;
      break;
    }
  }
  if (!base.name && state.kind !== 'other') errors.name = 'A name is required';
  if (Object.keys(errors).length > 0 || !config) return { errors };
  return { config };
}

/**
 * Where a 422 `loc` points in this form: `["body","column_configs",0,"value","prompt"]` (add) or
 * `["body","value","prompt"]` (edit) → `value.prompt`. Unknown places go to the form's top.
 */
export function fieldOf(loc: readonly (string | number)[], fields: readonly string[]): string | null {
  let path = loc[0] === 'body' ? loc.slice(1) : [...loc];
  if (path[0] === 'column_configs') path = path.slice(2);
  for (let length = path.length; length > 0; length--) {
    const candidate = path.slice(0, length).join('.');
    if (fields.includes(candidate)) return candidate;
  }
  return null;
}

const FIELDS = [
  'name',
  'key',
  'kind',
  'value.agent_type',
  'value.prompt',
  'value.output_format',
  'value.labels',
  'value.output_schema',
  'value.model',
  'value.criterion',
  'value.expression',
  'value.method',
  'value.url',
  'value.headers',
  'value.body',
  'value.extract',
  'value.roles',
  'value.max_results',
  'email_column_key',
  'json',
];

function Field({
  id,
  label,
  error,
  help,
  children,
}: {
  id: string;
  label: string;
  error?: string;
  help?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className={error ? 'field invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children}
      {help && (
        <div className="help" id={`${id}-help`}>
          {help}
        </div>
      )}
      {error && (
        <div className="field-error" id={`${id}-error`} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** Adds a column or edits one: a form per kind, with the server's 422s shown at their fields. */
export function ColumnEditor({
  client,
  tableId,
  columns,
  column,
  onClose,
  onSaved,
}: {
  client: ApiClient;
  tableId: string;
  columns: readonly Column[];
  column: Column | null;
  onClose: () => void;
  onSaved: (column: Column) => void;
}) {
  const [state, setState] = useState<FormState>(() => initialState(column));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const uid = useId();
  const id = (field: string) => `${uid}-${field.replace(/\./g, '-')}`;
  const otherKeys = useMemo(
    () => columns.filter((c) => c.id !== column?.id).map((c) => c.config.key),
    [columns, column],
  );

  const set = <K extends keyof FormState>(field: K, value: FormState[K]) =>
    setState((current) => ({ ...current, [field]: value }));

  function setName(name: string) {
    setState((current) => ({
      ...current,
      name,
      key: current.keyTouched ? current.key : uniqueKey(keyFromName(name), new Set(otherKeys)),
    }));
  }

  const errorProps = (field: string) => ({
    id: id(field),
    'aria-invalid': errors[field] ? true : undefined,
    'aria-describedby': errors[field] ? `${id(field)}-error` : undefined,
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const built = buildConfig(state, column?.config);
    if ('errors' in built) {
      setErrors(built.errors);
      setGeneral([]);
      return;
    }
    setBusy(true);
    try {
      const saved = column
        ? await client.updateColumn(tableId, column.id, built.config)
        : (await client.addColumns(tableId, [built.config]))[0];
      if (saved) onSaved(saved);
    } catch (caught) {
      const fieldErrors: FieldErrors = {};
      const rest: string[] = [];
      if (caught instanceof ApiError && caught.issues.length > 0) {
        for (const issue of caught.issues) {
          const field = fieldOf(issue.loc, state.kind === 'other' ? [] : FIELDS);
          if (field && !fieldErrors[field]) fieldErrors[field] = issue.msg;
          else if (field) fieldErrors[field] += `; ${issue.msg}`;
          else rest.push(`${issue.loc.slice(1).join('.')}: ${issue.msg}`);
        }
      } else {
        rest.push(caught instanceof Error ? caught.message : String(caught));
      }
      setErrors(fieldErrors);
      setGeneral(rest);
    } finally {
      setBusy(false);
    }
  }

  const keysHelp =
    otherKeys.length > 0
      ? `Type { to insert a column: ${otherKeys.map((k) => `{${k}}`).join(' ')}`
      : undefined;

  return (
    <Modal title={column ? `Edit column ${column.config.name}` : 'Add column'} onClose={onClose} wide>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <div className="modal-body column-editor">
          {general.length > 0 && (
            <div className="error-box" role="alert">
              {general.map((message) => (
                <div key={message}>{message}</div>
              ))}
            </div>
          )}
          <div className="row-2">
            <Field id={id('name')} label="Name" error={errors.name}>
              <input
                {...errorProps('name')}
                value={state.name}
                onChange={(event) => setName(event.target.value)}
                data-autofocus
              />
            </Field>
            <Field
              id={id('key')}
              label="Key"
              error={errors.key}
              help="snake_case; prompts and formulas refer to it"
            >
              <input
                {...errorProps('key')}
                value={state.key}
                onChange={(event) =>
                  setState((current) => ({ ...current, key: event.target.value, keyTouched: true }))
                }
              />
            </Field>
          </div>
          <Field id={id('kind')} label="Kind" error={errors.kind}>
            <select
              {...errorProps('kind')}
              value={state.kind}
              disabled={Boolean(column) && state.kind === 'other'}
              onChange={(event) => set('kind', event.target.value as Kind)}
            >
              {EDITABLE_KINDS.map((kind) => (
                <option key={kind} value={kind}>
                  {KIND_LABELS[kind]}
                </option>
              ))}
              {state.kind === 'other' && <option value="other">{column?.config.kind} (edit as JSON)</option>}
            </select>
          </Field>

          {state.kind === 'agent' && (
            <>
              <div className="row-2">
                <Field id={id('value.agent_type')} label="Agent type" error={errors['value.agent_type']}>
                  <select
                    {...errorProps('value.agent_type')}
                    value={state.agentType}
                    onChange={(event) => set('agentType', event.target.value as AgentType)}
                  >
                    {AGENT_TYPES.map((type) => (
                      <option key={type} value={type}>
                        {type} — {AGENT_TYPE_HELP[type]}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field
                  id={id('value.output_format')}
                  label="Output format"
                  error={errors['value.output_format']}
                >
                  <select
                    {...errorProps('value.output_format')}
                    value={state.outputFormat}
                    onChange={(event) => set('outputFormat', event.target.value as OutputFormat)}
                  >
                    {OUTPUT_FORMATS.map((format) => (
                      <option key={format} value={format}>
                        {format}
                      </option>
                    ))}
                  </select>
                </Field>
              </div>
              <Field id={id('value.prompt')} label="Prompt" error={errors['value.prompt']} help={keysHelp}>
                <TemplateTextarea
                  id={id('value.prompt')}
                  value={state.prompt}
                  onChange={(value) => set('prompt', value)}
                  keys={otherKeys}
                  invalid={Boolean(errors['value.prompt'])}
                  describedBy={errors['value.prompt'] ? `${id('value.prompt')}-error` : undefined}
                />
              </Field>
              {LABELLED.includes(state.outputFormat) && (
                <Field id={id('value.labels')} label="Labels" error={errors['value.labels']}>
                  <div className="labels">
                    {state.labels.map((label, index) => (
                      <span className="chip" key={`${label}-${index}`}>
                        {label}
                        <button
                          type="button"
                          aria-label={`Remove label ${label}`}
                          onClick={() =>
                            set(
                              'labels',
                              state.labels.filter((_, i) => i !== index),
                            )
                          }
                        >
                          ×
                        </button>
                      </span>
                    ))}
                    <input
                      {...errorProps('value.labels')}
                      placeholder="Add a label and press Enter"
                      value={state.labelDraft}
                      onChange={(event) => set('labelDraft', event.target.value)}
                      onKeyDown={(event) => {
                        if (event.key !== 'Enter' && event.key !== ',') return;
                        event.preventDefault();
                        const label = state.labelDraft.trim();
                        if (label && !state.labels.includes(label)) {
                          setState((current) => ({
                            ...current,
                            labels: [...current.labels, label],
                            labelDraft: '',
                          }));
                        } else set('labelDraft', '');
                      }}
                    />
                  </div>
                </Field>
              )}
              {state.outputFormat === 'json' && (
                <Field
                  id={id('value.output_schema')}
                  label="JSON schema of the answer"
                  error={errors['value.output_schema']}
                >
                  <textarea
                    {...errorProps('value.output_schema')}
                    rows={6}
                    spellCheck={false}
                    placeholder='{"type": "object", "properties": {"employees": {"type": "integer"}}}'
                    value={state.outputSchema}
                    onChange={(event) => set('outputSchema', event.target.value)}
                  />
                </Field>
              )}
              <Field
                id={id('value.model')}
                label="Model (optional)"
                error={errors['value.model']}
                help="Overrides the agent type's default model, e.g. openai:gpt-4.1 or anthropic:claude-sonnet-4-5"
              >
                <input
                  {...errorProps('value.model')}
                  value={state.model}
                  onChange={(event) => set('model', event.target.value)}
                />
              </Field>
            </>
          )}

          {state.kind === 'criterion_grade' && (
            <Field
              id={id('value.criterion')}
              label="Criterion"
              error={errors['value.criterion']}
              help={keysHelp}
            >
              <TemplateTextarea
                id={id('value.criterion')}
                value={state.criterion}
                onChange={(value) => set('criterion', value)}
                keys={otherKeys}
                invalid={Boolean(errors['value.criterion'])}
              />
            </Field>
          )}

          {state.kind === 'formula' && (
            <Field
              id={id('value.expression')}
              label="Expression (CEL)"
              error={errors['value.expression']}
              help={
                <>
                  e.g. <code>company + " (" + domain + ")"</code> or <code>price * 2</code>. Keys:{' '}
                  {otherKeys.map((key) => (
                    <button
                      type="button"
                      key={key}
                      className="chip-button"
                      onClick={() =>
                        set(
                          'expression',
                          `${state.expression}${state.expression && !state.expression.endsWith(' ') ? ' ' : ''}${key}`,
                        )
                      }
                    >
                      {key}
                    </button>
                  ))}
                </>
              }
            >
              <input
                {...errorProps('value.expression')}
                className="mono"
                value={state.expression}
                onChange={(event) => set('expression', event.target.value)}
              />
            </Field>
          )}

          {state.kind === 'http' && (
            <>
              <div className="row-method-url">
                <Field id={id('value.method')} label="Method" error={errors['value.method']}>
                  <select
                    {...errorProps('value.method')}
                    value={state.method}
                    onChange={(event) => set('method', event.target.value as HttpMethod)}
                  >
                    {HTTP_METHODS.map((method) => (
                      <option key={method}>{method}</option>
                    ))}
                  </select>
                </Field>
                <Field
                  id={id('value.url')}
                  label="URL"
                  error={errors['value.url']}
                  help="{key} inserts a column's value"
                >
                  <input
                    {...errorProps('value.url')}
                    className="mono"
                    placeholder="https://api.example.com/lookup?domain={domain}"
                    value={state.url}
                    onChange={(event) => set('url', event.target.value)}
                  />
                </Field>
              </div>
              <Field id={id('value.headers')} label="Headers (JSON object)" error={errors['value.headers']}>
                <textarea
                  {...errorProps('value.headers')}
                  rows={3}
                  spellCheck={false}
                  placeholder='{"accept": "application/json"}'
                  value={state.headers}
                  onChange={(event) => set('headers', event.target.value)}
                />
              </Field>
              <Field
                id={id('value.body')}
                label="Body"
                error={errors['value.body']}
                help="A JSON object is sent as JSON; anything else as text."
              >
                <TemplateTextarea
                  id={id('value.body')}
                  rows={3}
                  value={state.body}
                  onChange={(value) => set('body', value)}
                  keys={otherKeys}
                  invalid={Boolean(errors['value.body'])}
                />
              </Field>
              <Field
                id={id('value.extract')}
                label="Extract (optional)"
                error={errors['value.extract']}
                help="A dotted path into the JSON response, e.g. data.company.name"
              >
                <input
                  {...errorProps('value.extract')}
                  className="mono"
                  value={state.extract}
                  onChange={(event) => set('extract', event.target.value)}
                />
              </Field>
            </>
          )}

          {state.kind === 'company_people_finder' && (
            <>
              <Field
                id={id('value.roles')}
                label="Roles"
                error={errors['value.roles']}
                help="Comma-separated job titles, e.g. CEO, Head of Sales. Each person found becomes a row of a linked people table."
              >
                <input
                  {...errorProps('value.roles')}
                  value={state.roles}
                  onChange={(event) => set('roles', event.target.value)}
                />
              </Field>
              <Field
                id={id('value.max_results')}
                label="At most this many people per company"
                error={errors['value.max_results']}
              >
                <input
                  {...errorProps('value.max_results')}
                  type="number"
                  min={1}
                  value={state.maxResults}
                  onChange={(event) => set('maxResults', event.target.value)}
                />
              </Field>
            </>
          )}

          {(state.kind === 'email_finder' || state.kind === 'phone_finder') && (
            <p className="muted small">
              Reads full_name, profile_url and company_website (from the row, or its parent company row) and
              tries the vendors the workspace has keys for, in order (Connections).
            </p>
          )}

          {state.kind === 'reverse_email_lookup' && (
            <Field id={id('email_column_key')} label="Email column" error={errors.email_column_key}>
              <select
                {...errorProps('email_column_key')}
                value={state.emailColumnKey}
                onChange={(event) => set('emailColumnKey', event.target.value)}
              >
                <option value="">Choose a column…</option>
                {otherKeys.map((key) => (
                  <option key={key} value={key}>
                    {key}
                  </option>
                ))}
              </select>
            </Field>
          )}

          {state.kind === 'other' && (
            <Field id={id('json')} label="Column config (JSON)" error={errors.json}>
              <textarea
                {...errorProps('json')}
                rows={12}
                spellCheck={false}
                value={state.json}
                onChange={(event) => set('json', event.target.value)}
              />
            </Field>
          )}
        </div>
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Saving…' : column ? 'Save column' : 'Add column'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
