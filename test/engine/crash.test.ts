import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { systemClock, type Store } from '../../src/engine/ports.ts';
import { openPostgresStore, openSqliteStore } from '../../src/storage/index.ts';
import { startFakeVendor, type FakeVendor } from '../fixtures/fake-vendor.ts';
import { createTestDatabase } from '../fixtures/postgres-server.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/enrichbase.js');
const ROWS = 1000;

/** Starts `enrichbase serve` as a child process and resolves once it listens. */
function serve(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; key?: string }> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /serving on (http:\/\/\S+)/.exec(output)?.[1];
      if (url && /Data:.*\n/.test(output) && (/eb_\S{43}/.test(output) || output.includes('API keys:'))) {
        resolve({ child, url, key: /(eb_\S{43})/.exec(output)?.[1] });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${output}`)));
  });
}

/** Polls until `check` passes; the server runs in another process, so there is nothing to await but its state. */
async function until<T>(
  what: string,
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(STORE_KINDS)('crash safety on %s', (kind) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrichbase-crash-'));
  let vendor: FakeVendor;
  let dropDatabase: (() => Promise<void>) | undefined;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await vendor?.close();
    await dropDatabase?.();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no row and rewrites no finished cell when the server is killed -9 mid-run', async () => {
    vendor = await startFakeVendor({ latencyMs: 15 });
    let databaseUrl = '';
    if (kind === 'postgres') {
      const database = await createTestDatabase(inject('postgresAdminUrl'));
      databaseUrl = database.url;
      dropDatabase = database.drop;
    }
    const openStore = (): Promise<Store> =>
      kind === 'sqlite'
        ? openSqliteStore(path.join(dataDir, 'enrichbase.sqlite'), systemClock)
        : openPostgresStore({ connectionString: databaseUrl, maxConnections: 2 }, systemClock);
    const env = {
      ...process.env,
      ENRICHBASE_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      ENRICHBASE_HTTP_ALLOW_PRIVATE: 'true',
      // Short leases: the restarted server takes over the dead one's cells within seconds.
      ENRICHBASE_LEASE_MS: '2000',
    };
    const first = await serve(env);
    children.push(first.child);
    const headers = { authorization: `Bearer ${first.key}`, 'content-type': 'application/json' };
    const call = async (url: string, method: string, pathName: string, body?: unknown) => {
      const response = await fetch(`${url}${pathName}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await response.json()) as any;
    };

    const table = await call(first.url, 'POST', '/v1/tables', {
      name: 'Crash',
      column_configs: [
        { name: 'Domain', key: 'domain' },
        {
          kind: 'http',
          name: 'Company',
          key: 'company',
          value: { url: `${vendor.url}/enrich?key={domain}`, extract: 'result', max_concurrency: 16 },
        },
        { kind: 'formula', name: 'Label', key: 'label', value: { expression: 'company + "!"' } },
      ],
    });
    await call(first.url, 'POST', `/v1/tables/${table.id}/rows`, {
      rows: Array.from({ length: ROWS }, (_, index) => ({ data: { domain: `c${index}.test` } })),
    });
    const run = await call(first.url, 'POST', `/v1/tables/${table.id}/run`, { mode: 'new' });
    expect(run.num_requested_cells).toBe(2 * ROWS);

    await until(
      'some finished cells',
      () => call(first.url, 'GET', `/v1/tables/${table.id}`),
      (t) => t.status.num_cells_completed >= 400,
    );
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    // What was finished at the moment of death, read straight from the file.
    const snapshot = new Map<string, { value: unknown; updatedAt: string }>();
    const store = await openStore();
    const workspace = (await store.findWorkspaceByName('default'))!;
    for (let offset = 0; offset < ROWS; offset += 100) {
      const page = await store.getTableData(workspace.id, table.id, { offset, limit: 100 });
      for (const { row, cells } of page.rows) {
        for (const cell of cells) {
          if (cell.status === 'done')
            snapshot.set(`${row.id}/${cell.columnId}`, { value: cell.value, updatedAt: cell.updatedAt });
        }
      }
    }
    await store.close();
    expect(snapshot.size).toBeGreaterThanOrEqual(400);
    expect(snapshot.size).toBeLessThan(2 * ROWS);

    const second = await serve(env);
    children.push(second.child);
    const finished = await until(
      'the run to finish after restart',
      () => call(second.url, 'GET', `/v1/tables/${table.id}`),
      (t) => t.status.run_status === 'idle' && t.status.num_cells_in_progress === 0,
    );
    expect(finished.status).toMatchObject({ num_rows: ROWS, num_cells_completed: 2 * ROWS });

    const seen = new Set<string>();
    let done = 0;
    for (let offset = 0; ; offset += 100) {
      const page = await call(second.url, 'GET', `/v1/tables/${table.id}/data?offset=${offset}&limit=100`);
      for (const row of page.rows) {
        seen.add(row.id);
        const index = Number(/c(\d+)\.test/.exec(row.data.domain.value.answer)![1]);
        expect(row.data.company).toMatchObject({
          status: 'done',
          value: { answer: `result:c${index}.test` },
        });
        expect(row.data.label).toMatchObject({ status: 'done', value: { answer: `result:c${index}.test!` } });
        done += 2;
      }
      if (page.rows.length < 100) break;
    }
    expect(seen.size).toBe(ROWS);
    expect(done).toBe(2 * ROWS);

    const runAfter = await call(second.url, 'GET', `/v1/tables/${table.id}/runs/${run.id}`);
    expect(runAfter).toMatchObject({
      status: 'done',
      counts: { done: 2 * ROWS, queued: 0, running: 0, failed: 0 },
    });

    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
    const reopened = await openStore();
    try {
      for (let offset = 0; offset < ROWS; offset += 100) {
        const page = await reopened.getTableData(workspace.id, table.id, { offset, limit: 100 });
        for (const { row, cells } of page.rows) {
          for (const cell of cells) {
            const before = snapshot.get(`${row.id}/${cell.columnId}`);
            // A cell finished before the crash was neither recomputed nor overwritten.
            if (before) expect({ value: cell.value, updatedAt: cell.updatedAt }).toEqual(before);
          }
        }
      }
      const { table: counters } = await reopened.getTable(workspace.id, table.id);
      expect(counters.cellCounts).toMatchObject({
        done: 2 * ROWS,
        queued: 0,
        running: 0,
        failed: 0,
        skipped: 0,
        stale: 0,
        cancelled: 0,
      });
    } finally {
      await reopened.close();
    }
  }, 120_000);
});
