import { sql, type Insertable, type Transaction } from 'kysely';
import type { CellStatus } from '../domain/cell-status.ts';
import { computedGraph } from '../domain/column-graph.ts';
import { isInputKind, type TableKind } from '../domain/columns.ts';
import { IssueCollector, NotFoundError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { Column } from '../domain/model.ts';
import { includesNeverComputed, requeueableStatuses, type Run, type RunMode } from '../domain/runs.ts';
import type {
  CachedResult,
  CellChange,
  CompletionReport,
  CellRef,
  CellResult,
  ClaimedCell,
  Clock,
  RunRequest,
  RunStore,
  Usage,
} from '../engine/ports.ts';
import { cellWhere, countCellGroups, resolveWaiting } from './cell-changes.ts';
import { applyTransitions, finishRuns, type CellTransition } from './counters.ts';
import type { StoreDb, StoreDialect } from './dialect.ts';
import { chunks, parseJson, toColumn, toIso, toRun } from './mapping.ts';
import type { PlannerStatistics } from './planner-statistics.ts';
import { enqueueCellsFailed, enqueueRunFinished, type FailedCell } from './webhooks.ts';
import type { CacheEntriesTable, Database } from './schema.ts';

type Trx = Transaction<Database>;

/** Matches no row: stands in for an empty `in (…)` list, which SQL does not allow. */
const NO_ID = '00000000-0000-0000-0000-000000000000';
interface Stamp {
  iso: string;
  ms: number;
}

/** The run engine's queries: planning, claiming, leases, completion, cancellation, the result cache. */
export class RunQueries implements RunStore {
  readonly #db: StoreDb;
  readonly #dialect: StoreDialect;
  readonly #clock: Clock;

  readonly #statistics: PlannerStatistics;

  constructor(db: StoreDb, dialect: StoreDialect, clock: Clock, statistics: PlannerStatistics) {
    this.#db = db;
    this.#dialect = dialect;
    this.#clock = clock;
    this.#statistics = statistics;
  }

  #stamp(): Stamp {
    const ms = this.#clock.now();
    return { iso: new Date(ms).toISOString(), ms };
  }

  // ── planning ───────────────────────────────────────────────────────────────────────────

  async planRun(workspaceId: string, tableId: string, request: RunRequest): Promise<Run> {
    const run = await this.#db.transaction().execute(async (trx) => {
      const table = await this.#dialect.selectTableForUpdate(trx, workspaceId, tableId);
      if (!table) throw new NotFoundError('table', tableId);
      const columns = await readColumns(trx, tableId);
      await checkRunScope(trx, tableId, columns, request);

      const now = this.#stamp();
      const runId = newId();
      const graph = computedGraph(columns);
      const wanted = request.columnIds ? new Set(request.columnIds) : undefined;
      const scopeColumns = columns.filter(
        (column) => !isInputKind(column.config.kind) && (!wanted || wanted.has(column.id)),
      );
      await trx
        .insertInto('runs')
        .values({
          id: runId,
          table_id: tableId,
          workspace_id: workspaceId,
          mode: request.mode,
          rows: request.rowIds === null ? null : JSON.stringify(request.rowIds),
          columns: request.columnIds === null ? null : JSON.stringify(request.columnIds),
          status: 'created',
          num_requested_cells: 0,
          max_cost: request.maxCost ?? null,
          bypass_cache: this.#dialect.bool(request.mode === 'all'),
          created_at: now.iso,
        })
        .execute();

      const transitions: CellTransition[] = [];
      const requestedByColumn: Record<string, number> = {};
      let requested = 0;
      const rowChunks = request.rowIds ? chunks([...new Set(request.rowIds)], 500) : [undefined];
      for (const column of scopeColumns) {
        const waits = (graph.upstream.get(column.id) ?? []).length > 0;
        for (const rowIds of rowChunks) {
          const queued = await this.#queueColumn(trx, {
            tableId,
            runId,
            column,
            rowIds,
            mode: request.mode,
            waits,
            now,
          });
          requested += queued.count;
          requestedByColumn[column.id] = (requestedByColumn[column.id] ?? 0) + queued.count;
          transitions.push(...queued.transitions);
        }
      }
      await trx.updateTable('runs').set({ num_requested_cells: requested }).where('id', '=', runId).execute();
      await applyTransitions(trx, transitions, now.iso);
      await applyTransitions(
        trx,
        await resolveWaiting(trx, this.#dialect, tableId, graph, { runId }, now),
        now.iso,
      );
      // An empty scope is a run too: requested 0, done at once.
      await finishRuns(trx, [runId], now.iso);
      return { ...(await readRun(trx, runId)), requestedByColumn };
    });
    this.#statistics.noteWrites('cells', run.numRequestedCells);
    return run;
  }

  /** Queues one column's eligible cells (of these rows, or all rows) for a run. */
  async #queueColumn(
    trx: Trx,
    input: {
      tableId: string;
      runId: string;
      column: Column;
      rowIds: string[] | undefined;
      mode: RunMode;
      waits: boolean;
      now: Stamp;
    },
  ): Promise<{ count: number; transitions: CellTransition[] }> {
    const { tableId, runId, column, rowIds, mode, waits, now } = input;
    const transitions: CellTransition[] = [];
    const statuses = requeueableStatuses(mode);
    const scope = { tableId, columnIds: [column.id], rowIds };
    const stuck = mode === 'stuck_failed_new';
    const eligible = (eb: Parameters<ReturnType<typeof cellWhere>>[0]) =>
      eb.and([
        cellWhere(scope)(eb),
        stuck
          ? eb.or([
              eb('cells.status', 'in', statuses),
              eb.and([eb('cells.status', '=', 'running'), eb('cells.leased_until', '<', now.ms)]),
            ])
          : eb('cells.status', 'in', statuses),
      ]);
    const groups = await trx
      .selectFrom('cells')
      .where(eligible)
      .select((eb) => ['status', 'run_id', eb.fn.countAll<number | string>().as('n')])
      .groupBy(['status', 'run_id'])
      .execute();
    let count = 0;
    for (const group of groups) {
      const n = Number(group.n);
      count += n;
      transitions.push({
        tableId,
        fromRunId: group.run_id,
        toRunId: runId,
        from: group.status as CellStatus,
        to: 'queued',
        count: n,
      });
    }
    if (count > 0) {
      await trx
        .updateTable('cells')
        .set((eb) => ({
          status: 'queued',
          run_id: runId,
          waiting: this.#dialect.bool(waits),
          attempts: 0,
          // A stuck worker's late completion must not land on the re-queued cell.
          fence: eb('fence', '+', 1),
          error: null,
          reason: null,
          worker_id: null,
          leased_until: null,
          available_at: now.ms,
          updated_at: now.iso,
        }))
        .where(eligible)
        .execute();
    }
    if (includesNeverComputed(mode)) {
      let query = trx
        .selectFrom('rows')
        .select((eb) => {
          const typed = (value: unknown, type: Parameters<StoreDialect['typed']>[1]) =>
            this.#dialect.typed(value, type);
          return [
            eb.ref('rows.id').as('row_id'),
            typed(column.id, 'uuid').as('column_id'),
            typed(tableId, 'uuid').as('table_id'),
            typed('queued', 'text').as('status'),
            typed(runId, 'uuid').as('run_id'),
            typed(waits, 'boolean').as('waiting'),
            typed(now.ms, 'bigint').as('available_at'),
            typed(now.iso, 'timestamptz').as('created_at'),
            typed(now.iso, 'timestamptz').as('updated_at'),
            typed(0, 'integer').as('fence'),
          ];
        })
        .where('rows.table_id', '=', tableId)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('cells')
                .select(sql.lit(1).as('one'))
                .whereRef('cells.row_id', '=', 'rows.id')
                .where('cells.column_id', '=', column.id),
            ),
          ),
        );
      if (rowIds) query = query.where('rows.id', 'in', rowIds);
      const inserted = await trx
        .insertInto('cells')
        .columns([
          'row_id',
          'column_id',
          'table_id',
          'status',
          'run_id',
          'waiting',
          'available_at',
          'created_at',
          'updated_at',
          'fence',
        ])
        .expression(query)
        .executeTakeFirst();
      const created = Number(inserted.numInsertedOrUpdatedRows ?? 0);
      count += created;
      if (created > 0)
        transitions.push({
          tableId,
          fromRunId: null,
          toRunId: runId,
          from: null,
          to: 'queued',
          count: created,
        });
    }
    return { count, transitions };
  }

  async getRun(workspaceId: string, tableId: string, runId: string): Promise<Run> {
    await requireTable(this.#db, workspaceId, tableId);
    const row = await this.#db
      .selectFrom('runs')
      .selectAll()
      .where('id', '=', runId)
      .where('table_id', '=', tableId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('run', runId);
    return toRun(row);
  }

  async listRuns(
    workspaceId: string,
    tableId: string,
    page: { offset: number; limit: number },
  ): Promise<{ items: Run[]; total: number }> {
    await requireTable(this.#db, workspaceId, tableId);
    const base = this.#db.selectFrom('runs').where('table_id', '=', tableId);
    const [rows, total] = await Promise.all([
      base
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toRun), total: Number(total.n) };
  }

  async cancelRun(workspaceId: string, tableId: string, runId: string): Promise<Run> {
    return this.#db.transaction().execute(async (trx) => {
      if (!(await this.#dialect.selectTableForUpdate(trx, workspaceId, tableId)))
        throw new NotFoundError('table', tableId);
      const run = await trx
        .selectFrom('runs')
        .selectAll()
        .where('id', '=', runId)
        .where('table_id', '=', tableId)
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirst();
      if (!run) throw new NotFoundError('run', runId);
      const now = this.#stamp();
      const active = { tableId, runId, statuses: ['queued', 'running'] };
      const transitions: CellTransition[] = (await countCellGroups(trx, active)).map((group) => ({
        tableId,
        fromRunId: runId,
        toRunId: runId,
        from: group.status,
        to: 'cancelled' as const,
        count: group.count,
      }));
      await trx
        .updateTable('cells')
        .set((eb) => ({
          status: 'cancelled',
          fence: eb('fence', '+', 1),
          waiting: this.#dialect.bool(false),
          worker_id: null,
          leased_until: null,
          finished_at: now.iso,
          updated_at: now.iso,
        }))
        .where(cellWhere(active))
        .execute();
      if (run.status === 'created' || run.status === 'in_progress') {
        await trx
          .updateTable('runs')
          .set({ status: 'cancelled', finished_at: now.iso })
          .where('id', '=', runId)
          .execute();
        await enqueueRunFinished(trx, [runId], now.iso);
      }
      await applyTransitions(trx, transitions, now.iso);
      // Cells of other runs waiting on the cancelled ones can no longer get their input.
      const columns = await readColumns(trx, tableId);
      await applyTransitions(
        trx,
        await resolveWaiting(trx, this.#dialect, tableId, computedGraph(columns), {}, now),
        now.iso,
      );
      return readRun(trx, runId);
    });
  }

  // ── the queue ──────────────────────────────────────────────────────────────────────────

  async claimCells(workerId: string, limit: number, leaseMs: number): Promise<ClaimedCell[]> {
    if (limit <= 0) return [];
    return this.#db.transaction().execute(async (trx) => {
      const now = this.#stamp();
      const candidates = this.#dialect.lockForClaim(
        trx
          .selectFrom('cells')
          .select(['row_id', 'column_id'])
          .where(this.#dialect.claimableNow(now.ms))
          .orderBy('available_at')
          .orderBy('row_id')
          .limit(limit),
      );
      const claimed = await trx
        .updateTable('cells')
        .set((eb) => ({
          status: 'running',
          worker_id: workerId,
          fence: eb('fence', '+', 1),
          attempts: eb('attempts', '+', 1),
          leased_until: now.ms + leaseMs,
          started_at: now.iso,
          updated_at: now.iso,
        }))
        .where((eb) =>
          eb(eb.refTuple('row_id', 'column_id'), 'in', candidates.$asTuple('row_id', 'column_id')),
        )
        .returning(['row_id', 'column_id', 'table_id', 'run_id', 'fence', 'attempts'])
        .execute();
      if (claimed.length === 0) return [];

      const transitions = groupTransitions(claimed, 'queued', 'running');
      await applyTransitions(trx, transitions, now.iso);
      const runIds = [...new Set(claimed.flatMap((cell) => (cell.run_id ? [cell.run_id] : [])))];
      if (runIds.length > 0) {
        await trx
          .updateTable('runs')
          .set({ status: 'in_progress' })
          .where('id', 'in', runIds)
          .where('status', '=', 'created')
          .execute();
      }
      return this.#loadContext(trx, claimed, runIds);
    });
  }

  /** Everything a worker needs to compute the claimed cells, read in a handful of queries. */
  async #loadContext(
    trx: Trx,
    claimed: {
      row_id: string;
      column_id: string;
      table_id: string;
      run_id: string | null;
      fence: number;
      attempts: number;
    }[],
    runIds: string[],
  ): Promise<ClaimedCell[]> {
    const tableIds = [...new Set(claimed.map((cell) => cell.table_id))];
    const rowIds = [...new Set(claimed.map((cell) => cell.row_id))];
    const tables = await trx
      .selectFrom('tables')
      .select(['id', 'workspace_id', 'kind'])
      .where('id', 'in', tableIds)
      .execute();
    const columnRows = await trx
      .selectFrom('columns')
      .selectAll()
      .where('table_id', 'in', tableIds)
      .execute();
    const runs = await trx
      .selectFrom('runs')
      .select(['id', 'bypass_cache', 'created_at'])
      .where('id', 'in', runIds.length > 0 ? runIds : [NO_ID])
      .execute();
    const rows = new Map<string, Record<string, unknown>>();
    const parents = new Map<string, Record<string, unknown>>();
    const answers = new Map<string, Map<string, unknown>>();
    for (const chunk of chunks(rowIds, 500)) {
      for (const row of await trx
        .selectFrom('rows')
        .select(['id', 'data', 'parent_data'])
        .where('id', 'in', chunk)
        .execute()) {
        rows.set(row.id, parseJson<Record<string, unknown>>(row.data) ?? {});
        const parent = parseJson<Record<string, unknown>>(row.parent_data ?? null);
        if (parent) parents.set(row.id, parent);
      }
      const done = await trx
        .selectFrom('cells')
        .select(['row_id', 'column_id', 'value'])
        .where('row_id', 'in', chunk)
        .where('status', '=', 'done')
        .execute();
      for (const cell of done) {
        const byColumn = answers.get(cell.row_id) ?? new Map<string, unknown>();
        byColumn.set(cell.column_id, parseJson<{ answer?: unknown }>(cell.value)?.answer ?? null);
        answers.set(cell.row_id, byColumn);
      }
    }
    const tableById = new Map(tables.map((table) => [table.id, table]));
    const columnsByTable = new Map<string, Column[]>();
    for (const row of columnRows) {
      const column = toColumn(row);
      columnsByTable.set(column.tableId, [...(columnsByTable.get(column.tableId) ?? []), column]);
    }
    const notBefore = new Map(
      runs.map((run) => [run.id, run.bypass_cache ? Date.parse(toIso(run.created_at)) : undefined]),
    );
    return claimed.map((cell): ClaimedCell => {
      const columns = columnsByTable.get(cell.table_id) ?? [];
      const column = columns.find((candidate) => candidate.id === cell.column_id)!;
      const data = rows.get(cell.row_id) ?? {};
      const rowAnswers = answers.get(cell.row_id);
      const values: Record<string, unknown> = {};
      for (const other of columns) {
        if (isInputKind(other.config.kind)) values[other.config.key] = data[other.id] ?? null;
        else if (rowAnswers?.has(other.id)) values[other.config.key] = rowAnswers.get(other.id);
      }
      const table = tableById.get(cell.table_id)!;
      return {
        rowId: cell.row_id,
        columnId: cell.column_id,
        tableId: cell.table_id,
        workspaceId: table.workspace_id,
        runId: cell.run_id,
        fence: Number(cell.fence),
        attempt: Number(cell.attempts),
        column,
        tableKind: table.kind as TableKind,
        values,
        parentValues: parents.get(cell.row_id),
        cacheNotBefore: cell.run_id ? notBefore.get(cell.run_id) : undefined,
      };
    });
  }

  async extendLeases(workerId: string, cells: CellRef[], leaseMs: number): Promise<CellRef[]> {
    if (cells.length === 0) return [];
    const now = this.#clock.now();
    const kept = new Set<string>();
    for (const chunk of chunks(cells, 300)) {
      const rows = await this.#db
        .updateTable('cells')
        .set({ leased_until: now + leaseMs })
        .where('worker_id', '=', workerId)
        .where('status', '=', 'running')
        .where((eb) =>
          eb(
            eb.refTuple('row_id', 'column_id', 'fence'),
            'in',
            chunk.map((cell) => eb.tuple(cell.rowId, cell.columnId, cell.fence)),
          ),
        )
        .returning(['row_id', 'column_id'])
        .execute();
      for (const row of rows) kept.add(`${row.row_id}/${row.column_id}`);
    }
    return cells.filter((cell) => !kept.has(`${cell.rowId}/${cell.columnId}`));
  }

  async completeCells(results: CellResult[]): Promise<CompletionReport> {
    if (results.length === 0) return { applied: 0, discarded: 0, changed: [] };
    return this.#db.transaction().execute(async (trx) => {
      const now = this.#stamp();
      const transitions: CellTransition[] = [];
      const settledRows = new Map<string, Set<string>>();
      const byCell = new Map(results.map((result) => [`${result.rowId}/${result.columnId}`, result]));
      let applied = 0;
      const changed: CellChange[] = [];
      const failed: FailedCell[] = [];
      for (const batch of chunks([...byCell.values()], 400)) {
        for (const row of await this.#applyCompletions(trx, batch, now)) {
          changed.push({
            tableId: row.table_id,
            rowId: row.row_id,
            columnId: row.column_id,
            status: row.status as CellStatus,
          });
          const result = byCell.get(`${row.row_id}/${row.column_id}`)!;
          applied += 1;
          const to = row.status as CellStatus;
          if (to === 'failed') {
            failed.push({
              tableId: row.table_id,
              rowId: row.row_id,
              columnId: row.column_id,
              runId: row.run_id,
              error: result.outcome.status === 'failed' ? result.outcome.error : null,
            });
          }
          transitions.push({
            tableId: row.table_id,
            fromRunId: row.run_id,
            toRunId: row.run_id,
            from: 'running',
            to,
            count: 1,
            cost: 'cost' in result.outcome ? (result.outcome.cost ?? 0) : 0,
          });
          if (to !== 'queued') {
            const rows = settledRows.get(row.table_id) ?? new Set<string>();
            rows.add(row.row_id);
            settledRows.set(row.table_id, rows);
          }
        }
      }
      await this.#writeCacheEntries(trx, results);
      await enqueueCellsFailed(trx, failed, now.iso);
      await applyTransitions(trx, transitions, now.iso);
      const charged = [
        ...new Set(transitions.filter((t) => (t.cost ?? 0) > 0 && t.toRunId).map((t) => t.toRunId!)),
      ];
      if (charged.length > 0) await this.#enforceBudgets(trx, charged, now);
      for (const [tableId, rowIds] of settledRows) {
        const graph = computedGraph(await readColumns(trx, tableId));
        await applyTransitions(
          trx,
          await resolveWaiting(trx, this.#dialect, tableId, graph, { rowIds: [...rowIds] }, now),
          now.iso,
        );
      }
      return { applied, discarded: results.length - applied, changed };
    });
  }

  /**
   * Records a batch of results in one statement: an UPDATE joined to the results as a VALUES list,
   * applied only where the cell is still running under the same fence. Returns the cells it changed.
   */
  async #applyCompletions(
    trx: Trx,
    results: CellResult[],
    now: Stamp,
  ): Promise<
    { row_id: string; column_id: string; table_id: string; run_id: string | null; status: string }[]
  > {
    const t = (value: unknown, type: Parameters<StoreDialect['typed']>[1]) =>
      this.#dialect.typed(value, type);
    const rows = results.map((result) => {
      const c = completionColumns(result);
      return sql`(${sql.join([
        t(result.rowId, 'uuid'),
        t(result.columnId, 'uuid'),
        t(result.fence, 'integer'),
        t(c.status, 'text'),
        t(c.setValue ? 1 : 0, 'integer'),
        t(c.value, 'jsonb'),
        t(c.error, 'jsonb'),
        t(c.reason, 'text'),
        t(c.cost, 'double precision'),
        t(c.usage, 'jsonb'),
        t(c.cacheKey, 'text'),
        t(c.availableAt, 'bigint'),
      ])})`;
    });
    const names = [
      'row_id',
      'column_id',
      'fence',
      'status',
      'set_value',
      'value',
      'error',
      'reason',
      'cost',
      'usage',
      'cache_key',
      'available_at',
    ];
    // `SELECT columnN AS …` names the VALUES columns in a way both SQLite and Postgres accept.
    const values = sql`(select ${sql.raw(names.map((name, index) => `column${index + 1} as ${name}`).join(', '))} from (values ${sql.join(rows)}) as raw_values)`;
    const result = await sql<{
      row_id: string;
      column_id: string;
      table_id: string;
      run_id: string | null;
      status: string;
    }>`
      update cells set
        status = v.status,
        value = case when v.set_value = 1 then v.value else cells.value end,
        error = v.error,
        reason = v.reason,
        cost = case when v.status = 'queued' then cells.cost else v.cost end,
        usage = case when v.status = 'queued' then cells.usage else v.usage end,
        cache_key = case when v.set_value = 1 then v.cache_key else cells.cache_key end,
        available_at = case when v.status = 'queued' then v.available_at else cells.available_at end,
        finished_at = case when v.status = 'queued' then cells.finished_at else ${t(now.iso, 'timestamptz')} end,
        worker_id = null,
        leased_until = null,
        updated_at = ${t(now.iso, 'timestamptz')}
      from ${values} as v
      where cells.row_id = v.row_id and cells.column_id = v.column_id and cells.fence = v.fence and cells.status = 'running'
      returning cells.row_id, cells.column_id, cells.table_id, cells.run_id, cells.status`.execute(trx);
    return result.rows;
  }

  /** Results worth reusing go into the cache in the same transaction as the cells they fill. */
  async #writeCacheEntries(trx: Trx, results: CellResult[]): Promise<void> {
    const entries = new Map<string, Insertable<CacheEntriesTable>>();
    const now = this.#clock.now();
    for (const { outcome } of results) {
      if (outcome.status !== 'done' || !outcome.cacheKey || !outcome.cacheEntry) continue;
      entries.set(`${outcome.cacheEntry.workspaceId}/${outcome.cacheKey}`, {
        workspace_id: outcome.cacheEntry.workspaceId,
        cache_key: outcome.cacheKey,
        value: JSON.stringify(outcome.value),
        cost: outcome.cacheEntry.cost,
        usage: outcome.usage ? JSON.stringify(outcome.usage) : null,
        created_at: outcome.cacheEntry.createdAt,
        expires_at: Math.max(now, outcome.cacheEntry.expiresAt),
      });
    }
    for (const batch of chunks([...entries.values()], 500)) {
      await trx
        .insertInto('cache_entries')
        .values(batch)
        .onConflict((conflict) =>
          conflict.columns(['workspace_id', 'cache_key']).doUpdateSet((eb) => ({
            value: eb.ref('excluded.value'),
            cost: eb.ref('excluded.cost'),
            usage: eb.ref('excluded.usage'),
            created_at: eb.ref('excluded.created_at'),
            expires_at: eb.ref('excluded.expires_at'),
          })),
        )
        .execute();
    }
  }

  /** A run whose cost reached its `max_cost` claims nothing more: its queued cells end cancelled. */
  async #enforceBudgets(trx: Trx, runIds: string[], now: Stamp): Promise<void> {
    const spent = await trx
      .selectFrom('runs')
      .select(['id', 'table_id'])
      .where('id', 'in', runIds)
      .where('max_cost', 'is not', null)
      .whereRef('cost', '>=', 'max_cost')
      .where('status', 'in', ['created', 'in_progress'])
      .execute();
    for (const run of spent) {
      const filter = { tableId: run.table_id, runId: run.id, statuses: ['queued'] };
      const groups = await countCellGroups(trx, filter);
      await trx
        .updateTable('cells')
        .set({
          status: 'cancelled',
          reason: 'budget_exhausted',
          error: JSON.stringify({
            type: 'budget_exhausted',
            message: "The run reached its max_cost before this cell's turn",
          }),
          waiting: this.#dialect.bool(false),
          finished_at: now.iso,
          updated_at: now.iso,
        })
        .where(cellWhere(filter))
        .execute();
      await applyTransitions(
        trx,
        groups.map((group) => ({
          tableId: run.table_id,
          fromRunId: run.id,
          toRunId: run.id,
          from: group.status,
          to: 'cancelled' as const,
          count: group.count,
        })),
        now.iso,
      );
    }
  }

  async releaseExpiredLeases(): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const now = this.#stamp();
      const released = await trx
        .updateTable('cells')
        .set({
          status: 'queued',
          worker_id: null,
          leased_until: null,
          available_at: now.ms,
          updated_at: now.iso,
        })
        .where('status', '=', 'running')
        .where('leased_until', '<', now.ms)
        .returning(['table_id', 'run_id'])
        .execute();
      await applyTransitions(trx, groupTransitions(released, 'running', 'queued'), now.iso);
      return released.length;
    });
  }

  async nextDueAt(): Promise<number | undefined> {
    const row = await this.#db
      .selectFrom('cells')
      .select((eb) => eb.fn.min('available_at').as('due'))
      .where(this.#dialect.claimableAnyTime())
      .executeTakeFirst();
    return row?.due === null || row?.due === undefined ? undefined : Number(row.due);
  }

  // ── the result cache ───────────────────────────────────────────────────────────────────

  async getCachedResults(
    workspaceId: string,
    cacheKeys: string[],
    notBefore = -1,
  ): Promise<Map<string, CachedResult>> {
    const found = new Map<string, CachedResult>();
    for (const batch of chunks([...new Set(cacheKeys)], 500)) {
      const rows = await this.#db
        .selectFrom('cache_entries')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('cache_key', 'in', batch)
        .where('expires_at', '>', this.#clock.now())
        // Strictly after: an entry from the very millisecond a recomputing run began may predate it.
        .where('created_at', '>', notBefore)
        .execute();
      for (const row of rows) {
        found.set(row.cache_key, {
          value: parseJson(row.value)!,
          cost: Number(row.cost),
          usage: parseJson<Usage>(row.usage),
        });
      }
    }
    return found;
  }

  async putCachedResult(
    workspaceId: string,
    cacheKey: string,
    result: CachedResult,
    ttlMs: number,
  ): Promise<void> {
    const now = this.#clock.now();
    const values = {
      workspace_id: workspaceId,
      cache_key: cacheKey,
      value: JSON.stringify(result.value),
      cost: result.cost,
      usage: result.usage === null ? null : JSON.stringify(result.usage),
      created_at: now,
      expires_at: now + ttlMs,
    };
    await this.#db
      .insertInto('cache_entries')
      .values(values)
      .onConflict((conflict) =>
        conflict.columns(['workspace_id', 'cache_key']).doUpdateSet({
          value: values.value,
          cost: values.cost,
          usage: values.usage,
          created_at: values.created_at,
          expires_at: values.expires_at,
        }),
      )
      .execute();
  }
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────

/** The values a result writes to its cell (what is not written keeps its current value). */
function completionColumns(result: CellResult) {
  const outcome = result.outcome;
  const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
  switch (outcome.status) {
    case 'done':
      return {
        status: 'done',
        setValue: true,
        value: json(outcome.value),
        error: null,
        reason: null,
        cost: outcome.cost,
        usage: json(outcome.usage),
        cacheKey: outcome.cacheKey ?? null,
        availableAt: null,
      };
    case 'failed':
      return {
        status: 'failed',
        setValue: false,
        value: null,
        error: json(outcome.error),
        reason: null,
        cost: outcome.cost ?? 0,
        usage: json(outcome.usage),
        cacheKey: null,
        availableAt: null,
      };
    case 'skipped':
      return {
        status: 'skipped',
        setValue: false,
        value: null,
        error: json(outcome.error),
        reason: outcome.reason,
        cost: 0,
        usage: null,
        cacheKey: null,
        availableAt: null,
      };
    case 'retry':
      return {
        status: 'queued',
        setValue: false,
        value: null,
        error: json(outcome.error),
        reason: null,
        cost: 0,
        usage: null,
        cacheKey: null,
        availableAt: outcome.availableAt,
      };
  }
}

function groupTransitions(
  cells: { table_id: string; run_id: string | null }[],
  from: CellStatus,
  to: CellStatus,
): CellTransition[] {
  const groups = new Map<string, CellTransition>();
  for (const cell of cells) {
    const key = `${cell.table_id}/${cell.run_id ?? ''}`;
    const group = groups.get(key);
    if (group) group.count += 1;
    else
      groups.set(key, {
        tableId: cell.table_id,
        fromRunId: cell.run_id,
        toRunId: cell.run_id,
        from,
        to,
        count: 1,
      });
  }
  return [...groups.values()];
}

async function readColumns(db: StoreDb | Trx, tableId: string): Promise<Column[]> {
  const rows = await db
    .selectFrom('columns')
    .selectAll()
    .where('table_id', '=', tableId)
    .orderBy('position')
    .execute();
  return rows.map(toColumn);
}

async function requireTable(db: StoreDb | Trx, workspaceId: string, tableId: string): Promise<void> {
  const table = await db
    .selectFrom('tables')
    .select('id')
    .where('id', '=', tableId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (!table) throw new NotFoundError('table', tableId);
}

/** Every row and column a run names must be this table's: 422 for the others, at their index. */
async function checkRunScope(
  trx: Trx,
  tableId: string,
  columns: Column[],
  request: RunRequest,
): Promise<void> {
  const issues = new IssueCollector();
  if (request.columnIds) {
    const known = new Set(columns.map((column) => column.id));
    request.columnIds.forEach((id, index) => {
      if (!known.has(id)) issues.add(['columns', index], `No column with id '${id}' in this table`);
    });
  }
  if (request.rowIds && request.rowIds.length > 0) {
    const found = new Set<string>();
    for (const chunk of chunks([...new Set(request.rowIds)], 1000)) {
      const rows = await trx
        .selectFrom('rows')
        .select('id')
        .where('table_id', '=', tableId)
        .where('id', 'in', chunk)
        .execute();
      for (const row of rows) found.add(row.id);
    }
    request.rowIds.forEach((id, index) => {
      if (!found.has(id)) issues.add(['rows', index], `No row with id '${id}' in this table`);
    });
  }
  issues.throwIfAny();
}

async function readRun(db: StoreDb | Trx, runId: string): Promise<Run> {
  return toRun(await db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow());
}
