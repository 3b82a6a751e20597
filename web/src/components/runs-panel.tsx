import type { Column, Run } from '../api.ts';
import { formatCost, formatCount } from '../format.ts';

function finishedCells(run: Run): number {
  const { done, failed, skipped, cancelled } = run.counts;
  return done + failed + skipped + cancelled;
}

/** Cells finished per second, over the run's life so far. */
export function runRate(run: Run, now = Date.now()): number | null {
  const start = Date.parse(run.created_at);
  const end = run.finished_at ? Date.parse(run.finished_at) : now;
  const seconds = (end - start) / 1000;
  if (!(seconds > 0)) return null;
  return finishedCells(run) / seconds;
}

function scopeText(run: Run, columns: readonly Column[]): string {
  const rows = run.rows === null ? 'all rows' : `${formatCount(run.rows.length)} rows`;
  if (run.columns === null) return `${rows} · all columns`;
  const names = run.columns.map(
    (id) => columns.find((column) => column.id === id)?.config.name ?? 'deleted column',
  );
  return `${rows} · ${names.join(', ')}`;
}

/** The table's runs, newest first, with live counts, rate, failures and cost. */
export function RunsPanel({
  runs,
  columns,
  onCancel,
  onRefresh,
  onClose,
}: {
  runs: readonly Run[];
  columns: readonly Column[];
  onCancel: (run: Run) => void;
  onRefresh: () => void;
  onClose: () => void;
}) {
  return (
    <aside className="side-panel" aria-label="Runs">
      <div className="side-header">
        <h2>Runs</h2>
        <span className="spacer" />
        <button type="button" className="button subtle" onClick={onRefresh}>
          Refresh
        </button>
        <button type="button" className="icon-button" aria-label="Close runs" onClick={onClose}>
          ×
        </button>
      </div>
      {runs.length === 0 && <p className="muted">No runs yet.</p>}
      <ol className="runs">
        {runs.map((run) => {
          const finished = finishedCells(run);
          const total = run.num_requested_cells;
          const rate = runRate(run);
          const active = run.status === 'created' || run.status === 'in_progress';
          return (
            <li key={run.id} className="run" data-testid="run" data-status={run.status}>
              <div className="run-title">
                <span className={`badge ${run.status}`}>{run.status.replace('_', ' ')}</span>
                <span className="muted small">
                  mode {run.mode} · {new Date(run.created_at).toLocaleTimeString()}
                </span>
                <span className="spacer" />
                {active && (
                  <button type="button" className="button subtle danger-text" onClick={() => onCancel(run)}>
                    Cancel
                  </button>
                )}
              </div>
              <div className="small muted">{scopeText(run, columns)}</div>
              <progress max={Math.max(total, 1)} value={finished} aria-label="Run progress" />
              <div className="small run-figures">
                <span>
                  {formatCount(finished)}/{formatCount(total)} cells
                </span>
                <span>{run.counts.done} done</span>
                {run.counts.running > 0 && <span>{run.counts.running} running</span>}
                {run.counts.queued > 0 && <span>{run.counts.queued} queued</span>}
                {run.counts.failed > 0 && <span className="danger-text">{run.counts.failed} failed</span>}
                {run.counts.skipped > 0 && <span>{run.counts.skipped} skipped</span>}
                {run.counts.cancelled > 0 && <span>{run.counts.cancelled} cancelled</span>}
                {rate !== null && <span>{rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)} cells/s</span>}
                <span>cost {formatCost(run.cost)}</span>
              </div>
            </li>
          );
        })}
      </ol>
    </aside>
  );
}
