import { formatIssuePath } from './issue-path.ts';
import type { IssuePath } from './errors.ts';
import type { ColumnConfig } from './columns.ts';
import { parseFormula, parseRunCondition } from './formula.ts';
import { assertNever } from './cell-status.ts';
import { templateReferences } from './templates.ts';
import { COMPANY_INPUT_KEY, implicitUpstreamKinds } from './company.ts';

/**
 * The column DAG: which keys a column reads, in what order columns can compute, and which columns an
 * input change makes stale.
 */

export interface Dependency {
  key: string;
  /** Where the reference is written, relative to the column config. */
  path: IssuePath;
}

/** The keys a column reads. A formula that does not parse has no dependencies (its parse error is reported). */
export function columnDependencies(config: ColumnConfig): Dependency[] {
  switch (config.kind) {
    case 'input':
    case 'company_name':
    case 'company_website':
    case 'company_profile':
    case 'company_people_finder':
    case 'discovery_scores':
    case 'email_finder':
    case 'phone_finder':
      return [];
    case 'agent':
      return [
        ...templateReferences(config.value.prompt).map((key) => ({ key, path: ['value', 'prompt'] })),
        ...(config.value.extra_dependencies ?? []).map((key, index) => ({
          key,
          path: ['value', 'extra_dependencies', index],
        })),
      ];
    case 'criterion_grade':
      return templateReferences(config.value.criterion).map((key) => ({ key, path: ['value', 'criterion'] }));
    case 'reverse_email_lookup':
      return [{ key: config.email_column_key, path: ['email_column_key'] }];
    case 'formula': {
      const parsed = parseFormula(config.value.expression);
      return parsed.ok ? parsed.references.map((key) => ({ key, path: ['value', 'expression'] })) : [];
    }
    case 'enrichment':
    case 'waterfall': {
      const deps: Dependency[] = Object.entries(config.value.mapping).flatMap(([param, source]) =>
        source.type === 'mapping'
          ? [{ key: source.column, path: ['value', 'mapping', param, 'column'] }]
          : [],
      );
      if (config.value.run_if) {
        const parsed = parseRunCondition(config.value.run_if);
        if (parsed.ok) deps.push(...parsed.references.map((key) => ({ key, path: ['value', 'run_if'] })));
      }
      return deps;
    }
    case 'enrichment_field':
      return [{ key: config.value.source, path: ['value', 'source'] }];
    case 'http': {
      const { url, headers, body } = config.value;
      const deps: Dependency[] = templateReferences(url).map((key) => ({ key, path: ['value', 'url'] }));
      for (const [name, value] of Object.entries(headers ?? {})) {
        deps.push(...templateReferences(value).map((key) => ({ key, path: ['value', 'headers', name] })));
      }
      if (body !== null) {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        deps.push(...templateReferences(text).map((key) => ({ key, path: ['value', 'body'] })));
      }
      return deps;
    }
    default:
      return assertNever(config);
  }
}

/** The distinct keys a column reads. */
export function dependencyKeys(config: ColumnConfig): string[] {
  return [...new Set(columnDependencies(config).map((dep) => dep.key))];
}

/**
 * Finds a dependency cycle among the columns, returned as the keys along it (first key repeated at
 * the end), or `undefined` when the graph is acyclic. References to unknown keys are ignored here.
 */
export function findCycle(configs: readonly ColumnConfig[]): string[] | undefined {
  const byKey = new Map(configs.map((config) => [config.key, config]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];

  const visit = (key: string): string[] | undefined => {
    const mark = state.get(key);
    if (mark === 'done') return undefined;
    if (mark === 'visiting') return [...stack.slice(stack.indexOf(key)), key];
    const config = byKey.get(key);
    if (!config) return undefined;
    state.set(key, 'visiting');
    stack.push(key);
    for (const dep of dependencyKeys(config)) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(key, 'done');
    return undefined;
  };

  for (const config of configs) {
    const cycle = visit(config.key);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Keys of every column that reads any of `changedKeys`, directly or through other columns. */
export function downstreamKeys(configs: readonly ColumnConfig[], changedKeys: Iterable<string>): Set<string> {
  const readers = new Map<string, string[]>();
  for (const config of configs) {
    for (const dep of [...dependencyKeys(config), ...implicitDependencyKeys(configs, config)]) {
      readers.set(dep, [...(readers.get(dep) ?? []), config.key]);
    }
  }
  const result = new Set<string>();
  const queue = [...changedKeys];
  while (queue.length > 0) {
    const key = queue.pop()!;
    for (const reader of readers.get(key) ?? []) {
      if (!result.has(reader)) {
        result.add(reader);
        queue.push(reader);
      }
    }
  }
  return result;
}

/**
 * Keys a company column reads without naming them: the website column reads the row's `input`, and
 * the columns that wait for the website or name columns (by kind) read those.
 */
function implicitDependencyKeys(configs: readonly ColumnConfig[], config: ColumnConfig): string[] {
  const waitsFor = new Set(implicitUpstreamKinds(config.kind));
  const keys = configs
    .filter((other) => other.key !== config.key && waitsFor.has(other.kind))
    .map((other) => other.key);
  if (config.kind === 'company_website' && configs.some((other) => other.key === COMPANY_INPUT_KEY))
    keys.push(COMPANY_INPUT_KEY);
  return keys;
}

/** A readable description of where a problem is, for messages about columns the request did not name. */
export function describeColumn(config: ColumnConfig, path: IssuePath = []): string {
  return path.length > 0 ? `column '${config.key}' (${formatIssuePath(path)})` : `column '${config.key}'`;
}

/**
 * For each computed column, the computed columns it reads directly (by id), and an order in which
 * every column comes after the columns it reads. Input columns never wait: they have no cells.
 */
export interface ComputedGraph {
  upstream: Map<string, string[]>;
  order: string[];
}

export function computedGraph(columns: readonly { id: string; config: ColumnConfig }[]): ComputedGraph {
  const byKey = new Map(columns.map((column) => [column.config.key, column]));
  const upstream = new Map<string, string[]>();
  for (const column of columns) {
    if (column.config.kind === 'input') continue;
    const named = dependencyKeys(column.config)
      .map((key) => byKey.get(key))
      .filter((dep) => dep !== undefined && dep.config.kind !== 'input')
      .map((dep) => dep!.id);
    // Company columns also wait for the table's website/name columns they read without naming them.
    const waitsFor = new Set(implicitUpstreamKinds(column.config.kind));
    const implicit = columns
      .filter((other) => other.id !== column.id && waitsFor.has(other.config.kind))
      .map((other) => other.id);
    upstream.set(column.id, [...new Set([...named, ...implicit])]);
  }
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (id: string, trail: Set<string>): void => {
    if (placed.has(id) || trail.has(id)) return;
    trail.add(id);
    for (const dep of upstream.get(id) ?? []) place(dep, trail);
    placed.add(id);
    order.push(id);
  };
  for (const id of upstream.keys()) place(id, new Set());
  return { upstream, order };
}

/** Computed columns that read `columnIds`, directly or through others (by id). */
export function downstreamColumnIds(graph: ComputedGraph, columnIds: Iterable<string>): Set<string> {
  const readers = new Map<string, string[]>();
  for (const [id, deps] of graph.upstream)
    for (const dep of deps) readers.set(dep, [...(readers.get(dep) ?? []), id]);
  const result = new Set<string>();
  const queue = [...columnIds];
  while (queue.length > 0) {
    for (const reader of readers.get(queue.pop()!) ?? []) {
      if (!result.has(reader)) {
        result.add(reader);
        queue.push(reader);
      }
    }
  }
  return result;
}
