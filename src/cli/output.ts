import type { TargetOptions } from './target.ts';

/** What the CLI's commands write: results on stdout (JSON for scripts), one line at a time. */

/** The options of a command that can answer in JSON. */
export interface JsonOption extends TargetOptions {
  json?: boolean;
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/** Columns padded to their widest cell. */
export function printTable(rows: string[][]): void {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  for (const row of rows)
    print(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}
