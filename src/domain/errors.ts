/**
 * Domain errors: thrown by the domain, the store and the engine, rendered once per dialect by the API.
 */

/** Where a problem sits in the caller's input, e.g. `['column_configs', 2, 'value', 'prompt']`. */
export type IssuePath = (string | number)[];

export interface Issue {
  path: IssuePath;
  message: string;
  /** A short machine type in FastAPI's vocabulary: `missing`, `value_error`, `enum`, … */
  type: string;
  /** The part of the request `path` is relative to; the body unless said otherwise. */
  in?: 'body' | 'path' | 'query';
}

/** The input is well-formed but breaks a rule; carries every problem found, not only the first. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(readonly issues: Issue[]) {
    super(issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  }

  static single(
    path: IssuePath,
    message: string,
    type = 'value_error',
    where: Issue['in'] = 'body',
  ): ValidationError {
    return new ValidationError([{ path, message, type, in: where }]);
  }
}

export type EntityName =
  | 'workspace'
  | 'table'
  | 'column'
  | 'row'
  | 'run'
  | 'api_key'
  | 'table_enrichment'
  | 'enrichment'
  | 'waterfall'
  | 'webhook'
  | 'webhook_delivery'
  | 'discovery_task'
  | 'connector';

/** An object does not exist, or belongs to another workspace: the two are indistinguishable on purpose. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly entity: EntityName,
    readonly id?: string,
  ) {
    super(`${entity.replace('_', ' ')} not found`);
  }
}

/** Collects issues while checking many things, then throws them together. */
export class IssueCollector {
  readonly issues: Issue[] = [];

  add(path: IssuePath, message: string, type = 'value_error'): void {
    this.issues.push({ path, message, type });
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new ValidationError(this.issues);
  }
}
