import type { SqlMigration } from './types.ts';

const RUN_COUNTERS = [
  'cells_queued',
  'cells_running',
  'cells_done',
  'cells_failed',
  'cells_skipped',
  'cells_cancelled',
];

/**
 * Runs, and what the engine needs on cells: a fence (the attempt's token: a completion whose fence no
 * longer matches is discarded), a `waiting` flag for cells whose upstream cells are not done yet, usage
 * and cache keys, and an index that makes the queue a cheap range scan. Plus the result cache.
 */
export const runs: SqlMigration = {
  name: '0002_runs',
  sqlite: [
    `CREATE TABLE runs (
      id TEXT PRIMARY KEY,
      table_id TEXT NOT NULL REFERENCES tables(id) ON DELETE CASCADE,
      workspace_id TEXT NOT NULL,
      mode TEXT NOT NULL,
      rows TEXT,
      columns TEXT,
      status TEXT NOT NULL,
      num_requested_cells INTEGER NOT NULL,
      ${RUN_COUNTERS.map((name) => `${name} INTEGER NOT NULL DEFAULT 0`).join(',\n      ')},
      cost REAL NOT NULL DEFAULT 0,
      max_cost REAL,
      bypass_cache INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      finished_at TEXT
    )`,
    `CREATE INDEX runs_table ON runs(table_id, created_at)`,
    `CREATE INDEX runs_active ON runs(status) WHERE status IN ('created', 'in_progress')`,
    `ALTER TABLE cells ADD COLUMN fence INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE cells ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE cells ADD COLUMN usage TEXT`,
    `ALTER TABLE cells ADD COLUMN cache_key TEXT`,
    `CREATE INDEX cells_queue ON cells(available_at, row_id) WHERE status = 'queued' AND waiting = 0`,
    `CREATE INDEX cells_leases ON cells(leased_until) WHERE status = 'running'`,
    `CREATE INDEX cells_run ON cells(run_id, status)`,
    `CREATE TABLE cache_entries (
      workspace_id TEXT NOT NULL,
      cache_key TEXT NOT NULL,
      value TEXT NOT NULL,
      cost REAL NOT NULL DEFAULT 0,
      usage TEXT,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (workspace_id, cache_key)
    )`,
  ],
  postgres: [
    `CREATE TABLE runs (
      id uuid PRIMARY KEY,
      table_id uuid NOT NULL REFERENCES tables(id) ON DELETE CASCADE,
      workspace_id uuid NOT NULL,
      mode text NOT NULL,
      rows jsonb,
      columns jsonb,
      status text NOT NULL,
      num_requested_cells bigint NOT NULL,
      ${RUN_COUNTERS.map((name) => `${name} bigint NOT NULL DEFAULT 0`).join(',\n      ')},
      cost double precision NOT NULL DEFAULT 0,
      max_cost double precision,
      bypass_cache boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      finished_at timestamptz
    )`,
    `CREATE INDEX runs_table ON runs(table_id, created_at)`,
    `CREATE INDEX runs_active ON runs(status) WHERE status IN ('created', 'in_progress')`,
    `ALTER TABLE cells ADD COLUMN fence integer NOT NULL DEFAULT 0`,
    `ALTER TABLE cells ADD COLUMN waiting boolean NOT NULL DEFAULT false`,
    `ALTER TABLE cells ADD COLUMN usage jsonb`,
    `ALTER TABLE cells ADD COLUMN cache_key text`,
    `CREATE INDEX cells_queue ON cells(available_at, row_id) WHERE status = 'queued' AND NOT waiting`,
    `CREATE INDEX cells_leases ON cells(leased_until) WHERE status = 'running'`,
    `CREATE INDEX cells_run ON cells(run_id, status)`,
    `CREATE TABLE cache_entries (
      workspace_id uuid NOT NULL,
      cache_key text NOT NULL,
      value jsonb NOT NULL,
      cost double precision NOT NULL DEFAULT 0,
      usage jsonb,
      created_at bigint NOT NULL,
      expires_at bigint NOT NULL,
      PRIMARY KEY (workspace_id, cache_key)
    )`,
  ],
};
