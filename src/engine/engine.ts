import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Run } from '../domain/runs.ts';
import { LimiterRegistry, ProviderTrippedError, type Permit, type ProviderLimiter } from './limiter.ts';
import type {
  CachedResult,
  CellOutcome,
  CellRef,
  CellResult,
  ClaimedCell,
  Clock,
  PreparedCall,
  ProviderError,
  ProviderRegistry,
  ProviderResult,
  RunRequest,
  Store,
  Usage,
} from './ports.ts';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retry.ts';

/**
 * The run engine: claims cells from the store in batches under a lease, computes them through
 * providers (behind per-provider limits, the result cache and single-flight), retries with backoff,
 * heartbeats its leases, sweeps expired ones, and records results in fenced batches. Several engines
 * (processes) may share one store: the store's claim is the only coordination.
 */
export interface EngineOptions {
  workerId?: string;
  leaseMs?: number;
  heartbeatMs?: number;
  sweepIntervalMs?: number;
  /** How often an idle engine looks for work other processes queued. */
  pollIntervalMs?: number;
  /** Cells held at once (in flight or waiting for a provider slot). */
  maxInFlight?: number;
  claimBatch?: number;
  flushBatch?: number;
  flushIntervalMs?: number;
  retry?: RetryPolicy;
  cacheTtlMs?: number;
  /** How long `stop()` waits for cells in flight before releasing them. */
  shutdownTimeoutMs?: number;
  random?: () => number;
}

export interface EngineDeps {
  store: Store;
  providers: ProviderRegistry;
  clock: Clock;
  logger: Logger;
  options?: EngineOptions;
}

const DEFAULTS = {
  leaseMs: 30_000,
  sweepIntervalMs: 5_000,
  pollIntervalMs: 1_000,
  maxInFlight: 256,
  claimBatch: 128,
  flushBatch: 128,
  flushIntervalMs: 20,
  cacheTtlMs: 30 * 24 * 60 * 60 * 1000,
  shutdownTimeoutMs: 10_000,
} as const;

interface InFlight {
  cell: ClaimedCell;
  abort: AbortController;
}

interface PlannedCall {
  prepared: Extract<PreparedCall, { kind: 'call' }>;
  cacheKey: string | undefined;
  limiter: ProviderLimiter;
}

/** Results kept in memory between a call's end and its cache write. */
const RECENT_RESULTS = 10_000;

export class Engine {
  readonly workerId: string;
  readonly limiters: LimiterRegistry;
  readonly #store: Store;
  readonly #providers: ProviderRegistry;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #options: Required<Omit<EngineOptions, 'workerId' | 'random'>> & { random: () => number };
  readonly #inFlight = new Map<string, InFlight>();
  readonly #singleFlight = new Map<string, Promise<ProviderResult>>();
  /** Results not yet surely in the cache table (they are written with their cell). */
  readonly #recent = new Map<string, CachedResult>();
  #results: CellResult[] = [];
  #flushing: Promise<void> | undefined;
  #flushTimer: Promise<void> | undefined;
  #wake: AbortController = new AbortController();
  #stopping: AbortController = new AbortController();
  #queueDrained = false;
  #loops: Promise<void>[] = [];
  /** Provider calls made (cache hits and shared single-flight calls excluded), for tests and benchmarks. */
  providerCalls = 0;

  constructor(deps: EngineDeps) {
    const options = deps.options ?? {};
    this.workerId = options.workerId ?? `worker-${randomUUID()}`;
    this.#store = deps.store;
    this.#providers = deps.providers;
    this.#clock = deps.clock;
    this.#logger = deps.logger.child({ workerId: this.workerId });
    const leaseMs = options.leaseMs ?? DEFAULTS.leaseMs;
    this.#options = {
      ...DEFAULTS,
      retry: DEFAULT_RETRY_POLICY,
      heartbeatMs: Math.max(50, Math.floor(leaseMs / 3)),
      random: Math.random,
      ...stripUndefined(options),
      leaseMs,
    };
    this.limiters = new LimiterRegistry(deps.clock);
  }

  // ── what the API calls ─────────────────────────────────────────────────────────────────

  /** Plans a run and wakes the workers. */
  async startRun(workspaceId: string, tableId: string, request: RunRequest): Promise<Run> {
    const run = await this.#store.planRun(workspaceId, tableId, request);
    if (run.numRequestedCells > 0) this.wake();
    return run;
  }

  /** Cancels a run and aborts its cells in flight here (other processes lose their leases). */
  async cancelRun(workspaceId: string, tableId: string, runId: string): Promise<Run> {
    const run = await this.#store.cancelRun(workspaceId, tableId, runId);
    for (const entry of this.#inFlight.values()) {
      if (entry.cell.runId === runId) entry.abort.abort(new Error('run cancelled'));
    }
    return run;
  }

  /**
   * Launch strategies: rows written to a table queue the cells that should follow them — every
   * computed cell of new rows when the table's `auto_run` setting is on, and the cells of enrichments
   * and waterfalls launched `run_on_update`. Mode `new` queues only cells without a current value
   * (never computed, or made stale by the change), so repeated writes never pile up duplicate work.
   */
  async onRowsWritten(
    workspaceId: string,
    tableId: string,
    rowIds: string[],
    change: 'inserted' | 'updated',
  ): Promise<void> {
    if (rowIds.length === 0) return;
    const { table, columns } = await this.#store.getTable(workspaceId, tableId);
    if (change === 'inserted' && table.settings.auto_run === true) {
      await this.startRun(workspaceId, tableId, { mode: 'new', rowIds, columnIds: null });
      return;
    }
    const launched = columns.filter(
      (column) =>
        (column.config.kind === 'enrichment' || column.config.kind === 'waterfall') &&
        column.config.value.launch_strategy === 'run_on_update',
    );
    if (launched.length === 0) return;
    const keys = new Set(launched.map((column) => column.config.key));
    const columnIds = columns
      .filter(
        (column) =>
          keys.has(column.config.key) ||
          (column.config.kind === 'enrichment_field' && keys.has(column.config.value.source)),
      )
      .map((column) => column.id);
    await this.startRun(workspaceId, tableId, { mode: 'new', rowIds, columnIds });
  }

  /** New work may be claimable (a run planned, results recorded, leases swept). */
  wake(): void {
    this.#queueDrained = false;
    this.#wake.abort();
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────

  start(): void {
    if (this.#loops.length > 0) return;
    this.#stopping = new AbortController();
    this.#loops = [this.#pumpLoop(), this.#heartbeatLoop(), this.#sweepLoop()].map((loop) =>
      loop.catch((error: unknown) => this.#logger.error({ err: error }, 'engine loop crashed')),
    );
  }

  /** Stops claiming, waits (bounded) for cells in flight, then releases the rest to the queue. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.wake();
    const deadline = this.#clock.now() + this.#options.shutdownTimeoutMs;
    while (this.#inFlight.size > 0 && this.#clock.now() < deadline) {
      await Promise.race([this.#settled(), sleepReal(50)]);
    }
    const abandoned = [...this.#inFlight.values()];
    for (const entry of abandoned) entry.abort.abort(new Error('worker stopping'));
    this.#inFlight.clear();
    this.#results.push(
      ...abandoned.map((entry) => ({
        ...refOf(entry.cell),
        outcome: {
          status: 'retry' as const,
          availableAt: this.#clock.now(),
          error: { type: 'interrupted', message: 'The worker stopped before finishing this cell' },
        },
      })),
    );
    await this.#flush();
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  /**
   * Works until nothing is claimable and nothing is in flight. With a fake clock, `advanceClock`
   * is asked to move time to the next retry's due time.
   */
  async drain(options: { advanceClock?: (to: number) => void; maxRounds?: number } = {}): Promise<void> {
    // An engine stopped earlier (its loops gone) may still be drained by hand.
    if (this.#loops.length === 0 && this.#stopping.signal.aborted) this.#stopping = new AbortController();
    for (let round = 0; round < (options.maxRounds ?? 10_000); round += 1) {
      const claimed = await this.#claim();
      if (claimed === 0 && this.#inFlight.size === 0) {
        await this.#flush();
        const due = await this.#store.nextDueAt();
        if (due === undefined) return;
        if (due > this.#clock.now()) {
          if (options.advanceClock) options.advanceClock(due);
          else await this.#clock.sleep(due - this.#clock.now());
        }
        continue;
      }
      await this.#settled();
      await this.#flush();
    }
    throw new Error('drain did not finish');
  }

  // ── the loops ──────────────────────────────────────────────────────────────────────────

  async #pumpLoop(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      let claimed = 0;
      try {
        claimed = await this.#claim();
      } catch (error) {
        this.#logger.error({ err: error }, 'claim failed');
      }
      const busy = this.#inFlight.size > 0;
      if (claimed > 0 && !busy) continue;
      const wake = this.#wake;
      if (wake.signal.aborted) {
        this.#wake = new AbortController();
        continue;
      }
      // With cells in flight, their completion wakes the loop; idle, the next due retry does.
      const due = busy ? undefined : await this.#store.nextDueAt().catch(() => undefined);
      const idleMs = Math.min(
        this.#options.pollIntervalMs,
        due === undefined ? Infinity : Math.max(1, due - this.#clock.now()),
      );
      await this.#clock.sleep(idleMs, AbortSignal.any([wake.signal, this.#stopping.signal]));
      if (wake.signal.aborted) this.#wake = new AbortController();
    }
  }

  async #heartbeatLoop(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      await this.#clock.sleep(this.#options.heartbeatMs, this.#stopping.signal);
      if (this.#inFlight.size === 0) continue;
      try {
        const lost = await this.#store.extendLeases(
          this.workerId,
          [...this.#inFlight.values()].map((entry) => refOf(entry.cell)),
          this.#options.leaseMs,
        );
        for (const ref of lost) this.#inFlight.get(keyOf(ref))?.abort.abort(new Error('lease lost'));
      } catch (error) {
        this.#logger.warn({ err: error }, 'heartbeat failed');
      }
    }
  }

  async #sweepLoop(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      try {
        if ((await this.#store.releaseExpiredLeases()) > 0) this.wake();
      } catch (error) {
        this.#logger.warn({ err: error }, 'lease sweep failed');
      }
      await this.#clock.sleep(this.#options.sweepIntervalMs, this.#stopping.signal);
    }
  }

  /**
   * Claims what fits, decides each cell (skip, fail, or call), answers the calls it can from the cache
   * in one read per batch, and starts the rest. Returns how many cells were claimed.
   */
  async #claim(): Promise<number> {
    const room = Math.min(this.#options.claimBatch, this.#options.maxInFlight - this.#inFlight.size);
    // Small claims cost a transaction each for little work: wait for room unless idle.
    const worthClaiming =
      this.#inFlight.size === 0 || room >= Math.min(this.#options.claimBatch, this.#options.maxInFlight / 2);
    if (room <= 0 || !worthClaiming || this.#stopping.signal.aborted) return 0;
    const cells = await this.#store.claimCells(this.workerId, room, this.#options.leaseMs);
    // Fewer than asked: the queue is empty for now; finishing cells alone will not refill it.
    if (cells.length < room) this.#queueDrained = true;
    const calls: { entry: InFlight; call: PlannedCall }[] = [];
    for (const cell of cells) {
      const entry: InFlight = { cell, abort: new AbortController() };
      this.#inFlight.set(keyOf(cell), entry);
      const plan = this.#plan(cell);
      if ('outcome' in plan) this.#finish(entry, plan.outcome);
      else calls.push({ entry, call: plan });
    }
    const hits = await this.#lookupCache(calls);
    for (const { entry, call } of calls) {
      const hit = hits.get(entry);
      if (hit) {
        this.#finish(entry, {
          status: 'done',
          value: hit.value,
          cost: 0,
          usage: { ...hit.usage, cached: true },
          cacheKey: call.cacheKey,
        });
      } else {
        void this.#run(entry, call);
      }
    }
    return cells.length;
  }

  #settledWaiters: (() => void)[] = [];
  /** Resolves when some cell in flight finishes. */
  #settled(): Promise<void> {
    if (this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push(resolve));
  }

  async #run(entry: InFlight, call: PlannedCall): Promise<void> {
    let outcome: CellOutcome;
    try {
      outcome = await this.#execute(entry.cell, call, entry.abort.signal);
    } catch (error) {
      this.#logger.error({ err: error, cell: keyOf(entry.cell) }, 'cell computation crashed');
      outcome = {
        status: 'failed',
        error: { type: 'internal_error', message: 'Enrichbase failed to compute this cell' },
      };
    }
    this.#finish(entry, outcome);
  }

  /** A cell's computation ended: record its result, unless it was taken away meanwhile (cancelled, lease lost). */
  #finish(entry: InFlight, outcome: CellOutcome): void {
    if (this.#inFlight.get(keyOf(entry.cell)) === entry) {
      this.#inFlight.delete(keyOf(entry.cell));
      if (!entry.abort.signal.aborted) this.#push({ ...refOf(entry.cell), outcome });
    }
    for (const waiter of this.#settledWaiters.splice(0)) waiter();
    // Claim again once half the room is free, not after every cell: a claim is a transaction, and
    // one per finished cell would starve the result flushes of the database.
    if (this.#inFlight.size <= this.#options.maxInFlight / 2 && !this.#queueDrained) this.#wake.abort();
  }

  #push(result: CellResult): void {
    this.#results.push(result);
    if (this.#results.length >= this.#options.flushBatch) void this.#flush();
    // Batching I/O is a matter of real time, whatever clock the engine's logic runs on.
    else
      this.#flushTimer ??= sleepReal(this.#options.flushIntervalMs).then(() => {
        this.#flushTimer = undefined;
        return this.#flush();
      });
  }

  /** Records buffered results (one flush at a time); on a store error they stay buffered for the next. */
  async #flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#results.length === 0) return;
    const batch = this.#results;
    this.#results = [];
    this.#flushing = this.#store
      .completeCells(batch)
      .then(({ applied }) => {
        if (applied > 0) this.wake();
      })
      .catch((error: unknown) => {
        this.#logger.error({ err: error, cells: batch.length }, 'recording results failed; will retry');
        this.#results.unshift(...batch);
      })
      .finally(() => {
        this.#flushing = undefined;
      });
    await this.#flushing;
  }

  // ── computing one cell ─────────────────────────────────────────────────────────────────

  /** What to do with a claimed cell, decided without I/O: an outcome now, or a provider call. */
  #plan(cell: ClaimedCell): { outcome: CellOutcome } | PlannedCall {
    const policy = this.#options.retry;
    if (cell.attempt > policy.maxAttempts) {
      return {
        outcome: fail(
          'attempts_exhausted',
          `Gave up after ${policy.maxAttempts} attempts (the worker computing it was lost)`,
        ),
      };
    }
    const provider = this.#providers.forColumn(cell.column);
    if (!provider) {
      return {
        outcome: fail(
          'unsupported_column',
          `No provider can compute '${cell.column.config.kind}' columns on this server yet`,
        ),
      };
    }
    const prepared = provider.prepare({
      column: cell.column,
      tableKind: cell.tableKind,
      values: cell.values,
      workspaceId: cell.workspaceId,
      tableId: cell.tableId,
      rowId: cell.rowId,
      parentValues: cell.parentValues,
    });
    if (prepared.kind === 'skip') {
      return {
        outcome: {
          status: 'skipped',
          reason: prepared.reason,
          error: { type: prepared.reason, message: prepared.message },
        },
      };
    }
    if (prepared.kind === 'fail') return { outcome: fail(prepared.error.kind, prepared.error.message) };
    const cacheKey = prepared.cacheKey
      ? createHash('sha256').update(`${provider.name}\u0000${prepared.cacheKey}`).digest('hex')
      : undefined;
    return { prepared, cacheKey, limiter: this.limiters.get(prepared.limiterKey, prepared.limits) };
  }

  /** Cached results for a batch of calls: recent ones from memory, the rest in one read per workspace. */
  async #lookupCache(calls: { entry: InFlight; call: PlannedCall }[]): Promise<Map<InFlight, CachedResult>> {
    const hits = new Map<InFlight, CachedResult>();
    const pending = new Map<
      string,
      { workspaceId: string; notBefore: number | undefined; keys: Map<string, InFlight[]> }
    >();
    for (const { entry, call } of calls) {
      if (!call.cacheKey) continue;
      const recent = this.#recent.get(flightKeyOf(entry.cell, call.cacheKey));
      if (recent) {
        hits.set(entry, recent);
        continue;
      }
      const group = `${entry.cell.workspaceId}/${entry.cell.cacheNotBefore ?? ''}`;
      const bucket = pending.get(group) ?? {
        workspaceId: entry.cell.workspaceId,
        notBefore: entry.cell.cacheNotBefore,
        keys: new Map<string, InFlight[]>(),
      };
      bucket.keys.set(call.cacheKey, [...(bucket.keys.get(call.cacheKey) ?? []), entry]);
      pending.set(group, bucket);
    }
    for (const bucket of pending.values()) {
      try {
        const found = await this.#store.getCachedResults(
          bucket.workspaceId,
          [...bucket.keys.keys()],
          bucket.notBefore,
        );
        for (const [key, result] of found)
          for (const entry of bucket.keys.get(key) ?? []) hits.set(entry, result);
      } catch (error) {
        this.#logger.warn({ err: error }, 'reading the result cache failed; computing instead');
      }
    }
    return hits;
  }

  /**
   * Calls the provider, sharing identical calls in flight (single-flight). A result is remembered
   * until its cache entry is surely written (it is written with the cell, at the next flush).
   */
  async #execute(cell: ClaimedCell, call: PlannedCall, signal: AbortSignal): Promise<CellOutcome> {
    const { prepared, cacheKey, limiter } = call;
    if (!cacheKey) {
      const result = await this.#callProvider(limiter, prepared, signal);
      return result.ok
        ? { status: 'done', value: result.value, cost: result.cost ?? 0, usage: result.usage }
        : this.#outcomeOfError(cell, result.error, result.cost ?? 0);
    }
    const flightKey = flightKeyOf(cell, cacheKey);
    const shared = this.#singleFlight.get(flightKey) ?? this.#recentResult(flightKey);
    if (shared) {
      const result = await shared;
      if (result.ok) {
        return {
          status: 'done',
          value: result.value,
          cost: 0,
          usage: { ...result.usage, cached: true },
          cacheKey,
        };
      }
      return this.#outcomeOfError(cell, result.error, 0);
    }
    const flight = this.#callProvider(limiter, prepared, signal);
    this.#singleFlight.set(flightKey, flight);
    let result: ProviderResult;
    try {
      result = await flight;
    } finally {
      this.#singleFlight.delete(flightKey);
    }
    if (!result.ok) return this.#outcomeOfError(cell, result.error, result.cost ?? 0);
    const now = this.#clock.now();
    this.#remember(flightKey, { value: result.value, cost: result.cost ?? 0, usage: result.usage ?? null });
    return {
      status: 'done',
      value: result.value,
      cost: result.cost ?? 0,
      usage: result.usage,
      cacheKey,
      cacheEntry: {
        workspaceId: cell.workspaceId,
        cost: result.cost ?? 0,
        createdAt: now,
        expiresAt: now + this.#options.cacheTtlMs,
      },
    };
  }

  #recentResult(flightKey: string): Promise<ProviderResult> | undefined {
    const recent = this.#recent.get(flightKey);
    return (
      recent &&
      Promise.resolve({ ok: true, value: recent.value, cost: recent.cost, usage: recent.usage ?? undefined })
    );
  }

  #remember(flightKey: string, result: CachedResult): void {
    if (this.#options.cacheTtlMs <= 0) return;
    this.#recent.delete(flightKey);
    this.#recent.set(flightKey, result);
    if (this.#recent.size > RECENT_RESULTS) this.#recent.delete(this.#recent.keys().next().value!);
  }

  async #callProvider(
    limiter: ProviderLimiter,
    prepared: Extract<PreparedCall, { kind: 'call' }>,
    signal: AbortSignal,
  ): Promise<ProviderResult> {
    let permit;
    try {
      permit = await limiter.acquire(signal, prepared.estimatedTokens ?? 0);
    } catch (error) {
      if (error instanceof ProviderTrippedError) return { ok: false, error: error.providerError };
      throw error;
    }
    this.providerCalls += 1;
    let result: ProviderResult;
    try {
      result = await prepared.execute({
        signal,
        limited: (key, limits, work) => this.#limited(this.limiters.get(key, limits), signal, work),
      });
    } catch (error) {
      result = {
        ok: false,
        error: { kind: 'retryable', message: `Provider call failed: ${(error as Error).message}` },
      };
    }
    permit.release(releaseOutcome(result));
    return result;
  }

  /** A call made inside another (a waterfall's step) under its own provider's limiter as well. */
  async #limited<Result extends { ok: true } | { ok: false; error: ProviderError }>(
    limiter: ProviderLimiter,
    signal: AbortSignal,
    work: () => Promise<Result>,
  ): Promise<Result | { ok: false; error: ProviderError }> {
    let permit;
    try {
      permit = await limiter.acquire(signal);
    } catch (error) {
      if (error instanceof ProviderTrippedError) return { ok: false, error: error.providerError };
      throw error;
    }
    let result: Result | undefined;
    try {
      result = await work();
      return result;
    } finally {
      permit.release(result ? releaseOutcome(result) : {});
    }
  }

  #outcomeOfError(cell: ClaimedCell, error: ProviderError, cost: number): CellOutcome {
    switch (error.kind) {
      case 'auth':
        return { status: 'failed', error: { type: 'auth', message: error.message }, cost };
      case 'non_retryable':
        return { status: 'failed', error: { type: 'provider_error', message: error.message }, cost };
      case 'rate_limited':
      case 'retryable': {
        const type = error.kind === 'rate_limited' ? 'rate_limited' : 'provider_error';
        if (cell.attempt >= this.#options.retry.maxAttempts) {
          return {
            status: 'failed',
            error: { type, message: `${error.message} (after ${cell.attempt} attempts)` },
            cost,
          };
        }
        const delay = retryDelayMs(
          cell.attempt,
          this.#options.retry,
          error.retryAfterMs,
          this.#options.random,
        );
        return {
          status: 'retry',
          availableAt: this.#clock.now() + delay,
          error: { type, message: error.message },
          cost,
        };
      }
    }
  }
}

function fail(type: string, message: string): CellOutcome {
  return { status: 'failed', error: { type, message } };
}

/** Identical work, as the cache sees it: same workspace, same key, same freshness demand. */
function flightKeyOf(cell: ClaimedCell, cacheKey: string): string {
  return `${cell.workspaceId}/${cacheKey}/${cell.cacheNotBefore ?? 0}`;
}

function keyOf(ref: { rowId: string; columnId: string }): string {
  return `${ref.rowId}/${ref.columnId}`;
}

function refOf(cell: ClaimedCell): CellRef {
  return { rowId: cell.rowId, columnId: cell.columnId, fence: cell.fence };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** Shutdown polls in real time: the process is leaving whatever the injected clock says. */
function sleepReal(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What a limiter learns from a call's result: 429s and Retry-After, tokens used, refused credentials. */
function releaseOutcome(
  result: { ok: true; usage?: Usage } | { ok: false; error: ProviderError },
): Parameters<Permit['release']>[0] {
  if (result.ok) {
    const usage = result.usage;
    return { tokensUsed: usage ? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0) : undefined };
  }
  return {
    rateLimited: result.error.kind === 'rate_limited',
    retryAfterMs: result.error.retryAfterMs,
    refused: result.error.kind === 'auth' ? result.error : undefined,
  };
}
