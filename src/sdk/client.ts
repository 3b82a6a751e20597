import { createDatabarApi } from './databar.ts';
import { createExtructApi } from './extruct.ts';
import { retryPolicy, type RetryOptions } from './retry.ts';
import { Transport, type FetchLike } from './transport.ts';
import type { Run, TableStatus } from './types.ts';
import { waitForRun, waitForTable, type WaitOptions } from './wait.ts';

export interface ClientOptions {
  /** Where the server answers, e.g. `http://localhost:3000` (a path prefix is kept). */
  baseUrl: string;
  /** A workspace key: sent as a Bearer token on Extruct paths and as `x-apikey` on Databar paths. */
  apiKey: string;
  /** Defaults to the global `fetch`, looked up at each call. */
  fetch?: FetchLike;
  /** Retries of idempotent calls on 429, 5xx and network errors; `false` turns them off. */
  retry?: RetryOptions | false;
}

/**
 * A typed client of an Enrichbase server, both dialects: the Extruct one at the top level
 * (`tables`, `rows`, `columns`, `runs`), the Databar one under `databar`. Types come from the
 * server's own schemas; errors are `EnrichbaseApiError` (with the API's `detail`) or
 * `EnrichbaseNetworkError`. Idempotent calls (GET, PUT, DELETE, and the few POST/PATCH that are)
 * are retried on 429/5xx with backoff, honouring `Retry-After`.
 *
 * @example
 * const client = createClient({ baseUrl: 'http://localhost:3000', apiKey: process.env.ENRICHBASE_KEY! });
 * const table = await client.tables.create({
 *   name: 'Leads',
 *   column_configs: [
 *     { kind: 'input', name: 'Company', key: 'company' },
 *     {
 *       kind: 'agent',
 *       name: 'Summary',
 *       key: 'summary',
 *       value: { agent_type: 'llm', prompt: 'What does {company} sell?', output_format: 'text' },
 *     },
 *   ],
 * });
 * await client.rows.add(table.id, { rows: [{ data: { company: 'Acme' } }] });
 * const run = await client.tables.run(table.id);
 * await client.waitForRun(table.id, run.id, { onProgress: (r) => console.log(r.counts) });
 * for await (const row of client.tables.rows(table.id)) console.log(row.data.summary?.value?.answer);
 */
export function createClient(options: ClientOptions) {
  const transport = new Transport({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    retry: retryPolicy(options.retry),
  });
  const extruct = createExtructApi(transport);
  const { connections, ...databar } = createDatabarApi(transport);
  return {
    ...extruct,
    databar,
    /** ext: the workspace's vendor keys (`/v1/connections`, `x-apikey`). */
    connections,
    /**
     * Resolves with the run once it is over (`done`, `failed` or `cancelled`), reading
     * `GET /v1/tables/{id}/runs/{run_id}` on each table event and every `pollIntervalMs`.
     */
    waitForRun: (tableId: string, runId: string, waitOptions?: WaitOptions<Run>) =>
      waitForRun(transport, extruct, tableId, runId, waitOptions),
    /**
     * Resolves with the table once seed 003 calls its execution complete (`run_status=idle`,
     * `num_cells_in_progress=0`), reading `GET /v1/tables/{id}` on each event and every `pollIntervalMs`.
     */
    waitForTable: (tableId: string, waitOptions?: WaitOptions<TableStatus>) =>
      waitForTable(transport, extruct, tableId, waitOptions),
  };
}

export type EnrichbaseClient = ReturnType<typeof createClient>;
