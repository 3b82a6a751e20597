import type { SqlMigration } from './types.ts';

/**
 * Discovery tasks (issue 9): a query, its criteria, and the company table and run that hold the
 * candidates and their grades. The table keeps its own lifecycle: deleting it leaves the task
 * pointing nowhere (`table_id` set null), answering no results.
 */
export const discoveryTasks: SqlMigration = {
  name: '0007_discovery_tasks',
  sqlite: [
    `CREATE TABLE discovery_tasks (
      id TEXT PRIMARY KEY,
      workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      query TEXT NOT NULL,
      desired_num_results INTEGER NOT NULL,
      criteria TEXT NOT NULL,
      exclude_domains TEXT NOT NULL,
      status TEXT NOT NULL,
      table_id TEXT REFERENCES tables(id) ON DELETE SET NULL,
      run_id TEXT,
      num_candidates INTEGER NOT NULL DEFAULT 0,
      exhausted INTEGER NOT NULL DEFAULT 0,
      reason TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`,
    `CREATE INDEX discovery_tasks_workspace ON discovery_tasks(workspace_id, created_at)`,
  ],
  postgres: [
    `CREATE TABLE discovery_tasks (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      query text NOT NULL,
      desired_num_results integer NOT NULL,
      criteria jsonb NOT NULL,
      exclude_domains jsonb NOT NULL,
      status text NOT NULL,
      table_id uuid REFERENCES tables(id) ON DELETE SET NULL,
      run_id uuid,
      num_candidates integer NOT NULL DEFAULT 0,
      exhausted boolean NOT NULL DEFAULT false,
      reason text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`,
    `CREATE INDEX discovery_tasks_workspace ON discovery_tasks(workspace_id, created_at)`,
  ],
};
