import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { systemClock, type Store } from '../../src/engine/ports.ts';
import { openPostgresStore, openSqliteStore } from '../../src/storage/index.ts';
import { createTable } from '../fixtures/engine.ts';
import { createTestDatabase } from '../fixtures/postgres-server.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';

/** Raw SQL on the store's database from a second connection, to break the outbox on purpose. */
interface Saboteur {
  breakOutbox(): Promise<void>;
  repairOutbox(): Promise<void>;
  close(): Promise<void>;
}

async function openWithSaboteur(kind: 'sqlite' | 'postgres'): Promise<{
  store: Store;
  saboteur: Saboteur;
  dispose(): Promise<void>;
}> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrichbase-outbox-'));
    const file = path.join(dir, 'test.sqlite');
    const store = await openSqliteStore(file, systemClock);
    const raw = new Sqlite(file);
    raw.pragma('busy_timeout = 5000');
    return {
      store,
      saboteur: {
        breakOutbox: () => {
          raw.exec(`CREATE TRIGGER fail_outbox BEFORE INSERT ON webhook_deliveries
                    BEGIN SELECT RAISE(ABORT, 'outbox unavailable'); END`);
          return Promise.resolve();
        },
        repairOutbox: () => {
          raw.exec('DROP TRIGGER fail_outbox');
          return Promise.resolve();
        },
        close: () => {
          raw.close();
          return Promise.resolve();
        },
      },
      dispose: async () => {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const database = await createTestDatabase(inject('postgresAdminUrl'));
  const store = await openPostgresStore({ connectionString: database.url, maxConnections: 3 }, systemClock);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return {
    store,
    saboteur: {
      breakOutbox: async () => {
        await client.query(`CREATE FUNCTION fail_outbox() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN RAISE EXCEPTION 'outbox unavailable'; END $$`);
        await client.query(`CREATE TRIGGER fail_outbox BEFORE INSERT ON webhook_deliveries
          FOR EACH ROW EXECUTE FUNCTION fail_outbox()`);
      },
      repairOutbox: async () => {
        await client.query('DROP TRIGGER fail_outbox ON webhook_deliveries');
        await client.query('DROP FUNCTION fail_outbox()');
      },
      close: () => client.end(),
    },
    dispose: async () => {
      await store.close();
      await database.drop();
    },
  };
}

describe.each(STORE_KINDS)('the webhook outbox on %s', (kind) => {
  let opened: Awaited<ReturnType<typeof openWithSaboteur>>;
  let store: Store;
  let ws: string;
  beforeAll(async () => {
    opened = await openWithSaboteur(kind);
    store = opened.store;
    ws = (await store.createWorkspace({ name: 'outbox', ownerEmail: 'o@o.o' })).id;
  });
  afterAll(async () => {
    await opened.saboteur.close();
    await opened.dispose();
  });

  async function setUp() {
    const t = await createTable(
      store,
      ws,
      [
        { key: 'n', name: 'N' },
        { kind: 'formula', key: 'double', name: 'Double', value: { expression: 'n * 2' } },
      ],
      [{ n: 1 }],
    );
    const webhook = await store.createWebhook(ws, {
      tableId: t.tableId,
      url: 'https://hooks.example.com/x',
      events: ['run.finished'],
      encryptedSecret: 'v1.x.y.z',
    });
    const run = await store.planRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    const deliveries = async () =>
      (await store.listWebhookDeliveries(ws, webhook.id, { offset: 0, limit: 10 })).items;
    return { t, run, deliveries };
  }

  it('commits a run’s finish and its run.finished delivery together, or neither', async () => {
    const { t, run, deliveries } = await setUp();
    const [cell] = await store.claimCells('worker-1', 10, 30_000);
    expect(cell).toBeDefined();
    const result = {
      rowId: cell!.rowId,
      columnId: cell!.columnId,
      fence: cell!.fence,
      outcome: { status: 'done' as const, value: { answer: 2 }, cost: 0 },
    };

    await opened.saboteur.breakOutbox();
    try {
      await expect(store.completeCells([result])).rejects.toThrow(/outbox unavailable/);
    } finally {
      await opened.saboteur.repairOutbox();
    }
    // Rolled back whole: the cell still runs, the run is not finished, no delivery exists.
    expect(await store.getRun(ws, t.tableId, run.id)).toMatchObject({
      status: 'in_progress',
      finishedAt: null,
      counts: { running: 1, done: 0 },
    });
    expect(await deliveries()).toHaveLength(0);

    expect((await store.completeCells([result])).applied).toBe(1);
    const finished = await store.getRun(ws, t.tableId, run.id);
    expect(finished.status).toBe('done');
    const [delivery] = await deliveries();
    expect(JSON.parse(delivery!.payload)).toMatchObject({
      type: 'run.finished',
      created_at: finished.finishedAt,
      data: { run: { id: run.id, status: 'done' } },
    });
  });

  it('cancels a run and writes its delivery in one transaction too', async () => {
    const { t, run, deliveries } = await setUp();
    await opened.saboteur.breakOutbox();
    try {
      await expect(store.cancelRun(ws, t.tableId, run.id)).rejects.toThrow(/outbox unavailable/);
    } finally {
      await opened.saboteur.repairOutbox();
    }
    expect((await store.getRun(ws, t.tableId, run.id)).status).toBe('created');
    expect(await deliveries()).toHaveLength(0);
    expect((await store.cancelRun(ws, t.tableId, run.id)).status).toBe('cancelled');
    expect((await deliveries()).map((d) => JSON.parse(d.payload).data.run.status)).toEqual(['cancelled']);
  });
});
