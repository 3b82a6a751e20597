import {
  sql,
  type Expression,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type SqlBool,
  type Transaction,
} from 'kysely';
import type { Database, TablesTable } from './schema.ts';

/**
 * The few places where SQLite and Postgres need different SQL. Everything else in the store is
 * one Kysely query for both.
 */
export interface StoreDialect {
  readonly kind: 'sqlite' | 'postgres';
  bool(value: boolean): number | boolean;
  /** Case-insensitive substring match (`pattern` already escaped, with `%` wildcards). */
  containsIgnoringCase(column: Expression<unknown>, pattern: string): RawBuilder<SqlBool>;
  /** The JSON array column holds any of `values`. */
  jsonArrayHasAny(column: Expression<unknown>, values: string[]): RawBuilder<SqlBool>;
  /** The JSON object column without `key` (for purging a deleted column's values). */
  jsonWithoutKey(column: Expression<unknown>, key: string): RawBuilder<string>;
  /** The value under `key` of a JSON object column, as text (strings unquoted). */
  jsonText(column: Expression<unknown>, key: string): RawBuilder<string | null>;
  /** Reads the table row and, where the store needs it, locks it until the transaction ends. */
  selectTableForUpdate(
    trx: Transaction<Database>,
    workspaceId: string,
    tableId: string,
  ): Promise<Selectable<TablesTable> | undefined>;
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParameters: number;
  /** A bound value with an explicit SQL type (Postgres cannot infer types in an INSERT … SELECT list). */
  typed(
    value: unknown,
    type: 'uuid' | 'boolean' | 'bigint' | 'timestamptz' | 'text' | 'integer' | 'jsonb' | 'double precision',
  ): RawBuilder<unknown>;
  /** Claim candidates lock their rows and skip those another worker holds. */
  lockForClaim<Q extends ClaimQuery>(query: Q): Q;
  /** Queued, not waiting on upstream cells, due by `nowMs`. Literals, so the partial queue index applies. */
  claimableNow(nowMs: number): RawBuilder<SqlBool>;
  /** Queued and not waiting, due or not. */
  claimableAnyTime(): RawBuilder<SqlBool>;
}

interface ClaimQuery {
  forUpdate(): { skipLocked(): unknown };
}

export const SQLITE_DIALECT: StoreDialect = {
  kind: 'sqlite',
  bool: (value) => (value ? 1 : 0),
  // SQLite's LIKE is already case-insensitive for ASCII; lower() extends it to what SQLite knows.
  containsIgnoringCase: (column, pattern) =>
    sql<SqlBool>`lower(${column}) like lower(${pattern}) escape '\\'`,
  jsonArrayHasAny: (column, values) =>
    sql<SqlBool>`exists (select 1 from json_each(${column}) where json_each.value in (${sql.join(values)}))`,
  jsonWithoutKey: (column, key) => sql<string>`json_remove(${column}, ${`$."${key}"`})`,
  jsonText: (column, key) => sql<string | null>`cast(json_extract(${column}, ${`$."${key}"`}) as text)`,
  // A SQLite write transaction (BEGIN IMMEDIATE) already excludes every other writer.
  selectTableForUpdate: (trx, workspaceId, tableId) =>
    trx
      .selectFrom('tables')
      .selectAll()
      .where('id', '=', tableId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst(),
  maxParameters: 32_000,
  typed: (value) => sql`${typeof value === 'boolean' ? (value ? 1 : 0) : value}`,
  // One writer at a time (BEGIN IMMEDIATE): nothing to skip.
  lockForClaim: (query) => query,
  claimableNow: (nowMs) => sql<SqlBool>`status = 'queued' and waiting = 0 and available_at <= ${nowMs}`,
  claimableAnyTime: () => sql<SqlBool>`status = 'queued' and waiting = 0`,
};

export const POSTGRES_DIALECT: StoreDialect = {
  kind: 'postgres',
  bool: (value) => value,
  containsIgnoringCase: (column, pattern) => sql<SqlBool>`${column} ilike ${pattern} escape '\\'`,
  jsonArrayHasAny: (column, values) => sql<SqlBool>`${column} ?| ${sql.val(values)}::text[]`,
  jsonWithoutKey: (column, key) => sql<string>`${column} - ${key}::text`,
  jsonText: (column, key) => sql<string | null>`${column} ->> ${key}::text`,
  selectTableForUpdate: (trx, workspaceId, tableId) =>
    trx
      .selectFrom('tables')
      .selectAll()
      .where('id', '=', tableId)
      .where('workspace_id', '=', workspaceId)
      .forUpdate()
      .executeTakeFirst(),
  maxParameters: 60_000,
  typed: (value, type) => sql`cast(${value} as ${sql.raw(type)})`,
  lockForClaim: (query) => query.forUpdate().skipLocked() as typeof query,
  claimableNow: (nowMs) => sql<SqlBool>`status = 'queued' and not waiting and available_at <= ${nowMs}`,
  claimableAnyTime: () => sql<SqlBool>`status = 'queued' and not waiting`,
};

export type StoreDb = Kysely<Database>;
