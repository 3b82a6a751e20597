import { assertNever, type CellStatus } from './cell-status.ts';

/**
 * Runs: what a request to compute cells asks for, and the statuses it passes through.
 * `new` runs cells without a value (never computed, stale or cancelled); `all` re-runs every cell in
 * scope; `failed` re-runs failed cells; `stuck_failed_new` is failed ∪ new ∪ cells stuck in progress
 * past their lease.
 */
export const RUN_MODES = ['new', 'all', 'failed', 'stuck_failed_new'] as const;
export type RunMode = (typeof RUN_MODES)[number];

/** Seed 000's statuses, plus `cancelled` for runs stopped through the runs extension. */
export const RUN_STATUSES = ['created', 'in_progress', 'done', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Per-run tallies of its cells. */
export interface RunCounts {
  queued: number;
  running: number;
  done: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

export interface Run {
  id: string;
  tableId: string;
  workspaceId: string;
  mode: RunMode;
  rowIds: string[] | null;
  columnIds: string[] | null;
  status: RunStatus;
  numRequestedCells: number;
  counts: RunCounts;
  cost: number;
  maxCost: number | null;
  /** `all` recomputes: the result cache is neither read nor trusted. */
  bypassCache: boolean;
  createdAt: string;
  finishedAt: string | null;
  /** Cells queued per column, on the answer to planning only (not kept). */
  requestedByColumn?: Record<string, number>;
}

/** Existing cell statuses a run of this mode puts back in the queue (cells never computed aside). */
export function requeueableStatuses(mode: RunMode): CellStatus[] {
  switch (mode) {
    case 'new':
      return ['stale', 'cancelled'];
    case 'all':
      return ['done', 'failed', 'skipped', 'cancelled', 'stale'];
    case 'failed':
      return ['failed'];
    case 'stuck_failed_new':
      return ['failed', 'stale', 'cancelled'];
    default:
      return assertNever(mode);
  }
}

/** Whether the mode computes cells that were never computed. */
export function includesNeverComputed(mode: RunMode): boolean {
  return mode !== 'failed';
}

/** The status a run ends in once none of its cells is queued or running. */
export function finalRunStatus(counts: RunCounts): RunStatus {
  return counts.failed > 0 ? 'failed' : 'done';
}

export function emptyRunCounts(): RunCounts {
  return { queued: 0, running: 0, done: 0, failed: 0, skipped: 0, cancelled: 0 };
}

/** Why a cell ended `skipped`. */
export const SKIP_REASONS = ['missing_input', 'dependency_failed', 'condition_not_met'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
