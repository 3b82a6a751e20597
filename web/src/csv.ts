import Papa from 'papaparse';

/** CSV import in the browser (the export is the server's: GET /v1/tables/{id}/export.csv). */

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
