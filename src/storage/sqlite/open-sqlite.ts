import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
} from 'kysely';
import type { Clock } from '../../engine/ports.ts';
import { SQLITE_DIALECT } from '../dialect.ts';
import { KyselyStore } from '../kysely-store.ts';
import { migrationProvider } from '../migrations/index.ts';
import { runMigrations } from '../run-migrations.ts';
import type { Database } from '../schema.ts';

/** Write transactions take the write lock up front, so two processes never deadlock upgrading a read lock. */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

function sqliteDialect(database: Sqlite.Database): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new ImmediateSqliteDriver({ database }),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}

/** The page cache of a server: big tables' hot pages stay in memory. */
export const DEFAULT_SQLITE_CACHE_MB = 64;

/** Opens (creating if needed) the SQLite file, in WAL mode, and brings its schema up to date. */
export async function openSqliteStore(
  file: string,
  clock: Clock,
  options: { cacheMb?: number } = {},
): Promise<KyselyStore> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const database = new Sqlite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  database.pragma(`cache_size = -${(options.cacheMb ?? DEFAULT_SQLITE_CACHE_MB) * 1024}`);
  database.pragma('temp_store = MEMORY');
  const db = new Kysely<Database>({ dialect: sqliteDialect(database) });
  await runMigrations(new Migrator({ db, provider: migrationProvider('sqlite') }));
  // One prepared statement per set of columns written (records of one call share theirs).
  const insertStatements = new Map<string, Sqlite.Statement>();
  return new KyselyStore({
    db,
    dialect: SQLITE_DIALECT,
    clock,
    location: file,
    // Kysely's SQLite driver runs every query on `database`: these inserts join the open transaction.
    insertRowsDirect: (records) => {
      const columns = Object.keys(records[0] ?? {});
      const signature = columns.join(',');
      let statement = insertStatements.get(signature);
      if (!statement) {
        statement = database.prepare(
          `insert into rows (${signature}) values (${columns.map(() => '?').join(', ')})`,
        );
        insertStatements.set(signature, statement);
      }
      for (const record of records) {
        statement.run(
          columns.map((column) => toSqlite((record as Record<string, unknown>)[column])),
        );
      }
    },
  });
}

function toSqlite(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : (value ?? null);
}
