/**
 * The cell-status machine. Every consumer switches exhaustively over `CellStatus`, so adding a
 * status breaks the compile until each one decides what it means.
 *
 *   queued ──claim──▶ running ──▶ done | failed | skipped
 *     │                  │
 *     └──cancel──▶ cancelled ◀──┘ (abandoned, no charge)
 *   done | failed | skipped ──input or config changed──▶ stale ──run──▶ queued
 */
export const CELL_STATUSES = [
  'queued',
  'running',
  'done',
  'failed',
  'skipped',
  'cancelled',
  'stale',
] as const;
export type CellStatus = (typeof CELL_STATUSES)[number];

/** Statuses as the Extruct dialect spells them on the wire. */
export const WIRE_CELL_STATUSES = [
  'requested',
  'in_progress',
  'done',
  'failed',
  'skipped',
  'cancelled',
  'stale',
] as const;
export type WireCellStatus = (typeof WIRE_CELL_STATUSES)[number];

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

export function toWireStatus(status: CellStatus): WireCellStatus {
  switch (status) {
    case 'queued':
      return 'requested';
    case 'running':
      return 'in_progress';
    case 'done':
    case 'failed':
    case 'skipped':
    case 'cancelled':
    case 'stale':
      return status;
    default:
      return assertNever(status);
  }
}

/** Terminal: nothing will happen to the cell until someone asks for a new run. */
export function isTerminal(status: CellStatus): boolean {
  switch (status) {
    case 'done':
    case 'failed':
    case 'skipped':
    case 'cancelled':
    case 'stale':
      return true;
    case 'queued':
    case 'running':
      return false;
    default:
      return assertNever(status);
  }
}

/** In progress, as seed 003 counts `num_cells_in_progress`: requested or running. */
export function isInProgress(status: CellStatus): boolean {
  return !isTerminal(status);
}

/** A finished result that the input it was computed from may have outdated. */
export function canGoStale(status: CellStatus): boolean {
  switch (status) {
    case 'done':
    case 'failed':
    case 'skipped':
      return true;
    case 'queued':
    case 'running':
    case 'cancelled':
    case 'stale':
      return false;
    default:
      return assertNever(status);
  }
}

/** Counts of cells per status; the unit of the maintained table counters. */
export type CellCounts = Record<CellStatus, number>;

export function emptyCellCounts(): CellCounts {
  return { queued: 0, running: 0, done: 0, failed: 0, skipped: 0, cancelled: 0, stale: 0 };
}
