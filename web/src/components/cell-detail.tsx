import { useEffect, useState } from 'react';
import type { ApiClient, Column, Row } from '../api.ts';
import { answerPretty, STATUS_LABELS } from '../format.ts';
import { describeColumn } from '../grid/cells.ts';
import type { RowCache } from '../grid/row-cache.ts';
import { STATUS_STYLES } from '../grid/status-style.ts';

/**
 * One computed cell in full: answer, explanation, sources, error, status and reason. The cell
 * form of the API carries no attempts, usage or cost per cell, so those are not shown.
 */
export function CellDetail({
  client,
  tableId,
  rowId,
  column,
  cache,
  version,
  onClose,
}: {
  client: ApiClient;
  tableId: string;
  rowId: string;
  column: Column;
  cache: RowCache;
  version: number;
  onClose: () => void;
}) {
  const [fetched, setFetched] = useState<Row | null>(null);
  const [error, setError] = useState<string | null>(null);
  const index = cache.indexOf(rowId);
  const cached = index === undefined ? undefined : cache.rowAt(index);
  const key = column.config.key;
  const cachedStatus = cached?.data[key]?.status;

  // Read the row itself when opened and whenever the cell's status moves.
  useEffect(() => {
    const controller = new AbortController();
    client
      .getRow(tableId, rowId, controller.signal)
      .then((row) => {
        setFetched(row);
        setError(null);
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted) setError(String(caught));
      });
    return () => controller.abort();
  }, [client, tableId, rowId, cachedStatus]);

  void version; // the cached row mutates in place; `version` re-renders this panel with it
  const row = cached ?? fetched;
  const cell = row?.data[key] ?? null;
  const status = cell?.status;
  const style = STATUS_STYLES[status ?? 'not_run'];

  return (
    <aside className="side-panel" aria-label="Cell detail" data-testid="cell-detail">
      <div className="side-header">
        <h2>{column.config.name}</h2>
        <span className="spacer" />
        <button type="button" className="icon-button" aria-label="Close cell detail" onClick={onClose}>
          ×
        </button>
      </div>
      <p className="muted small">
        {describeColumn(column)} · row {index === undefined ? '' : index + 1}
      </p>
      {error && <p className="error">{error}</p>}
      {!row ? (
        <p className="muted">Loading…</p>
      ) : (
        <dl className="detail">
          <dt>Status</dt>
          <dd>
            <span className="status-pill" style={{ background: style.background, color: style.accent }}>
              {status ? STATUS_LABELS[status] : 'not run'}
            </span>
            {cell?.reason && <span className="muted"> · reason: {cell.reason.replace(/_/g, ' ')}</span>}
          </dd>
          {cell?.value && (
            <>
              <dt>Answer</dt>
              <dd>
                <pre className="answer" data-testid="cell-answer">
                  {answerPretty(cell.value.answer) || '(empty)'}
                </pre>
              </dd>
            </>
          )}
          {cell?.value?.explanation && (
            <>
              <dt>Explanation</dt>
              <dd data-testid="cell-explanation">{cell.value.explanation}</dd>
            </>
          )}
          {cell?.value?.sources && cell.value.sources.length > 0 && (
            <>
              <dt>Sources</dt>
              <dd>
                <ul className="sources" data-testid="cell-sources">
                  {cell.value.sources.map((source) => (
                    <li key={source.url}>
                      <a href={source.url} target="_blank" rel="noopener noreferrer">
                        {source.title || source.url}
                      </a>
                    </li>
                  ))}
                </ul>
              </dd>
            </>
          )}
          {cell?.error && (
            <>
              <dt>Error</dt>
              <dd className="error-box">
                <strong>{cell.error.type}</strong>: {cell.error.message}
              </dd>
            </>
          )}
          <dt>Attempts, cost</dt>
          <dd className="muted small">Not in the API's cell form yet (the run panel shows cost per run).</dd>
        </dl>
      )}
    </aside>
  );
}
