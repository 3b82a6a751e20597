import pg from 'pg';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import type { Clock } from '../../engine/ports.ts';
import { POSTGRES_DIALECT } from '../dialect.ts';
import { KyselyStore } from '../kysely-store.ts';
import { migrationProvider } from '../migrations/index.ts';
import { runMigrations } from '../run-migrations.ts';
import type { Database } from '../schema.ts';

const JSON_OID = 114;
const JSONB_OID = 3802;
const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * JSON comes back as text (the store parses it, as on SQLite: a jsonb string must not be
 * mistaken for already-parsed JSON); bigint and numeric counters come back as numbers.
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === JSON_OID || oid === JSONB_OID) return (value: string) => value;
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  }) as typeof pg.types.getTypeParser,
};

export interface PostgresStoreOptions {
  connectionString: string;
  maxConnections?: number;
}

/** Connects a pool to Postgres and brings the schema up to date (migrations lock against other processes). */
export async function openPostgresStore(options: PostgresStoreOptions, clock: Clock): Promise<KyselyStore> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    types: TYPES,
  });
  // An idle connection dropped by the server (restart, failover) must not crash the process:
  // the pool replaces it, and queries in progress fail on their own.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await runMigrations(new Migrator({ db, provider: migrationProvider('postgres') }));
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new KyselyStore({
    db,
    dialect: POSTGRES_DIALECT,
    clock,
    location: redactUrl(options.connectionString),
  });
}

/** The URL without its password, for printing where the data lives. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
