import { sql, type Transaction } from 'kysely';
import type { CellStatus } from '../domain/cell-status.ts';
import type { Database } from './schema.ts';
import { enqueueRunFinished } from './webhooks.ts';

/**
 * The maintained counters: per table, cells by status (seed 003's status reads them in O(1)); per
 * run, its cells by status and its cost. Every change of cell status goes through `applyTransitions`
 * in the same transaction as the change itself, so the counters equal a recount at every commit.
 */
export interface CellTransition {
  tableId: string;
  /** The run the cell belonged to before the change (null: none, or a new cell). */
  fromRunId: string | null;
  /** The run it belongs to after. */
  toRunId: string | null;
  /** null: the cell did not exist before (created) … */
  from: CellStatus | null;
  /** … or does not exist after (deleted). */
  to: CellStatus | null;
  count: number;
  cost?: number;
}

const TABLE_COUNTER: Record<CellStatus, string> = {
  queued: 'cells_queued',
  running: 'cells_running',
  done: 'cells_done',
  failed: 'cells_failed',
  skipped: 'cells_skipped',
  cancelled: 'cells_cancelled',
  stale: 'cells_stale',
};

/** Runs count their active cells and their outcomes; `stale` is a table matter (history stays). */
const RUN_COUNTER: Partial<Record<CellStatus, string>> = {
  queued: 'cells_queued',
  running: 'cells_running',
  done: 'cells_done',
  failed: 'cells_failed',
  skipped: 'cells_skipped',
  cancelled: 'cells_cancelled',
};

const ACTIVE: ReadonlySet<CellStatus> = new Set(['queued', 'running']);

type Deltas = Map<string, Map<string, number>>;

function add(deltas: Deltas, id: string, column: string, amount: number): void {
  if (amount === 0) return;
  const row = deltas.get(id) ?? new Map<string, number>();
  row.set(column, (row.get(column) ?? 0) + amount);
  deltas.set(id, row);
}

export async function applyTransitions(
  trx: Transaction<Database>,
  transitions: readonly CellTransition[],
  now: string,
): Promise<void> {
  const tables: Deltas = new Map();
  const runs: Deltas = new Map();
  const touchedRuns = new Set<string>();
  for (const t of transitions) {
    if (t.count === 0 && !t.cost) continue;
    if (t.from) add(tables, t.tableId, TABLE_COUNTER[t.from], -t.count);
    if (t.to) add(tables, t.tableId, TABLE_COUNTER[t.to], t.count);
    // A run forgets a cell only while the cell is active in it; finished outcomes are its history.
    if (t.fromRunId && t.from && ACTIVE.has(t.from) && RUN_COUNTER[t.from]) {
      add(runs, t.fromRunId, RUN_COUNTER[t.from]!, -t.count);
      touchedRuns.add(t.fromRunId);
    }
    if (t.toRunId && t.to && RUN_COUNTER[t.to]) {
      add(runs, t.toRunId, RUN_COUNTER[t.to]!, t.count);
      touchedRuns.add(t.toRunId);
    }
    if (t.cost) {
      add(tables, t.tableId, 'cost', t.cost);
      if (t.toRunId) {
        add(runs, t.toRunId, 'cost', t.cost);
        touchedRuns.add(t.toRunId);
      }
    }
  }
  for (const [tableId, changes] of tables) {
    await trx.updateTable('tables').set(increments(changes)).where('id', '=', tableId).execute();
  }
  for (const [runId, changes] of runs) {
    await trx.updateTable('runs').set(increments(changes)).where('id', '=', runId).execute();
  }
  if (touchedRuns.size > 0) await finishRuns(trx, [...touchedRuns], now);
}

function increments(changes: Map<string, number>): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const [column, amount] of changes) set[column] = sql`${sql.ref(column)} + ${amount}`;
  return set;
}

/**
 * Runs with nothing queued or running are over: done, or failed when any of their cells failed.
 * Their `run.finished` webhook deliveries are written here, in the same transaction.
 */
export async function finishRuns(trx: Transaction<Database>, runIds: string[], now: string): Promise<void> {
  const finished = await trx
    .updateTable('runs')
    .set({
      status: sql<string>`case when cells_failed > 0 then 'failed' else 'done' end`,
      finished_at: now,
    })
    .where('id', 'in', runIds)
    .where('status', 'in', ['created', 'in_progress'])
    .where('cells_queued', '=', 0)
    .where('cells_running', '=', 0)
    .returning('id')
    .execute();
  const finishedIds = finished.map((run) => run.id);
  await enqueueRunFinished(trx, finishedIds, now);
}
