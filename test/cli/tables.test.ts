import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApi } from '../fixtures/app.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';
import { listen, type Listening } from '../sdk/listen.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/enrichbase.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>, stdin = ''): Promise<Result> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, LOG_LEVEL: 'silent', ENRICHBASE_URL: '', ENRICHBASE_API_KEY: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const CSV = 'company,city\nAcme,Berlin\nGlobex,Springfield\n';

// Each command is a process of its own (tsx compiles the sources at start): slow on a loaded machine.
describe.each(STORE_KINDS)(
  'enrichbase tables, columns and run against a server on %s',
  { timeout: 180_000 },
  (kind) => {
    const api = useTestApi(kind);
    let server: Listening;
    let env: Record<string, string>;
    beforeAll(async () => {
      api().engine.start();
      server = await listen(api().http);
      env = { ENRICHBASE_URL: server.url, ENRICHBASE_API_KEY: api().key };
    });
    afterAll(async () => {
      await server?.close();
      await api().engine.stop();
    });

    it('creates a table, adds columns, runs it with --wait and reports failures in the exit code', async () => {
      const created = await cli(['tables', 'create', 'Leads', '--input', 'Company,City'], env);
      expect(created).toMatchObject({ code: 0 });
      const tableId = created.stdout.trim();
      expect(tableId).toMatch(/^[0-9a-f-]{36}$/);

      expect(await cli(['import', 'Leads'], env, CSV)).toMatchObject({ code: 0 });
      const formula = await cli(
        ['columns', 'add', 'Leads', '--kind', 'formula', '-n', 'Label', '-e', 'company + " (" + city + ")"'],
        env,
      );
      expect(formula).toMatchObject({ code: 0 });
      const labelId = formula.stdout.trim();

      const run = await cli(['run', 'Leads', '--wait', '--json'], env);
      expect(run.code).toBe(0);
      const finished = JSON.parse(run.stdout) as { status: string; counts: Record<string, number> };
      expect(finished).toMatchObject({ status: 'done', counts: { done: 2, failed: 0 } });
      // Not a terminal: plain progress lines on stderr, the last one complete.
      expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^100% 2\/2 · done 2 · failed 0 · skipped 0/);

      const rows = await api().request('GET', `/v1/tables/${tableId}/data`);
      const labels = (
        rows.body as { rows: { data: Record<string, { value: { answer: unknown } }> }[] }
      ).rows.map((row) => row.data.label?.value.answer);
      expect(labels.sort()).toEqual(['Acme (Berlin)', 'Globex (Springfield)']);

      // A column whose every cell fails: the waited run exits 1, with the counts on stdout.
      await cli(['columns', 'add', tableId, '--kind', 'formula', '-n', 'Broken', '-e', 'int(company)'], env);
      const failing = await cli(['run', tableId, '--columns', 'broken', '--wait'], env);
      expect(failing.code).toBe(1);
      expect(failing.stdout).toMatch(/run \S+ failed: 0 done, 2 failed, 0 skipped/);

      // Scoped by column key, mode all: only the label cells are recomputed.
      const scoped = await cli(['run', 'Leads', '-m', 'all', '-c', 'label', '--json'], env);
      expect(JSON.parse(scoped.stdout)).toMatchObject({
        num_requested_cells: 2,
        columns: [labelId],
        mode: 'all',
      });

      const shown = await cli(['tables', 'show', 'Leads'], env);
      expect(shown.stdout).toContain(`Leads  (${tableId}, generic)`);
      expect(shown.stdout).toMatch(/label\s+formula\s+Label/);
      const listed = JSON.parse((await cli(['tables', 'list', '--json'], env)).stdout) as { name: string }[];
      expect(listed.map((table) => table.name)).toContain('Leads');

      expect((await cli(['tables', 'delete', 'Leads'], env)).stdout).toBe(`deleted ${tableId} (Leads)\n`);
      const gone = await cli(['tables', 'show', tableId], env);
      expect(gone).toMatchObject({ code: 1, stderr: 'enrichbase: 404: Table not found\n' });
    });

    it('manages vendor keys and webhooks, never printing a stored key back', async () => {
      const set = await cli(['connections', 'set', 'hunter', '--api-key', 'hunter-secret-1234'], env);
      expect(set).toMatchObject({ code: 0, stdout: 'hunter: key …1234 saved\n' });
      const listed = await cli(['connections', 'list'], env);
      expect(listed.stdout).toMatch(/^hunter\s+…1234/);
      expect(listed.stdout).not.toContain('hunter-secret');
      expect((await cli(['connections', 'delete', 'hunter'], env)).stdout).toBe('hunter: key removed\n');

      const created = await cli(['webhooks', 'create', 'http://127.0.0.1:9/hook', '--json'], env);
      const hook = JSON.parse(created.stdout) as { id: string; secret: string };
      expect(hook.secret).toMatch(/^whsec_/);
      const hooks = await cli(['webhooks', 'list'], env);
      expect(hooks.stdout).toContain(`${hook.id}  http://127.0.0.1:9/hook  run.finished`);
      expect(hooks.stdout).not.toContain(hook.secret);
      expect((await cli(['webhooks', 'delete', hook.id], env)).stdout).toBe(`deleted ${hook.id}\n`);
    });

    it('shows the API 422 at its field and exits 1', async () => {
      await cli(['tables', 'create', 'Bad', '--input', 'Company'], env);
      const result = await cli(
        ['columns', 'add', 'Bad', '--kind', 'agent', '-n', 'X', '--format', 'nope'],
        env,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^enrichbase: 422: body\.column_configs\.0\.value\.output_format: /);
    });
  },
);

describe('enrichbase tables and run on the local store', { timeout: 180_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrichbase-cli-local-'));
  const env = { ENRICHBASE_DATA_DIR: dataDir, DATABASE_URL: '' };
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('makes the workspace on first use, computes in process with --wait and only queues without', async () => {
    const created = await cli(['tables', 'create', 'Local', '--input', 'Company,City'], env);
    expect(created.code).toBe(0);
    // The first command on an empty store makes the default workspace and shows its key once.
    expect(created.stderr).toMatch(/its first API key \(shown once\): eb_/);
    await cli(['import', 'Local'], env, CSV);
    await cli(['columns', 'add', 'Local', '--kind', 'formula', '-n', 'Shout', '-e', 'company + "!"'], env);

    // --wait computes in this process.
    const waited = await cli(['run', 'Local', '--wait', '--json'], env);
    expect(waited.code).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject({ status: 'done', counts: { done: 2 } });
    const exported = await cli(['export', 'Local', '--no-bom'], env);
    expect(exported.stdout).toBe('Company,City,Shout\r\nAcme,Berlin,Acme!\r\nGlobex,Springfield,Globex!\r\n');

    // Without --wait a local run only queues its cells, and says who computes them.
    await cli(['columns', 'add', 'Local', '--kind', 'formula', '-n', 'Where', '-e', 'city'], env);
    const queued = await cli(['run', 'Local'], env);
    expect(queued.code).toBe(0);
    expect(queued.stdout).toMatch(/^run \S+: 2 cells (created|in_progress)\n$/);
    expect(queued.stderr).toContain('a server or `enrichbase worker` on it computes the cells');
  });
});
