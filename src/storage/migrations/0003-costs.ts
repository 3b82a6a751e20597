import type { SqlMigration } from './types.ts';

/** The money a table's cells have cost, maintained like its other counters. */
export const costs: SqlMigration = {
  name: '0003_costs',
  sqlite: [`ALTER TABLE tables ADD COLUMN cost REAL NOT NULL DEFAULT 0`],
  postgres: [`ALTER TABLE tables ADD COLUMN cost double precision NOT NULL DEFAULT 0`],
};
