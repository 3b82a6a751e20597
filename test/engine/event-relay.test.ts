import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp, type AppParts } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { issueApiKey } from '../../src/engine/api-keys.ts';
import { TableEvents, type TableEvent } from '../../src/engine/events.ts';
import { openPostgresEventRelay, openPostgresStore } from '../../src/storage/index.ts';
import { payloads } from '../../src/storage/postgres/event-relay.ts';
import { systemClock } from '../../src/engine/ports.ts';
import { createTestDatabase } from '../fixtures/postgres-server.ts';

const SILENT = pino({ level: 'silent' });

function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error('timed out waiting'));
      setTimeout(check, 20);
    };
    check();
  });
}

describe('table events between processes on PostgreSQL (LISTEN/NOTIFY)', () => {
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresAdminUrl'));
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('splits big cell batches under the NOTIFY payload limit and keeps every cell', () => {
    const cells = Array.from({ length: 2500 }, (_, index) => ({
      rowId: `0190f1a2-0000-7000-8000-${String(index).padStart(12, '0')}`,
      columnId: '0190f1a2-0000-7000-8000-000000000001',
      status: 'done' as const,
    }));
    const events: TableEvent[] = [
      { type: 'run', tableId: 't', runId: 'r' },
      { type: 'cells', tableId: 't', cells },
    ];
    const out = payloads('origin', events);
    expect(out.length).toBeGreaterThan(1);
    for (const payload of out) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    const received = out.flatMap((payload) => (JSON.parse(payload) as { events: TableEvent[] }).events);
    expect(received[0]).toEqual({ type: 'run', tableId: 't', runId: 'r' });
    const carried = received.flatMap((event) => (event.type === 'cells' ? event.cells : []));
    expect(carried).toEqual(cells);
  });

  it('delivers each event to the other processes once and never echoes it back', async () => {
    const a = new TableEvents();
    const b = new TableEvents();
    a.connect(await openPostgresEventRelay(database.url));
    b.connect(await openPostgresEventRelay(database.url));
    const heardByA: TableEvent[] = [];
    const heardByB: TableEvent[] = [];
    a.subscribe('t1', (event) => heardByA.push(event));
    b.subscribe('t1', (event) => heardByB.push(event));
    const cells = Array.from({ length: 300 }, (_, index) => ({
      rowId: `row-${index}`,
      columnId: 'c',
      status: 'done' as const,
    }));
    a.publish(
      { type: 'cells', tableId: 't1', cells },
      { type: 'rows', tableId: 't1', change: 'added', rowIds: ['x'] },
    );
    await until(() => heardByB.some((event) => event.type === 'rows'));
    expect(heardByB.flatMap((event) => (event.type === 'cells' ? event.cells : []))).toEqual(cells);
    // B answers once A's notifications are committed; A gets B's after any echo of its own would have come.
    b.publish({ type: 'run', tableId: 't1', runId: 'from-b' });
    await until(() => heardByA.some((event) => event.type === 'run'));
    // A heard its own events once, in process; its NOTIFYs were not delivered to it a second time.
    expect(heardByA.map((event) => event.type)).toEqual(['cells', 'rows', 'run']);
    await a.disconnect();
    await b.disconnect();
  });

  it("lets the API process's live grid hear cells a separate worker process computed", async () => {
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      ENRICHBASE_SECRET_KEY: randomBytes(32).toString('base64'),
    });
    const build = async () =>
      buildApp(config, {
        store: await openPostgresStore({ connectionString: database.url, maxConnections: 3 }, systemClock),
        logger: SILENT,
        engine: { flushIntervalMs: 1 },
        eventRelayUrl: database.url,
      });
    const api: AppParts = await build();
    const worker: AppParts = await build();
    try {
      const { key } = await issueApiKey(api.store, { workspaceName: 'relay', createIfMissing: true });
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const created = await api.http.request('/v1/tables', {
        method: 'POST',
        headers,
        body: JSON.stringify({
          name: 'Relay',
          column_configs: [
            { kind: 'input', name: 'Name', key: 'name' },
            { kind: 'formula', name: 'Shout', key: 'shout', value: { expression: 'name + "!"' } },
          ],
        }),
      });
      const table = (await created.json()) as { id: string };
      const heard: TableEvent[] = [];
      api.events.subscribe(table.id, (event) => heard.push(event));
      await api.http.request(`/v1/tables/${table.id}/rows`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ rows: [{ data: { name: 'a' } }, { data: { name: 'b' } }], run: true }),
      });
      // Only the worker computes; the API process hears the cells settle through the relay.
      worker.engine.start();
      await until(
        () =>
          heard
            .flatMap((event) => (event.type === 'cells' ? event.cells : []))
            .filter((cell) => cell.status === 'done').length === 2,
      );
      expect(api.engine.providerCalls).toBe(0);
    } finally {
      await worker.engine.stop();
      await worker.store.close();
      await api.store.close();
    }
  });
});
