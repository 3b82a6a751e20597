import { columnDependencies, describeColumn, findCycle } from './column-graph.ts';
import { LABELLED_FORMATS, type ColumnConfig, type TableKind } from './columns.ts';
import { IssueCollector, type IssuePath } from './errors.ts';
import { parseFormula, parseRunCondition } from './formula.ts';
import { explainInvalidJsonSchema } from './json-schema.ts';

/**
 * One column of the set being checked. `path` locates a column the request names (e.g.
 * `['column_configs', 2]`); columns already in the table have `path: undefined` and their
 * problems are blamed on `blame` — the part of the request that broke them.
 */
export interface ColumnDraft {
  config: ColumnConfig;
  path?: IssuePath;
}

/**
 * Checks the rules a table's whole column set must satisfy after a change, and throws a
 * `ValidationError` listing every problem: snake_case keys unique in the table, every `{key}`
 * and `extra_dependencies` entry naming a column, no dependency cycle, labels for labelled
 * formats, a valid JSON Schema for `json`, and the kind restrictions of seed 003.
 */
export function checkColumnSet(
  tableKind: TableKind,
  drafts: readonly ColumnDraft[],
  blame: IssuePath = [],
): void {
  const issues = new IssueCollector();
  const locate = (draft: ColumnDraft, relative: IssuePath): IssuePath =>
    draft.path ? [...draft.path, ...relative] : blame;
  const describe = (draft: ColumnDraft, message: string, relative: IssuePath = []): string =>
    draft.path ? message : `${describeColumn(draft.config, relative)}: ${message}`;

  const seenKeys = new Map<string, ColumnDraft>();
  for (const draft of drafts) {
    const key = draft.config.key;
    if (seenKeys.has(key)) {
      const other = seenKeys.get(key)!;
      const target = draft.path ? draft : other;
      issues.add(locate(target, ['key']), `Column key '${key}' is already used in this table`);
    } else {
      seenKeys.set(key, draft);
    }
  }

  for (const draft of drafts) {
    // A column's own rules were checked when it was written; its references can break later.
    if (draft.path) checkOwnRules(tableKind, draft, issues, locate, describe);
    for (const dep of columnDependencies(draft.config)) {
      if (dep.key === draft.config.key) {
        issues.add(
          locate(draft, dep.path),
          describe(draft, `Column '${dep.key}' cannot depend on itself`, dep.path),
        );
      } else if (!seenKeys.has(dep.key)) {
        issues.add(
          locate(draft, dep.path),
          describe(draft, `Unknown column key '${dep.key}': no column in this table has that key`, dep.path),
        );
      }
    }
  }

  const cycle = findCycle(drafts.map((draft) => draft.config).filter((config) => !selfReferencing(config)));
  if (cycle) {
    const first = drafts.find((draft) => draft.path && cycle.includes(draft.config.key)) ?? drafts[0]!;
    issues.add(locate(first, []), `Columns depend on each other in a cycle: ${cycle.join(' → ')}`);
  }

  issues.throwIfAny();
}

function selfReferencing(config: ColumnConfig): boolean {
  return columnDependencies(config).some((dep) => dep.key === config.key);
}

function checkOwnRules(
  tableKind: TableKind,
  draft: ColumnDraft,
  issues: IssueCollector,
  locate: (draft: ColumnDraft, relative: IssuePath) => IssuePath,
  describe: (draft: ColumnDraft, message: string, relative?: IssuePath) => string,
): void {
  const config = draft.config;
  const add = (relative: IssuePath, message: string) =>
    issues.add(locate(draft, relative), describe(draft, message, relative));

  if (config.kind === 'agent') {
    const { output_format: format, labels, output_schema: schema, agent_type: agentType } = config.value;
    if (LABELLED_FORMATS.has(format)) {
      if (!labels || labels.length === 0) {
        add(['value', 'labels'], `output_format '${format}' needs a non-empty list of labels`);
      } else if (new Set(labels).size !== labels.length) {
        add(['value', 'labels'], 'labels must be distinct');
      }
    }
    if (format === 'json') {
      if (!schema)
        add(['value', 'output_schema'], "output_format 'json' needs an output_schema (a JSON Schema)");
      else {
        const problem = explainInvalidJsonSchema(schema);
        if (problem) add(['value', 'output_schema'], problem);
      }
    }
    if (agentType === 'research_pro' && tableKind === 'people') {
      add(['value', 'agent_type'], "agent_type 'research_pro' is not available on people tables");
    }
  }
  if (config.kind === 'company_people_finder' && tableKind !== 'company') {
    add(['kind'], 'company_people_finder columns are only available on company tables');
  }
  if (config.kind === 'formula') {
    const parsed = parseFormula(config.value.expression);
    if (!parsed.ok) add(['value', 'expression'], parsed.message);
  }
  if ((config.kind === 'enrichment' || config.kind === 'waterfall') && config.value.run_if) {
    const parsed = parseRunCondition(config.value.run_if);
    if (!parsed.ok) add(['value', 'run_if'], parsed.message);
  }
  if (config.kind === 'http' && !/^(https?:\/\/|\{)/i.test(config.value.url.trim())) {
    add(['value', 'url'], 'url must start with http:// or https:// (or a {key} reference)');
  }
}
