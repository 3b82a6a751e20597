import { sql, type Expression, type ExpressionBuilder, type SqlBool, type Transaction } from 'kysely';
import type { CellStatus } from '../domain/cell-status.ts';
import type { ComputedGraph } from '../domain/column-graph.ts';
import type { StoreDialect } from './dialect.ts';
import type { CellTransition } from './counters.ts';
import { chunks } from './mapping.ts';
import type { Database } from './schema.ts';

/**
 * Cell changes shared by the table operations and the run engine: every one returns the counter
 * transitions it caused, for `applyTransitions` in the same transaction.
 */

type Trx = Transaction<Database>;

export interface CellFilter {
  tableId?: string;
  columnIds?: string[];
  rowIds?: string[];
  statuses?: readonly string[];
  runId?: string;
}

export function cellWhere(filter: CellFilter) {
  return (eb: ExpressionBuilder<Database, 'cells'>) => {
    const conditions: Expression<SqlBool>[] = [];
    if (filter.tableId !== undefined) conditions.push(eb('cells.table_id', '=', filter.tableId));
    if (filter.columnIds !== undefined) conditions.push(eb('cells.column_id', 'in', filter.columnIds));
    if (filter.rowIds !== undefined) conditions.push(eb('cells.row_id', 'in', filter.rowIds));
    if (filter.statuses !== undefined) conditions.push(eb('cells.status', 'in', [...filter.statuses]));
    if (filter.runId !== undefined) conditions.push(eb('cells.run_id', '=', filter.runId));
    return eb.and(conditions);
  };
}

interface CellGroup {
  status: CellStatus;
  runId: string | null;
  count: number;
}

export async function countCellGroups(trx: Trx, filter: CellFilter): Promise<CellGroup[]> {
  if ((filter.rowIds && filter.rowIds.length === 0) || (filter.columnIds && filter.columnIds.length === 0))
    return [];
  const rows = await trx
    .selectFrom('cells')
    .where(cellWhere(filter))
    .select((eb) => ['status', 'run_id', eb.fn.countAll<number | string>().as('n')])
    .groupBy(['status', 'run_id'])
    .execute();
  return rows.map((row) => ({ status: row.status as CellStatus, runId: row.run_id, count: Number(row.n) }));
}

/** Deletes the cells matching `filter` (row ids chunked), returning their transitions to nothing. */
export async function removeCells(trx: Trx, tableId: string, filter: CellFilter): Promise<CellTransition[]> {
  const transitions: CellTransition[] = [];
  const rowChunks = filter.rowIds ? chunks(filter.rowIds, 1000) : [undefined];
  for (const rowIds of rowChunks) {
    const scoped = { ...filter, tableId, rowIds };
    for (const group of await countCellGroups(trx, scoped)) {
      transitions.push({
        tableId,
        fromRunId: group.runId,
        toRunId: null,
        from: group.status,
        to: null,
        count: group.count,
      });
    }
    await trx.deleteFrom('cells').where(cellWhere(scoped)).execute();
  }
  return transitions;
}

const FINISHED: readonly CellStatus[] = ['done', 'failed', 'skipped'];

/**
 * An input or a config changed under these cells: finished ones become `stale` (mode `new` recomputes
 * them); running ones go back to the queue with a new fence, so the result computed from the old input
 * is discarded when it arrives.
 */
export async function invalidateCells(
  trx: Trx,
  dialect: StoreDialect,
  tableId: string,
  graph: ComputedGraph,
  columnIds: string[],
  rowIds: string[] | undefined,
  now: { iso: string; ms: number },
): Promise<CellTransition[]> {
  if (columnIds.length === 0) return [];
  const transitions: CellTransition[] = [];
  const base: CellFilter = { tableId, columnIds, rowIds };
  for (const group of await countCellGroups(trx, { ...base, statuses: FINISHED })) {
    transitions.push({
      tableId,
      fromRunId: group.runId,
      toRunId: group.runId,
      from: group.status,
      to: 'stale',
      count: group.count,
    });
  }
  await trx
    .updateTable('cells')
    .set({ status: 'stale', updated_at: now.iso })
    .where(cellWhere({ ...base, statuses: FINISHED }))
    .execute();

  const running = await countCellGroups(trx, { ...base, statuses: ['running'] });
  if (running.length > 0) {
    for (const group of running) {
      transitions.push({
        tableId,
        fromRunId: group.runId,
        toRunId: group.runId,
        from: 'running',
        to: 'queued',
        count: group.count,
      });
    }
    for (const columnId of columnIds) {
      const waits = (graph.upstream.get(columnId) ?? []).length > 0;
      await trx
        .updateTable('cells')
        .set((eb) => ({
          status: 'queued',
          fence: eb('fence', '+', 1),
          waiting: dialect.bool(waits),
          worker_id: null,
          leased_until: null,
          available_at: now.ms,
          updated_at: now.iso,
        }))
        .where(cellWhere({ ...base, columnIds: [columnId], statuses: ['running'] }))
        .execute();
    }
    transitions.push(...(await resolveWaiting(trx, dialect, tableId, graph, { rowIds }, now)));
  }
  return transitions;
}

export interface WaitingScope {
  runId?: string;
  rowIds?: string[];
}

const SETTLED_OR_PENDING = ['done', 'queued', 'running'];

/**
 * Moves waiting cells on: a cell whose upstream cells (same row) are all `done` becomes claimable; a
 * cell with an upstream cell that failed, was skipped, cancelled, is stale or was never queued ends
 * `skipped` (dependency_failed). Columns go in dependency order, so a skip cascades down in one pass.
 */
export async function resolveWaiting(
  trx: Trx,
  dialect: StoreDialect,
  tableId: string,
  graph: ComputedGraph,
  scope: WaitingScope,
  now: { iso: string; ms: number },
): Promise<CellTransition[]> {
  const transitions: CellTransition[] = [];
  const rowChunks = scope.rowIds ? chunks([...new Set(scope.rowIds)], 500) : [undefined];
  for (const columnId of graph.order) {
    const upstream = graph.upstream.get(columnId) ?? [];
    if (upstream.length === 0) continue;
    for (const rowIds of rowChunks) {
      const waitingHere = (eb: ExpressionBuilder<Database, 'cells'>) =>
        eb.and([
          cellWhere({ tableId, columnIds: [columnId], rowIds, runId: scope.runId, statuses: ['queued'] })(eb),
          eb('cells.waiting', '=', dialect.bool(true)),
        ]);
      const upstreamCell = (
        eb: ExpressionBuilder<Database, 'cells'>,
        upstreamId: string,
        statuses: string[],
      ) =>
        eb.exists(
          eb
            .selectFrom('cells as up')
            .select(sql.lit(1).as('one'))
            .whereRef('up.row_id', '=', 'cells.row_id')
            .where('up.column_id', '=', upstreamId)
            .where('up.status', 'in', statuses),
        );
      const skipped = await trx
        .updateTable('cells')
        .set({
          status: 'skipped',
          reason: 'dependency_failed',
          error: JSON.stringify({
            type: 'dependency_failed',
            message:
              'An upstream cell of this row failed, was skipped or cancelled, or was not run; run it first.',
          }),
          waiting: dialect.bool(false),
          finished_at: now.iso,
          updated_at: now.iso,
        })
        .where((eb) =>
          eb.and([
            waitingHere(eb),
            eb.or(upstream.map((id) => eb.not(upstreamCell(eb, id, SETTLED_OR_PENDING)))),
          ]),
        )
        .returning('run_id')
        .execute();
      const byRun = new Map<string | null, number>();
      for (const row of skipped) byRun.set(row.run_id, (byRun.get(row.run_id) ?? 0) + 1);
      for (const [runId, count] of byRun) {
        transitions.push({ tableId, fromRunId: runId, toRunId: runId, from: 'queued', to: 'skipped', count });
      }
      await trx
        .updateTable('cells')
        .set({ waiting: dialect.bool(false), updated_at: now.iso })
        .where((eb) => eb.and([waitingHere(eb), ...upstream.map((id) => upstreamCell(eb, id, ['done']))]))
        .execute();
    }
  }
  return transitions;
}
