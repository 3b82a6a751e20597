import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeVendor, type FakeVendor } from '../fixtures/fake-vendor.ts';
import { useTestApi } from '../fixtures/app.ts';
import { seedSchema } from '../fixtures/seeds.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';

const UNKNOWN_ID = '0190f1a2-0000-7000-8000-000000000000';

describe.each(STORE_KINDS)('Extruct run API on %s', (kind) => {
  const api = useTestApi(kind);
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await startFakeVendor();
  });
  afterAll(() => vendor.close());

  async function table(rows = 3) {
    const created = await api().request('POST', '/v1/tables', {
      body: {
        name: 'Runs',
        column_configs: [
          { kind: 'input', name: 'Domain', key: 'domain' },
          {
            kind: 'http',
            name: 'Company',
            key: 'company',
            value: { url: `${vendor.url}/enrich?key={domain}`, extract: 'result' },
          },
          { kind: 'formula', name: 'Label', key: 'label', value: { expression: 'company + "!"' } },
        ],
      },
    });
    const added = await api().request('POST', `/v1/tables/${created.body.id}/rows`, {
      body: { rows: Array.from({ length: rows }, (_, index) => ({ data: { domain: `d${index}.test` } })) },
    });
    return {
      id: created.body.id as string,
      columns: created.body.columns as { id: string }[],
      rows: added.body as { id: string }[],
    };
  }

  it('shows one cell in full: attempts, cost and usage beside the cell form (ext)', async () => {
    const t = await table(1);
    const rowId = t.rows[0]!.id;
    const before = await api().request('GET', `/v1/tables/${t.id}/rows/${rowId}/cells/company`);
    expect(before.body).toMatchObject({ column_key: 'company', status: null, attempts: 0, value: null });
    await api().request('POST', `/v1/tables/${t.id}/run`, { body: {} });
    await api().engine.drain();
    const byKey = await api().request('GET', `/v1/tables/${t.id}/rows/${rowId}/cells/company`);
    expect(byKey.status).toBe(200);
    expect(byKey.body).toMatchObject({
      row_id: rowId,
      column_id: t.columns[1]!.id,
      column_key: 'company',
      status: 'done',
      value: { answer: 'result:d0.test' },
      error: null,
      reason: null,
      attempts: 1,
      cost: 0,
      updated_at: expect.any(String),
    });
    const byId = await api().request('GET', `/v1/tables/${t.id}/rows/${rowId}/cells/${t.columns[2]!.id}`);
    expect(byId.body).toMatchObject({ column_key: 'label', value: { answer: 'result:d0.test!' } });
    for (const column of ['domain', 'nope'])
      expect(await api().request('GET', `/v1/tables/${t.id}/rows/${rowId}/cells/${column}`)).toMatchObject({
        status: 404,
        body: { detail: 'Column not found' },
      });
  });

  it("counts each computed column's cells by status over the whole table (ext column_stats)", async () => {
    const t = await table(4);
    const [, company, label] = t.columns;
    // Run only the first two rows: the other two have no cells yet ("not_run").
    await api().request('POST', `/v1/tables/${t.id}/run`, { body: { rows: [t.rows[0]!.id, t.rows[1]!.id] } });
    const before = await api().request('GET', `/v1/tables/${t.id}/column_stats`);
    expect(before.status).toBe(200);
    expect(before.body.num_rows).toBe(4);
    expect(before.body.columns.map((column: { column_id: string }) => column.column_id)).toEqual([
      company!.id,
      label!.id,
    ]);
    expect(before.body.columns[0].counts).toEqual({
      requested: 2,
      in_progress: 0,
      done: 0,
      failed: 0,
      skipped: 0,
      cancelled: 0,
      stale: 0,
      not_run: 2,
    });
    await api().engine.drain();
    const after = await api().request('GET', `/v1/tables/${t.id}/column_stats`);
    for (const column of after.body.columns) {
      expect(column.counts).toMatchObject({ requested: 0, done: 2, not_run: 2 });
      expect(column.cost).toBe(0);
    }
    expect(
      await api().request('GET', `/v1/tables/${t.id}/column_stats`, { key: api().otherKey }),
    ).toMatchObject({
      status: 404,
      body: { detail: 'Table not found' },
    });
  });

  it('starts a run exactly as seed 000 describes, and the table reports it until done', async () => {
    const t = await table(3);
    const response = await api().request('POST', `/v1/tables/${t.id}/run`, { body: { mode: 'new' } });
    expect(response.status).toBe(200);
    const schema = seedSchema('000', 'TableRunOutput');
    expect(Object.keys(response.body).sort()).toEqual(Object.keys(schema.properties).sort());
    expect(response.body).toMatchObject({
      status: 'created',
      mode: 'new',
      rows: null,
      columns: null,
      num_requested_cells: 6,
    });
    expect(seedSchema('000', 'Status').enum).toContain(response.body.status);

    const status = await api().request('GET', `/v1/tables/${t.id}`);
    expect(status.body.status).toMatchObject({
      run_status: 'running',
      num_cells_in_progress: 6,
      num_cells_completed: 0,
    });

    await api().engine.drain();
    const after = await api().request('GET', `/v1/tables/${t.id}`);
    expect(after.body.status).toMatchObject({
      run_status: 'idle',
      num_cells_in_progress: 0,
      num_cells_completed: 6,
    });
    const data = await api().request('GET', `/v1/tables/${t.id}/data`);
    expect(data.body.rows.map((row: any) => row.data.label)).toEqual([
      { value: { answer: 'result:d0.test!' }, status: 'done' },
      { value: { answer: 'result:d1.test!' }, status: 'done' },
      { value: { answer: 'result:d2.test!' }, status: 'done' },
    ]);
    const run = await api().request('GET', `/v1/tables/${t.id}/runs/${response.body.id}`);
    expect(run.body).toMatchObject({
      status: 'done',
      counts: { queued: 0, running: 0, done: 6, failed: 0, skipped: 0, cancelled: 0 },
      finished_at: expect.any(String),
    });
  });

  it('takes an empty body as mode new, and answers an empty scope with 0 cells and done', async () => {
    const t = await table(1);
    const first = await api().request('POST', `/v1/tables/${t.id}/run`);
    expect(first.body).toMatchObject({ mode: 'new', num_requested_cells: 2 });
    await api().engine.drain();
    const again = await api().request('POST', `/v1/tables/${t.id}/run`, { body: {} });
    expect(again.body).toMatchObject({ mode: 'new', num_requested_cells: 0, status: 'done' });
    const empty = await api().request('POST', `/v1/tables/${t.id}/run`, { body: { mode: 'all', rows: [] } });
    expect(empty.body).toMatchObject({ num_requested_cells: 0, status: 'done', rows: [] });
  });

  it('scopes by rows and columns and reports the scope back', async () => {
    const t = await table(3);
    const company = t.columns[1]!.id;
    const response = await api().request('POST', `/v1/tables/${t.id}/run`, {
      body: { mode: 'all', rows: [t.rows[0]!.id, t.rows[2]!.id], columns: [company] },
    });
    expect(response.body).toMatchObject({
      num_requested_cells: 2,
      rows: [t.rows[0]!.id, t.rows[2]!.id],
      columns: [company],
    });
    await api().engine.drain();
    const data = await api().request('GET', `/v1/tables/${t.id}/data`);
    expect(data.body.rows.map((row: any) => row.data.company?.status ?? null)).toEqual([
      'done',
      null,
      'done',
    ]);
    expect(data.body.rows.every((row: any) => row.data.label === null)).toBe(true);
  });

  it('re-runs failed cells in mode failed', async () => {
    const flaky = await startFakeVendor({ status: 500 });
    try {
      const created = await api().request('POST', '/v1/tables', {
        body: {
          column_configs: [
            { name: 'Domain', key: 'domain' },
            {
              kind: 'http',
              name: 'Company',
              key: 'company',
              value: { url: `${flaky.url}/enrich?key={domain}` },
            },
          ],
        },
      });
      await api().request('POST', `/v1/tables/${created.body.id}/rows`, {
        body: { rows: [{ data: { domain: 'x' } }], run: true },
      });
      await api().engine.drain();
      const failed = await api().request('GET', `/v1/tables/${created.body.id}/data`);
      expect(failed.body.rows[0].data.company).toMatchObject({
        status: 'failed',
        error: { type: 'provider_error' },
      });
      flaky.options.status = undefined;
      const rerun = await api().request('POST', `/v1/tables/${created.body.id}/run`, {
        body: { mode: 'failed' },
      });
      expect(rerun.body.num_requested_cells).toBe(1);
      await api().engine.drain();
      const fixed = await api().request('GET', `/v1/tables/${created.body.id}/data`);
      expect(fixed.body.rows[0].data.company).toMatchObject({
        status: 'done',
        value: { answer: { key: 'x', result: 'result:x' } },
      });
    } finally {
      await flaky.close();
    }
  });

  it('starts a run over new and patched rows when run is true', async () => {
    const t = await table(0);
    const added = await api().request('POST', `/v1/tables/${t.id}/rows`, {
      body: { rows: [{ data: { domain: 'a.test' } }], run: true },
    });
    await api().engine.drain();
    const row = await api().request('GET', `/v1/tables/${t.id}/rows/${added.body[0].id}`);
    expect(row.body.data.company.value.answer).toBe('result:a.test');
    await api().request('PATCH', `/v1/tables/${t.id}/rows`, {
      body: { rows: [{ id: added.body[0].id, data: { domain: 'b.test' } }], run: true },
    });
    await api().engine.drain();
    const patched = await api().request('GET', `/v1/tables/${t.id}/rows/${added.body[0].id}`);
    expect(patched.body.data.label.value.answer).toBe('result:b.test!');
    const runs = await api().request('GET', `/v1/tables/${t.id}/runs`);
    expect(runs.body.items.map((run: any) => [run.mode, run.rows])).toEqual([
      ['new', [added.body[0].id]],
      ['new', [added.body[0].id]],
    ]);
  });

  it('rejects bad run requests with 422s as FastAPI words them', async () => {
    const t = await table(1);
    const extra = await api().request('POST', `/v1/tables/${t.id}/run`, {
      body: { mode: 'new', force: true },
    });
    expect(extra).toMatchObject({
      status: 422,
      body: {
        detail: [{ loc: ['body', 'force'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }],
      },
    });
    const mode = await api().request('POST', `/v1/tables/${t.id}/run`, { body: { mode: 'everything' } });
    expect(mode.body.detail).toEqual([
      {
        loc: ['body', 'mode'],
        msg: "Input should be 'new', 'all', 'failed' or 'stuck_failed_new'",
        type: 'enum',
      },
    ]);
    const notUuid = await api().request('POST', `/v1/tables/${t.id}/run`, { body: { rows: ['nope'] } });
    expect(notUuid.body.detail).toEqual([
      { loc: ['body', 'rows', 0], msg: 'Input should be a valid UUID', type: 'uuid_parsing' },
    ]);
    const unknown = await api().request('POST', `/v1/tables/${t.id}/run`, {
      body: { rows: [UNKNOWN_ID], columns: [UNKNOWN_ID] },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail.map((detail: any) => detail.loc)).toEqual([
      ['body', 'columns', 0],
      ['body', 'rows', 0],
    ]);
    const malformed = await api().request('POST', `/v1/tables/${t.id}/run`, {
      rawBody: '{"mode":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.body.detail[0].type).toBe('json_invalid');
  });

  it('cancels a run and answers 404 for runs of other tables and workspaces', async () => {
    const t = await table(2);
    const started = await api().request('POST', `/v1/tables/${t.id}/run`);
    const cancelled = await api().request('POST', `/v1/tables/${t.id}/runs/${started.body.id}/cancel`);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', counts: { queued: 0, cancelled: 4 } });
    const other = await table(1);
    for (const [method, path] of [
      ['GET', `/v1/tables/${other.id}/runs/${started.body.id}`],
      ['POST', `/v1/tables/${other.id}/runs/${started.body.id}/cancel`],
    ] as const) {
      expect(await api().request(method, path)).toMatchObject({
        status: 404,
        body: { detail: 'Run not found' },
      });
    }
    for (const [method, path] of [
      ['POST', `/v1/tables/${t.id}/run`],
      ['GET', `/v1/tables/${t.id}/runs`],
      ['GET', `/v1/tables/${t.id}/runs/${started.body.id}`],
      ['POST', `/v1/tables/${t.id}/runs/${started.body.id}/cancel`],
    ] as const) {
      expect(await api().request(method, path, { key: api().otherKey })).toMatchObject({
        status: 404,
        body: { detail: 'Table not found' },
      });
      expect(await api().request(method, path, { key: null })).toMatchObject({
        status: 401,
        body: { detail: 'Not authenticated' },
      });
    }
  });
});
