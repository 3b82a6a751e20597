import type { Rectangle } from '@glideapps/glide-data-grid';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  ApiError,
  type ApiClient,
  type Column,
  type ColumnStats,
  type Row,
  type Run,
  type RunMode,
  type Table,
  type TableData,
  type TableEvent,
} from '../api.ts';
import { CellDetail } from '../components/cell-detail.tsx';
import { ColumnEditor } from '../components/column-editor.tsx';
import { CsvImport } from '../components/csv-import.tsx';
import { HeaderMenu } from '../components/header-menu.tsx';
import { ConfirmModal } from '../components/modal.tsx';
import { RunDialog, type RunRequest } from '../components/run-dialog.tsx';
import { RunsPanel } from '../components/runs-panel.tsx';
import { formatCost, formatCount } from '../format.ts';
import type { ColumnProgress } from '../grid/cells.ts';
import { RowCache } from '../grid/row-cache.ts';
import { TableGrid, type InputEdit } from '../grid/table-grid.tsx';
import { linkProps } from '../router.ts';

/** Statuses after which a cell's value, error or reason may have changed: re-read the row. */
const SETTLED = new Set(['done', 'failed', 'skipped', 'stale', 'cancelled']);
/** Selections larger than this are not turned into row ids (that many pages would be read). */
const MAX_SELECTED_ROWS = 10_000;

type SidePanel = { kind: 'runs' } | { kind: 'cell'; rowId: string; columnId: string } | null;
type EditorState = { mode: 'add' } | { mode: 'edit'; column: Column } | null;

function headerOf(data: TableData): Table {
  const { rows: _rows, notify: _notify, settings: _settings, ...table } = data;
  return table;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A typed value for an edited input cell: numbers and booleans stay what they were. */
function parseInput(text: string, previous: unknown): unknown {
  if (text === '') return null;
  if (typeof previous === 'number' && text.trim() !== '' && Number.isFinite(Number(text)))
    return Number(text);
  if (typeof previous === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function isActive(run: Run): boolean {
  return run.status === 'created' || run.status === 'in_progress';
}

export function TableView({
  client,
  tableId,
  onAuthError,
}: {
  client: ApiClient;
  tableId: string;
  onAuthError: (error: unknown) => void;
}) {
  const [table, setTable] = useState<Table | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [deleted, setDeleted] = useState(false);
  const [cache, setCache] = useState<RowCache | null>(null);
  const [version, setVersion] = useState(0);
  const [runs, setRuns] = useState<Run[]>([]);
  const [panel, setPanel] = useState<SidePanel>(null);
  const [editor, setEditor] = useState<EditorState>(null);
  const [runRequest, setRunRequest] = useState<RunRequest | null>(null);
  const [menu, setMenu] = useState<{ column: Column; bounds: Rectangle } | null>(null);
  const [importing, setImporting] = useState(false);
  const [confirm, setConfirm] = useState<{
    title: string;
    message: string;
    label: string;
    action: () => void;
  } | null>(null);
  const [selectedRows, setSelectedRows] = useState<number[]>([]);
  const [notice, setNotice] = useState<{ text: string; error?: boolean } | null>(null);
  const [exportProgress, setExportProgress] = useState<string | null>(null);
  // Information fades after a while; errors stay until dismissed.
  useEffect(() => {
    if (!notice || notice.error) return;
    const timer = setTimeout(() => setNotice(null), 8000);
    return () => clearTimeout(timer);
  }, [notice]);
  const tableRef = useRef<Table | null>(null);
  tableRef.current = table;

  const bump = useCallback(() => setVersion((v) => v + 1), []);
  const report = useCallback(
    (error: unknown) => {
      onAuthError(error);
      if (error instanceof DOMException && error.name === 'AbortError') return;
      setNotice({ text: error instanceof Error ? error.message : String(error), error: true });
    },
    [onAuthError],
  );

  /** Takes a fresh header, keeping the old objects when nothing changed (no grid re-layout). */
  const applyTable = useCallback((next: Table) => {
    setTable((previous) => {
      if (!previous) return next;
      const columns = sameJson(previous.columns, next.columns) ? previous.columns : next.columns;
      if (
        columns === previous.columns &&
        sameJson(previous.status, next.status) &&
        previous.name === next.name
      ) {
        return previous;
      }
      return { ...next, columns };
    });
  }, []);

  // The header, then the rows (page by page, as the grid scrolls).
  useEffect(() => {
    const controller = new AbortController();
    client
      .getTable(tableId, controller.signal)
      .then(applyTable)
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        onAuthError(error);
        setLoadError(
          error instanceof ApiError && error.status === 404 ? 'This table does not exist.' : String(error),
        );
      });
    const rowCache = new RowCache({
      client,
      tableId,
      onChange: bump,
      onTable: (data) => applyTable(headerOf(data)),
      onError: report,
    });
    setCache(rowCache);
    return () => {
      controller.abort();
      rowCache.dispose();
    };
  }, [client, tableId, applyTable, bump, report, onAuthError]);

  // A mark for measurements (the browser test reads it): the first rows are on screen.
  const firstRowsShown = useRef(false);
  useEffect(() => {
    if (firstRowsShown.current || !cache?.rowAt(0)) return;
    firstRowsShown.current = true;
    requestAnimationFrame(() => performance.mark('enrichbase:first-rows'));
  }, [cache, version]);

  const numRows = table?.status.num_rows;
  useEffect(() => {
    if (cache && numRows !== undefined) cache.setRowCount(numRows);
  }, [cache, numRows]);

  const loadRuns = useCallback(() => {
    client
      .listRuns(tableId, 50)
      .then((list) => setRuns(list.items))
      .catch(report);
  }, [client, tableId, report]);
  useEffect(loadRuns, [loadRuns]);

  const refreshRun = useCallback(
    (runId: string): Promise<Run | undefined> =>
      client
        .getRun(tableId, runId)
        .then((run) => {
          setRuns((current) =>
            current.some((r) => r.id === run.id)
              ? current.map((r) => (r.id === run.id ? run : r))
              : [run, ...current],
          );
          return run;
        })
        .catch((error: unknown) => {
          report(error);
          return undefined;
        }),
    [client, tableId, report],
  );

  // Active runs' counts change with every cell; re-read them at most once a second, on events only.
  const runsRef = useRef<Run[]>([]);
  runsRef.current = runs;
  const runRefreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const scheduleRunRefresh = useCallback(() => {
    if (runRefreshTimer.current !== undefined) return;
    runRefreshTimer.current = setTimeout(() => {
      runRefreshTimer.current = undefined;
      for (const run of runsRef.current) if (isActive(run)) void refreshRun(run.id);
    }, 1000);
  }, [refreshRun]);
  useEffect(() => () => clearTimeout(runRefreshTimer.current), []);

  // The headers' per-column counts, re-read at most once a second while anything changes.
  const [columnStats, setColumnStats] = useState<ColumnStats | null>(null);
  const statsTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const scheduleStatsRefresh = useCallback(() => {
    if (statsTimer.current !== undefined) return;
    statsTimer.current = setTimeout(() => {
      client
        .getColumnStats(tableId)
        .then(setColumnStats)
        .catch(() => undefined)
        .finally(() => (statsTimer.current = undefined));
    }, 1000);
  }, [client, tableId]);
  useEffect(() => {
    setColumnStats(null);
    client
      .getColumnStats(tableId)
      .then(setColumnStats)
      .catch(() => undefined);
    return () => clearTimeout(statsTimer.current);
  }, [client, tableId]);

  // Live updates: the table's event stream.
  useEffect(() => {
    if (!cache) return;
    const controller = new AbortController();
    let opened = 0;
    const onEvent = (event: TableEvent) => {
      const current = tableRef.current;
      if (event.event !== 'status') scheduleStatsRefresh();
      switch (event.event) {
        case 'cells': {
          const keyById = new Map((current?.columns ?? []).map((column) => [column.id, column.config.key]));
          const settled: string[] = [];
          let changed = false;
          for (const cell of event.data.cells) {
            const key = keyById.get(cell.column_id);
            if (key && cache.applyStatus(cell.row_id, key, cell.status)) changed = true;
            if (SETTLED.has(cell.status)) settled.push(cell.row_id);
          }
          if (changed) bump();
          cache.refreshRows(settled);
          break;
        }
        case 'rows':
          if (event.data.change === 'deleted') cache.invalidateAll();
          else if (event.data.change === 'updated') cache.refreshRows(event.data.row_ids);
          // added: the status event that follows carries the new row count.
          break;
        case 'table':
          if (event.data.change === 'deleted') {
            setDeleted(true);
            return;
          }
          client
            .getTable(tableId)
            .then((next) => {
              applyTable(next);
              if (event.data.change === 'columns') cache.invalidateAll();
            })
            .catch(report);
          break;
        case 'run':
          // A cancel publishes the run, not its cells: re-read what is on screen.
          void refreshRun(event.data.run_id).then((run) => {
            if (run?.status === 'cancelled') cache.invalidateAll();
          });
          break;
        case 'refresh':
          // Another process changed the table (a worker, a CLI run on the same store): re-read what is shown.
          cache.invalidateAll();
          loadRuns();
          break;
        case 'status':
          setTable((previous) =>
            previous && !sameJson(previous.status, event.data)
              ? { ...previous, status: event.data }
              : previous,
          );
          if (runsRef.current.some(isActive) || event.data.run_status === 'running') scheduleRunRefresh();
          break;
      }
    };
    void client.followEvents(
      tableId,
      {
        onEvent,
        onOpen: () => {
          // After a reconnect, whatever happened meanwhile is unknown: read the header and rows again.
          if (opened++ > 0) {
            client.getTable(tableId).then(applyTable).catch(report);
            cache.invalidateAll();
            loadRuns();
          }
        },
        onError: onAuthError,
      },
      controller.signal,
    );
    return () => controller.abort();
  }, [
    client,
    tableId,
    cache,
    applyTable,
    bump,
    report,
    refreshRun,
    scheduleRunRefresh,
    scheduleStatsRefresh,
    loadRuns,
    onAuthError,
  ]);

  const columns = useMemo(() => table?.columns ?? [], [table?.columns]);
  const computedColumns = useMemo(
    () => columns.filter((column) => column.config.kind !== 'input'),
    [columns],
  );

  // Per-column progress: the server's counts over the whole table; until they come, the loaded rows'.
  const progress = useMemo(() => {
    const result = new Map<string, ColumnProgress>();
    if (columnStats) {
      for (const stats of columnStats.columns) {
        result.set(stats.column_id, {
          done: stats.counts.done,
          failed: stats.counts.failed,
          running: stats.counts.in_progress,
          queued: stats.counts.requested,
          counted: columnStats.num_rows,
          exact: true,
          cost: stats.cost,
        });
      }
      if (computedColumns.every((column) => result.has(column.id))) return result;
      result.clear();
    }
    if (!cache) return result;
    const exact = cache.loadedRowCount >= cache.rowCount;
    for (const column of computedColumns) {
      result.set(column.id, { done: 0, failed: 0, running: 0, queued: 0, counted: 0, exact });
    }
    for (const row of cache.loadedRows()) {
      for (const column of computedColumns) {
        const stats = result.get(column.id);
        if (!stats) continue;
        stats.counted++;
        const status = row.data[column.config.key]?.status;
        if (status === 'done') stats.done++;
        else if (status === 'failed') stats.failed++;
        else if (status === 'in_progress') stats.running++;
        else if (status === 'requested') stats.queued++;
      }
    }
    return result;
    // The cache mutates in place and bumps `version`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cache, computedColumns, version, columnStats]);

  /**
   * Saves an edited input cell. The edit names its row by id, so it lands on the row it was made
   * on, and it is sent even when that row is not loaded any more (its page being read again, or
   * scrolled away): the row is read first, for the type of its old value.
   */
  const onEditInput = useCallback(
    ({ rowId, rowIndex, column, text }: InputEdit) => {
      if (!cache) return;
      const key = column.config.key;
      const save = (row: Row) => {
        const previous = row.data[key]?.value?.answer;
        const value = parseInput(text, previous);
        if (sameJson(value, previous ?? null)) return;
        // Shown at once where the row is loaded; the event stream brings the server's version.
        const loaded = cache.rowById(row.id);
        if (loaded) {
          loaded.data[key] = value === null ? null : { value: { answer: value }, status: 'done' };
          bump();
        }
        client.updateRows(tableId, [{ id: row.id, data: { [key]: value } }]).catch((error: unknown) => {
          report(error);
          cache.refreshRows([row.id]);
        });
      };
      const loaded = rowId === undefined ? cache.rowAt(rowIndex) : cache.rowById(rowId);
      if (loaded) {
        save(loaded);
        return;
      }
      const read =
        rowId === undefined
          ? cache.ensureRows(rowIndex, rowIndex).then(([row]) => {
              if (!row) throw new Error(`Row ${rowIndex + 1} is gone; the edit was not saved.`);
              return row;
            })
          : client.getRow(tableId, rowId);
      read.then(save).catch(report);
    },
    [cache, client, tableId, bump, report],
  );

  const onOpenCell = useCallback(
    (rowIndex: number, column: Column) => {
      const row = cache?.rowAt(rowIndex);
      if (row) setPanel({ kind: 'cell', rowId: row.id, columnId: column.id });
    },
    [cache],
  );

  const onHeaderMenu = useCallback((column: Column, bounds: Rectangle) => setMenu({ column, bounds }), []);

  /** Row ids of the grid's selected rows, loading their pages if needed. */
  async function selectedRowIds(): Promise<string[]> {
    if (!cache || selectedRows.length === 0) return [];
    if (selectedRows.length > MAX_SELECTED_ROWS) {
      throw new Error(`Select at most ${formatCount(MAX_SELECTED_ROWS)} rows (or run the whole table).`);
    }
    const first = Math.min(...selectedRows);
    const last = Math.max(...selectedRows);
    if (last - first < MAX_SELECTED_ROWS) await cache.ensureRows(first, last);
    return selectedRows.flatMap((index) => {
      const row = cache.rowAt(index);
      return row ? [row.id] : [];
    });
  }

  function openRun(request: Omit<RunRequest, 'mode'> & { mode?: RunMode }) {
    setRunRequest({ mode: 'new', ...request });
  }

  async function runSelectedRows() {
    try {
      const ids = await selectedRowIds();
      openRun({
        title: `Run ${formatCount(ids.length)} selected rows`,
        rows: ids,
        rowCount: ids.length,
        columns: null,
        computedCount: computedColumns.length,
      });
    } catch (error) {
      report(error);
    }
  }

  async function tryOnFiveRows(column: Column) {
    if (!cache) return;
    try {
      const rows = await cache.ensureRows(0, 4);
      openRun({
        title: `Try ${column.config.name} on ${rows.length} rows`,
        rows: rows.map((row) => row.id),
        rowCount: rows.length,
        columns: [column.id],
        computedCount: 1,
        mode: 'all',
      });
    } catch (error) {
      report(error);
    }
  }

  async function deleteSelectedRows() {
    try {
      const ids = await selectedRowIds();
      setConfirm({
        title: 'Delete rows',
        message: `Delete ${formatCount(ids.length)} rows and their cells? This cannot be undone.`,
        label: 'Delete rows',
        action: () => {
          client
            .deleteRows(tableId, ids)
            .then(() => setSelectedRows([]))
            .catch(report);
        },
      });
    } catch (error) {
      report(error);
    }
  }

  async function exportCsv() {
    if (!table) return;
    try {
      setExportProgress(`Exporting ${formatCount(table.status.num_rows)} rows…`);
      // The server streams the file; the browser only saves it.
      const blob = await client.exportCsv(tableId);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `${table.name.replace(/[^\p{L}\p{N}._ -]+/gu, '_').trim() || 'table'}.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setNotice({ text: `Exported ${formatCount(table.status.num_rows)} rows.` });
    } catch (error) {
      report(error);
    } finally {
      setExportProgress(null);
    }
  }

  async function addRow() {
    try {
      await client.insertRows(tableId, [{ data: {} }]);
    } catch (error) {
      report(error);
    }
  }

  if (deleted || loadError) {
    return (
      <div className="page">
        <h1>{deleted ? 'This table was deleted' : 'Cannot open this table'}</h1>
        {loadError && <p className="error">{loadError}</p>}
        <p>
          <a {...linkProps('/')}>Back to the tables</a>
        </p>
      </div>
    );
  }
  if (!table || !cache) return <p className="page muted">Loading…</p>;

  const status = table.status;
  const totalCells = status.num_rows * status.num_output_columns;
  const activeRuns = runs.filter(isActive);
  const totalCost = runs.reduce((sum, run) => sum + run.cost, 0);
  const panelCell =
    panel?.kind === 'cell' ? columns.find((column) => column.id === panel.columnId) : undefined;

  return (
    <div className="table-view">
      <div className="toolbar" role="toolbar" aria-label="Table actions">
        <a className="button subtle" {...linkProps('/')}>
          ← Tables
        </a>
        <h1 className="table-name">{table.name}</h1>
        <span className="stat" data-testid="table-stats">
          {formatCount(status.num_rows)} rows · {formatCount(status.num_cells_completed)}/
          {formatCount(totalCells)} cells done
          {status.num_cells_in_progress > 0 && ` · ${formatCount(status.num_cells_in_progress)} in progress`}
          {' · '}
          <span className={status.run_status === 'running' ? 'badge running' : 'badge'}>
            {status.run_status}
          </span>
        </span>
        <RelatedTables client={client} table={table} />
        <span className="spacer" />
        <button type="button" className="button" onClick={() => setEditor({ mode: 'add' })}>
          + Column
        </button>
        <button type="button" className="button" onClick={() => void addRow()}>
          + Row
        </button>
        <button type="button" className="button" onClick={() => setImporting(true)}>
          Import CSV
        </button>
        <button
          type="button"
          className="button"
          disabled={exportProgress !== null}
          onClick={() => void exportCsv()}
        >
          {exportProgress ?? 'Export CSV'}
        </button>
        {selectedRows.length > 0 && (
          <>
            <button type="button" className="button" onClick={() => void runSelectedRows()}>
              Run {formatCount(selectedRows.length)} selected
            </button>
            <button type="button" className="button danger-text" onClick={() => void deleteSelectedRows()}>
              Delete selected
            </button>
          </>
        )}
        <button
          type="button"
          className="button primary"
          disabled={computedColumns.length === 0 || status.num_rows === 0}
          onClick={() =>
            openRun({
              title: 'Run table',
              rows: null,
              rowCount: status.num_rows,
              columns: null,
              computedCount: computedColumns.length,
            })
          }
        >
          Run table
        </button>
        <button
          type="button"
          className="button"
          aria-pressed={panel?.kind === 'runs'}
          onClick={() => setPanel(panel?.kind === 'runs' ? null : { kind: 'runs' })}
        >
          Runs{activeRuns.length > 0 ? ` (${activeRuns.length} active)` : ''} · {formatCost(totalCost)}
        </button>
      </div>
      {notice && (
        <div className={notice.error ? 'notice error' : 'notice'} role={notice.error ? 'alert' : 'status'}>
          <span>{notice.text}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => setNotice(null)}>
            ×
          </button>
        </div>
      )}
      <div className="table-body">
        {columns.length === 0 ? (
          <div className="empty">
            <p>This table has no columns yet.</p>
            <p>
              <button type="button" className="button primary" onClick={() => setEditor({ mode: 'add' })}>
                Add a column
              </button>{' '}
              or{' '}
              <button type="button" className="button" onClick={() => setImporting(true)}>
                import a CSV
              </button>
            </p>
          </div>
        ) : (
          <TableGrid
            columns={columns}
            cache={cache}
            version={version}
            progress={progress}
            onEditInput={onEditInput}
            onOpenCell={onOpenCell}
            onHeaderMenu={onHeaderMenu}
            onSelectedRowsChange={setSelectedRows}
          />
        )}
        {panel?.kind === 'runs' && (
          <RunsPanel
            runs={runs}
            columns={columns}
            onCancel={(run) => {
              client
                .cancelRun(tableId, run.id)
                .then((updated) =>
                  setRuns((current) => current.map((r) => (r.id === updated.id ? updated : r))),
                )
                .catch(report);
            }}
            onRefresh={loadRuns}
            onClose={() => setPanel(null)}
          />
        )}
        {panel?.kind === 'cell' && panelCell && (
          <CellDetail
            client={client}
            tableId={tableId}
            rowId={panel.rowId}
            column={panelCell}
            cache={cache}
            version={version}
            onClose={() => setPanel(null)}
          />
        )}
      </div>
      {menu && (
        <HeaderMenu
          column={menu.column}
          bounds={menu.bounds}
          onClose={() => setMenu(null)}
          onEdit={() => setEditor({ mode: 'edit', column: menu.column })}
          onRun={(mode) =>
            openRun({
              title: `Run ${menu.column.config.name}`,
              rows: null,
              rowCount: status.num_rows,
              columns: [menu.column.id],
              computedCount: 1,
              mode,
            })
          }
          onTry={() => void tryOnFiveRows(menu.column)}
          onDelete={() =>
            setConfirm({
              title: 'Delete column',
              message: `Delete the column "${menu.column.config.name}" and all its cells?`,
              label: 'Delete column',
              action: () => {
                client
                  .deleteColumn(tableId, menu.column.id)
                  .then(() => setNotice({ text: `Deleted ${menu.column.config.name}.` }))
                  .catch(report);
              },
            })
          }
        />
      )}
      {editor && (
        <ColumnEditor
          client={client}
          tableId={tableId}
          columns={columns}
          column={editor.mode === 'edit' ? editor.column : null}
          onClose={() => setEditor(null)}
          onSaved={(saved) => {
            setEditor(null);
            setNotice({ text: `Saved column ${saved.config.name}.` });
            client.getTable(tableId).then(applyTable).catch(report);
          }}
        />
      )}
      {runRequest && (
        <RunDialog
          request={runRequest}
          onClose={() => setRunRequest(null)}
          onRun={async (params) => {
            const run = await client.run(tableId, params);
            setRunRequest(null);
            setNotice({ text: `Run started: ${formatCount(run.num_requested_cells)} cells requested.` });
            void refreshRun(run.id);
            setPanel({ kind: 'runs' });
          }}
        />
      )}
      {importing && (
        <CsvImport
          client={client}
          tableId={tableId}
          columns={columns}
          onClose={() => setImporting(false)}
          onImported={(count) => {
            setNotice({ text: `Imported ${formatCount(count)} rows.` });
            client.getTable(tableId).then(applyTable).catch(report);
          }}
        />
      )}
      {confirm && (
        <ConfirmModal
          title={confirm.title}
          message={<p>{confirm.message}</p>}
          confirmLabel={confirm.label}
          onClose={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            confirm.action();
          }}
        />
      )}
    </div>
  );
}

/** Links to a company table's people tables and to a people table's company table (seed 003 relationships). */
function RelatedTables({ client, table }: { client: ApiClient; table: Table }) {
  const links = useMemo(
    () => [
      ...table.parent_relationships.map((link) => ({ id: link.table_id, label: '↑ company table' })),
      ...table.child_relationships.map((link) => ({ id: link.table_id, label: 'people table' })),
    ],
    [table.parent_relationships, table.child_relationships],
  );
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    const controller = new AbortController();
    for (const link of links) {
      client
        .getTable(link.id, controller.signal)
        .then((related) => setNames((current) => ({ ...current, [related.id]: related.name })))
        .catch(() => undefined);
    }
    return () => controller.abort();
  }, [client, links]);
  if (links.length === 0) return null;
  return (
    <span className="stat" data-testid="related-tables">
      {links.map((link, index) => (
        <span key={link.id}>
          {index > 0 && ' · '}
          <a {...linkProps(`/tables/${link.id}`)}>{names[link.id] ?? link.label}</a>
        </span>
      ))}
    </span>
  );
}
