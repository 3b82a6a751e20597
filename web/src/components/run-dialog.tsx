import { useState, type FormEvent } from 'react';
import { ApiError, type RunMode, type RunParams } from '../api.ts';
import { formatCount } from '../format.ts';
import { Modal } from './modal.tsx';

export interface RunRequest {
  title: string;
  /** Row ids in scope; null = every row. */
  rows: string[] | null;
  rowCount: number;
  /** Column ids in scope; null = every computed column. */
  columns: string[] | null;
  computedCount: number;
  mode: RunMode;
}

const MODES: { mode: RunMode; label: string; help: string }[] = [
  { mode: 'new', label: 'New', help: 'cells without a value: never run, stale or cancelled' },
  { mode: 'all', label: 'All', help: 'every cell in scope, recomputed (the result cache is not used)' },
  { mode: 'failed', label: 'Failed', help: 'failed cells only' },
];

/** Confirms a run with an estimate of its size before anything is spent. */
export function RunDialog({
  request,
  onClose,
  onRun,
}: {
  request: RunRequest;
  onClose: () => void;
  onRun: (params: RunParams) => Promise<void>;
}) {
  const [mode, setMode] = useState<RunMode>(request.mode);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const cells = request.rowCount * request.computedCount;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      await onRun({ mode, rows: request.rows, columns: request.columns });
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : String(caught));
      setBusy(false);
    }
  }

  return (
    <Modal title={request.title} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <div className="modal-body">
          <fieldset className="field">
            <legend>Mode</legend>
            {MODES.map((option) => (
              <label key={option.mode} className="radio">
                <input
                  type="radio"
                  name="mode"
                  value={option.mode}
                  checked={mode === option.mode}
                  onChange={() => setMode(option.mode)}
                />
                <span>
                  <strong>{option.label}</strong> — {option.help}
                </span>
              </label>
            ))}
          </fieldset>
          <p className="estimate" data-testid="run-estimate">
            In scope: {formatCount(request.rowCount)} rows × {formatCount(request.computedCount)} computed{' '}
            {request.computedCount === 1 ? 'column' : 'columns'} = <strong>{formatCount(cells)} cells</strong>
            {mode === 'all' ? '' : ' at most (only those matching the mode run)'}.
          </p>
          <p className="muted small">
            The cost is not known until the cells run: it depends on the tokens each model call uses. The runs
            panel shows it as the run goes.
          </p>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </div>
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy || cells === 0} data-autofocus>
            {busy ? 'Starting…' : `Run ${formatCount(cells)} cells`}
          </button>
        </div>
      </form>
    </Modal>
  );
}
