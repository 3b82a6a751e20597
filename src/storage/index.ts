import path from 'node:path';
import { systemClock, type Clock, type Store } from '../engine/ports.ts';
import { openPostgresStore } from './postgres/open-postgres.ts';
import { openSqliteStore } from './sqlite/open-sqlite.ts';

export interface StoreOptions {
  /** A postgres:// URL, or undefined for the embedded SQLite file. */
  databaseUrl: string | undefined;
  dataDir: string;
  clock?: Clock;
  /** SQLite's page cache, in MB (default 64, for a server); one-shot CLI commands need less. */
  sqliteCacheMb?: number;
}

export const SQLITE_FILE_NAME = 'enrichbase.sqlite';

/** Opens the configured store: Postgres when a URL is given, else SQLite in the data directory. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const clock = options.clock ?? systemClock;
  if (options.databaseUrl) return openPostgresStore({ connectionString: options.databaseUrl }, clock);
  return openSqliteStore(path.join(options.dataDir, SQLITE_FILE_NAME), clock, {
    cacheMb: options.sqliteCacheMb,
  });
}

export { openPostgresStore, openSqliteStore };
export { openPostgresEventRelay } from './postgres/event-relay.ts';
