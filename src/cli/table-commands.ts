import type { Command } from 'commander';
import { keyFor } from '../domain/column-names.ts';
import type { ColumnConfigInput, Run, Table } from '../sdk/index.ts';
import { finishedCells, formatCost, formatProgress } from './progress.ts';
import { resolveTableId, withSession, type CliSession } from './session.ts';
import { print, printJson, printTable, type JsonOption } from './output.ts';
import { CliError, type TargetOptions } from './target.ts';
import { withTargetOptions } from './csv-commands.ts';

/**
 * `tables list|create|show|delete`, `columns add` and `run`: thin commands over the SDK, against a
 * server or the local store (see session.ts). Human output on stdout, `--json` for scripts;
 * progress and notices on stderr.
 */

function list(text: string | undefined): string[] | undefined {
  return text
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export function registerTableCommands(program: Command): void {
  const tables = program.command('tables').description('list, create, show and delete tables');

  withTargetOptions(tables.command('list').description("the workspace's tables"))
    .option('-s, --search <text>', 'only tables whose name contains this')
    .option('--json', 'print JSON')
    .action(async (options: JsonOption & { search?: string }) => {
      await withSession(options, async ({ client }) => {
        const items = [];
        for await (const table of client.tables.list({ search: options.search })) items.push(table);
        if (options.json) return printJson(items);
        if (items.length === 0) return print('no tables');
        printTable([
          ['ID', 'NAME', 'KIND', 'ROWS'],
          ...items.map((table) => [table.id, table.name, table.kind, String(table.num_rows)]),
        ]);
      });
    });

  withTargetOptions(tables.command('create').description('create a table; prints its id').argument('<name>'))
    .option('--kind <kind>', 'generic, company or people', 'generic')
    .option('-d, --description <text>', 'a description')
    .option('-i, --input <names>', 'input columns to create, comma-separated (keys are derived from names)')
    .option('--json', 'print the table as JSON')
    .action(
      async (name: string, options: JsonOption & { kind: string; description?: string; input?: string }) => {
        await withSession(options, async ({ client }) => {
          const taken = new Set<string>();
          const inputs = (list(options.input) ?? []).map((column) => ({
            kind: 'input' as const,
            name: column,
            key: keyFor(column, taken),
          }));
          const table = await client.tables.create({
            name,
            kind: options.kind as 'generic',
            description: options.description ?? null,
            column_configs: inputs.length > 0 ? inputs : undefined,
          });
          if (options.json) printJson(table);
          else print(table.id);
        });
      },
    );

  withTargetOptions(
    tables
      .command('show')
      .description('a table: its columns and status')
      .argument('<table>', 'id or exact name'),
  )
    .option('--json', 'print JSON')
    .action(async (reference: string, options: JsonOption) => {
      await withSession(options, async ({ client }) => {
        const table = await client.tables.get(await resolveTableId(client, reference));
        if (options.json) return printJson(table);
        printTableSummary(table);
      });
    });

  withTargetOptions(
    tables
      .command('delete')
      .description('delete a table and its rows')
      .argument('<table>', 'id or exact name'),
  ).action(async (reference: string, options: TargetOptions) => {
    await withSession(options, async ({ client }) => {
      const table = await client.tables.delete(await resolveTableId(client, reference));
      print(`deleted ${table.id} (${table.name})`);
    });
  });

  const columns = program.command('columns').description("add to a table's columns");
  withTargetOptions(
    columns
      .command('add')
      .description('add a column; prints its id')
      .argument('<table>', 'id or exact name')
      .requiredOption('--kind <kind>', 'input, agent, criterion_grade, formula, http, …')
      .requiredOption('-n, --name <name>', 'the column name'),
  )
    .option('--column-key <key>', 'the column key (default: derived from the name)')
    .option('-p, --prompt <text>', 'agent: the prompt, with {key} references')
    .option('-f, --format <format>', 'agent: the output format (text, url, select, json, …)')
    .option('--agent-type <type>', 'agent: llm, research, research_pro, research_reasoning')
    .option('--labels <labels>', 'agent: the labels of select/multiselect, comma-separated')
    .option('--model <model>', 'agent: a model overriding the agent type default')
    .option('--criterion <text>', 'criterion_grade: the criterion')
    .option('-e, --expression <cel>', 'formula: the CEL expression')
    .option('--http-url <url>', 'http: the URL template, with {key} references')
    .option('--value <json>', "the column's whole `value` object as JSON (other value options add to it)")
    .option('--json', 'print the column as JSON')
    .action(async (reference: string, options: ColumnAddOptions) => {
      await withSession(options, async ({ client }) => {
        const tableId = await resolveTableId(client, reference);
        const table = await client.tables.get(tableId);
        const config = columnConfig(options, new Set(table.columns.map((column) => column.config.key)));
        const [column] = await client.columns.add(tableId, { column_configs: [config] });
        if (options.json) printJson(column);
        else print(column!.id);
      });
    });

  withTargetOptions(
    program
      .command('run')
      .description("compute a table's cells; --wait shows progress and sets the exit code")
      .argument('<table>', 'id or exact name'),
  )
    .option('-m, --mode <mode>', 'new (cells without a value), all, or failed', 'new')
    .option('-r, --rows <ids>', 'only these rows, comma-separated ids')
    .option('-c, --columns <keys>', 'only these columns, comma-separated keys or ids')
    .option('--wait', 'wait for the run to end: progress on stderr, exit code 1 if any cell failed')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long (the run goes on)')
    .option('--json', 'print the run as JSON')
    .action(async (reference: string, options: RunOptions) => {
      const exitCode = await withSession(options, (session) => runCommand(session, reference, options));
      process.exitCode = exitCode;
    });
}

interface ColumnAddOptions extends JsonOption {
  kind: string;
  name: string;
  columnKey?: string;
  prompt?: string;
  format?: string;
  agentType?: string;
  labels?: string;
  model?: string;
  criterion?: string;
  expression?: string;
  httpUrl?: string;
  value?: string;
}

/** A column config from the flags; the server validates it (its 422 names the field). */
export function columnConfig(options: ColumnAddOptions, takenKeys: Set<string>): ColumnConfigInput {
  let value: Record<string, unknown> = {};
  if (options.value !== undefined) {
    try {
      value = JSON.parse(options.value) as Record<string, unknown>;
    } catch {
      throw new CliError('--value must be a JSON object');
    }
  }
  const set = (field: string, given: unknown) => {
    if (given !== undefined) value[field] = given;
  };
  set('prompt', options.prompt);
  set('output_format', options.format);
  set('agent_type', options.agentType);
  set('labels', list(options.labels));
  set('model', options.model);
  set('criterion', options.criterion);
  set('expression', options.expression);
  set('url', options.httpUrl);
  const config: Record<string, unknown> = {
    kind: options.kind,
    name: options.name,
    key: options.columnKey ?? keyFor(options.name, takenKeys),
  };
  if (Object.keys(value).length > 0) config.value = value;
  return config as ColumnConfigInput;
}

function printTableSummary(table: Table): void {
  const { status } = table;
  print(`${table.name}  (${table.id}, ${table.kind})`);
  print(
    `${status.num_rows} rows · ${status.num_cells_completed} cells completed · ${status.num_cells_in_progress} in progress · ${status.run_status}`,
  );
  print();
  printTable([
    ['KEY', 'KIND', 'NAME', 'ID'],
    ...table.columns.map((column) => [column.config.key, column.config.kind, column.config.name, column.id]),
  ]);
}

interface RunOptions extends JsonOption {
  mode: string;
  rows?: string;
  columns?: string;
  wait?: boolean;
  timeout?: string;
  json?: boolean;
}

async function runCommand(session: CliSession, reference: string, options: RunOptions): Promise<number> {
  const { client } = session;
  const tableId = await resolveTableId(client, reference);
  const columnIds = await columnIdsOf(session, tableId, list(options.columns));
  const started = await client.tables.run(tableId, {
    mode: options.mode as 'new',
    rows: list(options.rows) ?? null,
    columns: columnIds ?? null,
  });
  if (!options.wait) {
    if (options.json) printJson(started);
    else print(`run ${started.id}: ${started.num_requested_cells} cells ${started.status}`);
    if (session.target.kind === 'local' && started.num_requested_cells > 0 && !options.json) {
      process.stderr.write(
        'Queued on the local store: a server or `enrichbase worker` on it computes the cells (or pass --wait).\n',
      );
    }
    return 0;
  }
  session.compute();
  const run = await waitWithProgress(session, tableId, started.id, options);
  if (options.json) printJson(run);
  else
    print(
      `run ${run.id} ${run.status}: ${run.counts.done} done, ${run.counts.failed} failed, ${run.counts.skipped} skipped, ${formatCost(run.cost)}`,
    );
  return run.status === 'done' && run.counts.failed === 0 ? 0 : 1;
}

/** `--columns` takes keys or ids; the API takes ids. */
async function columnIdsOf(
  session: CliSession,
  tableId: string,
  references: string[] | undefined,
): Promise<string[] | undefined> {
  if (!references) return undefined;
  const table = await session.client.tables.get(tableId);
  return references.map((reference) => {
    const column = table.columns.find((c) => c.id === reference || c.config.key === reference);
    if (!column) throw new CliError(`no column '${reference}' in table '${table.name}'`);
    return column.id;
  });
}

/** How often plain (non-TTY) progress lines are written at most. */
const PLAIN_INTERVAL_MS = 2000;

async function waitWithProgress(
  session: CliSession,
  tableId: string,
  runId: string,
  options: RunOptions,
): Promise<Run> {
  const terminal = process.stderr.isTTY === true;
  const startedAt = Date.now();
  let finishedAtStart: number | undefined;
  let lastLine = '';
  let lastPlainAt = 0;
  const draw = (run: Run, final: boolean) => {
    finishedAtStart ??= finishedCells(run);
    const sample = { run, startedAt, now: Date.now(), finishedAtStart };
    if (terminal) {
      const width = process.stderr.columns ?? 100;
      const line = formatProgress(sample, { barWidth: 24 }).slice(0, width - 1);
      process.stderr.write(`\r${line.padEnd(lastLine.length)}${final ? '\n' : ''}`);
      lastLine = line;
      return;
    }
    const line = formatProgress(sample);
    if (line === lastLine || (!final && sample.now - lastPlainAt < PLAIN_INTERVAL_MS)) return;
    process.stderr.write(`${line}\n`);
    lastLine = line;
    lastPlainAt = sample.now;
  };
  const timeoutMs = options.timeout === undefined ? undefined : Number(options.timeout) * 1000;
  if (timeoutMs !== undefined && !(timeoutMs > 0))
    throw new CliError('--timeout must be a number of seconds');
  try {
    const run = await session.client.waitForRun(tableId, runId, {
      timeoutMs,
      pollIntervalMs: 500,
      onProgress: (progress) => draw(progress, false),
    });
    draw(run, true);
    return run;
  } catch (error) {
    if (terminal && lastLine) process.stderr.write('\n');
    if (error instanceof DOMException && error.name === 'TimeoutError')
      throw new CliError(`run ${runId} still running after ${options.timeout}s (it goes on)`);
    throw error;
  }
}
