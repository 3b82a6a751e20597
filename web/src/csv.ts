import Papa from 'papaparse';
import type { Column, Row } from './api.ts';
import { answerText } from './format.ts';

/** Characters that make a spreadsheet read a cell as a formula (OWASP: CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A field as written to an exported CSV: text that a spreadsheet would run as a formula gets a
 * leading `'`; fields with a comma, quote or line break are quoted (RFC 4180). Numbers stay as
 * they are (a negative number is data, not a formula).
 */
export function csvField(value: unknown): string {
  let text: string;
  if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else {
    text = answerText(value);
    if (FORMULA_START.test(text)) text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The header line and one line per row: the answer of every column, keyed like the table. */
export function csvHeader(columns: readonly Column[]): string {
  return columns.map((column) => csvField(column.config.key)).join(',');
}

export function csvLine(columns: readonly Column[], row: Row): string {
  return columns
    .map((column) => {
      const cell = row.data[column.config.key];
      // Only answers count: a failed or stale cell exports empty, like one never computed.
      return cell && (cell.status === 'done' || column.config.kind === 'input')
        ? csvField(cell.value?.answer)
        : '';
    })
    .join(',');
}

/** The whole file: UTF-8 BOM (so spreadsheets read non-Latin text right), CRLF line ends. */
export function buildCsv(columns: readonly Column[], rows: readonly Row[]): string {
  return `\uFEFF${[csvHeader(columns), ...rows.map((row) => csvLine(columns, row))].join('\r\n')}\r\n`;
}

export interface ParsedCsv {
  headers: string[];
  rows: string[][];
  errors: string[];
}

/** Parses CSV text (quotes, embedded commas and line breaks, CRLF, BOM) into a header and rows. */
export function parseCsv(text: string): ParsedCsv {
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const result = Papa.parse<string[]>(input, { skipEmptyLines: 'greedy' });
  const [headers = [], ...rows] = result.data;
  return {
    headers: headers.map((header) => header.trim()),
    rows,
    errors: result.errors.slice(0, 5).map((error) => `line ${(error.row ?? 0) + 1}: ${error.message}`),
  };
}
