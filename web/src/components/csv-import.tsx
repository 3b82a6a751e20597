import { useMemo, useState } from 'react';
import { ApiError, type ApiClient, type Column } from '../api.ts';
import { parseCsv, type ParsedCsv } from '../csv.ts';
import { formatCount, keyFromName, uniqueKey } from '../format.ts';
import { Modal } from './modal.tsx';

const BATCH_SIZE = 500;
const SKIP = '__skip__';
const NEW = '__new__';

/** The default target of each CSV header: an input column with that key or name, else a new one. */
export function defaultMapping(headers: readonly string[], columns: readonly Column[]): string[] {
  const inputs = columns.filter((column) => column.config.kind === 'input');
  return headers.map((header) => {
    const wanted = header.trim().toLowerCase();
    const match = inputs.find(
      (column) =>
        column.config.key === wanted ||
        column.config.name.toLowerCase() === wanted ||
        column.config.key === keyFromName(header),
    );
    return match ? match.config.key : header.trim() ? NEW : SKIP;
  });
}

type Phase =
  | { step: 'pick' }
  | { step: 'map'; file: string; parsed: ParsedCsv; mapping: string[] }
  | { step: 'import'; done: number; total: number }
  | { step: 'finished'; imported: number; error?: string };

/** CSV import: pick a file, map its headers to input columns (or new ones), insert in batches. */
export function CsvImport({
  client,
  tableId,
  columns,
  onClose,
  onImported,
}: {
  client: ApiClient;
  tableId: string;
  columns: readonly Column[];
  onClose: () => void;
  onImported: (count: number) => void;
}) {
  const [phase, setPhase] = useState<Phase>({ step: 'pick' });
  const [error, setError] = useState<string | null>(null);
  const inputColumns = useMemo(() => columns.filter((column) => column.config.kind === 'input'), [columns]);

  async function pick(file: File | undefined) {
    if (!file) return;
    setError(null);
    const parsed = parseCsv(await file.text());
    if (parsed.headers.length === 0) {
      setError('The file is empty.');
      return;
    }
    setPhase({ step: 'map', file: file.name, parsed, mapping: defaultMapping(parsed.headers, columns) });
  }

  async function run(parsed: ParsedCsv, mapping: string[]) {
    setError(null);
    // New input columns first, with keys unique in the table and among themselves.
    const taken = new Set(columns.map((column) => column.config.key));
    const targets = mapping.map((target, index) => {
      if (target !== NEW) return target;
      const header = parsed.headers[index] ?? `column_${index + 1}`;
      const key = uniqueKey(keyFromName(header), taken);
      taken.add(key);
      return { name: header || key, key };
    });
    const created = targets.filter(
      (target): target is { name: string; key: string } => typeof target === 'object',
    );
    let imported = 0;
    setPhase({ step: 'import', done: 0, total: parsed.rows.length });
    try {
      if (created.length > 0) {
        await client.addColumns(
          tableId,
          created.map((target) => ({ kind: 'input' as const, ...target })),
        );
      }
      const keys = targets.map((target) => (typeof target === 'object' ? target.key : target));
      for (let start = 0; start < parsed.rows.length; start += BATCH_SIZE) {
        const batch = parsed.rows.slice(start, start + BATCH_SIZE).map((cells) => {
          const data: Record<string, unknown> = {};
          keys.forEach((key, index) => {
            const value = cells[index];
            if (key !== SKIP && value !== undefined && value !== '') data[key] = value;
          });
          return { data };
        });
        await client.insertRows(tableId, batch);
        imported += batch.length;
        setPhase({ step: 'import', done: imported, total: parsed.rows.length });
      }
      setPhase({ step: 'finished', imported });
    } catch (caught) {
      setPhase({
        step: 'finished',
        imported,
        error: caught instanceof ApiError ? caught.message : String(caught),
      });
    }
    onImported(imported);
  }

  return (
    <Modal title="Import CSV" onClose={phase.step === 'import' ? () => undefined : onClose} wide>
      <div className="modal-body">
        {phase.step === 'pick' && (
          <>
            <label className="field">
              <span>CSV file (first line: column names)</span>
              <input
                type="file"
                accept=".csv,text/csv"
                onChange={(event) => void pick(event.target.files?.[0])}
              />
            </label>
            {error && (
              <p className="error" role="alert">
                {error}
              </p>
            )}
          </>
        )}
        {phase.step === 'map' && (
          <>
            <p>
              <strong>{phase.file}</strong>: {formatCount(phase.parsed.rows.length)} rows. Choose where each
              column goes.
            </p>
            {phase.parsed.errors.length > 0 && (
              <div className="error-box">
                The file has problems (rows are imported as read): {phase.parsed.errors.join('; ')}
              </div>
            )}
            <table className="list mapping" aria-label="Column mapping">
              <thead>
                <tr>
                  <th scope="col">CSV column</th>
                  <th scope="col">First value</th>
                  <th scope="col">Import into</th>
                </tr>
              </thead>
              <tbody>
                {phase.parsed.headers.map((header, index) => (
                  <tr key={`${header}-${index}`}>
                    <td>{header || <em>(no name)</em>}</td>
                    <td className="muted">{phase.parsed.rows[0]?.[index] ?? ''}</td>
                    <td>
                      <select
                        aria-label={`Import ${header} into`}
                        value={phase.mapping[index]}
                        onChange={(event) => {
                          const mapping = [...phase.mapping];
                          mapping[index] = event.target.value;
                          setPhase({ ...phase, mapping });
                        }}
                      >
                        <option value={NEW}>New input column “{header}”</option>
                        {inputColumns.map((column) => (
                          <option key={column.id} value={column.config.key}>
                            {column.config.name} ({column.config.key})
                          </option>
                        ))}
                        <option value={SKIP}>Skip</option>
                      </select>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
        {phase.step === 'import' && (
          <div>
            <p role="status">
              Importing {formatCount(phase.done)} / {formatCount(phase.total)} rows…
            </p>
            <progress max={Math.max(phase.total, 1)} value={phase.done} aria-label="Import progress" />
          </div>
        )}
        {phase.step === 'finished' && (
          <div role="status">
            <p>Imported {formatCount(phase.imported)} rows.</p>
            {phase.error && <p className="error">Stopped: {phase.error}</p>}
          </div>
        )}
      </div>
      <div className="modal-actions">
        {phase.step === 'map' && (
          <>
            <button type="button" className="button" onClick={() => setPhase({ step: 'pick' })}>
              Back
            </button>
            <button
              type="button"
              className="button primary"
              disabled={phase.mapping.every((target) => target === SKIP)}
              onClick={() => void run(phase.parsed, phase.mapping)}
            >
              Import {formatCount(phase.parsed.rows.length)} rows
            </button>
          </>
        )}
        {(phase.step === 'pick' || phase.step === 'finished') && (
          <button type="button" className="button" onClick={onClose}>
            {phase.step === 'finished' ? 'Close' : 'Cancel'}
          </button>
        )}
      </div>
    </Modal>
  );
}
