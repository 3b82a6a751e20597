import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  ColumnsCreateInputSchema,
  DataQuerySchema,
  DiscoveryTaskInputSchema,
  RowsCreateInputSchema,
  TableCreateInputSchema,
  TableListQuerySchema,
  TableRunParamsInputSchema,
  UuidSchema,
} from '../api/extruct/schemas.ts';
import {
  EnrichbaseApiError,
  EnrichbaseNetworkError,
  type Column,
  type EnrichbaseClient,
  type Row,
  type Run,
  type Table,
  type TableListItem,
} from '../sdk/index.ts';
import { VERSION } from '../version.ts';

/**
 * The MCP face of Enrichbase: tools to build, fill, run and read tables, and the tables as resources.
 * Everything goes through the typed SDK (`client`), so the server behaves the same in process, over a
 * socket, on stdio or on streamable HTTP, and sees exactly what the key's workspace sees. Tool inputs
 * are the API's own zod schemas (their fields, plus `table_id`), so the tool schemas an agent reads are
 * the API's request bodies.
 */

/** Rows a table resource embeds; beyond it the resource says so and `get_rows` pages the rest. */
export const RESOURCE_ROW_LIMIT = 1000;
/** The most tables the `enrichbase://tables` resource and the resource listing name. */
const RESOURCE_TABLE_LIMIT = 1000;
const DEFAULT_WAIT_SECONDS = 60;
const MAX_WAIT_SECONDS = 600;

const TableId = UuidSchema.describe('Table ID (from list_tables or create_table).');
const RunId = UuidSchema.describe('Run ID (from run_table).');

const TOOL_SCHEMAS = {
  list_tables: {
    search: TableListQuerySchema.shape.search.describe('Part of the table name to look for.'),
    kind: TableListQuerySchema.shape.kind,
    offset: DataQuerySchema.shape.offset,
    limit: DataQuerySchema.shape.limit,
  },
  create_table: TableCreateInputSchema.shape,
  get_table: { table_id: TableId },
  add_rows: { table_id: TableId, ...RowsCreateInputSchema.shape },
  add_columns: { table_id: TableId, ...ColumnsCreateInputSchema.shape },
  run_table: { table_id: TableId, ...TableRunParamsInputSchema.shape },
  wait_for_run: {
    table_id: TableId,
    run_id: RunId,
    timeout_seconds: z
      .number()
      .min(0)
      .max(MAX_WAIT_SECONDS)
      .default(DEFAULT_WAIT_SECONDS)
      .describe('Give up waiting after this long and answer the run as it is (timed_out: true).'),
  },
  get_rows: { table_id: TableId, ...DataQuerySchema.shape },
  cancel_run: { table_id: TableId, run_id: RunId },
  discover_companies: DiscoveryTaskInputSchema.shape,
  get_discovery: {
    task_id: UuidSchema.describe('Discovery task ID (from discover_companies).'),
    limit: DataQuerySchema.shape.limit.describe('How many of the most relevant companies to return.'),
  },
};

/**
 * Builds an MCP server over an Enrichbase client. The caller connects it to a transport.
 *
 * @example
 * const server = createMcpServer(createClient({ baseUrl: 'http://localhost:3000', apiKey: key }));
 * await server.connect(new StdioServerTransport());
 */
export function createMcpServer(client: EnrichbaseClient): McpServer {
  const server = new McpServer(
    { name: 'enrichbase', title: 'Enrichbase', version: VERSION },
    {
      instructions:
        'Enrichbase holds enrichment tables: rows of inputs and computed columns (agent prompts, formulas, http calls). ' +
        'Typical flow: create_table (input columns plus computed ones) → add_rows → run_table → wait_for_run → get_rows. ' +
        'Column keys are snake_case; computed columns refer to other columns as {key} in prompts and by key in formulas.',
    },
  );

  server.registerTool(
    'list_tables',
    {
      title: 'List tables',
      description: "The workspace's tables, newest first: id, name, kind, number of rows.",
      inputSchema: TOOL_SCHEMAS.list_tables,
      annotations: { readOnlyHint: true },
    },
    (args) =>
      answer(async () => {
        const page = await client.tables.listPage(args);
        return { items: page.items.map(tableListEntry), offset: page.offset, limit: page.limit };
      }),
  );

  server.registerTool(
    'create_table',
    {
      title: 'Create a table',
      description:
        'Creates a table with its columns. An input column is {"kind": "input", "name", "key"}; computed kinds include ' +
        'agent ({"value": {"agent_type": "llm", "prompt": "… {key} …", "output_format": "text"}}), formula ' +
        '({"value": {"expression": "CEL over the row\'s keys"}}) and http. Answers the table with its column ids.',
      inputSchema: TOOL_SCHEMAS.create_table,
    },
    (args) => answer(async () => tableSummary(await client.tables.create(args))),
  );

  server.registerTool(
    'get_table',
    {
      title: 'Get a table',
      description:
        "A table's columns (with their configs) and status: rows, cells completed and in progress.",
      inputSchema: TOOL_SCHEMAS.get_table,
      annotations: { readOnlyHint: true },
    },
    ({ table_id }) => answer(async () => tableSummary(await client.tables.get(table_id), true)),
  );

  server.registerTool(
    'add_rows',
    {
      title: 'Add rows',
      description:
        'Adds 1–1000 rows; each row\'s data is keyed by input column key, e.g. {"data": {"company": "Acme"}}. ' +
        'run: true also runs the new rows (mode new). Answers the new row ids.',
      inputSchema: TOOL_SCHEMAS.add_rows,
    },
    ({ table_id, ...input }) =>
      answer(async () => {
        const rows = await client.rows.add(table_id, input);
        return { table_id, added: rows.length, row_ids: rows.map((row) => row.id) };
      }),
  );

  server.registerTool(
    'add_columns',
    {
      title: 'Add columns',
      description:
        'Adds columns to a table (same configs as create_table). Existing rows get queued cells for the new ' +
        'computed columns once the table is run. Answers the new columns with their ids.',
      inputSchema: TOOL_SCHEMAS.add_columns,
    },
    ({ table_id, ...input }) =>
      answer(async () => {
        const columns = await client.columns.add(table_id, input);
        return { table_id, columns: columns.map((column) => columnSummary(column)) };
      }),
  );

  server.registerTool(
    'run_table',
    {
      title: 'Run a table',
      description:
        'Starts a run: mode new (default: cells without values), all (recompute every cell) or failed; ' +
        'optionally only some rows or columns (by id). Answers the run; wait_for_run follows it.',
      inputSchema: TOOL_SCHEMAS.run_table,
    },
    ({ table_id, ...params }) =>
      answer(async () => ({ table_id, ...(await client.tables.run(table_id, params)) })),
  );

  server.registerTool(
    'wait_for_run',
    {
      title: 'Wait for a run',
      description:
        'Waits until the run is over (done, failed or cancelled) or timeout_seconds pass, and answers its status, ' +
        'counts of cells by status, and cost. Read the results with get_rows.',
      inputSchema: TOOL_SCHEMAS.wait_for_run,
      annotations: { readOnlyHint: true },
    },
    ({ table_id, run_id, timeout_seconds }, extra) =>
      answer(async () => {
        const progressToken = extra._meta?.progressToken;
        const onProgress =
          progressToken === undefined
            ? undefined
            : (run: Run) => {
                const { done, failed, skipped, cancelled } = run.counts;
                extra
                  .sendNotification({
                    method: 'notifications/progress',
                    params: {
                      progressToken,
                      progress: done + failed + skipped + cancelled,
                      total: run.num_requested_cells,
                    },
                  })
                  .catch(() => undefined);
              };
        try {
          const run = await client.waitForRun(table_id, run_id, {
            timeoutMs: timeout_seconds * 1000,
            signal: extra.signal,
            onProgress,
          });
          return { table_id, timed_out: false, run: runSummary(run) };
        } catch (error) {
          if (!(error instanceof DOMException && error.name === 'TimeoutError')) throw error;
          const run = await client.runs.get(table_id, run_id);
          return { table_id, timed_out: true, run: runSummary(run) };
        }
      }),
  );

  server.registerTool(
    'get_rows',
    {
      title: 'Get rows',
      description:
        'A page of rows (offset, limit ≤ 100), compact: data maps each column key to its answer; status names the ' +
        'computed cells that are not done (queued, running, failed with its error, skipped with its reason).',
      inputSchema: TOOL_SCHEMAS.get_rows,
      annotations: { readOnlyHint: true },
    },
    ({ table_id, offset, limit }) =>
      answer(async () => {
        const page = await client.tables.data(table_id, { offset, limit });
        return {
          table_id,
          num_rows: page.status.num_rows,
          offset,
          limit,
          rows: page.rows.map(rowCompactor(page.columns)),
        };
      }),
  );

  server.registerTool(
    'discover_companies',
    {
      title: 'Discover companies',
      description:
        'Starts a discovery task: searches for companies matching the query, builds a company table of them and grades each 1–5 on the criteria (inferred from the query when none are given). Answers at once; follow it with get_discovery.',
      inputSchema: TOOL_SCHEMAS.discover_companies,
    },
    (input) => answer(async () => ({ task: await client.discovery.create(input) })),
  );

  server.registerTool(
    'get_discovery',
    {
      title: 'Read a discovery task',
      description:
        "A discovery task's progress (created, in_progress, done, failed; companies found and graded) and its companies, most relevant first, with their grades.",
      inputSchema: TOOL_SCHEMAS.get_discovery,
      annotations: { readOnlyHint: true },
    },
    ({ task_id, limit }) =>
      answer(async () => {
        const results = await client.discovery.results(task_id, { limit });
        return { task: results.task, total: results.total, companies: results.items };
      }),
  );

  server.registerTool(
    'cancel_run',
    {
      title: 'Cancel a run',
      description: 'Cancels a run: its queued cells end cancelled; cells already computing finish.',
      inputSchema: TOOL_SCHEMAS.cancel_run,
      annotations: { idempotentHint: true },
    },
    ({ table_id, run_id }) =>
      answer(async () => ({ table_id, run: runSummary(await client.runs.cancel(table_id, run_id)) })),
  );

  server.registerResource(
    'tables',
    'enrichbase://tables',
    {
      title: 'Tables',
      description: "The workspace's tables: id, name, kind, number of rows.",
      mimeType: 'application/json',
    },
    async (uri) => jsonResource(uri.href, { tables: (await listTables(client)).map(tableListEntry) }),
  );

  server.registerResource(
    'table',
    new ResourceTemplate('enrichbase://tables/{table_id}', {
      list: async () => ({
        resources: (await listTables(client)).map((table) => ({
          uri: tableUri(table.id),
          name: table.name,
          description: `${table.kind} table, ${table.num_rows} rows`,
          mimeType: 'application/json',
        })),
      }),
    }),
    {
      title: 'Table data',
      description: `A table's header (columns, status) and its rows in compact form (the first ${RESOURCE_ROW_LIMIT}).`,
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const tableId = String(variables.table_id);
      const table = await client.tables.get(tableId);
      const compact = rowCompactor(table.columns);
      const rows: CompactRow[] = [];
      for await (const row of client.tables.rows(tableId, { limit: 100 })) {
        if (rows.length === RESOURCE_ROW_LIMIT) break;
        rows.push(compact(row));
      }
      return jsonResource(uri.href, {
        ...tableSummary(table),
        rows,
        ...(table.status.num_rows > rows.length
          ? { rows_truncated: `first ${rows.length} of ${table.status.num_rows} rows; page with get_rows` }
          : {}),
      });
    },
  );

  return server;
}

/** Runs a tool's work: its result as JSON text, an API error as a tool error carrying the API's detail. */
async function answer(work: () => Promise<object>): Promise<CallToolResult> {
  try {
    return { content: [{ type: 'text', text: JSON.stringify(await work(), null, 2) }] };
  } catch (error) {
    if (error instanceof EnrichbaseApiError) {
      const detail = typeof error.detail === 'string' ? error.detail : JSON.stringify(error.detail);
      return {
        isError: true,
        content: [{ type: 'text', text: `Enrichbase answered ${error.status}: ${detail}` }],
      };
    }
    if (error instanceof EnrichbaseNetworkError) {
      return { isError: true, content: [{ type: 'text', text: error.message }] };
    }
    throw error;
  }
}

function jsonResource(uri: string, value: object): ReadResourceResult {
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] };
}

function tableUri(tableId: string): string {
  return `enrichbase://tables/${tableId}`;
}

async function listTables(client: EnrichbaseClient): Promise<TableListItem[]> {
  const tables: TableListItem[] = [];
  for await (const table of client.tables.list({ limit: 100 })) {
    tables.push(table);
    if (tables.length === RESOURCE_TABLE_LIMIT) break;
  }
  return tables;
}

function tableListEntry(table: TableListItem) {
  return {
    id: table.id,
    name: table.name,
    kind: table.kind,
    num_rows: table.num_rows,
    description: table.description,
    tags: table.tags,
    created_at: table.created_at,
  };
}

function columnSummary(column: Column, withConfig = false) {
  const { kind, key, name } = column.config;
  return { id: column.id, key, name, kind, ...(withConfig ? { config: column.config } : {}) };
}

function tableSummary(table: Table, withConfigs = false) {
  return {
    id: table.id,
    name: table.name,
    kind: table.kind,
    description: table.description,
    tags: table.tags,
    columns: table.columns.map((column) => columnSummary(column, withConfigs)),
    status: table.status,
    resource: tableUri(table.id),
  };
}

function runSummary(run: Run) {
  const { id, status, mode, counts, cost, num_requested_cells, created_at, finished_at } = run;
  return { id, status, mode, num_requested_cells, counts, cost, created_at, finished_at };
}

interface CompactRow {
  id: string;
  data: Record<string, unknown>;
  status?: Record<string, string>;
}

/**
 * A row as an agent reads it: `data` maps keys to answers; computed cells that are not done say why in
 * `status` (`not_run` when the column was never run on the row).
 */
function rowCompactor(columns: Column[]): (row: Row) => CompactRow {
  const computed = new Set(
    columns.filter((column) => column.config.kind !== 'input').map((column) => column.config.key),
  );
  return (row) => {
    const data: Record<string, unknown> = {};
    const status: Record<string, string> = {};
    for (const [key, cell] of Object.entries(row.data)) {
      data[key] = cell?.value?.answer ?? null;
      if (!computed.has(key) || cell?.status === 'done') continue;
      if (!cell) {
        status[key] = 'not_run';
        continue;
      }
      const why = cell.error?.message ?? cell.reason;
      status[key] = why ? `${cell.status}: ${why}` : cell.status;
    }
    return { id: row.id, data, ...(Object.keys(status).length > 0 ? { status } : {}) };
  };
}
