import { tableEvents, type ExtructApi } from './extruct.ts';
import type { Transport } from './transport.ts';
import type { Run, RunStatus, Table, TableStatus } from './types.ts';

/** Options of `waitForRun` and `waitForTable`. */
export interface WaitOptions<Progress> {
  /** Stops waiting: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Gives up after this long: the promise rejects with a `TimeoutError` DOMException. */
  timeoutMs?: number;
  /** Time between two reads when no event arrives (default 1000). */
  pollIntervalMs?: number;
  /** Listen to the table's event stream to read again at once on a change (default true). */
  events?: boolean;
  /** Called after every read, with what it read (a progress bar draws from it). */
  onProgress?: (progress: Progress) => void;
}

/** Whether a run is over; a new status breaks the compile here until it is classified. */
const RUN_IS_FINISHED: Record<RunStatus, boolean> = {
  created: false,
  in_progress: false,
  done: true,
  failed: true,
  cancelled: true,
};

/** Seed 003's rule: a table's execution is complete when `run_status=idle` and `num_cells_in_progress=0`. */
export function isTableRunComplete(status: TableStatus): boolean {
  return status.run_status === 'idle' && status.num_cells_in_progress === 0;
}

export function waitForRun(
  transport: Transport,
  api: ExtructApi,
  tableId: string,
  runId: string,
  options: WaitOptions<Run> = {},
): Promise<Run> {
  return waitUntil(transport, tableId, options, async (signal) => {
    const run = await api.runs.get(tableId, runId, { signal });
    options.onProgress?.(run);
    return RUN_IS_FINISHED[run.status] ? run : undefined;
  });
}

export function waitForTable(
  transport: Transport,
  api: ExtructApi,
  tableId: string,
  options: WaitOptions<TableStatus> = {},
): Promise<Table> {
  return waitUntil(transport, tableId, options, async (signal) => {
    const table = await api.tables.get(tableId, { signal });
    options.onProgress?.(table.status);
    return isTableRunComplete(table.status) ? table : undefined;
  });
}

/** Reads until `read` gives a result: every `pollIntervalMs`, and at once when the table changes. */
async function waitUntil<T>(
  transport: Transport,
  tableId: string,
  options: WaitOptions<never>,
  read: (signal: AbortSignal) => Promise<T | undefined>,
): Promise<T> {
  const done = new AbortController();
  const signal = AbortSignal.any([
    done.signal,
    ...(options.signal ? [options.signal] : []),
    ...(options.timeoutMs === undefined ? [] : [AbortSignal.timeout(options.timeoutMs)]),
  ]);
  const wake = new Wake();
  const listening = options.events === false ? undefined : listen(transport, tableId, signal, wake);
  try {
    for (;;) {
      const result = await read(signal);
      if (result !== undefined) return result;
      await wake.wait(options.pollIntervalMs ?? 1000, signal);
    }
  } finally {
    done.abort();
    await listening;
  }
}

/** Wakes the waiter on every table event; any failure leaves the waiter to its polling. */
async function listen(transport: Transport, tableId: string, signal: AbortSignal, wake: Wake): Promise<void> {
  try {
    // Changes made before the stream opened were missed: read again once it is open.
    for await (const _event of tableEvents(transport, tableId, { signal }, () => wake.wake())) wake.wake();
  } catch {
    // The stream is an optimisation; polling carries on without it.
  }
}

/** A pause that ends early when woken; a wake while nobody waits ends the next pause at once. */
class Wake {
  #pending = false;
  #resolve: (() => void) | undefined;

  wake(): void {
    if (this.#resolve) this.#resolve();
    else this.#pending = true;
  }

  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const finish = (error?: Error) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#resolve = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = () => finish(signal.reason as Error);
      const timer = setTimeout(() => finish(), ms);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#resolve = () => finish();
    });
  }
}
