/**
 * Storage benchmark: the same workload on SQLite and PostgreSQL, side by side, through the Extruct
 * HTTP API over loopback. Run with `npm run bench:storage`; it prints a table and rewrites the
 * storage section of BENCHMARKS.md.
 *
 * Each store runs in its own child process (this file, forked with `--store <kind>`), so one store's
 * peak RSS is not the other's high-water mark and neither inherits the other's heap or JIT state.
 */
import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { pino } from 'pino';
import { startApp, type RunningApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { SQLITE_FILE_NAME } from '../src/storage/index.ts';
import { DEFAULT_TEST_DATABASE_URL } from '../test/fixtures/postgres-server.ts';

const ROWS = 100_000;
const BATCH = 1000;
const CONCURRENCY = 4;
const INPUT_COLUMNS = 5;
/** ROWS × COMPUTED_COLUMNS = the 1M cells of the second measurement. */
const COMPUTED_COLUMNS = 10;
const WARMUP_REQUESTS = 30;
const TABLE_REQUESTS = 500;
const DATA_REQUESTS = 300;
/** Fewer: on PostgreSQL each of these takes tens of ms, and autovacuum may analyze mid-measurement. */
const FRESH_DATA_REQUESTS = 100;
const DATA_QUERY = '?offset=50000&limit=50';
/** A typical short answer, so data pages carry a realistic payload per cell. */
const CELL_VALUE = JSON.stringify({ answer: 'Acme Robotics, industrial automation, 120 employees' });

const SCRIPT = fileURLToPath(import.meta.url);
const REPO_DIR = path.join(path.dirname(SCRIPT), '..');
const BENCHMARKS_FILE = path.join(REPO_DIR, 'BENCHMARKS.md');
const SECTION_START = '<!-- bench:storage:start -->';
const SECTION_END = '<!-- bench:storage:end -->';
const FILE_HEADER =
  '# Benchmarks\n\nFigures measured on this machine by the scripts in bench/; rerun with the npm scripts named in each section.\n';

const STORE_KINDS = ['sqlite', 'postgres'] as const;
type StoreKind = (typeof STORE_KINDS)[number];
const STORE_NAMES: Record<StoreKind, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

interface Latency {
  p50: number;
  p99: number;
}

/** What one store's child process sends back to the parent. */
interface StoreResult {
  kind: StoreKind;
  engine: string;
  insertSequential: number;
  insertConcurrent: number;
  /** The data page right after the import, before any planner statistics exist. */
  dataFresh: Latency;
  tableAt100k: Latency;
  tableWithCells: Latency;
  dataAt100k: Latency;
  dataWithCells: Latency;
  peakRssMb: number;
}

/** A fresh, empty store for the app to open, and how to put cells into it behind the app's back. */
interface StoreTarget {
  env: Record<string, string>;
  engine: string;
  /** Inserts a done cell for every (row, computed column) of the table and raises `cells_done` to match. */
  seedCells(tableId: string): Promise<number>;
  /** Brings the database to the steady state a server would be in a minute after a bulk load. */
  settle(): Promise<void>;
  dispose(): Promise<void>;
}

/** Sends a request (body already JSON) and answers the response text, read in full; throws on non-2xx. */
type Request = (method: string, urlPath: string, body?: string) => Promise<string>;

// ── measuring ───────────────────────────────────────────────────────────────────────────

/** Nearest-rank percentile of ascending `sorted` values. */
function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Durations in ms of `count` sequential calls, ascending, after unmeasured warm-up calls. */
async function timeRequests(count: number, call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP_REQUESTS; i++) await call();
  const durations: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await call();
    durations.push(performance.now() - started);
  }
  return durations.sort((a, b) => a - b);
}

async function latency(request: Request, urlPath: string, count: number): Promise<Latency> {
  const durations = await timeRequests(count, () => request('GET', urlPath));
  return { p50: percentile(durations, 50), p99: percentile(durations, 99) };
}

/** A client for the app's Extruct API with the first key of the fresh store. */
function apiClient(app: RunningApp): Request {
  if (!app.firstKey) throw new Error('a fresh store should have issued a first API key');
  const headers = { authorization: `Bearer ${app.firstKey.key}`, 'content-type': 'application/json' };
  return async (method, urlPath, body) => {
    const response = await fetch(`${app.url}${urlPath}`, { method, headers, body });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`${method} ${urlPath} answered ${response.status}: ${text.slice(0, 500)}`);
    return text;
  };
}

// ── the workload ────────────────────────────────────────────────────────────────────────

const CITIES = ['Berlin', 'Lisbon', 'Austin', 'Toronto', 'Osaka', 'Nairobi', 'Lyon', 'Melbourne'];

function inputColumns() {
  return Array.from({ length: INPUT_COLUMNS }, (_, i) => ({
    kind: 'input',
    name: `C${i + 1}`,
    key: `c${i + 1}`,
  }));
}

function computedColumns() {
  return Array.from({ length: COMPUTED_COLUMNS }, (_, i) => ({
    kind: 'formula',
    name: `F${i + 1}`,
    key: `f${i + 1}`,
    value: { expression: 'c1 + c2' },
  }));
}

/** Request bodies for all ROWS rows, serialized up front so the timed loop is requests only. */
function rowBatches(): string[] {
  const batches: string[] = [];
  for (let start = 0; start < ROWS; start += BATCH) {
    const rows = Array.from({ length: BATCH }, (_, i) => {
      const n = start + i;
      return {
        data: {
          c1: `Company ${n}`,
          c2: `company${n}.example.com`,
          c3: CITIES[n % CITIES.length],
          c4: `${(n * 7919) % 5000} employees`,
          c5: `Row ${n}: a short free-text note of a typical length.`,
        },
      };
    });
    batches.push(JSON.stringify({ rows }));
  }
  return batches;
}

async function createTable(request: Request, name: string): Promise<string> {
  const text = await request('POST', '/v1/tables', JSON.stringify({ name, column_configs: inputColumns() }));
  return (JSON.parse(text) as { id: string }).id;
}

/** Posts every batch with `concurrency` requests in flight; answers rows per second. */
async function insertRows(request: Request, tableId: string, concurrency: number): Promise<number> {
  const batches = rowBatches();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let batch = batches[next++]; batch !== undefined; batch = batches[next++]) {
        await request('POST', `/v1/tables/${tableId}/rows`, batch);
      }
    }),
  );
  return ROWS / ((performance.now() - started) / 1000);
}

/** The whole scenario against one running app; `log` prints progress and setup timings. */
async function runScenario(
  app: RunningApp,
  target: StoreTarget,
  log: (message: string) => void,
): Promise<Omit<StoreResult, 'kind' | 'engine' | 'peakRssMb'>> {
  const request = apiClient(app);
  const tableId = await createTable(request, 'bench');
  const tablePath = `/v1/tables/${tableId}`;
  const dataPath = `/v1/tables/${tableId}/data${DATA_QUERY}`;
  const insertSequential = await insertRows(request, tableId, 1);
  log(`${fmtInt(insertSequential)} rows/s inserting ${fmtInt(ROWS)} rows, sequential batches of ${BATCH}`);
  // Measured at once, before autovacuum gets to the new rows: what a client browsing right after an import sees.
  const dataFresh = await latency(request, dataPath, FRESH_DATA_REQUESTS);

  // The concurrent run fills a scratch table, then deletes it, so the measured table stays alone.
  const scratchId = await createTable(request, 'bench-concurrent');
  const insertConcurrent = await insertRows(request, scratchId, CONCURRENCY);
  log(`${fmtInt(insertConcurrent)} rows/s inserting ${fmtInt(ROWS)} rows, ${CONCURRENCY} batches in flight`);
  await request('DELETE', `/v1/tables/${scratchId}`);

  await target.settle();
  const tableAt100k = await latency(request, tablePath, TABLE_REQUESTS);
  const dataAt100k = await latency(request, dataPath, DATA_REQUESTS);
  log(`latencies at ${fmtInt(ROWS)} rows measured`);

  await request(
    'POST',
    `/v1/tables/${tableId}/columns`,
    JSON.stringify({ column_configs: computedColumns() }),
  );
  const seedStarted = performance.now();
  const seeded = await target.seedCells(tableId);
  log(`seeded ${fmtInt(seeded)} cells by SQL in ${fmtSeconds(performance.now() - seedStarted)} (setup)`);
  // The synchronous SQLite seed blocks the event loop for seconds, past both keep-alive timeouts:
  // let those timers close the idle sockets first, or the next request races the close (ECONNRESET).
  await sleep(100);
  await checkCells(request, tableId, seeded);

  await target.settle();
  const tableWithCells = await latency(request, tablePath, TABLE_REQUESTS);
  const dataWithCells = await latency(request, dataPath, DATA_REQUESTS);
  log(`latencies with ${fmtInt(seeded)} cells measured`);
  return {
    insertSequential,
    insertConcurrent,
    dataFresh,
    tableAt100k,
    tableWithCells,
    dataAt100k,
    dataWithCells,
  };
}

/** The seeded cells must be visible through the API (counters and data page), or the figures mean nothing. */
async function checkCells(request: Request, tableId: string, seeded: number): Promise<void> {
  const expected = ROWS * COMPUTED_COLUMNS;
  const table = JSON.parse(await request('GET', `/v1/tables/${tableId}`));
  const page = JSON.parse(await request('GET', `/v1/tables/${tableId}/data${DATA_QUERY}`));
  const completed: number = table.status.num_cells_completed;
  const firstCell = page.rows[0]?.data?.f1;
  if (seeded !== expected || completed !== expected || firstCell?.status !== 'done') {
    throw new Error(
      `expected ${expected} done cells; seeded ${seeded}, counter ${completed}, first cell ${JSON.stringify(firstCell)}`,
    );
  }
}

// ── the stores ──────────────────────────────────────────────────────────────────────────

/** One INSERT … SELECT: a done cell per (row, computed column), in primary-key order for cheap index appends. */
function seedCellsSql(params: { tableId: string; value: string; now: string }): string {
  return `INSERT INTO cells (row_id, column_id, table_id, status, value, attempts, cost, created_at, updated_at)
    SELECT r.id, c.id, r.table_id, 'done', ${params.value}, 1, 0, ${params.now}, ${params.now}
    FROM rows r JOIN columns c ON c.table_id = r.table_id
    WHERE r.table_id = ${params.tableId} AND c.kind <> 'input'
    ORDER BY r.id, c.position`;
}

function sqliteTarget(): StoreTarget {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrichbase-bench-'));
  const memory = new Sqlite(':memory:');
  const version = memory.prepare('select sqlite_version()').pluck().get() as string;
  memory.close();
  return {
    env: { ENRICHBASE_DATA_DIR: dir },
    engine: `SQLite ${version}`,
    seedCells: (tableId) => Promise.resolve(seedSqliteCells(path.join(dir, SQLITE_FILE_NAME), tableId)),
    // The app never runs ANALYZE on SQLite, and SQLite has no autovacuum: steady state is as it is.
    settle: () => Promise.resolve(),
    dispose: () => Promise.resolve(fs.rmSync(dir, { recursive: true, force: true })),
  };
}

/** A second connection on the app's file: WAL lets it write while the app's connection sits idle. */
function seedSqliteCells(file: string, tableId: string): number {
  const db = new Sqlite(file);
  try {
    db.pragma('busy_timeout = 5000');
    const insert = db.prepare(seedCellsSql({ tableId: '@tableId', value: '@value', now: '@now' }));
    const count = db.prepare('UPDATE tables SET cells_done = cells_done + ? WHERE id = ?');
    return db
      .transaction(() => {
        const { changes } = insert.run({ tableId, value: CELL_VALUE, now: new Date().toISOString() });
        count.run(changes, tableId);
        return changes;
      })
      .immediate();
  } finally {
    db.close();
  }
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function execute(url: string, statement: string): Promise<void> {
  await withClient(url, (client) => client.query(statement));
}

/** A fresh `eb_bench_<random>` database on the test server (TEST_DATABASE_URL, as the test suite uses). */
async function postgresTarget(): Promise<StoreTarget> {
  const adminUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  const name = `eb_bench_${Math.random().toString(36).slice(2, 10)}`;
  const version = await withClient(adminUrl, async (client) => {
    await client.query(`CREATE DATABASE ${name}`);
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]!.server_version;
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  return {
    env: { DATABASE_URL: databaseUrl },
    engine: `PostgreSQL ${version}`,
    seedCells: (tableId) => seedPostgresCells(databaseUrl, tableId),
    // What autovacuum does within a minute of a bulk load; done now, so it cannot land mid-measurement.
    settle: () => execute(databaseUrl, 'VACUUM ANALYZE'),
    dispose: () => execute(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function seedPostgresCells(url: string, tableId: string): Promise<number> {
  return withClient(url, async (client) => {
    await client.query('BEGIN');
    try {
      const insert = seedCellsSql({ tableId: '$1', value: '$2::jsonb', now: '$3::timestamptz' });
      const { rowCount } = await client.query(insert, [tableId, CELL_VALUE, new Date().toISOString()]);
      await client.query('UPDATE tables SET cells_done = cells_done + $1 WHERE id = $2', [rowCount, tableId]);
      await client.query('COMMIT');
      return rowCount ?? 0;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  });
}

/** Peak RSS of this process so far: server, client and the seeding connection (maxRSS is in KB). */
function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Runs in the child process: one store, start to finish, cleaned up whatever happens. */
async function measureStore(kind: StoreKind): Promise<StoreResult> {
  const target = kind === 'sqlite' ? sqliteTarget() : await postgresTarget();
  try {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...target.env });
    const app = await startApp(config, { logger: pino({ level: 'silent' }) });
    try {
      const log = (message: string) =>
        console.log(`[${kind}] ${message} (peak RSS ${fmtInt(peakRssMb())} MB)`);
      const figures = await runScenario(app, target, log);
      return { kind, engine: target.engine, ...figures, peakRssMb: peakRssMb() };
    } finally {
      await app.stop();
    }
  } finally {
    await target.dispose();
  }
}

function runChild(kind: StoreKind): Promise<StoreResult> {
  return new Promise((resolve, reject) => {
    // fork() reuses this process's execArgv, so the child runs under tsx as well.
    const child = fork(SCRIPT, ['--store', kind]);
    let result: StoreResult | undefined;
    child.on('message', (message) => (result = message as StoreResult));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`the ${kind} benchmark exited with code ${code}`));
    });
  });
}

// ── reporting ───────────────────────────────────────────────────────────────────────────

function fmtInt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** 100000 → "100k", 1000000 → "1M". */
function fmtCount(value: number): string {
  return value >= 1e6 ? `${value / 1e6}M` : `${value / 1e3}k`;
}

function fmtMs(value: number): string {
  return `${value.toFixed(2)} ms`;
}

function fmtSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

interface Goal {
  text: string;
  stores: readonly StoreKind[];
  met(value: number): boolean;
}

interface Metric {
  label: string;
  value(result: StoreResult): number;
  format(value: number): string;
  goal?: Goal;
}

const DATA_GOAL: Goal = { text: 'p50 < 20 ms', stores: STORE_KINDS, met: (ms) => ms < 20 };
const AT_ROWS = `${fmtCount(ROWS)} rows`;
const WITH_CELLS = `${fmtCount(ROWS)} rows + ${fmtCount(ROWS * COMPUTED_COLUMNS)} cells`;

/** One row per figure; the notes under the table say what "insert", "GET table" and "data page" are. */
const METRICS: Metric[] = [
  {
    label: 'insert, sequential (rows/s)',
    value: (r) => r.insertSequential,
    format: fmtInt,
    goal: { text: '≥ 20,000 rows/s on SQLite', stores: ['sqlite'], met: (rate) => rate >= 20_000 },
  },
  {
    label: `insert, ${CONCURRENCY} requests in flight (rows/s)`,
    value: (r) => r.insertConcurrent,
    format: fmtInt,
  },
  {
    label: `GET table p50, ${AT_ROWS}`,
    value: (r) => r.tableAt100k.p50,
    format: fmtMs,
    goal: { text: 'p50 < 5 ms on SQLite', stores: ['sqlite'], met: (ms) => ms < 5 },
  },
  { label: `GET table p99, ${AT_ROWS}`, value: (r) => r.tableAt100k.p99, format: fmtMs },
  { label: `GET table p50, ${WITH_CELLS}`, value: (r) => r.tableWithCells.p50, format: fmtMs },
  { label: `GET table p99, ${WITH_CELLS}`, value: (r) => r.tableWithCells.p99, format: fmtMs },
  {
    label: `data page p50, ${AT_ROWS}, right after the insert`,
    value: (r) => r.dataFresh.p50,
    format: fmtMs,
    goal: DATA_GOAL,
  },
  { label: `data page p50, ${AT_ROWS}`, value: (r) => r.dataAt100k.p50, format: fmtMs, goal: DATA_GOAL },
  { label: `data page p99, ${AT_ROWS}`, value: (r) => r.dataAt100k.p99, format: fmtMs },
  {
    label: `data page p50, ${WITH_CELLS}`,
    value: (r) => r.dataWithCells.p50,
    format: fmtMs,
    goal: DATA_GOAL,
  },
  { label: `data page p99, ${WITH_CELLS}`, value: (r) => r.dataWithCells.p99, format: fmtMs },
  { label: 'peak RSS, server + client (MB)', value: (r) => r.peakRssMb, format: fmtInt },
];

/** "goal: PASS" per store the goal applies to, e.g. "p50 < 20 ms: SQLite PASS, PostgreSQL MISS". */
function goalCell(metric: Metric, results: readonly StoreResult[]): string {
  const { goal } = metric;
  if (!goal) return '';
  const verdicts = results
    .filter((result) => goal.stores.includes(result.kind))
    .map((result) => {
      const verdict = goal.met(metric.value(result)) ? 'PASS' : 'MISS';
      return goal.stores.length === 1 ? verdict : `${STORE_NAMES[result.kind]} ${verdict}`;
    });
  return `${goal.text}: ${verdicts.join(', ')}`;
}

/** A markdown table padded the way prettier pads it, so it reads as well in a terminal as in the file. */
function markdownTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(3, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  const [header, ...body] = rows;
  return [line(header!), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
}

function resultsTable(results: readonly StoreResult[]): string {
  const byKind = (kind: StoreKind) => results.find((result) => result.kind === kind)!;
  return markdownTable([
    ['metric', ...STORE_KINDS.map((kind) => STORE_NAMES[kind]), 'goal'],
    ...METRICS.map((metric) => [
      metric.label,
      ...STORE_KINDS.map((kind) => metric.format(metric.value(byKind(kind)))),
      goalCell(metric, results),
    ]),
  ]);
}

function machineLine(results: readonly StoreResult[]): string {
  const cpus = os.cpus();
  const ramGiB = (os.totalmem() / 1024 ** 3).toFixed(1);
  const engines = results.map((result) => result.engine).join(', ');
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'} × ${cpus.length}, ${ramGiB} GiB RAM, Node ${process.version}; ${engines}`;
}

/** The commit measured, "-dirty" when tracked files differ from it: figures belong to a version of the code. */
function codeVersion(): string {
  try {
    return execFileSync('git', ['-C', REPO_DIR, 'describe', '--always', '--dirty'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function section(results: readonly StoreResult[]): string {
  return [
    '## Storage',
    '',
    `Command: \`npm run bench:storage\` (bench/storage.ts). Date: ${new Date().toISOString()}. Code: ${codeVersion()}.`,
    '',
    `Machine: ${machineLine(results)}.`,
    '',
    resultsTable(results),
    '',
    `- Insert: ${fmtCount(ROWS)} rows × ${INPUT_COLUMNS} input columns, \`POST /v1/tables/{id}/rows\` with ${BATCH} rows per request; the goal judges the sequential figure. ` +
      `GET table: \`GET /v1/tables/{id}\`. Data page: \`GET /v1/tables/{id}/data${DATA_QUERY}\`.`,
    `- Latencies: loopback HTTP (fetch, keep-alive), one sequential client in the server's process, to the last byte of the body; ` +
      `${TABLE_REQUESTS} (table), ${DATA_REQUESTS} (data page) or ${FRESH_DATA_REQUESTS} (right after the insert) requests after ${WARMUP_REQUESTS} warm-up ones. ` +
      `Each store runs in its own process; peak RSS is that process (server + client + the SQLite seeding connection), not PostgreSQL's server processes.`,
    `- The ${fmtCount(ROWS * COMPUTED_COLUMNS)} cells (${COMPUTED_COLUMNS} formula columns × ${fmtCount(ROWS)} rows, status done) were inserted by one SQL INSERT … SELECT ` +
      `on a separate connection (no run engine yet), with \`cells_done\` raised to match. Before the other latency rows PostgreSQL got VACUUM ANALYZE, ` +
      `as autovacuum would within a minute; "right after the insert" is before it, without planner statistics. SQLite has no such step.`,
  ].join('\n');
}

/** Replaces this benchmark's section between its markers, creating the file or the section if missing. */
function writeSection(body: string): void {
  const existing = fs.existsSync(BENCHMARKS_FILE) ? fs.readFileSync(BENCHMARKS_FILE, 'utf8') : FILE_HEADER;
  // Blank lines around the body, as prettier formats markdown next to HTML comments.
  const block = `${SECTION_START}\n\n${body}\n\n${SECTION_END}`;
  const start = existing.indexOf(SECTION_START);
  const end = existing.indexOf(SECTION_END);
  const next =
    start >= 0 && end > start
      ? `${existing.slice(0, start)}${block}${existing.slice(end + SECTION_END.length)}`
      : `${existing.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(BENCHMARKS_FILE, next);
}

// ── entry point ─────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const results: StoreResult[] = [];
  // One store at a time: on 2 cores, running both at once would measure contention.
  for (const kind of STORE_KINDS) results.push(await runChild(kind));
  console.log(`\n${resultsTable(results)}\n`);
  writeSection(section(results));
  console.log(`wrote ${path.relative(process.cwd(), BENCHMARKS_FILE)}`);
}

async function child(kind: StoreKind): Promise<void> {
  const result = await measureStore(kind);
  await new Promise<void>((resolve, reject) =>
    process.send!(result, undefined, undefined, (error) => (error ? reject(error) : resolve())),
  );
  process.disconnect();
}

const storeFlag = process.argv.indexOf('--store');
if (storeFlag < 0) {
  await main();
} else {
  const kind = process.argv[storeFlag + 1] as StoreKind;
  if (!STORE_KINDS.includes(kind)) throw new Error(`--store must be one of ${STORE_KINDS.join(', ')}`);
  await child(kind);
}
