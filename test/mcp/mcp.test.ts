import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateFormula } from '../../src/domain/formula.ts';
import { RUN_MODES } from '../../src/domain/runs.ts';
import { useTestApi } from '../fixtures/app.ts';
import { listenOnLoopback } from '../fixtures/fake-http.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';
import { listen, type Listening } from '../sdk/listen.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/enrichbase.js');
const UNKNOWN_ID = '0190f1a2-0000-7000-8000-000000000000';
const LABEL = 'company + " (" + domain + ")"';

const TOOLS = [
  'list_tables',
  'create_table',
  'get_table',
  'add_rows',
  'add_columns',
  'run_table',
  'wait_for_run',
  'get_rows',
  'cancel_run',
  'discover_companies',
  'get_discovery',
];

/** A tool's answer: its JSON text parsed, and whether it is a tool error. */
async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as { type: string; text: string }[];
  expect(content[0]?.type).toBe('text');
  const text = content[0]!.text;
  if (result.isError) return { isError: true as const, text, json: undefined as any };
  return { isError: false as const, text, json: JSON.parse(text) };
}

describe.each(STORE_KINDS)('MCP server on %s', (kind) => {
  const api = useTestApi(kind);
  let server: Listening;
  beforeAll(async () => {
    server = await listen(api().http);
    // The server computes runs as `enrichbase serve` does.
    api().engine.start();
  });
  afterAll(async () => {
    await api().engine.stop();
    await server?.close();
  });

  describe('over stdio (`enrichbase mcp --url --key`)', () => {
    let client: Client;
    let stderr = '';
    const clientErrors: Error[] = [];
    beforeAll(async () => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'mcp', '--url', server.url, '--key', api().key],
        env: Object.fromEntries(
          Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
        ),
        stderr: 'pipe',
      });
      transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      client = new Client({ name: 'enrichbase-test', version: '0.0.0' });
      // A line on stdout that is not protocol would arrive here as a parse error.
      client.onerror = (error) => clientErrors.push(error);
      await client.connect(transport);
    });
    afterAll(async () => {
      await client?.close();
    });

    it('lists every tool with its input schema taken from the API schemas', async () => {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual([...TOOLS].sort());
      const byName = new Map(tools.map((tool) => [tool.name, tool]));
      for (const tool of tools) {
        expect(tool.inputSchema.type).toBe('object');
        expect(tool.description).toBeTruthy();
      }
      const create = byName.get('create_table')!.inputSchema as any;
      expect(Object.keys(create.properties)).toEqual(
        expect.arrayContaining(['name', 'kind', 'column_configs']),
      );
      // The column configs are the API's discriminated union, formula and http kinds included.
      const definitions = JSON.stringify(create.definitions ?? create.$defs);
      expect(definitions).toContain('FormulaColumnConfig');
      expect(definitions).toContain('AgentColumnConfig');
      const run = byName.get('run_table')!.inputSchema as any;
      expect(run.required).toEqual(['table_id']);
      expect(run.definitions.TableRunExecutionMode.enum).toEqual([...RUN_MODES]);
      expect(byName.get('add_rows')!.inputSchema.required).toEqual(['table_id', 'rows']);
      expect(byName.get('wait_for_run')!.inputSchema.properties).toHaveProperty('timeout_seconds');
      expect(byName.get('discover_companies')!.inputSchema.required).toEqual(['query']);
    });

    it('starts a discovery task and reads it back; an unknown task is a tool error', async () => {
      const started = await call(client, 'discover_companies', {
        query: 'rocket makers',
        desired_num_results: 3,
        criteria: [{ key: 'rockets', name: 'Rockets', criterion: 'Builds rockets' }],
      });
      expect(started.isError).toBe(false);
      expect(started.json.task).toMatchObject({ query: 'rocket makers', desired_num_results: 3 });
      const read = await call(client, 'get_discovery', { task_id: started.json.task.id });
      expect(read.json.task.id).toBe(started.json.task.id);
      const missing = await call(client, 'get_discovery', { task_id: UNKNOWN_ID });
      expect(missing.isError).toBe(true);
      expect(missing.text).toContain('404');
    });

    it('creates a table, adds rows, runs it, waits, and reads the computed formula values', async () => {
      const created = await call(client, 'create_table', {
        name: 'MCP leads',
        column_configs: [
          { kind: 'input', name: 'Company', key: 'company' },
          { name: 'Domain', key: 'domain' },
          { kind: 'formula', name: 'Label', key: 'label', value: { expression: LABEL } },
        ],
      });
      expect(created.isError).toBe(false);
      const table = created.json;
      expect(table.columns.map((column: any) => [column.key, column.kind])).toEqual([
        ['company', 'input'],
        ['domain', 'input'],
        ['label', 'formula'],
      ]);

      const inputs = [
        { company: 'Acme', domain: 'acme.test' },
        { company: 'Ünïcode GmbH', domain: 'xn--nicode.test' },
        { company: 'Globex', domain: 'globex.test' },
      ];
      const added = await call(client, 'add_rows', {
        table_id: table.id,
        rows: inputs.map((data) => ({ data })),
      });
      expect(added.json).toMatchObject({ added: inputs.length });

      const before = await call(client, 'get_rows', { table_id: table.id });
      expect(before.json.rows[0].status).toEqual({ label: 'not_run' });

      const run = await call(client, 'run_table', { table_id: table.id });
      expect(run.json).toMatchObject({ mode: 'new', num_requested_cells: inputs.length });

      const progress: { progress: number; total?: number }[] = [];
      const result = await client.callTool(
        { name: 'wait_for_run', arguments: { table_id: table.id, run_id: run.json.id, timeout_seconds: 20 } },
        undefined,
        { onprogress: (update) => progress.push(update) },
      );
      const waited = { json: JSON.parse((result.content as { text: string }[])[0]!.text) };
      // Each read of the run is reported to a client that asked for progress.
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.at(-1)).toMatchObject({ progress: inputs.length, total: inputs.length });
      expect(waited.json).toMatchObject({
        timed_out: false,
        run: { id: run.json.id, status: 'done', counts: { done: inputs.length, failed: 0 } },
      });

      const rows = await call(client, 'get_rows', { table_id: table.id, limit: 2 });
      expect(rows.json).toMatchObject({ num_rows: inputs.length, offset: 0, limit: 2 });
      expect(rows.json.rows).toHaveLength(2);
      const rest = await call(client, 'get_rows', { table_id: table.id, offset: 2 });
      const all = [...rows.json.rows, ...rest.json.rows];
      expect(all.map((row: any) => row.id)).toEqual(added.json.row_ids);
      for (const [index, row] of all.entries()) {
        const expected = evaluateFormula(LABEL, inputs[index]!);
        expect(expected.ok).toBe(true);
        expect(row.data).toEqual({ ...inputs[index], label: expected.ok && expected.value });
        expect(row).not.toHaveProperty('status');
      }

      const header = await call(client, 'get_table', { table_id: table.id });
      expect(header.json.status).toMatchObject({ num_rows: inputs.length, run_status: 'idle' });
      expect(header.json.columns[2].config).toEqual({
        kind: 'formula',
        name: 'Label',
        key: 'label',
        value: { expression: LABEL },
      });
    });

    it('adds a column to a table and runs only that column', async () => {
      const table = (
        await call(client, 'create_table', {
          name: 'MCP columns',
          column_configs: [{ name: 'Price', key: 'price' }],
        })
      ).json;
      await call(client, 'add_rows', { table_id: table.id, rows: [{ data: { price: 21 } }], run: true });
      const added = await call(client, 'add_columns', {
        table_id: table.id,
        column_configs: [
          { kind: 'formula', name: 'Double', key: 'double', value: { expression: 'price * 2' } },
        ],
      });
      expect(added.json.columns).toMatchObject([{ key: 'double', kind: 'formula', id: expect.any(String) }]);
      const run = await call(client, 'run_table', {
        table_id: table.id,
        columns: [added.json.columns[0].id],
      });
      expect(run.json).toMatchObject({ columns: [added.json.columns[0].id], num_requested_cells: 1 });
      const waited = await call(client, 'wait_for_run', { table_id: table.id, run_id: run.json.id });
      expect(waited.json.run.status).toBe('done');
      const expected = evaluateFormula('price * 2', { price: 21 });
      const rows = await call(client, 'get_rows', { table_id: table.id });
      expect(rows.json.rows[0].data).toEqual({ price: 21, double: expected.ok && expected.value });
    });

    it('gives up waiting after timeout_seconds, and cancels the run', async () => {
      // A vendor that never answers keeps the cell running.
      const hung = await listenOnLoopback((_request, response) => {
        hung.hold(response);
        return Promise.resolve();
      });
      try {
        const table = (
          await call(client, 'create_table', {
            name: 'MCP slow',
            column_configs: [
              { name: 'Name', key: 'name' },
              { kind: 'http', name: 'Slow', key: 'slow', value: { url: `${hung.origin}/?q={name}` } },
            ],
          })
        ).json;
        await call(client, 'add_rows', { table_id: table.id, rows: [{ data: { name: 'x' } }] });
        const run = (await call(client, 'run_table', { table_id: table.id })).json;
        const waited = await call(client, 'wait_for_run', {
          table_id: table.id,
          run_id: run.id,
          timeout_seconds: 0.3,
        });
        expect(waited.json).toMatchObject({ timed_out: true, run: { id: run.id } });
        expect(['created', 'in_progress']).toContain(waited.json.run.status);

        const cancelled = await call(client, 'cancel_run', { table_id: table.id, run_id: run.id });
        expect(cancelled.isError).toBe(false);
        await hung.close();
        const ended = await call(client, 'wait_for_run', { table_id: table.id, run_id: run.id });
        expect(ended.json).toMatchObject({ timed_out: false, run: { status: 'cancelled' } });
      } finally {
        await hung.close();
      }
    });

    it('answers API errors as tool errors carrying the API detail', async () => {
      const missing = await call(client, 'get_table', { table_id: UNKNOWN_ID });
      expect(missing.isError).toBe(true);
      expect(missing.text).toContain('404');
      expect(missing.text).toContain('Table not found');

      const table = (await call(client, 'create_table', { column_configs: [{ name: 'Name', key: 'name' }] }))
        .json;
      // A formula over a key the table lacks: the API's 422 names the problem.
      const invalid = await call(client, 'add_columns', {
        table_id: table.id,
        column_configs: [{ kind: 'formula', name: 'Bad', key: 'bad', value: { expression: 'nowhere + 1' } }],
      });
      expect(invalid.isError).toBe(true);
      expect(invalid.text).toContain('422');
      expect(invalid.text).toContain('nowhere');

      // Arguments the tool schema refuses never reach the API.
      const refused = await call(client, 'run_table', { table_id: table.id, mode: 'sometimes' });
      expect(refused.isError).toBe(true);
      expect(refused.text).toContain('mode');

      // The server is still there.
      expect((await call(client, 'list_tables')).isError).toBe(false);
    });

    it('serves the tables and each table as JSON resources', async () => {
      const table = (
        await call(client, 'create_table', {
          name: 'MCP resource',
          column_configs: [{ name: 'City', key: 'city' }],
        })
      ).json;
      await call(client, 'add_rows', { table_id: table.id, rows: [{ data: { city: 'Lyon' } }] });

      const listing = await client.readResource({ uri: 'enrichbase://tables' });
      const tables = JSON.parse((listing.contents[0] as { text: string }).text).tables;
      expect(tables).toContainEqual(
        expect.objectContaining({ id: table.id, name: 'MCP resource', num_rows: 1 }),
      );

      const { resources } = await client.listResources();
      expect(resources).toContainEqual(
        expect.objectContaining({ uri: `enrichbase://tables/${table.id}`, name: 'MCP resource' }),
      );
      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.map((template) => template.uriTemplate)).toContain(
        'enrichbase://tables/{table_id}',
      );

      const read = await client.readResource({ uri: `enrichbase://tables/${table.id}` });
      expect(read.contents[0]).toMatchObject({ mimeType: 'application/json' });
      const body = JSON.parse((read.contents[0] as { text: string }).text);
      expect(body).toMatchObject({ id: table.id, columns: [{ key: 'city', kind: 'input' }] });
      expect(body.rows.map((row: any) => row.data)).toEqual([{ city: 'Lyon' }]);
    });

    it('writes nothing but protocol on stdout and says where it works on stderr', () => {
      expect(clientErrors).toEqual([]);
      expect(stderr).toContain(server.url);
    });
  });

  describe('over streamable HTTP at /mcp', () => {
    const connect = async (key: string) => {
      const client = new Client({ name: 'enrichbase-test', version: '0.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      );
      return client;
    };

    it("lists the tools and calls them in the key's workspace", async () => {
      const client = await connect(api().key);
      try {
        const { tools } = await client.listTools();
        expect(tools.map((tool) => tool.name).sort()).toEqual([...TOOLS].sort());
        const created = await call(client, 'create_table', {
          name: 'Over HTTP',
          column_configs: [{ name: 'Name', key: 'name' }],
        });
        expect(created.isError).toBe(false);
        expect((await api().request('GET', `/v1/tables/${created.json.id}`)).status).toBe(200);
        await call(client, 'add_columns', {
          table_id: created.json.id,
          column_configs: [
            { kind: 'formula', name: 'Size', key: 'size', value: { expression: 'size(name)' } },
          ],
        });
        await call(client, 'add_rows', { table_id: created.json.id, rows: [{ data: { name: 'Initech' } }] });
        const run = await call(client, 'run_table', { table_id: created.json.id });
        // The answer streams (server-sent events): progress notifications arrive before it.
        const progress: { progress: number; total?: number }[] = [];
        const result = await client.callTool(
          { name: 'wait_for_run', arguments: { table_id: created.json.id, run_id: run.json.id } },
          undefined,
          { onprogress: (update) => progress.push(update) },
        );
        const waited = { json: JSON.parse((result.content as { text: string }[])[0]!.text) };
        expect(waited.json.run).toMatchObject({ status: 'done', counts: { done: 1 } });
        expect(progress.at(-1)).toMatchObject({ progress: 1, total: 1 });
        const expected = evaluateFormula('size(name)', { name: 'Initech' });
        const rows = await call(client, 'get_rows', { table_id: created.json.id });
        expect(rows.json.rows[0].data).toEqual({ name: 'Initech', size: expected.ok && expected.value });

        // Another workspace's key sees no such table.
        const other = await connect(api().otherKey);
        try {
          const hidden = await call(other, 'get_table', { table_id: created.json.id });
          expect(hidden.isError).toBe(true);
          expect(hidden.text).toContain('Table not found');
        } finally {
          await other.close();
        }
      } finally {
        await client.close();
      }
    });

    it('answers 401 without a key or with a wrong one, before any MCP', async () => {
      const initialize = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } },
      };
      const unauthorized: Record<string, string>[] = [{}, { authorization: 'Bearer eb_not_a_key' }];
      for (const headers of unauthorized) {
        const response = await fetch(`${server.url}/mcp`, {
          method: 'POST',
          headers: {
            ...headers,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body: JSON.stringify(initialize),
        });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
        expect(await response.json()).toEqual({ detail: expect.any(String) });
      }
      await expect(connect('eb_not_a_key')).rejects.toThrow();
    });

    it('answers 405 to GET and DELETE: the server is stateless', async () => {
      for (const method of ['GET', 'DELETE']) {
        const response = await fetch(`${server.url}/mcp`, {
          method,
          headers: { authorization: `Bearer ${api().key}`, accept: 'text/event-stream' },
        });
        expect(response.status).toBe(405);
        await response.body?.cancel();
      }
    });
  });
});

describe('`enrichbase mcp` on the local store (no server)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrichbase-mcp-'));
  let client: Client;
  const clientErrors: Error[] = [];
  beforeAll(async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith('ENRICHBASE_'),
      ),
    );
    client = new Client({ name: 'enrichbase-test', version: '0.0.0' });
    client.onerror = (error) => clientErrors.push(error);
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'mcp'],
        env: { ...env, ENRICHBASE_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' },
        stderr: 'pipe',
      }),
    );
  });
  afterAll(async () => {
    await client?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates, runs and reads a table, computing the run in its own process', async () => {
    const table = (
      await call(client, 'create_table', {
        name: 'Local',
        column_configs: [
          { name: 'Company', key: 'company' },
          { name: 'Domain', key: 'domain' },
          { kind: 'formula', name: 'Label', key: 'label', value: { expression: LABEL } },
        ],
      })
    ).json;
    const data = { company: 'Umbrella', domain: 'umbrella.test' };
    await call(client, 'add_rows', { table_id: table.id, rows: [{ data }] });
    const run = (await call(client, 'run_table', { table_id: table.id })).json;
    const waited = await call(client, 'wait_for_run', { table_id: table.id, run_id: run.id });
    expect(waited.json).toMatchObject({ timed_out: false, run: { status: 'done', counts: { done: 1 } } });
    const expected = evaluateFormula(LABEL, data);
    const rows = await call(client, 'get_rows', { table_id: table.id });
    expect(rows.json.rows[0].data).toEqual({ ...data, label: expected.ok && expected.value });
    expect((await call(client, 'list_tables')).json.items).toMatchObject([{ id: table.id, name: 'Local' }]);
    expect(clientErrors).toEqual([]);
  });
});
