import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { initial } from './0001-initial.ts';
import { runs } from './0002-runs.ts';
import { costs } from './0003-costs.ts';
import { enrichments } from './0004-enrichments.ts';
import { webhooks } from './0005-webhooks.ts';
import { companyPeople } from './0006-company-people.ts';
import { discoveryTasks } from './0007-discovery-tasks.ts';
import { connectors } from './0008-connectors.ts';
import type { SqlMigration } from './types.ts';

const MIGRATIONS: readonly SqlMigration[] = [
  initial,
  runs,
  costs,
  enrichments,
  webhooks,
  companyPeople,
  discoveryTasks,
  connectors,
];

/** Feeds the numbered migrations for one store to Kysely's Migrator (which locks and records them). */
export function migrationProvider(store: 'sqlite' | 'postgres'): MigrationProvider {
  return {
    getMigrations: () => {
      const result: Record<string, Migration> = {};
      for (const migration of MIGRATIONS) {
        result[migration.name] = {
          up: async (db: Kysely<unknown>) => {
            for (const statement of migration[store]) await sql.raw(statement).execute(db);
          },
        };
      }
      return Promise.resolve(result);
    },
  };
}
