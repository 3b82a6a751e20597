import type { Migrator } from 'kysely';

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** Applies every pending migration, or throws naming the one that failed. */
export async function runMigrations(migrator: Migrator): Promise<void> {
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new MigrationError(
      `migration ${failed?.migrationName ?? '(unknown)'} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
      { cause: error },
    );
  }
}
