import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { TABLE_EVENT_SCHEMAS } from '../../src/api/extruct/schemas.ts';
import {
  createClient,
  EnrichbaseApiError,
  type Cell,
  type ColumnConfigInput,
  type EnrichbaseClient,
  type Run,
  type TableEvent,
  type TableStatus,
} from '../../src/sdk/index.ts';
import { useTestApi } from '../fixtures/app.ts';
import { startFakeVendor, type FakeVendor } from '../fixtures/fake-vendor.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';
import { listen, type Listening } from './listen.ts';

const UNKNOWN_ID = '0190f1a2-0000-7000-8000-000000000000';

/** The Extruct half of the SDK over a real socket: the app served on 127.0.0.1 and the global fetch. */
describe.each(STORE_KINDS)('SDK, Extruct dialect, over HTTP on %s', (kind) => {
  const api = useTestApi(kind);
  let vendor: FakeVendor;
  let server: Listening;
  let client: EnrichbaseClient;
  beforeAll(async () => {
    vendor = await startFakeVendor();
    server = await listen(api().http);
    client = createClient({ baseUrl: server.url, apiKey: api().key });
  });
  afterAll(async () => {
    await server?.close();
    await vendor?.close();
  });

  /** A table with an input, an http column on the fake vendor, and a formula over it. */
  async function enrichedTable(rows: number) {
    const columns: ColumnConfigInput[] = [
      { name: 'Domain', key: 'domain' },
      {
        kind: 'http',
        name: 'Company',
        key: 'company',
        value: { url: `${vendor.url}/enrich?key={domain}`, extract: 'result' },
      },
      { kind: 'formula', name: 'Label', key: 'label', value: { expression: 'company + "!"' } },
    ];
    const table = await client.tables.create({ name: 'Enriched', column_configs: columns });
    if (rows === 0) return table;
    await client.rows.add(table.id, {
      rows: Array.from({ length: rows }, (_, index) => ({ data: { domain: `d${index}.test` } })),
    });
    return table;
  }

  it('answers healthcheck and user with the types of the server schemas', async () => {
    await expect(client.healthcheck()).resolves.toEqual({ status: 'ok' });
    const user = await client.user();
    expectTypeOf(user.available_credits).toEqualTypeOf<number>();
    expect(user).toMatchObject({ email: 'owner@localhost', organization_id: expect.any(String) });
  });

  it('creates, reads, updates, lists page after page, and deletes tables', async () => {
    const tag = `t-${randomUUID()}`;
    const created = [];
    for (let index = 0; index < 5; index++)
      created.push(await client.tables.create({ name: `Listed ${index}`, tags: [tag], kind: 'company' }));
    expect(created[0]).toMatchObject({
      kind: 'company',
      tags: [tag],
      status: { num_rows: 0, run_status: 'idle' },
    });

    const listed = [];
    for await (const item of client.tables.list({ tags: [tag], sort: 'name', limit: 2 }))
      listed.push(item.name);
    expect(listed).toEqual(['Listed 0', 'Listed 1', 'Listed 2', 'Listed 3', 'Listed 4']);
    const page = await client.tables.listPage({ tags: [tag], limit: 2, offset: 4 });
    expect(page).toMatchObject({ offset: 4, limit: 2, items: [{ name: expect.any(String), num_rows: 0 }] });

    const renamed = await client.tables.update(created[0]!.id, { name: 'Renamed', description: 'why' });
    expect(renamed).toMatchObject({ name: 'Renamed', description: 'why' });
    expect((await client.tables.get(created[0]!.id)).name).toBe('Renamed');

    const deleted = await client.tables.delete(created[0]!.id);
    expect(deleted.id).toBe(created[0]!.id);
    await expect(client.tables.get(created[0]!.id)).rejects.toMatchObject({
      status: 404,
      detail: 'Table not found',
    });
  });

  it('adds, reads, updates and deletes rows, and iterates every row across pages', async () => {
    const table = await client.tables.create({ column_configs: [{ name: 'Name', key: 'name' }] });
    const added = await client.rows.add(table.id, {
      rows: Array.from({ length: 7 }, (_, index) => ({ data: { name: `n${index}` } })),
    });
    expect(added).toHaveLength(7);

    const names = [];
    for await (const row of client.tables.rows(table.id, { limit: 3 })) {
      const cell: Cell | null | undefined = row.data.name;
      names.push(cell?.value?.answer);
    }
    expect(names).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6']);

    const [updated] = await client.rows.update(table.id, {
      rows: [{ id: added[0]!.id, data: { name: 'first' } }],
    });
    expect(updated!.data.name).toMatchObject({ value: { answer: 'first' } });
    expect((await client.rows.get(table.id, added[0]!.id)).data.name).toMatchObject({
      value: { answer: 'first' },
      status: 'done',
    });

    const removed = await client.rows.delete(table.id, { rows: [added[1]!.id, added[2]!.id] });
    expect(removed.deleted.sort()).toEqual([added[1]!.id, added[2]!.id].sort());
    const page = await client.tables.data(table.id, { offset: 0, limit: 100 });
    expect(page.status.num_rows).toBe(5);
    expect(page.rows).toHaveLength(5);
  });

  it('adds, updates and deletes columns, with 422 detail when a column is still needed', async () => {
    const table = await client.tables.create({ column_configs: [{ name: 'Domain', key: 'domain' }] });
    const [formula] = await client.columns.add(table.id, {
      column_configs: [
        { kind: 'formula', name: 'Upper', key: 'upper', value: { expression: 'domain + "?"' } },
      ],
    });
    expect(formula!.config).toMatchObject({ kind: 'formula', key: 'upper' });
    const updated = await client.columns.update(table.id, formula!.id, {
      kind: 'formula',
      name: 'Shout',
      key: 'upper',
      value: { expression: 'domain + "!"' },
    });
    expect(updated.config.name).toBe('Shout');

    const domain = table.columns[0]!;
    const error = await client.columns.delete(table.id, domain.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnrichbaseApiError);
    expect((error as EnrichbaseApiError).status).toBe(422);
    expect((error as EnrichbaseApiError).issues.length).toBeGreaterThan(0);

    await client.columns.delete(table.id, formula!.id);
    expect((await client.columns.delete(table.id, domain.id)).id).toBe(domain.id);
    expect((await client.tables.get(table.id)).columns).toEqual([]);
  });

  it('runs a table and waits for the run, reporting its counts on the way', async () => {
    const table = await enrichedTable(3);
    const started = await client.tables.run(table.id, { mode: 'new' });
    expect(started).toMatchObject({ status: 'created', mode: 'new', num_requested_cells: 6 });

    const progress: Run['counts'][] = [];
    const waiting = client.waitForRun(table.id, started.id, {
      pollIntervalMs: 20,
      onProgress: (run) => progress.push(run.counts),
    });
    await api().engine.drain();
    const run = await waiting;
    expectTypeOf(run).toEqualTypeOf<Run>();
    expect(run).toMatchObject({ id: started.id, status: 'done', finished_at: expect.any(String) });
    expect(run.counts).toMatchObject({ queued: 0, running: 0, done: 6, failed: 0 });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual(run.counts);

    expect((await client.runs.get(table.id, started.id)).status).toBe('done');
    const runs = [];
    for await (const item of client.runs.list(table.id, { limit: 1 })) runs.push(item.id);
    expect(runs).toEqual([started.id]);
    expect((await client.runs.listPage(table.id)).items.map((item) => item.id)).toEqual([started.id]);

    const labels = [];
    for await (const row of client.tables.rows(table.id)) labels.push(row.data.label?.value?.answer);
    expect(labels).toEqual(['result:d0.test!', 'result:d1.test!', 'result:d2.test!']);
  });

  it('manages webhooks (the secret shown once) and reads discovery tasks', async () => {
    const created = await client.webhooks.create({
      url: 'http://127.0.0.1:9/hook',
      events: ['run.finished'],
    });
    expect(created.secret).toMatch(/^whsec_/);
    const listed = await client.webhooks.list();
    expect(listed.map((hook) => hook.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect(await client.webhooks.update(created.id, { enabled: false })).toMatchObject({ enabled: false });
    expect(await client.webhooks.deliveries(created.id)).toMatchObject({ items: [], total: 0 });
    expect((await client.webhooks.delete(created.id)).id).toBe(created.id);
    await expect(client.webhooks.get(created.id)).rejects.toMatchObject({ status: 404 });
    await expect(client.discovery.get(UNKNOWN_ID)).rejects.toMatchObject({ status: 404 });
  });

  it('reads column stats and streams the CSV export', async () => {
    const table = await enrichedTable(2);
    await client.tables.run(table.id);
    await api().engine.drain();
    const stats = await client.tables.columnStats(table.id);
    expect(stats.num_rows).toBe(2);
    for (const column of stats.columns) expect(column.counts).toMatchObject({ done: 2, not_run: 0 });
    const response = await client.tables.exportCsv(table.id, {
      header: 'key',
      bom: false,
      columns: 'domain,label',
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await response.text()).toBe(
      'domain,label\r\nd0.test,result:d0.test!\r\nd1.test,result:d1.test!\r\n',
    );
  });

  it('waits for a table by the seed-003 rule, woken by the event stream rather than polling', async () => {
    const table = await enrichedTable(2);
    await client.tables.run(table.id);
    const statuses: TableStatus[] = [];
    // A minute between polls: only the event stream can end this wait in time.
    const waiting = client.waitForTable(table.id, {
      pollIntervalMs: 60_000,
      timeoutMs: 15_000,
      onProgress: (status) => statuses.push(status),
    });
    await api().engine.drain();
    const done = await waiting;
    expect(done.status).toMatchObject({
      run_status: 'idle',
      num_cells_in_progress: 0,
      num_cells_completed: 4,
    });
    expect(statuses.at(-1)).toEqual(done.status);
  });

  it('waits for a table by polling alone when events are off', async () => {
    const table = await enrichedTable(2);
    await client.tables.run(table.id);
    const waiting = client.waitForTable(table.id, { events: false, pollIntervalMs: 20 });
    await api().engine.drain();
    expect((await waiting).status).toMatchObject({ run_status: 'idle', num_cells_completed: 4 });
  });

  it('streams typed table events whose data matches the server schemas', async () => {
    const table = await enrichedTable(0);
    const controller = new AbortController();
    const events: TableEvent[] = [];
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const reading = (async () => {
      const stream = client.tables.events(table.id, { signal: controller.signal, onOpen: opened });
      for await (const event of stream) {
        events.push(event);
        if (event.event === 'status' && event.data.num_cells_completed === 4) return;
      }
    })();
    // Once the stream is open it sees every change.
    await open;
    await client.tables.update(table.id, { name: 'Renamed' });
    await client.rows.add(table.id, {
      rows: [{ data: { domain: 'a.test' } }, { data: { domain: 'b.test' } }],
      run: true,
    });
    await api().engine.drain();
    await reading;
    controller.abort();

    expect(new Set(events.map((event) => event.event))).toEqual(
      new Set(['table', 'rows', 'cells', 'run', 'status']),
    );
    for (const event of events)
      expect(() => TABLE_EVENT_SCHEMAS[event.event].parse(event.data)).not.toThrow();
    expect(events.find((event) => event.event === 'table')?.data).toEqual({ change: 'updated' });
    const rows = events.find((event) => event.event === 'rows');
    expect(rows?.data).toMatchObject({ change: 'added', row_ids: expect.any(Array) });
  });

  it('gives up waiting at the timeout or on abort, and sees a cancelled run as over', async () => {
    const table = await enrichedTable(2);
    const started = await client.tables.run(table.id);

    const timedOut = await client
      .waitForRun(table.id, started.id, { timeoutMs: 150, pollIntervalMs: 20 })
      .catch((caught: unknown) => caught);
    expect(timedOut).toMatchObject({ name: 'TimeoutError' });

    const controller = new AbortController();
    const aborted = client.waitForTable(table.id, { signal: controller.signal, pollIntervalMs: 20 });
    setTimeout(() => controller.abort(new Error('stop waiting')), 50);
    await expect(aborted).rejects.toThrow('stop waiting');

    const cancelled = await client.runs.cancel(table.id, started.id);
    expect(cancelled.status).toBe('cancelled');
    await expect(client.waitForRun(table.id, started.id)).resolves.toMatchObject({
      status: 'cancelled',
      counts: { cancelled: 4, queued: 0 },
    });
  });

  it('maps 401, 404 and 422 answers to EnrichbaseApiError with the API detail', async () => {
    const stranger = createClient({ baseUrl: server.url, apiKey: 'not-a-key', retry: false });
    const unauthorized = await stranger.tables.listPage().catch((caught: unknown) => caught);
    expect(unauthorized).toBeInstanceOf(EnrichbaseApiError);
    expect(unauthorized).toMatchObject({ status: 401, detail: expect.any(String) });

    await expect(client.tables.get(UNKNOWN_ID)).rejects.toMatchObject({
      status: 404,
      detail: 'Table not found',
    });
    await expect(client.runs.get(UNKNOWN_ID, UNKNOWN_ID)).rejects.toMatchObject({ status: 404 });

    const table = await client.tables.create();
    const invalid = await client.tables
      .run(table.id, { mode: 'sometimes' as never, extra: true } as never)
      .catch((caught: unknown) => caught);
    expect(invalid).toBeInstanceOf(EnrichbaseApiError);
    expect((invalid as EnrichbaseApiError).issues).toEqual([
      expect.objectContaining({ loc: ['body', 'mode'], type: 'enum' }),
      expect.objectContaining({ loc: ['body', 'extra'], type: 'extra_forbidden' }),
    ]);
    await expect(client.tables.get('not-a-uuid')).rejects.toMatchObject({
      status: 422,
      detail: [{ loc: ['path', 'table_id'], type: 'uuid_parsing' }],
    });
  });
});
