import type { IssueCollector, IssuePath } from './errors.ts';
import { dependencyKeys } from './column-graph.ts';
import type { Column } from './model.ts';

/** Empty as a template input: nothing to substitute, so a cell reading it cannot compute. */
export function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  return false;
}

/**
 * For each computed column, the input columns it reads directly. A row whose value for any of them
 * is empty is "missing inputs": at least one cell of the row cannot compute.
 */
export function inputDependenciesByColumn(columns: readonly Column[]): Map<string, string[]> {
  const idByKey = new Map(columns.map((column) => [column.config.key, column]));
  const result = new Map<string, string[]>();
  for (const column of columns) {
    if (column.config.kind === 'input') continue;
    const inputs = dependencyKeys(column.config)
      .map((key) => idByKey.get(key))
      .filter((dep) => dep?.config.kind === 'input')
      .map((dep) => dep!.id);
    if (inputs.length > 0) result.set(column.id, inputs);
  }
  return result;
}

/** Whether any computed column of the row reads an empty input value. */
export function isMissingInputs(
  inputDeps: ReadonlyMap<string, readonly string[]>,
  values: Readonly<Record<string, unknown>>,
): boolean {
  for (const inputs of inputDeps.values()) {
    if (inputs.some((columnId) => isEmptyValue(values[columnId]))) return true;
  }
  return false;
}

/**
 * Maps a row's values from column keys to input column ids. Keys that name no input column are
 * reported (at `path` + key) rather than dropped, so nothing a client sends is silently lost.
 */
export function resolveRowData(
  inputColumnIdByKey: ReadonlyMap<string, string>,
  computedKeys: ReadonlySet<string>,
  data: Readonly<Record<string, unknown>>,
  path: IssuePath,
  issues: IssueCollector,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    const columnId = inputColumnIdByKey.get(key);
    if (columnId) {
      values[columnId] = value === undefined ? null : value;
    } else if (computedKeys.has(key)) {
      issues.add([...path, key], `Column '${key}' is computed; only input columns take values`);
    } else {
      issues.add([...path, key], `Unknown column key '${key}': add an input column with this key first`);
    }
  }
  return values;
}
