import { useEffect, useState } from 'react';
import type { ApiClient, CellDetail as CellDetailData, Column, Row } from '../api.ts';
import { answerPretty, formatCost, STATUS_LABELS } from '../format.ts';
import { describeColumn } from '../grid/cells.ts';
import type { RowCache } from '../grid/row-cache.ts';
import { STATUS_STYLES } from '../grid/status-style.ts';

/**
 * One computed cell in full: answer, explanation, sources, error, status and reason, and from the
 * cell endpoint its attempts, cost, tokens and a waterfall's steps.
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
  const [fetched, setFetched] = useState<CellDetailData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const index = cache.indexOf(rowId);
  const cached = index === undefined ? undefined : cache.rowAt(index);
  const key = column.config.key;
  const cachedStatus = cached?.data[key]?.status;

  // Read the row itself when opened and whenever the cell's status moves.
  useEffect(() => {
    const controller = new AbortController();
    client
      .getCell(tableId, rowId, column.config.key, controller.signal)
      .then((detail) => {
        setFetched(detail);
        setError(null);
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted) setError(String(caught));
      });
    return () => controller.abort();
  }, [client, tableId, rowId, column.config.key, cachedStatus]);

  void version; // the cached row mutates in place; `version` re-renders this panel with it
  // The grid's copy is the freshest cell form; the endpoint adds attempts, cost, usage and steps.
  const cell: CellForm | null =
    cached?.data[key] ??
    (fetched?.status
      ? {
          status: fetched.status,
          value: fetched.value,
          ...(fetched.error ? { error: fetched.error } : {}),
          ...(fetched.reason ? { reason: fetched.reason } : {}),
        }
      : null);
  const row = cached ?? fetched;
  const status = cell?.status;
  const steps = waterfallSteps(fetched?.value ?? cell?.value);
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
          {steps.length > 0 && (
            <>
              <dt>Waterfall steps</dt>
              <dd>
                <ol className="steps" data-testid="cell-steps">
                  {steps.map((step, index) => (
                    <li key={index}>
                      <strong>{step.provider}</strong>
                      {step.error
                        ? `: ${step.error}`
                        : step.result
                          ? ` found data${step.is_verified === true ? ' (verified)' : step.is_verified === false ? ' (not verified)' : ''}`
                          : ': no data'}
                      {step.cost > 0 && ` · ${formatCost(step.cost)}`}
                    </li>
                  ))}
                </ol>
              </dd>
            </>
          )}
          {fetched && (
            <>
              <dt>Attempts, cost, usage</dt>
              <dd className="muted small" data-testid="cell-usage">
                {usageText(fetched)}
              </dd>
            </>
          )}
        </dl>
      )}
    </aside>
  );
}

type CellForm = NonNullable<Row['data'][string]>;

interface WaterfallStepData {
  provider: string;
  result: unknown;
  cost: number;
  is_verified: boolean | null;
  error?: string;
}

/** A waterfall's trace, kept on its value as `steps`. */
function waterfallSteps(value: unknown): WaterfallStepData[] {
  const steps = (value as { steps?: unknown } | null | undefined)?.steps;
  return Array.isArray(steps) ? (steps as WaterfallStepData[]) : [];
}

function usageText(detail: CellDetailData): string {
  const parts = [`${detail.attempts} attempt${detail.attempts === 1 ? '' : 's'}`, formatCost(detail.cost)];
  const usage = detail.usage;
  if (usage?.cached) parts.push('reused (cache)');
  if (usage?.input_tokens !== undefined || usage?.output_tokens !== undefined)
    parts.push(`${usage.input_tokens ?? 0} in / ${usage.output_tokens ?? 0} out tokens`);
  if (usage?.searches) parts.push(`${usage.searches} search${usage.searches === 1 ? '' : 'es'}`);
  if (usage?.pages_fetched)
    parts.push(`${usage.pages_fetched} page${usage.pages_fetched === 1 ? '' : 's'} read`);
  if (usage?.timings_ms) {
    const { search, fetch, llm } = usage.timings_ms;
    parts.push(`search ${search} ms · fetch ${fetch} ms · LLM ${llm} ms`);
  }
  return parts.join(' · ');
}
