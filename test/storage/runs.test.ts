import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCellCounts, type CellCounts } from '../../src/domain/cell-status.ts';
import { ColumnConfigSchema, type ColumnConfigInput } from '../../src/domain/columns.ts';
import { NotFoundError, ValidationError } from '../../src/domain/errors.ts';
import type { ClaimedCell, Store } from '../../src/engine/ports.ts';
import { FakeClock } from '../fixtures/fake-clock.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../fixtures/stores.ts';

const LEASE_MS = 30_000;

function done(cell: ClaimedCell, answer: unknown = `answer for ${cell.column.config.key}`) {
  return {
    rowId: cell.rowId,
    columnId: cell.columnId,
    fence: cell.fence,
    outcome: { status: 'done' as const, value: { answer }, cost: 0.01 },
  };
}

function failed(cell: ClaimedCell) {
  return {
    rowId: cell.rowId,
    columnId: cell.columnId,
    fence: cell.fence,
    outcome: { status: 'failed' as const, error: { type: 'provider_error', message: 'boom' } },
  };
}

describe.each(STORE_KINDS)('run store on %s', (kind) => {
  let opened: TestStore;
  let store: Store;
  let ws: string;
  const clock = new FakeClock();

  beforeAll(async () => {
    opened = await openTestStore(kind, clock);
    store = opened.store;
    ws = (await store.createWorkspace({ name: 'runs', ownerEmail: 'r@r.r' })).id;
  });
  afterAll(() => opened.dispose());

  /** A table `name → summary → score` (score reads summary) plus an independent `shout` formula. */
  async function pipeline(rows = 3) {
    const configs: ColumnConfigInput[] = [
      { key: 'name', name: 'Name' },
      {
        kind: 'agent',
        key: 'summary',
        name: 'Summary',
        value: { agent_type: 'llm', prompt: 'About {name}' },
      },
      {
        kind: 'agent',
        key: 'score',
        name: 'Score',
        value: { agent_type: 'llm', prompt: 'Rate {summary}', output_format: 'grade' },
      },
      { kind: 'formula', key: 'shout', name: 'Shout', value: { expression: 'name + "!"' } },
    ];
    const detail = await store.createTable(ws, {
      name: 'Pipeline',
      description: null,
      tags: null,
      kind: 'generic',
      notify: false,
      settings: { exclude_from_search: false },
      columns: configs.map((config) => ColumnConfigSchema.parse(config)),
    });
    const inserted = await store.insertRows(
      ws,
      detail.table.id,
      Array.from({ length: rows }, (_, index) => ({ data: { name: `Company ${index}` } })),
    );
    const [name, summary, score, shout] = detail.columns.map((column) => column.id) as [
      string,
      string,
      string,
      string,
    ];
    return {
      tableId: detail.table.id,
      rowIds: inserted.rows.map(({ row }) => row.id),
      name,
      summary,
      score,
      shout,
    };
  }

  /** Counts of the table's cells by status, recounted from the cells themselves. */
  async function recount(tableId: string): Promise<CellCounts> {
    const counts = emptyCellCounts();
    for (let offset = 0; ; offset += 100) {
      const page = await store.getTableData(ws, tableId, { offset, limit: 100 });
      for (const { cells } of page.rows) for (const cell of cells) counts[cell.status] += 1;
      if (page.rows.length < 100) break;
    }
    return counts;
  }

  async function expectCountersExact(tableId: string) {
    const { table } = await store.getTable(ws, tableId);
    expect(table.cellCounts).toEqual(await recount(tableId));
  }

  async function claimAll(limit = 100) {
    return store.claimCells('worker-a', limit, LEASE_MS);
  }

  it('plans a run in mode new over every computed cell, and only the ready ones are claimable', async () => {
    const t = await pipeline(3);
    const run = await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    expect(run).toMatchObject({
      status: 'created',
      mode: 'new',
      numRequestedCells: 9,
      counts: { queued: 9, running: 0 },
    });
    expect((await store.getTable(ws, t.tableId)).table.cellCounts.queued).toBe(9);

    const claimed = await claimAll();
    // `score` waits for `summary`: 3 summaries and 3 shouts are claimable now.
    expect(claimed.map((cell) => cell.column.config.key).sort()).toEqual([
      'shout',
      'shout',
      'shout',
      'summary',
      'summary',
      'summary',
    ]);
    const first = claimed[0]!;
    expect(first).toMatchObject({
      tableId: t.tableId,
      workspaceId: ws,
      runId: run.id,
      attempt: 1,
      tableKind: 'generic',
    });
    expect(first.values.name).toMatch(/^Company \d$/);
    expect((await store.getRun(ws, t.tableId, run.id)).status).toBe('in_progress');
    await expectCountersExact(t.tableId);

    await store.completeCells(claimed.map((cell) => done(cell)));
    const scores = await claimAll();
    expect(scores.map((cell) => cell.column.config.key)).toEqual(['score', 'score', 'score']);
    // Upstream answers arrive as values by key.
    expect(scores[0]!.values.summary).toBe('answer for summary');
    await store.completeCells(scores.map((cell) => done(cell, 4)));

    const finished = await store.getRun(ws, t.tableId, run.id);
    expect(finished).toMatchObject({ status: 'done', counts: { queued: 0, running: 0, done: 9, failed: 0 } });
    expect(finished.cost).toBeCloseTo(0.09);
    expect(finished.finishedAt).not.toBeNull();
    const { table } = await store.getTable(ws, t.tableId);
    expect(table.cellCounts).toMatchObject({ done: 9, queued: 0, running: 0 });
    await expectCountersExact(t.tableId);

    const again = await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    expect(again).toMatchObject({ numRequestedCells: 0, status: 'done' });
  });

  it('skips downstream cells with dependency_failed when an upstream cell fails, and ends the run failed', async () => {
    const t = await pipeline(2);
    const run = await store.planRun(ws, t.tableId, {
      mode: 'new',
      rowIds: null,
      columnIds: [t.summary, t.score],
    });
    expect(run.numRequestedCells).toBe(4);
    const summaries = await claimAll();
    expect(summaries).toHaveLength(2);
    await store.completeCells([failed(summaries[0]!), done(summaries[1]!)]);
    const page = await store.getTableData(ws, t.tableId, { offset: 0, limit: 10 });
    const scoreCell = page.rows
      .find(({ row }) => row.id === summaries[0]!.rowId)!
      .cells.find((cell) => cell.columnId === t.score)!;
    expect(scoreCell).toMatchObject({ status: 'skipped', reason: 'dependency_failed' });
    const rest = await claimAll();
    expect(rest.map((cell) => [cell.rowId, cell.column.config.key])).toEqual([
      [summaries[1]!.rowId, 'score'],
    ]);
    await store.completeCells(rest.map((cell) => done(cell)));
    expect(await store.getRun(ws, t.tableId, run.id)).toMatchObject({
      status: 'failed',
      counts: { done: 2, failed: 1, skipped: 1, queued: 0, running: 0 },
    });
    await expectCountersExact(t.tableId);
  });

  it('skips a cell whose upstream column is out of scope and never ran', async () => {
    const t = await pipeline(1);
    const run = await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: [t.score] });
    expect(run).toMatchObject({ numRequestedCells: 1, status: 'done', counts: { skipped: 1 } });
    await expectCountersExact(t.tableId);
  });

  it('re-runs by mode: failed re-queues failed cells, all re-queues everything, new only what has no value', async () => {
    const t = await pipeline(2);
    await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: [t.shout] });
    const shouts = await claimAll();
    await store.completeCells([done(shouts[0]!), failed(shouts[1]!)]);

    const failedRun = await store.planRun(ws, t.tableId, {
      mode: 'failed',
      rowIds: null,
      columnIds: [t.shout],
    });
    expect(failedRun.numRequestedCells).toBe(1);
    const retried = await claimAll();
    expect(retried.map((cell) => cell.rowId)).toEqual([shouts[1]!.rowId]);
    await store.completeCells(retried.map((cell) => done(cell)));

    const newRun = await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: [t.shout] });
    expect(newRun.numRequestedCells).toBe(0);
    const allRun = await store.planRun(ws, t.tableId, {
      mode: 'all',
      rowIds: [t.rowIds[0]!],
      columnIds: [t.shout],
    });
    expect(allRun).toMatchObject({ numRequestedCells: 1, bypassCache: true });
    const redo = await claimAll();
    expect(redo).toMatchObject([{ rowId: t.rowIds[0], cacheNotBefore: Date.parse(allRun.createdAt) }]);
    await store.completeCells(redo.map((cell) => done(cell)));
    await expectCountersExact(t.tableId);
  });

  it('re-runs failed, never-computed and stuck cells in mode stuck_failed_new', async () => {
    const t = await pipeline(4);
    await store.planRun(ws, t.tableId, { mode: 'new', rowIds: t.rowIds.slice(0, 3), columnIds: [t.shout] });
    const [ok, bad, stuck] = await store.claimCells('worker-gone', 3, 1000);
    await store.completeCells([done(ok!), failed(bad!)]);
    // Fourth row never computed; third row's worker died holding its lease (no sweep has run).
    clock.advance(1001);
    const run = await store.planRun(ws, t.tableId, {
      mode: 'stuck_failed_new',
      rowIds: null,
      columnIds: [t.shout],
    });
    expect(run.numRequestedCells).toBe(3);
    const claimed = await claimAll();
    expect(claimed.map((cell) => cell.rowId).sort()).toEqual([bad!.rowId, stuck!.rowId, t.rowIds[3]!].sort());
    expect(await store.completeCells([done(stuck!, 'zombie')])).toMatchObject({ applied: 0, discarded: 1 });
    await store.completeCells(claimed.map((cell) => done(cell)));
    expect(await store.getRun(ws, t.tableId, run.id)).toMatchObject({ status: 'done', counts: { done: 3 } });
    await expectCountersExact(t.tableId);
  });

  it('makes a column and its dependents stale when its config changes', async () => {
    const t = await pipeline(1);
    await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await store.completeCells((await claimAll()).map((cell) => done(cell)));
    await store.completeCells((await claimAll()).map((cell) => done(cell)));
    const detail = await store.getTable(ws, t.tableId);
    const summary = detail.columns.find((column) => column.id === t.summary)!;
    await store.updateColumn(
      ws,
      t.tableId,
      t.summary,
      ColumnConfigSchema.parse({
        ...summary.config,
        value: { agent_type: 'llm', prompt: 'Describe {name} briefly' },
      }),
    );
    const statuses = Object.fromEntries(
      (await store.getRow(ws, t.tableId, t.rowIds[0]!)).rows[0]!.cells.map((cell) => [
        cell.columnId,
        cell.status,
      ]),
    );
    expect(statuses).toEqual({ [t.summary]: 'stale', [t.score]: 'stale', [t.shout]: 'done' });
    const rerun = await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    expect(rerun.numRequestedCells).toBe(2);
    await store.cancelRun(ws, t.tableId, rerun.id); // leave the queue empty for the next test
    await expectCountersExact(t.tableId);
  });

  it('refuses row and column ids outside the table, at their index', async () => {
    const t = await pipeline(1);
    const other = await pipeline(1);
    const error = await store
      .planRun(ws, t.tableId, {
        mode: 'new',
        rowIds: [t.rowIds[0]!, other.rowIds[0]!],
        columnIds: [other.summary],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([
      ['columns', 0],
      ['rows', 1],
    ]);
    await expect(
      store.planRun('00000000-0000-4000-8000-000000000000', t.tableId, {
        mode: 'new',
        rowIds: null,
        columnIds: null,
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('discards a completion whose fence no longer matches, and never overwrites a finished cell', async () => {
    const t = await pipeline(1);
    await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: [t.shout] });
    const [cell] = await claimAll();
    expect(await store.completeCells([done(cell!, 'first')])).toMatchObject({ applied: 1, discarded: 0 });
    expect(await store.completeCells([done(cell!, 'late duplicate')])).toMatchObject({
      applied: 0,
      discarded: 1,
    });
    const row = await store.getRow(ws, t.tableId, t.rowIds[0]!);
    expect(row.rows[0]!.cells.find((c) => c.columnId === t.shout)!.value).toEqual({ answer: 'first' });
  });

  it('returns expired leases to the queue; the old holder cannot complete, the new one can', async () => {
    const t = await pipeline(1);
    await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: [t.shout] });
    const [lost] = await store.claimCells('worker-dies', 10, 1000);
    expect(await store.extendLeases('worker-dies', [lost!], 1000)).toEqual([]);
    expect(await store.releaseExpiredLeases()).toBe(0);
    clock.advance(1001);
    expect(await store.releaseExpiredLeases()).toBe(1);
    expect(await store.extendLeases('worker-dies', [lost!], 1000)).toEqual([lost]);
    const [again] = await claimAll();
    expect(again).toMatchObject({ rowId: lost!.rowId, attempt: 2 });
    expect(again!.fence).toBeGreaterThan(lost!.fence);
    expect(await store.completeCells([done(lost!, 'zombie')])).toMatchObject({ applied: 0, discarded: 1 });
    expect(await store.completeCells([done(again!, 'fresh')])).toMatchObject({ applied: 1, discarded: 0 });
    await expectCountersExact(t.tableId);
  });

  it('holds a retried cell until it is due', async () => {
    const t = await pipeline(1);
    await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: [t.shout] });
    const [cell] = await claimAll();
    const dueAt = clock.now() + 5000;
    await store.completeCells([
      {
        rowId: cell!.rowId,
        columnId: cell!.columnId,
        fence: cell!.fence,
        outcome: { status: 'retry', availableAt: dueAt, error: { type: 'rate_limited', message: '429' } },
      },
    ]);
    expect(await claimAll()).toEqual([]);
    expect(await store.nextDueAt()).toBe(dueAt);
    clock.advanceTo(dueAt);
    const [retry] = await claimAll();
    expect(retry).toMatchObject({ rowId: cell!.rowId, attempt: 2 });
    await store.completeCells([done(retry!)]);
    await expectCountersExact(t.tableId);
  });

  it('cancels a run: queued and running cells end cancelled and late results are discarded', async () => {
    const t = await pipeline(3);
    const run = await store.planRun(ws, t.tableId, {
      mode: 'new',
      rowIds: null,
      columnIds: [t.shout, t.summary],
    });
    const running = await store.claimCells('worker-a', 2, LEASE_MS);
    const cancelled = await store.cancelRun(ws, t.tableId, run.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', counts: { queued: 0, running: 0, cancelled: 6 } });
    expect(await store.completeCells(running.map((cell) => done(cell)))).toMatchObject({
      applied: 0,
      discarded: 2,
    });
    expect(await claimAll()).toEqual([]);
    const { table } = await store.getTable(ws, t.tableId);
    expect(table.cellCounts).toMatchObject({ cancelled: 6, queued: 0, running: 0 });
    await expectCountersExact(t.tableId);
    // Cancelled cells have no value: mode new picks them up again.
    expect(
      (await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: [t.shout] }))
        .numRequestedCells,
    ).toBe(3);
    await expect(
      store.cancelRun(ws, t.tableId, '00000000-0000-4000-8000-000000000000'),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('makes dependent cells stale when an input changes, and re-queues running ones under a new fence', async () => {
    const t = await pipeline(2);
    await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: [t.shout, t.summary] });
    const claimed = await claimAll();
    const [row0, row1] = t.rowIds;
    await store.completeCells(claimed.filter((cell) => cell.rowId === row0).map((cell) => done(cell)));
    const inFlight = claimed.filter((cell) => cell.rowId === row1);

    await store.updateRows(ws, t.tableId, [
      { id: row0!, data: { name: 'Renamed' } },
      { id: row1!, data: { name: 'Renamed too' } },
    ]);
    const statuses = async (rowId: string) =>
      Object.fromEntries(
        (await store.getRow(ws, t.tableId, rowId)).rows[0]!.cells.map((cell) => [cell.columnId, cell.status]),
      );
    expect(await statuses(row0!)).toEqual({ [t.shout]: 'stale', [t.summary]: 'stale' });
    expect(await statuses(row1!)).toEqual({ [t.shout]: 'queued', [t.summary]: 'queued' });
    expect(await store.completeCells(inFlight.map((cell) => done(cell)))).toMatchObject({
      applied: 0,
      discarded: 2,
    });
    await expectCountersExact(t.tableId);

    const fresh = await claimAll();
    expect(fresh.map((cell) => cell.values.name)).toEqual(['Renamed too', 'Renamed too']);
    await store.completeCells(fresh.map((cell) => done(cell)));
    const newRun = await store.planRun(ws, t.tableId, {
      mode: 'new',
      rowIds: null,
      columnIds: [t.shout, t.summary],
    });
    expect(newRun.numRequestedCells).toBe(2);
    await expectCountersExact(t.tableId);
  });

  it('keeps counters exact when rows and columns with cells are deleted, and lets their runs finish', async () => {
    const t = await pipeline(3);
    const run = await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: [t.shout] });
    const [first] = await store.claimCells('worker-a', 1, LEASE_MS);
    await store.completeCells([done(first!)]);
    await store.deleteRows(
      ws,
      t.tableId,
      t.rowIds.filter((id) => id !== first!.rowId),
    );
    expect((await store.getRun(ws, t.tableId, run.id)).status).toBe('done');
    await expectCountersExact(t.tableId);
    await store.deleteColumn(ws, t.tableId, t.shout);
    expect((await store.getTable(ws, t.tableId)).table.cellCounts).toEqual(emptyCellCounts());
  });

  it('keeps and expires cached results per workspace', async () => {
    await store.putCachedResult(
      ws,
      'key-1',
      { value: { answer: 42 }, cost: 0.5, usage: { inputTokens: 3 } },
      10_000,
    );
    expect((await store.getCachedResults(ws, ['key-1'])).get('key-1')).toEqual({
      value: { answer: 42 },
      cost: 0.5,
      usage: { inputTokens: 3 },
    });
    const other = (await store.createWorkspace({ name: 'cache-other', ownerEmail: 'c@c.c' })).id;
    expect((await store.getCachedResults(other, ['key-1'])).get('key-1')).toBeUndefined();
    clock.advance(10_001);
    expect((await store.getCachedResults(ws, ['key-1'])).get('key-1')).toBeUndefined();
  });

  it('lists runs newest first', async () => {
    const t = await pipeline(1);
    const a = await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: [t.shout] });
    clock.advance(1);
    const b = await store.planRun(ws, t.tableId, { mode: 'all', rowIds: null, columnIds: [t.shout] });
    const listed = await store.listRuns(ws, t.tableId, { offset: 0, limit: 10 });
    expect(listed.items.map((run) => run.id)).toEqual([b.id, a.id]);
    expect(listed.total).toBe(2);
  });
});
