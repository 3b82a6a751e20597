/**
 * Engine benchmark: the run engine (started with `start()`, the real pump loop) computing cells
 * against a real HTTP fake vendor (test/fixtures/fake-vendor.ts), on SQLite and PostgreSQL side by
 * side. Run with `npm run bench:engine`; it prints a table and rewrites the engine section of
 * BENCHMARKS.md. Sizes are tunable: `--latency-rows=2000` or `BENCH_ENGINE_LATENCY_ROWS=2000`
 * (`--help` lists every setting).
 *
 * Processes, all this file forked with a task:
 * - one per store scenario (latency-bound, overhead, faults, dedupe), each on a fresh store, SQLite's
 *   then PostgreSQL's, one at a time: no scenario inherits another's heap, JIT state or data, and a
 *   scenario stopped at its deadline ends with its process;
 * - one per rate-bound variant, on SQLite (they measure the limiter, not the store); the two run at
 *   once, being waits on the vendor's window, and before the store scenarios, which are CPU-bound;
 * - one per fake vendor: in the engine's process, the vendor's request handling would share the
 *   engine's event loop and take its CPU (see the vendor note in BENCHMARKS.md).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import pLimit from 'p-limit';
import pg from 'pg';
import type { CellCounts } from '../src/domain/cell-status.ts';
import type { ColumnConfigInput } from '../src/domain/columns.ts';
import type { Engine, EngineOptions } from '../src/engine/engine.ts';
import { systemClock, type RunRequest, type Store } from '../src/engine/ports.ts';
import { openPostgresStore, openSqliteStore } from '../src/storage/index.ts';
import { createTable, tableCells, testEngine, vendorColumn } from '../test/fixtures/engine.ts';
import { startFakeVendor, type FakeVendorOptions } from '../test/fixtures/fake-vendor.ts';
import { createTestDatabase, DEFAULT_TEST_DATABASE_URL } from '../test/fixtures/postgres-server.ts';

const SCRIPT = fileURLToPath(import.meta.url);
const REPO_DIR = path.join(path.dirname(SCRIPT), '..');
const BENCHMARKS_FILE = path.join(REPO_DIR, 'BENCHMARKS.md');
const SECTION_START = '<!-- bench:engine:start -->';
const SECTION_END = '<!-- bench:engine:end -->';
const FILE_HEADER =
  '# Benchmarks\n\nFigures measured on this machine by the scripts in bench/; rerun with the npm scripts named in each section.\n';

const STORE_KINDS = ['sqlite', 'postgres'] as const;
type StoreKind = (typeof STORE_KINDS)[number];
const STORE_NAMES: Record<StoreKind, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
const RATE_VARIANTS = ['configured', 'unconfigured'] as const;
type RateVariant = (typeof RATE_VARIANTS)[number];

// ── settings ────────────────────────────────────────────────────────────────────────────

/** Tunable sizes: `--rate-minutes=2` on the command line or BENCH_ENGINE_RATE_MINUTES=2 in the environment. */
const DEFAULT_SETTINGS = {
  /** Rows of the latency-bound table; two vendor cells each. */
  latencyRows: 10_000,
  /** Vendor latency L of the latency-bound scenario, in ms. */
  latencyMs: 200,
  /** Column `max_concurrency` C of the latency-bound, rate-bound, faults and dedupe scenarios. */
  concurrency: 64,
  /** The vendor's limit R, in requests per minute (and the configured `requests_per_minute`). */
  rateRpm: 3_000,
  /** The vendor's sliding window, in seconds; shorter scales R's allowance down with it. */
  rateWindowS: 60,
  /** Work of the rate-bound scenarios, in minutes at R (rateRpm × rateMinutes cells). */
  rateMinutes: 3,
  /** Formula cells of the overhead scenario. */
  overheadCells: 100_000,
  /** http cells against a zero-latency vendor, the overhead scenario's http variant. */
  httpOverheadCells: 10_000,
  /** Cells of the faults scenario. */
  faultCells: 5_000,
  /** Rows of the dedupe scenario … */
  dedupeRows: 10_000,
  /** … spread over this many distinct inputs. */
  dedupeDistinct: 1_000,
  /** A store scenario still running after this many seconds is stopped and reported as such. */
  deadlineS: 90,
};
type Settings = typeof DEFAULT_SETTINGS;
type SettingName = keyof Settings;

const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const envName = (name: string) => `BENCH_ENGINE_${kebab(name).replaceAll('-', '_').toUpperCase()}`;

function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): Settings {
  const settings = { ...DEFAULT_SETTINGS };
  const names = Object.keys(DEFAULT_SETTINGS) as SettingName[];
  const set = (name: SettingName, text: string, source: string) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${source}: expected a positive number`);
    settings[name] = value;
  };
  for (const name of names) {
    const fromEnv = env[envName(name)];
    if (fromEnv !== undefined) set(name, fromEnv, envName(name));
  }
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    const name = match && names.find((candidate) => kebab(candidate) === match[1]);
    if (!match || !name) throw new Error(`unknown argument ${arg}; try --help`);
    set(name, match[2]!, arg);
  }
  return settings;
}

function usage(): string {
  const lines = (Object.keys(DEFAULT_SETTINGS) as SettingName[]).map(
    (name) => `  --${kebab(name)}=N  (${envName(name)}, default ${DEFAULT_SETTINGS[name]})`,
  );
  return `usage: npm run bench:engine -- [settings]\n${lines.join('\n')}`;
}

// ── the scenarios' fixed parameters ─────────────────────────────────────────────────────

/** The retry policy every scenario's engine runs with (the faults scenario's brief). */
const RETRY = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5_000 };
/** Vendor latency of the rate-bound scenarios: short next to the window, so the rate is the bound. */
const RATE_LATENCY_MS = 100;
/** How often the rate-bound vendor samples its count of accepted requests. */
const RATE_SAMPLE_MS = 100;
const FAULT_TIMEOUT_MS = 1_000;
/** 5% 500s, 5% hangs, and a limit of 200 requests/s that a column unthrottled by config overruns in bursts. */
const FAULT_VENDOR: FakeVendorOptions = {
  latencyMs: 50,
  errorRate: 0.05,
  hangRate: 0.05,
  rateLimit: { requests: 1_000, windowMs: 5_000 },
  seed: 7,
};
const DEDUPE_LATENCY_MS = 20;
const POLL_MS = 50;

// ── the fake vendor, in its own process ─────────────────────────────────────────────────

interface VendorSpec {
  options: FakeVendorOptions;
  /** Record [epoch ms, accepted requests so far] at this interval. */
  sampleEveryMs?: number;
}

interface VendorReport {
  requests: number;
  ok: number;
  rateLimited: number;
  errors: number;
  hung: number;
  maxConcurrent: number;
  samples: [number, number][];
}

type VendorCommand = 'report' | 'close';

/** The parent's handle on a vendor process: its URL and its counters, asked for over IPC. */
class VendorProcess {
  readonly url: string;
  readonly #child: ChildProcess;
  #closed: Promise<VendorReport> | undefined;

  private constructor(url: string, child: ChildProcess) {
    this.url = url;
    this.#child = child;
  }

  static async start(spec: VendorSpec): Promise<VendorProcess> {
    const child = forkTask({ role: 'vendor', spec });
    const { url } = await nextMessage<{ url: string }>(child);
    return new VendorProcess(url, child);
  }

  report(): Promise<VendorReport> {
    return this.#ask('report');
  }

  /** Closes the vendor (hung responses included) and answers its final counters. */
  close(): Promise<VendorReport> {
    return (this.#closed ??= (async () => {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      const report = await this.#ask('close');
      await exited;
      return report;
    })());
  }

  #ask(command: VendorCommand): Promise<VendorReport> {
    const answer = nextMessage<VendorReport>(this.#child);
    this.#child.send(command);
    return answer;
  }
}

async function withVendor<T>(spec: VendorSpec, work: (vendor: VendorProcess) => Promise<T>): Promise<T> {
  const vendor = await VendorProcess.start(spec);
  try {
    return await work(vendor);
  } finally {
    await vendor.close();
  }
}

/** Runs in the vendor process: serves until told to close. */
async function serveVendor(spec: VendorSpec): Promise<void> {
  const vendor = await startFakeVendor(spec.options);
  const samples: [number, number][] = [];
  const sampler = spec.sampleEveryMs
    ? setInterval(() => samples.push([Date.now(), vendor.stats.ok]), spec.sampleEveryMs)
    : undefined;
  const report = (): VendorReport => {
    const { requests, ok, rateLimited, errors, hung, maxConcurrent } = vendor.stats;
    // A last sample now: the run may have ended since the previous tick.
    return {
      requests,
      ok,
      rateLimited,
      errors,
      hung,
      maxConcurrent,
      samples: [...samples, [Date.now(), ok]],
    };
  };
  // An orphan would hold its port and hung sockets forever.
  process.once('disconnect', () => process.exit(1));
  process.on('message', (command: VendorCommand) => {
    if (command === 'report') {
      process.send!(report());
      return;
    }
    clearInterval(sampler);
    void vendor.close().then(() => {
      process.removeAllListeners('disconnect');
      process.send!(report(), () => process.disconnect());
    });
  });
  process.send!({ url: vendor.url });
}

// ── stores and engines ──────────────────────────────────────────────────────────────────

/**
 * Where a scenario's store lives. The parent process makes and removes it, so it goes even when the
 * scenario's process ends without closing anything (see `abandoned`).
 */
type StoreLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

const postgresAdminUrl = () => process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;

/** A fresh location: a temp SQLite file, or a new database on the test PostgreSQL server. */
async function withLocation<T>(kind: StoreKind, work: (location: StoreLocation) => Promise<T>): Promise<T> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrichbase-bench-'));
    try {
      return await work({ kind, file: path.join(dir, 'bench.sqlite') });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const database = await createTestDatabase(postgresAdminUrl());
  try {
    return await work({ kind, url: database.url });
  } finally {
    await database.drop();
  }
}

async function storeVersion(kind: StoreKind): Promise<string> {
  if (kind === 'sqlite') {
    const memory = new Sqlite(':memory:');
    try {
      return `SQLite ${memory.prepare('select sqlite_version()').pluck().get() as string}`;
    } finally {
      memory.close();
    }
  }
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  await client.connect();
  try {
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return `PostgreSQL ${result.rows[0]!.server_version}`;
  } finally {
    await client.end();
  }
}

/**
 * Set when a run passes its deadline. The engine and the store are then left as they are (stopping
 * the engine would first record its whole backlog of results: minutes more on a slow store), and
 * the scenario's process exits as soon as it has sent its figures.
 */
let abandoned = false;

interface BenchStore {
  store: Store;
  workspaceId: string;
  /** Claim transactions so far: the engine's fixed cost per batch of cells. */
  claims: { count: number };
}

async function withStore<T>(location: StoreLocation, work: (bench: BenchStore) => Promise<T>): Promise<T> {
  const store =
    location.kind === 'sqlite'
      ? await openSqliteStore(location.file, systemClock)
      : await openPostgresStore({ connectionString: location.url }, systemClock);
  try {
    // Counted here, around the store: the engine reports its provider calls, not its claims.
    const claims = { count: 0 };
    const claimCells = store.claimCells.bind(store);
    store.claimCells = (...args) => {
      claims.count += 1;
      return claimCells(...args);
    };
    const workspace = await store.createWorkspace({ name: 'bench', ownerEmail: 'bench@localhost' });
    return await work({ store, workspaceId: workspace.id, claims });
  } finally {
    if (!abandoned) await store.close();
  }
}

/**
 * An engine configured as `enrichbase serve` configures it, with the benchmark's retry policy:
 * testEngine shortens the flush interval for tests, and undefined gives the engine's default back.
 */
async function withEngine<T>(
  bench: BenchStore,
  work: (engine: Engine) => Promise<T>,
  tuning: EngineOptions = {},
): Promise<T> {
  const options: EngineOptions = { flushIntervalMs: undefined, retry: RETRY, ...tuning };
  const engine = testEngine(bench.store, options);
  engine.start();
  try {
    return await work(engine);
  } finally {
    if (!abandoned) await engine.stop();
  }
}

interface RunFigures {
  /** Cells the run queued. */
  cells: number;
  counts: CellCounts;
  seconds: number;
  /** Stopped at the deadline, unfinished. */
  timedOut: boolean;
  /** Most cells `running` at one poll: held by the engine, in flight or with results not yet recorded. */
  peakRunning: number;
  /** CPU time of the engine's process over the run, in cores (1 = one core busy throughout). */
  cpuCores: number;
  /** The longest the engine's event loop went without a turn (timers and sockets wait that long). */
  maxStallMs: number;
  claims: number;
}

const finishedCells = (counts: CellCounts) => counts.done + counts.failed + counts.skipped;
const cellsPerSecond = (figures: RunFigures) => finishedCells(figures.counts) / figures.seconds;

/** Starts a run on a started engine and waits for it by polling the table's counters, as a client would. */
async function runTable(
  bench: BenchStore,
  engine: Engine,
  tableId: string,
  deadlineS: number,
): Promise<RunFigures> {
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  stalls.enable();
  const claimsBefore = bench.claims.count;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const request: RunRequest = { mode: 'new', rowIds: null, columnIds: null };
  const run = await engine.startRun(bench.workspaceId, tableId, request);
  let peakRunning = 0;
  for (;;) {
    const { cellCounts } = (await bench.store.getTable(bench.workspaceId, tableId)).table;
    peakRunning = Math.max(peakRunning, cellCounts.running);
    const elapsedMs = performance.now() - started;
    abandoned = elapsedMs > deadlineS * 1000;
    if (cellCounts.queued + cellCounts.running === 0 || abandoned) {
      const cpu = process.cpuUsage(cpuBefore);
      stalls.disable();
      return {
        cells: run.numRequestedCells,
        counts: cellCounts,
        seconds: elapsedMs / 1000,
        timedOut: abandoned,
        peakRunning,
        cpuCores: (cpu.user + cpu.system) / 1000 / elapsedMs,
        maxStallMs: stalls.max / 1e6,
        claims: bench.claims.count - claimsBefore,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const inputColumn: ColumnConfigInput = { key: 'key', name: 'Key' };

/** `count` rows whose `key` input is distinct per row, or cycles through `distinct` values. */
function keyedRows(prefix: string, count: number, distinct = count): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, index) => ({ key: `${prefix}-${index % distinct}` }));
}

// ── store scenarios ─────────────────────────────────────────────────────────────────────

/** Two vendor columns, the second reading the first's answer: every second cell waits on a first. */
async function latencyBound(location: StoreLocation, s: Settings): Promise<{ run: RunFigures }> {
  return withVendor({ options: { latencyMs: s.latencyMs } }, (vendor) =>
    withStore(location, async (bench) => {
      const limits = { max_concurrency: s.concurrency };
      const table = await createTable(
        bench.store,
        bench.workspaceId,
        [
          inputColumn,
          vendorColumn(vendor.url, 'first', 'key', limits),
          vendorColumn(vendor.url, 'second', 'first', limits),
        ],
        keyedRows('latency', s.latencyRows),
      );
      return {
        run: await withEngine(bench, (engine) => runTable(bench, engine, table.tableId, s.deadlineS)),
      };
    }),
  );
}

/** A formula column (CEL, in process): no network, so the figure is the engine and the store. */
async function formulaOverhead(
  location: StoreLocation,
  s: Settings,
  tuning: EngineOptions = {},
): Promise<{ run: RunFigures; computations: number }> {
  return withStore(location, async (bench) => {
    const table = await createTable(
      bench.store,
      bench.workspaceId,
      [inputColumn, { kind: 'formula', key: 'shout', name: 'Shout', value: { expression: 'key + "!"' } }],
      keyedRows('formula', s.overheadCells),
    );
    return withEngine(
      bench,
      async (engine) => ({
        run: await runTable(bench, engine, table.tableId, s.deadlineS),
        // Above the cell count: cells computed again (a lease lost before the result was recorded).
        computations: engine.providerCalls,
      }),
      tuning,
    );
  });
}

/** An unthrottled http column against a vendor answering at once: the engine's HTTP path on top. */
async function httpOverhead(location: StoreLocation, s: Settings): Promise<{ run: RunFigures }> {
  return withVendor({ options: { latencyMs: 0 } }, (vendor) =>
    withStore(location, async (bench) => {
      const table = await createTable(
        bench.store,
        bench.workspaceId,
        [inputColumn, vendorColumn(vendor.url, 'answer', 'key')],
        keyedRows('http', s.httpOverheadCells),
      );
      return {
        run: await withEngine(bench, (engine) => runTable(bench, engine, table.tableId, s.deadlineS)),
      };
    }),
  );
}

interface FaultFigures {
  run: RunFigures;
  /** Attempts per cell, read from the cells. */
  meanAttempts: number;
  maxAttempts: number;
  /** Failed cells by error type. */
  failures: Record<string, number>;
  vendor: VendorReport;
  naive: { completed: number; total: number; seconds: number; vendor: VendorReport };
}

async function faults(location: StoreLocation, s: Settings): Promise<FaultFigures> {
  const rows = keyedRows('fault', s.faultCells);
  const enrichbase = await withVendor({ options: FAULT_VENDOR }, async (vendor) => {
    const figures = await withStore(location, async (bench) => {
      const column = vendorColumn(vendor.url, 'answer', 'key', {
        max_concurrency: s.concurrency,
        timeout_ms: FAULT_TIMEOUT_MS,
      });
      const table = await createTable(bench.store, bench.workspaceId, [inputColumn, column], rows);
      const run = await withEngine(bench, (engine) => runTable(bench, engine, table.tableId, s.deadlineS));
      if (run.timedOut) return { run, meanAttempts: NaN, maxAttempts: NaN, failures: {} };
      const cells = await tableCells(bench.store, bench.workspaceId, table.tableId);
      const failures: Record<string, number> = {};
      for (const cell of cells) {
        const type = (cell.error as { type?: string } | null)?.type ?? 'unknown';
        if (cell.status === 'failed') failures[type] = (failures[type] ?? 0) + 1;
      }
      return {
        run,
        meanAttempts: cells.reduce((sum, cell) => sum + cell.attempts, 0) / cells.length,
        maxAttempts: Math.max(...cells.map((cell) => cell.attempts)),
        failures,
      };
    });
    return { ...figures, vendor: await vendor.close() };
  });
  const naive = await withVendor({ options: FAULT_VENDOR }, async (vendor) => {
    const keys = rows.map((row) => row.key as string);
    const figures = await naiveFetchAll(vendor.url, keys, s.concurrency);
    return { ...figures, vendor: await vendor.close() };
  });
  return { ...enrichbase, naive };
}

/**
 * What a script without Enrichbase does: every key at once through a concurrency limiter, the same
 * timeout, no retry and no rate limiting. A key completes when its answer arrives.
 */
async function naiveFetchAll(
  vendorUrl: string,
  keys: readonly string[],
  concurrency: number,
): Promise<{ completed: number; total: number; seconds: number }> {
  const limit = pLimit(concurrency);
  const started = performance.now();
  const outcomes = await Promise.all(
    keys.map((key) =>
      limit(async () => {
        try {
          const response = await fetch(`${vendorUrl}/enrich?key=${encodeURIComponent(key)}`, {
            signal: AbortSignal.timeout(FAULT_TIMEOUT_MS),
          });
          if (!response.ok) return false;
          const body = (await response.json()) as { result?: unknown };
          return typeof body.result === 'string';
        } catch {
          return false;
        }
      }),
    ),
  );
  return {
    completed: outcomes.filter(Boolean).length,
    total: keys.length,
    seconds: (performance.now() - started) / 1000,
  };
}

interface DedupeFigures {
  run: RunFigures;
  vendorRequests: number;
  providerCalls: number;
  /** Cells that took more than one attempt (a vendor without faults: every retry is the engine's doing). */
  retried: number;
  /** The second `mode: 'new'` run. */
  again: { cells: number; vendorRequests: number; providerCalls: number };
}

async function dedupe(location: StoreLocation, s: Settings): Promise<DedupeFigures> {
  return withVendor({ options: { latencyMs: DEDUPE_LATENCY_MS } }, (vendor) =>
    withStore(location, async (bench) => {
      const table = await createTable(
        bench.store,
        bench.workspaceId,
        [inputColumn, vendorColumn(vendor.url, 'answer', 'key', { max_concurrency: s.concurrency })],
        keyedRows('dedupe', s.dedupeRows, s.dedupeDistinct),
      );
      return withEngine(bench, async (engine) => {
        const run = await runTable(bench, engine, table.tableId, s.deadlineS);
        const first = {
          vendorRequests: (await vendor.report()).requests,
          providerCalls: engine.providerCalls,
        };
        if (run.timedOut)
          return {
            run,
            ...first,
            retried: NaN,
            again: { cells: NaN, vendorRequests: NaN, providerCalls: NaN },
          };
        const cells = await tableCells(bench.store, bench.workspaceId, table.tableId);
        const retried = cells.filter((cell) => cell.attempts > 1).length;
        const again = await runTable(bench, engine, table.tableId, s.deadlineS);
        return {
          run,
          ...first,
          retried,
          again: {
            cells: again.cells,
            vendorRequests: (await vendor.report()).requests - first.vendorRequests,
            providerCalls: engine.providerCalls - first.providerCalls,
          },
        };
      });
    }),
  );
}

/**
 * Batches four times the defaults (claimBatch and flushBatch 128, maxInFlight 256): whether the fixed
 * cost per claim and per recorded batch is what bounds the formula overhead.
 */
const LARGE_BATCHES: EngineOptions = { claimBatch: 512, flushBatch: 512, maxInFlight: 1_024 };

/** The store scenarios, in the order they run; each runs in a process of its own, on a fresh store. */
const STORE_SCENARIOS = {
  latency: latencyBound,
  formula: formulaOverhead,
  formulaLargeBatches: (location: StoreLocation, s: Settings) => formulaOverhead(location, s, LARGE_BATCHES),
  http: httpOverhead,
  faults,
  dedupe,
};
type StoreScenario = keyof typeof STORE_SCENARIOS;
type ScenarioResults = { [K in StoreScenario]: Awaited<ReturnType<(typeof STORE_SCENARIOS)[K]>> };

interface StoreResult extends ScenarioResults {
  kind: StoreKind;
  version: string;
  loadAverages: number[];
}

/** Runs in the parent: one store's scenarios one after the other, each in its own process and location. */
async function measureStore(kind: StoreKind, settings: Settings): Promise<StoreResult> {
  const results: Partial<ScenarioResults> = {};
  const loadAverages: number[] = [];
  for (const scenario of Object.keys(STORE_SCENARIOS) as StoreScenario[]) {
    const result = await withLocation(kind, (location) =>
      runTask<ScenarioResults[typeof scenario]>({ role: 'scenario', scenario, location, settings }),
    );
    loadAverages.push(os.loadavg()[0]!);
    console.log(
      `[${kind}] ${scenario}: ${describeRun(result.run)}, load average ${loadAverages.at(-1)!.toFixed(1)}`,
    );
    Object.assign(results, { [scenario]: result });
  }
  return { kind, version: await storeVersion(kind), loadAverages, ...(results as ScenarioResults) };
}

// ── rate-bound scenarios ────────────────────────────────────────────────────────────────

interface RateResult {
  variant: RateVariant;
  run: RunFigures;
  vendor: VendorReport;
  /** Mean fill of the vendor's window once it could have filled, as a share of its allowance. */
  windowShare: number;
  /** Accepted requests per minute from the first to the last, cold start included. */
  wholeRunRpm: number;
}

/**
 * How full the vendor's sliding window was, on average, from one window after the first accepted
 * request to the last one: at each sample, the requests accepted in the window ending there. This
 * is the share of the vendor's allowance used in steady state; it is fair to both a smooth rate and
 * bursts (a whole-run average would credit a cold start's free first window, a rate over the tail
 * would depend on where a burst lands).
 */
function windowFill(samples: readonly [number, number][], windowMs: number): number {
  const total = samples.at(-1)?.[1] ?? 0;
  const first = samples.find(([, ok]) => ok > 0);
  const last = samples.find(([, ok]) => ok === total);
  if (!first || !last || last[0] - first[0] < windowMs) return NaN;
  let sum = 0;
  let count = 0;
  let behind = 0;
  for (const [at, ok] of samples) {
    if (at < first[0] + windowMs || at > last[0]) continue;
    while (samples[behind + 1]![0] <= at - windowMs) behind += 1;
    sum += ok - samples[behind]![1];
    count += 1;
  }
  return sum / count;
}

/** Runs in a rate variant's process: R/min of work for `rateMinutes`, with or without R configured. */
async function measureRate(variant: RateVariant, location: StoreLocation, s: Settings): Promise<RateResult> {
  const windowMs = s.rateWindowS * 1000;
  const allowance = Math.round((s.rateRpm * s.rateWindowS) / 60);
  const spec: VendorSpec = {
    options: { latencyMs: RATE_LATENCY_MS, rateLimit: { requests: allowance, windowMs } },
    sampleEveryMs: RATE_SAMPLE_MS,
  };
  // The run needs rateMinutes at R; a learning limiter may take a few windows more.
  const deadlineS = s.rateMinutes * 60 * 2 + s.rateWindowS * 3;
  const result = await withVendor(spec, (vendor) =>
    withStore(location, async (bench) => {
      const limits = {
        max_concurrency: s.concurrency,
        ...(variant === 'configured' ? { requests_per_minute: s.rateRpm } : {}),
      };
      const table = await createTable(
        bench.store,
        bench.workspaceId,
        [inputColumn, vendorColumn(vendor.url, 'answer', 'key', limits)],
        keyedRows('rate', Math.round(s.rateRpm * s.rateMinutes)),
      );
      const run = await withEngine(bench, (engine) => runTable(bench, engine, table.tableId, deadlineS));
      return { run, vendor: await vendor.report() };
    }),
  );
  const { samples } = result.vendor;
  const first = samples.find(([, ok]) => ok > 0)?.[0] ?? NaN;
  const last = samples.find(([, ok]) => ok === result.vendor.ok)?.[0] ?? NaN;
  return {
    variant,
    ...result,
    windowShare: windowFill(samples, windowMs) / allowance,
    wholeRunRpm: result.vendor.ok / ((last - first) / 60_000),
  };
}

// ── processes ───────────────────────────────────────────────────────────────────────────

type Task =
  | { role: 'scenario'; scenario: StoreScenario; location: StoreLocation; settings: Settings }
  | { role: 'rate'; variant: RateVariant; location: StoreLocation; settings: Settings }
  | { role: 'vendor'; spec: VendorSpec };

/** This file in a child process; fork() reuses this process's execArgv, so it runs under tsx too. */
function forkTask(task: Task): ChildProcess {
  return fork(SCRIPT, ['--task', JSON.stringify(task)]);
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      reject(new Error(`a benchmark process exited with code ${code} before answering`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Forks a scenario and answers its result, which it sends once, at the end. */
async function runTask<T>(task: Exclude<Task, { role: 'vendor' }>): Promise<T> {
  const child = forkTask(task);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const result = await nextMessage<T>(child);
  const code = await exited;
  if (code !== 0) throw new Error(`the ${task.role} process exited with code ${code}`);
  return result;
}

async function runChildTask(task: Task): Promise<void> {
  if (task.role === 'vendor') return serveVendor(task.spec);
  const result =
    task.role === 'scenario'
      ? await STORE_SCENARIOS[task.scenario](task.location, task.settings)
      : await measureRate(task.variant, task.location, task.settings);
  await new Promise<void>((resolve, reject) =>
    process.send!(result, undefined, undefined, (error) => (error ? reject(error) : resolve())),
  );
  // An abandoned engine is still running: only leaving ends it (its vendors follow, disconnected).
  if (abandoned) process.exit(0);
  process.disconnect();
}

// ── reporting ───────────────────────────────────────────────────────────────────────────

function fmtInt(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

function fmtFraction(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : 'n/a';
}

function fmtPercent(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(value < 0.1 ? 2 : 1)}%` : 'n/a';
}

function fmtSeconds(seconds: number): string {
  return `${seconds.toFixed(1)} s`;
}

/** "7,245 cells/s (20,000 cells in 2.8 s)", or how far a run got by its deadline. */
function describeRun(figures: RunFigures): string {
  const rate = `${fmtInt(cellsPerSecond(figures))} cells/s`;
  const finished = finishedCells(figures.counts);
  return figures.timedOut
    ? `${rate} (stopped at ${fmtSeconds(figures.seconds)}: ${fmtInt(finished)} of ${fmtInt(figures.cells)} cells finished)`
    : `${rate} (${fmtInt(finished)} cells in ${fmtSeconds(figures.seconds)})`;
}

interface Results {
  settings: Settings;
  stores: Record<StoreKind, StoreResult>;
  rate: Record<RateVariant, RateResult>;
  startedAt: Date;
  /** The code measured, read at the start: commits may land while the benchmark runs. */
  code: string;
  /** The machine's 1-minute load average after each store scenario: other work skews CPU-bound figures. */
  loadAverages: number[];
  minutes: number;
}

/** A figure as the table shows it, and the number a goal judges (if any). */
interface Figure {
  text: string;
  value?: number;
}

interface Goal {
  text: string;
  met(value: number): boolean;
  /** The stores it judges, when not every store the figure is measured on. */
  stores?: readonly StoreKind[];
}

interface Metric {
  label: string;
  /** undefined: not measured on this store. */
  figure(results: Results, kind: StoreKind): Figure | undefined;
  goal?: Goal;
}

/** A store-scenario metric, measured on both stores. */
function perStore(label: string, figure: (result: StoreResult) => Figure, goal?: Goal): Metric {
  return { label, figure: (results, kind) => figure(results.stores[kind]), goal };
}

/** A rate-bound metric: measured once, on SQLite. */
function perRate(
  variant: RateVariant,
  label: string,
  figure: (result: RateResult) => Figure,
  goal?: Goal,
): Metric {
  return {
    label,
    figure: (results, kind) => (kind === 'sqlite' ? figure(results.rate[variant]) : undefined),
    goal,
  };
}

function throughput(figures: RunFigures): Figure {
  const value = cellsPerSecond(figures);
  const text = figures.timedOut
    ? `${fmtInt(value)} (unfinished at ${fmtSeconds(figures.seconds)}: ${fmtInt(finishedCells(figures.counts))}/${fmtInt(figures.cells)})`
    : fmtInt(value);
  return { text, value };
}

/** Claim transactions per finished cell: the engine's per-batch cost, paid per cell when batches shrink to one. */
const claimsPerCell = (figures: RunFigures) => figures.claims / finishedCells(figures.counts);

/** The engine's diagnostics of one run, for the rows under a throughput. */
function diagnostics(figures: RunFigures): Figure {
  return {
    text:
      `${fmtFraction(figures.cpuCores)} / ${fmtFraction(claimsPerCell(figures))} / ` +
      `${fmtInt(figures.maxStallMs)} ms / ${fmtInt(figures.peakRunning)}`,
  };
}
const DIAGNOSTICS = 'CPU cores / claims per cell / longest loop stall / peak running';

const latencyLimit = (s: Settings) => (s.concurrency / s.latencyMs) * 1000;
const latencyShare = (r: StoreResult, s: Settings) => cellsPerSecond(r.latency.run) / latencyLimit(s);
const dedupeCalls = (r: StoreResult) => Math.max(r.dedupe.vendorRequests, r.dedupe.providerCalls);
const naiveCompletion = (r: StoreResult) => r.faults.naive.completed / r.faults.naive.total;
const faultCompletion = (r: StoreResult) => r.faults.run.counts.done / r.faults.run.cells;
const unconfigured429Share = (r: RateResult) => r.vendor.rateLimited / r.vendor.requests;

function metrics(s: Settings): Metric[] {
  const allowance = `${fmtInt(s.rateRpm)}/min`;
  return [
    perStore(
      `latency-bound: cells/s (${fmtInt(s.latencyRows * 2)} cells, C = ${s.concurrency}, L = ${s.latencyMs} ms)`,
      (r) => throughput(r.latency.run),
    ),
    perStore(
      `latency-bound: share of C/L = ${fmtInt(latencyLimit(s))} cells/s`,
      (r) => ({ text: fmtFraction(latencyShare(r, s)), value: latencyShare(r, s) }),
      { text: '≥ 0.95', met: (value) => value >= 0.95 },
    ),
    perStore(`latency-bound: ${DIAGNOSTICS}`, (r) => diagnostics(r.latency.run)),
    perRate(
      'configured',
      `rate-bound, R = ${allowance} configured: window fill ÷ R`,
      (r) => ({ text: fmtFraction(r.windowShare), value: r.windowShare }),
      { text: '≥ 0.97', met: (value) => value >= 0.97 },
    ),
    perRate(
      'configured',
      `rate-bound, R = ${allowance} configured: 429s received`,
      (r) => ({ text: fmtInt(r.vendor.rateLimited), value: r.vendor.rateLimited }),
      { text: '0', met: (value) => value === 0 },
    ),
    perRate(
      'unconfigured',
      'rate-bound, R not configured: window fill ÷ R',
      (r) => ({ text: fmtFraction(r.windowShare), value: r.windowShare }),
      { text: '≥ 0.90', met: (value) => value >= 0.9 },
    ),
    perRate(
      'unconfigured',
      "rate-bound, R not configured: share of requests 429'd",
      (r) => ({
        text: `${fmtPercent(unconfigured429Share(r))} (${fmtInt(r.vendor.rateLimited)} of ${fmtInt(r.vendor.requests)})`,
        value: unconfigured429Share(r),
      }),
      { text: '< 2%', met: (value) => value < 0.02 },
    ),
    perStore(
      `overhead, formula: cells/s (${fmtInt(s.overheadCells)} cells)`,
      (r) => throughput(r.formula.run),
      { text: '≥ 10,000 on SQLite', met: (value) => value >= 10_000, stores: ['sqlite'] },
    ),
    perStore(`overhead, formula: ${DIAGNOSTICS}`, (r) => diagnostics(r.formula.run)),
    perStore(
      `overhead, formula, batches ×4 (claimBatch = flushBatch = ${LARGE_BATCHES.claimBatch}, maxInFlight = ${fmtInt(LARGE_BATCHES.maxInFlight!)}): cells/s`,
      (r) => throughput(r.formulaLargeBatches.run),
    ),
    perStore('overhead, formula: computations per cell', (r) => ({
      text: fmtFraction(r.formula.computations / finishedCells(r.formula.run.counts)),
    })),
    perStore(`overhead, http at zero latency: cells/s (${fmtInt(s.httpOverheadCells)} cells)`, (r) =>
      throughput(r.http.run),
    ),
    perStore(`overhead, http: ${DIAGNOSTICS}`, (r) => diagnostics(r.http.run)),
    perStore(
      `faults: Enrichbase completion, done ÷ cells (${fmtInt(s.faultCells)} cells)`,
      (r) => ({ text: fmtPercent(faultCompletion(r)), value: faultCompletion(r) }),
      { text: '100%', met: (value) => value === 1 },
    ),
    perStore('faults: Enrichbase attempts per cell, mean / max; wall time', (r) => ({
      text: `${fmtFraction(r.faults.meanAttempts)} / ${fmtInt(r.faults.maxAttempts)}; ${fmtSeconds(r.faults.run.seconds)}`,
    })),
    perStore('faults: naive Promise.all + p-limit completion; wall time', (r) => ({
      text: `${fmtPercent(naiveCompletion(r))}; ${fmtSeconds(r.faults.naive.seconds)}`,
    })),
    perStore(
      `dedupe: provider calls (${fmtInt(s.dedupeRows)} rows, ${fmtInt(s.dedupeDistinct)} distinct inputs)`,
      (r) => ({
        text: `${fmtInt(r.dedupe.vendorRequests)} (engine: ${fmtInt(r.dedupe.providerCalls)})`,
        value: dedupeCalls(r),
      }),
      { text: `= ${fmtInt(s.dedupeDistinct)}`, met: (value) => value === s.dedupeDistinct },
    ),
    perStore(`dedupe: ${DIAGNOSTICS}`, (r) => diagnostics(r.dedupe.run)),
    perStore(
      "dedupe: provider calls of a second `mode: 'new'` run",
      (r) => ({
        text: `${fmtInt(r.dedupe.again.vendorRequests)} (engine: ${fmtInt(r.dedupe.again.providerCalls)})`,
        value: Math.max(r.dedupe.again.vendorRequests, r.dedupe.again.providerCalls),
      }),
      { text: '0', met: (value) => value === 0 },
    ),
  ];
}

/** "≥ 0.95: SQLite PASS, PostgreSQL MISS", over the stores the goal judges that have a figure. */
function goalCell(metric: Metric, results: Results): string {
  const { goal } = metric;
  if (!goal) return '';
  const judged = STORE_KINDS.filter((kind) => !goal.stores || goal.stores.includes(kind)).flatMap((kind) => {
    const value = metric.figure(results, kind)?.value;
    return value === undefined ? [] : [{ kind, verdict: goal.met(value) ? 'PASS' : 'MISS' }];
  });
  const verdicts = judged.map(({ kind, verdict }) =>
    judged.length === 1 ? verdict : `${STORE_NAMES[kind]} ${verdict}`,
  );
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

function resultsTable(results: Results): string {
  return markdownTable([
    ['metric', ...STORE_KINDS.map((kind) => STORE_NAMES[kind]), 'goal'],
    ...metrics(results.settings).map((metric) => [
      metric.label,
      ...STORE_KINDS.map((kind) => metric.figure(results, kind)?.text ?? '—'),
      goalCell(metric, results),
    ]),
  ]);
}

function machineLine(results: Results): string {
  const cpus = os.cpus();
  const ramGiB = (os.totalmem() / 1024 ** 3).toFixed(1);
  const versions = STORE_KINDS.map((kind) => results.stores[kind].version).join(', ');
  return (
    `${cpus[0]?.model.trim() ?? 'unknown CPU'} × ${cpus.length}, ${ramGiB} GiB RAM, Node ${process.version}; ${versions}; ` +
    `1-minute load average after each store scenario ${Math.min(...results.loadAverages).toFixed(1)}–${Math.max(...results.loadAverages).toFixed(1)} (this benchmark included)`
  );
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

function methodNotes(results: Results): string[] {
  const s = results.settings;
  const { configured, unconfigured } = results.rate;
  const allowance = Math.round((s.rateRpm * s.rateWindowS) / 60);
  const faultsOf = (kind: StoreKind) => {
    const { vendor, naive } = results.stores[kind].faults;
    return (
      `${STORE_NAMES[kind]}: Enrichbase made ${fmtInt(vendor.requests)} requests (${fmtInt(vendor.errors)} 500s, ` +
      `${fmtInt(vendor.hung)} hangs, ${fmtInt(vendor.rateLimited)} 429s); the naive script ` +
      `${fmtInt(naive.vendor.requests)} (${fmtInt(naive.vendor.errors)}, ${fmtInt(naive.vendor.hung)}, ${fmtInt(naive.vendor.rateLimited)})`
    );
  };
  return [
    `- Setup: each scenario in its own process, on a fresh store (a temp SQLite file; a new PostgreSQL database), one store after the ` +
      `other; rows inserted and the table made by test/fixtures/engine.ts \`createTable\`; one in-process \`Engine\` (\`testEngine\` with the ` +
      `engine's default flush interval, as \`enrichbase serve\` runs it, and retry policy ${JSON.stringify(RETRY)}) started with \`start()\`. ` +
      `Cells/s = cells finished ÷ time from \`startRun\` to the first poll of \`getTable\` (every ${POLL_MS} ms) seeing none queued or running. ` +
      `A scenario unfinished after ${s.deadlineS} s is stopped there and shown as "unfinished". Whole benchmark: ${results.minutes.toFixed(1)} min.`,
    `- Diagnostics, per run: CPU = the engine process's user + system time ÷ wall time, in cores; claims per cell = \`claimCells\` ` +
      `transactions ÷ cells; loop stall = the longest event-loop delay (perf_hooks, 10 ms resolution); peak running = the table's \`running\` ` +
      `counter at its highest poll (the engine holds at most ${MAX_IN_FLIGHT} cells; above that are results computed and not yet recorded).`,
    `- Vendor: test/fixtures/fake-vendor.ts in a process of its own, one per scenario: in the engine's process its request handling ` +
      `shares the engine's event loop (in 6k-cell trials of the latency-bound scenario on SQLite: 0.86 and 0.88 of C/L with it in, 0.92 and 0.95 out).`,
    `- Latency-bound: ${fmtInt(s.latencyRows)} rows, column \`first\` = vendor(key), \`second\` = vendor(first), both \`max_concurrency\` ` +
      `${s.concurrency} on one origin, so they share one limiter of C = ${s.concurrency}; keys distinct per row (no cache hits).`,
    `- Rate-bound (SQLite only: it measures the limiter): the vendor allows ${fmtInt(allowance)} requests per sliding ${s.rateWindowS} s window ` +
      `(R = ${fmtInt(s.rateRpm)}/min) and answers 429 with Retry-After beyond; ${fmtInt(s.rateRpm * s.rateMinutes)} cells of one http column ` +
      `(\`max_concurrency\` ${s.concurrency}, latency ${RATE_LATENCY_MS} ms), with and without \`requests_per_minute\` = R; both variants ran at once, ` +
      `each with its own engine, store and vendor process. Window fill: the vendor samples its accepted requests every ${RATE_SAMPLE_MS} ms; ` +
      `from one window after the first accepted request to the last, the mean count accepted in the trailing window, ÷ the allowance. ` +
      `Over the whole run, cold start included: ${fmtInt(configured.wholeRunRpm)}/min configured, ${fmtInt(unconfigured.wholeRunRpm)}/min not ` +
      `(${fmtSeconds(configured.run.seconds)} and ${fmtSeconds(unconfigured.run.seconds)}; ` +
      `done ${fmtPercent(configured.run.counts.done / configured.run.cells)} and ${fmtPercent(unconfigured.run.counts.done / unconfigured.run.cells)}).`,
    `- Overhead: one formula column (\`key + "!"\`, CEL in process) over an input, keys distinct; computations per cell = ` +
      `\`engine.providerCalls\` ÷ cells. The http variant: one unthrottled http column against a vendor with no latency.`,
    `- Faults: vendor with ${fmtPercent(FAULT_VENDOR.errorRate!)} 500s, ${fmtPercent(FAULT_VENDOR.hangRate!)} hangs, ${FAULT_VENDOR.latencyMs} ms latency ` +
      `and a limit of ${fmtInt(FAULT_VENDOR.rateLimit!.requests)} requests per ${FAULT_VENDOR.rateLimit!.windowMs! / 1000} s window (429 bursts); ` +
      `column \`max_concurrency\` ${s.concurrency}, \`timeout_ms\` ${FAULT_TIMEOUT_MS}, no \`requests_per_minute\`. Attempts are read from the cells. ` +
      `The naive script: \`Promise.all\` over the same keys through \`p-limit\`(${s.concurrency}), fetch with a ${FAULT_TIMEOUT_MS} ms timeout, ` +
      `no retry, no rate limiting, against a fresh vendor with the same settings and seed. ${faultsOf('sqlite')}. ${faultsOf('postgres')}.`,
    `- Dedupe: ${fmtInt(s.dedupeRows)} rows cycling through ${fmtInt(s.dedupeDistinct)} keys, one GET http column (cached by default), ` +
      `vendor latency ${DEDUPE_LATENCY_MS} ms; calls are the vendor's request count (the engine's \`providerCalls\` beside it); the second run ` +
      `is \`mode: 'new'\` on the same engine and table.`,
  ];
}

/** The engine's default `maxInFlight`: cells it holds at once. */
const MAX_IN_FLIGHT = 256;
/** The `timeout_ms` of vendorColumn's http columns, unless a scenario sets its own. */
const DEFAULT_TIMEOUT_MS = 2_000;

/** The event loop's longest stall, when long enough to matter: against the column's timeout. */
function stallFindings(figures: RunFigures, timeoutMs = DEFAULT_TIMEOUT_MS): string[] {
  if (figures.maxStallMs > timeoutMs)
    return [
      `its event loop stalled for up to ${fmtInt(figures.maxStallMs)} ms, longer than the column's ${fmtInt(timeoutMs)} ms ` +
        'timeout, so calls whose answers had already arrived timed out and were made again (see the stall note)',
    ];
  return figures.maxStallMs > 200
    ? [`its event loop stalled for up to ${fmtInt(figures.maxStallMs)} ms`]
    : [];
}

/** What a run's diagnostics say about where its time went, as phrases for a note. */
function findings(figures: RunFigures, timeoutMs = DEFAULT_TIMEOUT_MS): string[] {
  const found: string[] = [];
  if (figures.cpuCores >= 0.85)
    found.push(`the engine's process was CPU-bound (${fmtFraction(figures.cpuCores)} cores)`);
  if (claimsPerCell(figures) > 0.2)
    found.push(
      `${fmtFraction(claimsPerCell(figures))} claim transactions per cell: the engine wakes its pump after every ` +
        'finished cell, and the pump claims the one slot that freed in a transaction of its own; waking it only once ' +
        'a batch’s worth of room is free (e.g. half of `maxInFlight`) would pay that once per batch',
    );
  found.push(...stallFindings(figures, timeoutMs));
  if (figures.peakRunning > 2 * MAX_IN_FLIGHT)
    found.push(
      `${fmtInt(figures.peakRunning)} cells were running at once for ${MAX_IN_FLIGHT} in flight: the engine claims as soon ` +
        'as a cell is computed, before its result is recorded, so unrecorded results pile up (and their leases are not ' +
        'extended); counting them against `maxInFlight` would hold claims back to the pace of recording',
    );
  return found;
}

/** One note per missed goal: the measured reason, and what would close it. */
function missNotes(results: Results): string[] {
  const s = results.settings;
  const notes: string[] = [];
  const miss = (where: string, what: string, why: string[]) =>
    notes.push(`- Missed, ${where}: ${what}${why.length > 0 ? ` — ${why.join('; ')}` : ''}.`);
  for (const kind of STORE_KINDS) {
    const r = results.stores[kind];
    const store = STORE_NAMES[kind];
    if (latencyShare(r, s) < 0.95) {
      const slotMs = (s.concurrency / cellsPerSecond(r.latency.run)) * 1000;
      miss(
        `latency-bound on ${store}`,
        `${fmtFraction(latencyShare(r, s))} of C/L: each of the ${s.concurrency} slots was held ${fmtInt(slotMs)} ms ` +
          `per call for a ${s.latencyMs} ms vendor, the rest being the engine's time to take an answer and start the next call`,
        findings(r.latency.run),
      );
    }
    if (kind === 'sqlite' && cellsPerSecond(r.formula.run) < 10_000)
      miss(`formula overhead on ${store}`, `${fmtInt(cellsPerSecond(r.formula.run))} cells/s`, [
        ...findings(r.formula.run),
        `each claim and each recorded batch pays fixed statements (counters, run status) and a commit; with batches four ` +
          `times larger (the "batches ×4" row) the same run made ${fmtInt(cellsPerSecond(r.formulaLargeBatches.run))} cells/s`,
      ]);
    if (r.formula.run.timedOut)
      miss(`formula overhead on ${store}`, `unfinished after ${fmtSeconds(r.formula.run.seconds)}`, [
        ...findings(r.formula.run),
        `${fmtInt(r.formula.computations)} computations for ${fmtInt(finishedCells(r.formula.run.counts))} finished cells`,
      ]);
    if (faultCompletion(r) < 1)
      miss(`faults on ${store}`, `${fmtPercent(faultCompletion(r))} done`, [
        `failed cells by error: ${JSON.stringify(r.faults.failures)}, attempts up to ${fmtInt(r.faults.maxAttempts)} of ${RETRY.maxAttempts}`,
        ...findings(r.faults.run, FAULT_TIMEOUT_MS),
      ]);
    if (dedupeCalls(r) !== s.dedupeDistinct)
      miss(
        `dedupe on ${store}`,
        `${fmtInt(dedupeCalls(r))} calls for ${fmtInt(s.dedupeDistinct)} inputs, ${fmtInt(r.dedupe.retried)} cells retried on a vendor without faults`,
        stallFindings(r.dedupe.run),
      );
  }
  // The rate-bound runs wait on the vendor, not on the engine: their notes give the vendor's side.
  const vendorSide = (r: RateResult) => [
    `${fmtInt(r.vendor.requests)} requests in ${fmtSeconds(r.run.seconds)}, ${fmtInt(r.wholeRunRpm)}/min over the whole run`,
  ];
  const { configured, unconfigured } = results.rate;
  if (configured.windowShare < 0.97 || configured.vendor.rateLimited > 0)
    miss(
      'rate-bound with R configured',
      `window fill ${fmtFraction(configured.windowShare)}, ${fmtInt(configured.vendor.rateLimited)} 429s`,
      vendorSide(configured),
    );
  if (unconfigured.windowShare < 0.9 || unconfigured429Share(unconfigured) >= 0.02)
    miss(
      'rate-bound without R',
      `window fill ${fmtFraction(unconfigured.windowShare)}, ${fmtPercent(unconfigured429Share(unconfigured))} 429'd`,
      vendorSide(unconfigured),
    );
  return notes;
}

/** Stalls of the engine's event loop over a second, goal or not: while one lasts, nothing else in the process runs. */
function stallNote(results: Results): string[] {
  const stalls = STORE_KINDS.flatMap((kind) =>
    (Object.keys(STORE_SCENARIOS) as StoreScenario[]).flatMap((scenario) => {
      const ms = results.stores[kind][scenario].run.maxStallMs;
      return ms > 1_000 ? [`${scenario} on ${STORE_NAMES[kind]} ${fmtInt(ms)} ms`] : [];
    }),
  );
  if (stalls.length === 0) return [];
  return [
    `- Event-loop stalls over a second: ${stalls.join(', ')}. During one, the engine's process handles no socket and no ` +
      `timer: an answer that has arrived can still time out (a repeated, paid call), and \`enrichbase serve\`'s API, ` +
      `which shares the process, does not answer. A claim, its cache hits and the next claim chain in microtasks and never ` +
      `yield while the store answers synchronously (SQLite); yielding to the event loop (setImmediate) between claims would.`,
  ];
}

function section(results: Results): string {
  return [
    '## Engine',
    '',
    `Command: \`npm run bench:engine\` (bench/engine.ts). Date: ${results.startedAt.toISOString()}. Code: ${results.code}.`,
    '',
    `Machine: ${machineLine(results)}.`,
    '',
    resultsTable(results),
    '',
    ...methodNotes(results),
    ...missNotes(results),
    ...stallNote(results),
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

async function main(settings: Settings): Promise<void> {
  const startedAt = new Date();
  const code = codeVersion();
  console.log(`settings: ${JSON.stringify(settings)}`);
  // The rate variants wait on the vendor's window, nearly idle: together, and before the store
  // scenarios, which are CPU-bound and would be disturbed by anything running beside them.
  const [configured, unconfigured] = await Promise.all(
    RATE_VARIANTS.map((variant) =>
      withLocation('sqlite', (location) =>
        runTask<RateResult>({ role: 'rate', variant, location, settings }),
      ),
    ),
  );
  const rate = { configured: configured!, unconfigured: unconfigured! };
  for (const result of Object.values(rate)) {
    console.log(
      `[rate ${result.variant}] window fill ÷ R ${fmtFraction(result.windowShare)}, ` +
        `${fmtInt(result.vendor.rateLimited)} 429s of ${fmtInt(result.vendor.requests)} requests, ${describeRun(result.run)}`,
    );
  }
  // One store at a time: on 2 cores, running both at once would measure contention.
  const stores = {} as Record<StoreKind, StoreResult>;
  for (const kind of STORE_KINDS) stores[kind] = await measureStore(kind, settings);
  const results: Results = {
    settings,
    stores,
    rate,
    startedAt,
    code,
    loadAverages: STORE_KINDS.flatMap((kind) => stores[kind].loadAverages),
    minutes: (Date.now() - startedAt.getTime()) / 60_000,
  };
  console.log(`\n${resultsTable(results)}\n`);
  writeSection(section(results));
  console.log(`wrote ${path.relative(process.cwd(), BENCHMARKS_FILE)}`);
}

const taskFlag = process.argv.indexOf('--task');
if (taskFlag >= 0) {
  await runChildTask(JSON.parse(process.argv[taskFlag + 1]!) as Task);
} else if (process.argv.includes('--help')) {
  console.log(usage());
} else {
  await main(readSettings(process.argv.slice(2), process.env));
}
