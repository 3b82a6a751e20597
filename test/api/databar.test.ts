import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApi, type RequestOptions } from '../fixtures/app.ts';
import {
  startFakeApollo,
  startFakeHunter,
  startFakeProspeo,
  type FakeApollo,
  type FakeHunter,
  type FakeProspeo,
} from '../fixtures/fake-vendors/index.ts';
import { seedSchema } from '../fixtures/seeds.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';

const ADA = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  domain: 'analytical.test',
  email: 'ada@analytical.test',
  company: 'Analytical',
};
const UNKNOWN_UUID = '0190f1a2-0000-7000-8000-000000000000';

describe.each(STORE_KINDS)('Databar dialect on %s', (kind) => {
  let hunter: FakeHunter;
  let apollo: FakeApollo;
  let prospeo: FakeProspeo;
  beforeAll(async () => {
    hunter = await startFakeHunter({ apiKey: 'hunter-key', people: [] });
    apollo = await startFakeApollo({ apiKey: 'apollo-key', people: [ADA] });
    prospeo = await startFakeProspeo({ apiKey: 'prospeo-key', people: [ADA] });
  });
  afterAll(async () => {
    for (const vendor of [hunter, apollo, prospeo]) await vendor?.close();
  });
  const api = useTestApi(kind, {
    env: () => ({
      ENRICHBASE_VENDOR_BASE_URLS: JSON.stringify({
        hunter: hunter.url,
        apollo: apollo.url,
        prospeo: prospeo.url,
      }),
    }),
  });

  /** Databar requests carry the key in `x-apikey`. */
  const db = (method: string, path: string, options: RequestOptions & { apiKey?: string | null } = {}) => {
    const key = options.apiKey === undefined ? api().key : options.apiKey;
    return api().request(method, path, {
      ...options,
      key: null,
      headers: { ...(key === null ? {} : { 'x-apikey': key }), ...options.headers },
    });
  };

  async function table(columns = ['Email', 'Full name', 'Company'], name = 'Leads') {
    const response = await db('POST', '/v1/table/create', { body: { name, columns } });
    expect(response.status).toBe(200);
    return response.body as { identifier: string; name: string };
  }

  it('answers user/me and refuses a missing or unknown key with 403 Not allowed on every endpoint', async () => {
    const me = await db('GET', '/v1/user/me');
    expect(me).toMatchObject({
      status: 200,
      body: {
        email: 'owner@localhost',
        plan: 'self-hosted',
        balance: expect.any(Number),
        workspace: expect.any(String),
      },
    });
    const t = await table();
    for (const [method, path] of [
      ['GET', '/v1/user/me'],
      ['POST', '/v1/table/create'],
      ['GET', '/v1/table/'],
      ['GET', `/v1/table/${t.identifier}/rows`],
      ['GET', `/v1/table/${t.identifier}/columns`],
      ['GET', '/v1/enrichments/'],
      ['GET', '/v1/waterfalls/'],
      ['POST', `/v1/table/${t.identifier}/run-enrichment/1`],
    ] as const) {
      expect(await db(method, path, { apiKey: null }), `${method} ${path}`).toMatchObject({
        status: 403,
        body: { detail: 'Not allowed' },
      });
      expect(await db(method, path, { apiKey: 'nope' })).toMatchObject({
        status: 403,
        body: { detail: 'Not allowed' },
      });
    }
  });

  it('creates, lists, renames and deletes tables; a Databar table is the same table in the Extruct dialect', async () => {
    const created = await db('POST', '/v1/table/create', {
      body: { name: 'People', columns: ['Email', 'Full name'], rows: 3 },
    });
    expect(Object.keys(created.body).sort()).toEqual([
      'created_at',
      'identifier',
      'name',
      'table_url',
      'updated_at',
      'workspace_identifier',
    ]);
    expect(created.body.table_url).toMatch(new RegExp(`/tables/${created.body.identifier}$`));
    const extruct = await api().request('GET', `/v1/tables/${created.body.identifier}`);
    expect(extruct.body).toMatchObject({ name: 'People', status: { num_rows: 3, num_input_columns: 2 } });
    expect(extruct.body.columns.map((column: any) => column.config.key)).toEqual(['email', 'full_name']);

    const listed = await db('GET', '/v1/table/');
    expect(listed.body.map((item: any) => item.identifier)).toContain(created.body.identifier);
    const renamed = await db('PATCH', `/v1/table/${created.body.identifier}`, { body: { name: 'Contacts' } });
    expect(renamed.body).toMatchObject({ identifier: created.body.identifier, name: 'Contacts' });
    expect((await db('DELETE', `/v1/table/${created.body.identifier}`)).status).toBe(200);
    expect(await db('GET', `/v1/table/${created.body.identifier}/rows`)).toMatchObject({
      status: 404,
      body: { detail: 'Not found' },
    });
  });

  it("answers 404 Not found for unknown, malformed and other workspaces' tables", async () => {
    const t = await table();
    for (const path of [
      `/v1/table/${UNKNOWN_UUID}/rows`,
      '/v1/table/not-a-uuid/rows',
      `/v1/table/${t.identifier}/columns`,
    ]) {
      const key = path.includes(t.identifier) ? api().otherKey : undefined;
      expect(await db('GET', path, { apiKey: key }), path).toMatchObject({
        status: 404,
        body: { detail: 'Not found' },
      });
    }
    expect(
      await db('POST', `/v1/table/${t.identifier}/rows`, {
        apiKey: api().otherKey,
        body: { rows: [{ fields: { Email: 'x' } }] },
      }),
    ).toMatchObject({
      status: 404,
      body: { detail: 'Not found' },
    });
  });

  it('lists and creates columns', async () => {
    const t = await table(['Email']);
    const created = await db('POST', `/v1/table/${t.identifier}/columns`, {
      body: { name: 'Job title', type: 'text', config: {} },
    });
    expect(created.body).toEqual({
      identifier: expect.any(String),
      internal_name: 'job_title',
      name: 'Job title',
      type_of_value: 'text',
      data_processor_id: null,
    });
    const columns = await db('GET', `/v1/table/${t.identifier}/columns`);
    expect(columns.body.map((column: any) => column.name)).toEqual(['Email', 'Job title']);
  });

  it('inserts rows with new columns and de-duplication, reporting each row', async () => {
    const t = await table(['Email', 'Full name']);
    const first = await db('POST', `/v1/table/${t.identifier}/rows`, {
      body: {
        rows: [
          { fields: { Email: 'a@x.test', 'Full name': 'A' } },
          { fields: { Email: 'b@x.test', Country: 'FR' } },
        ],
        options: { allow_new_columns: true },
      },
    });
    expect(first.status).toBe(200);
    expect(first.body.results).toEqual([
      {
        index: 0,
        id: expect.any(String),
        action: 'created',
        row_data: { Email: 'a@x.test', 'Full name': 'A', Country: null },
      },
      {
        index: 1,
        id: expect.any(String),
        action: 'created',
        row_data: { Email: 'b@x.test', 'Full name': null, Country: 'FR' },
      },
    ]);
    const second = await db('POST', `/v1/table/${t.identifier}/rows`, {
      body: {
        rows: [
          { fields: { Email: 'a@x.test' } },
          { fields: { Email: 'c@x.test' } },
          { fields: { Email: 'c@x.test' } },
        ],
        options: { dedupe: { enabled: true, keys: ['Email'] } },
      },
    });
    expect(second.body.results.map((result: any) => [result.action, result.row_data.Email])).toEqual([
      ['skipped_duplicate', 'a@x.test'],
      ['created', 'c@x.test'],
      ['skipped_duplicate', 'c@x.test'],
    ]);
    expect(second.body.results[0].id).toBe(first.body.results[0].id);
    expect(second.body.results[2].id).toBe(second.body.results[1].id);
  });

  it('refuses bad batches with 400 naming the code, and applies nothing', async () => {
    const t = await table(['Email']);
    const tooMany = await db('POST', `/v1/table/${t.identifier}/rows`, {
      body: { rows: Array.from({ length: 501 }, () => ({ fields: {} })) },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.detail).toMatch(/^BATCH_TOO_LARGE/);
    const unknown = await db('POST', `/v1/table/${t.identifier}/rows`, {
      body: { rows: [{ fields: { Email: 'ok' } }, { fields: { Phone: '1' } }] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toMatch(/^UNKNOWN_COLUMNS.*'Phone'/);
    const invalid = await db('POST', `/v1/table/${t.identifier}/rows`, { body: { rows: 'many' } });
    expect(invalid.status).toBe(422);
    const rows = await db('GET', `/v1/table/${t.identifier}/rows`);
    expect(rows.body.total_count).toBe(0);
  });

  it('pages rows and filters them by column name', async () => {
    const t = await table(['Email', 'Company']);
    await db('POST', `/v1/table/${t.identifier}/rows`, {
      body: {
        rows: [
          { fields: { Email: 'ada@acme.test', Company: 'Acme' } },
          { fields: { Email: 'bob@globex.test', Company: 'Globex' } },
          { fields: { Email: 'cy@acme.test', Company: '' } },
        ],
      },
    });
    const page = await db('GET', `/v1/table/${t.identifier}/rows?page=2&per_page=2`);
    expect(page.body).toEqual({
      data: [{ id: expect.any(String), Email: 'cy@acme.test', Company: '' }],
      has_next_page: false,
      total_count: 3,
      page: 2,
    });
    const query = (filter: unknown) =>
      db('GET', `/v1/table/${t.identifier}/rows?filter=${encodeURIComponent(JSON.stringify(filter))}`);
    expect((await query({ Email: { contains: 'ACME' } })).body.data.map((row: any) => row.Email)).toEqual([
      'ada@acme.test',
      'cy@acme.test',
    ]);
    expect((await query({ Company: { equals: 'Globex' } })).body.total_count).toBe(1);
    expect((await query({ Company: { is_empty: true } })).body.data.map((row: any) => row.Email)).toEqual([
      'cy@acme.test',
    ]);
    expect(
      (await query({ Email: { contains: 'acme' }, Company: { is_not_empty: true } })).body.total_count,
    ).toBe(1);
    expect((await query({ Company: { not_equals: 'Acme' } })).body.total_count).toBe(2);
    expect((await query({ Nope: { equals: 1 } })).status).toBe(400);
    expect((await query({ Email: { like: 'x' } })).status).toBe(422);
  });

  it('patches rows with per-row results, fills only empty fields without overwrite, upserts by key, deletes', async () => {
    const t = await table(['Email', 'Company']);
    const inserted = await db('POST', `/v1/table/${t.identifier}/rows`, {
      body: { rows: [{ fields: { Email: 'a@x.test', Company: 'Old' } }, { fields: { Email: 'b@x.test' } }] },
    });
    const [a, b] = inserted.body.results.map((result: any) => result.id);
    const patched = await db('PATCH', `/v1/table/${t.identifier}/rows`, {
      body: {
        rows: [
          { id: a, fields: { Company: 'New' } },
          { id: UNKNOWN_UUID, fields: { Company: 'X' } },
        ],
        return_rows: true,
      },
    });
    expect(patched.body.results).toEqual([
      { id: a, ok: true, row_data: { Email: 'a@x.test', Company: 'New' } },
      { id: UNKNOWN_UUID, ok: false, error: 'Row not found' },
    ]);
    const gentle = await db('PATCH', `/v1/table/${t.identifier}/rows`, {
      body: {
        rows: [
          { id: a, fields: { Company: 'Ignored' } },
          { id: b, fields: { Company: 'Filled' } },
        ],
        overwrite: false,
        return_rows: true,
      },
    });
    expect(gentle.body.results.map((result: any) => result.row_data.Company)).toEqual(['New', 'Filled']);
    const upserted = await db('POST', `/v1/table/${t.identifier}/rows/upsert`, {
      body: {
        rows: [
          { key: { Email: 'a@x.test' }, fields: { Company: 'Upserted' } },
          { key: { Email: 'z@x.test' }, fields: { Company: 'Fresh' } },
        ],
      },
    });
    expect(upserted.body.results).toEqual([
      { index: 0, id: a, action: 'updated', ok: true },
      { index: 1, id: expect.any(String), action: 'created', ok: true },
    ]);
    const deleted = await db('POST', `/v1/table/${t.identifier}/rows/delete`, {
      body: { row_ids: [b, UNKNOWN_UUID] },
    });
    expect(deleted.body).toEqual({ deleted: [b] });
    const rows = await db('GET', `/v1/table/${t.identifier}/rows`);
    expect(rows.body.data.map((row: any) => [row.Email, row.Company])).toEqual([
      ['a@x.test', 'Upserted'],
      ['z@x.test', 'Fresh'],
    ]);
  });

  it('serves the catalog of enrichments and waterfalls', async () => {
    const list = await db('GET', '/v1/enrichments/');
    expect(list.status).toBe(200);
    const slugs = list.body.map((item: any) => item.name);
    expect(slugs).toEqual(expect.arrayContaining(['Domain from email', 'Email syntax and MX check']));
    expect(Object.keys(list.body[0]).sort()).toEqual([
      'auth_method',
      'category',
      'data_source',
      'description',
      'id',
      'name',
      'price',
      'pricing',
    ]);
    const hunterFinder = list.body.find(
      (item: any) => item.data_source === 'Hunter' && /finder/i.test(item.name),
    );
    expect(hunterFinder).toMatchObject({ auth_method: 'api_key', price: expect.any(Number) });
    const detail = await db('GET', '/v1/enrichments/1');
    expect(detail.body).toMatchObject({
      id: 1,
      params: [{ name: 'email', is_required: true }],
      response_fields: expect.any(Array),
    });
    expect(await db('GET', '/v1/enrichments/99999')).toMatchObject({
      status: 404,
      body: { detail: 'Not found' },
    });
    const waterfalls = await db('GET', '/v1/waterfalls/');
    const email = waterfalls.body.find((item: any) => item.identifier === 'email_finder');
    expect(email.available_enrichments.length).toBeGreaterThanOrEqual(3);
    expect((await db('GET', '/v1/waterfalls/email_finder')).body.identifier).toBe('email_finder');
    expect(await db('GET', '/v1/waterfalls/nope')).toMatchObject({
      status: 404,
      body: { detail: 'Not found' },
    });
  });

  it('offers LLM enrichments in the catalog, failing clearly when no LLM is configured', async () => {
    const catalog = (await db('GET', '/v1/enrichments/')).body;
    expect(catalog.filter((item: any) => item.category.includes('ai')).map((item: any) => item.name)).toEqual(
      ['AI prompt', 'AI web research'],
    );
    const t = await table(['Company']);
    await db('POST', `/v1/table/${t.identifier}/rows`, { body: { rows: [{ fields: { Company: 'Acme' } }] } });
    const added = await db('POST', `/v1/table/${t.identifier}/add-enrichment`, {
      body: { enrichment: 20, mapping: { prompt: { type: 'simple', value: 'What does {company} sell?' } } },
    });
    expect(added.status).toBe(200);
    await db('POST', `/v1/table/${t.identifier}/run-enrichment/${added.body.id}`);
    await api().engine.drain();
    const data = await api().request('GET', `/v1/tables/${t.identifier}/data`);
    const key = data.body.columns.find((column: any) => column.config.kind === 'enrichment').config.key;
    expect(data.body.rows[0].data[key]).toMatchObject({
      status: 'failed',
      error: { message: expect.stringContaining('OPENAI_API_KEY') },
    });
  });

  it('adds an enrichment with its result columns, validating the mapping and the run condition', async () => {
    const t = await table(['Email']);
    const bad = await db('POST', `/v1/table/${t.identifier}/add-enrichment`, {
      body: { enrichment: 1, mapping: { email: { type: 'mapping', value: 'Mail' } }, run_if: 'Email +' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.detail.map((detail: any) => detail.loc)).toEqual([
      ['body', 'mapping', 'email', 'value'],
      ['body', 'run_if'],
    ]);
    const unmapped = await db('POST', `/v1/table/${t.identifier}/add-enrichment`, {
      body: { enrichment: 1, mapping: {} },
    });
    expect(unmapped.body.detail).toEqual([
      { loc: ['body', 'mapping', 'email'], msg: "The required param 'email' is not mapped", type: 'missing' },
    ]);
    const unknown = await db('POST', `/v1/table/${t.identifier}/add-enrichment`, {
      body: { enrichment: 4242, mapping: {} },
    });
    expect(unknown.body.detail[0].loc).toEqual(['body', 'enrichment']);

    const added = await db('POST', `/v1/table/${t.identifier}/add-enrichment`, {
      body: { enrichment: 1, mapping: { email: { type: 'mapping', value: 'Email' } } },
    });
    expect(added.body).toEqual({ id: expect.any(Number), enrichment_name: 'Domain from email' });
    const listed = await db('GET', `/v1/table/${t.identifier}/enrichments`);
    expect(listed.body).toEqual([{ id: added.body.id, name: 'Domain from email' }]);
    const columns = await db('GET', `/v1/table/${t.identifier}/columns`);
    expect(columns.body.map((column: any) => [column.name, column.data_processor_id])).toEqual([
      ['Email', null],
      ['Domain from email', added.body.id],
      ['Domain', added.body.id],
      ['Free email provider', added.body.id],
    ]);
  });

  it('runs an enrichment exactly as seed 002 says, with the right processing_rows per strategy', async () => {
    const t = await table(['Email']);
    await db('POST', `/v1/table/${t.identifier}/rows`, {
      body: {
        rows: [
          { fields: { Email: 'ada@acme.test' } },
          { fields: { Email: 'bob@gmail.com' } },
          { fields: { Email: '' } },
        ],
      },
    });
    const added = await db('POST', `/v1/table/${t.identifier}/add-enrichment`, {
      body: { enrichment: 1, mapping: { email: { type: 'mapping', value: 'Email' } } },
    });
    const run = (body?: unknown) =>
      db('POST', `/v1/table/${t.identifier}/run-enrichment/${added.body.id}`, { body });
    const all = await run({ run_strategy: 'run_all' });
    expect(all.status).toBe(200);
    expect(Object.keys(all.body).sort()).toEqual(
      Object.keys(seedSchema('002', 'RunEnrichmentResponse').properties).sort(),
    );
    expect(all.body).toEqual({ status: 'queued', processing_rows: 3 });
    await api().engine.drain();
    const rows = await db('GET', `/v1/table/${t.identifier}/rows`);
    expect(rows.body.data.map((row: any) => [row.Domain, row['Free email provider']])).toEqual([
      ['acme.test', false],
      ['gmail.com', true],
      [null, null],
    ]);
    expect(await run({ run_strategy: 'run_empty' })).toMatchObject({
      body: { status: 'queued', processing_rows: 0 },
    });
    expect(await run(null)).toMatchObject({ body: { status: 'queued', processing_rows: 3 } });
    await api().engine.drain();
    expect(await run({ run_strategy: 'run_all', row_ids: [rows.body.data[0].id] })).toMatchObject({
      body: { processing_rows: 1 },
    });
    await api().engine.drain();
    expect(await run({ run_strategy: 'run_errors' })).toMatchObject({ body: { processing_rows: 0 } });
    expect(await run({ run_strategy: 'sometimes' })).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ['body', 'run_strategy'], type: 'enum' }] },
    });
    expect(await run({ row_ids: ['nope'] })).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ['body', 'row_ids', 0], type: 'uuid_parsing' }] },
    });
    expect(await run({ row_ids: [UNKNOWN_UUID] })).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ['body', 'row_ids', 0] }] },
    });
    expect(await db('POST', `/v1/table/${t.identifier}/run-enrichment/99999`)).toMatchObject({
      status: 404,
      body: { detail: 'Not found' },
    });
    expect(await db('POST', `/v1/table/${t.identifier}/run-enrichment/abc`)).toMatchObject({
      status: 404,
      body: { detail: 'Not found' },
    });
    expect(await db('POST', `/v1/table/${UNKNOWN_UUID}/run-enrichment/${added.body.id}`)).toMatchObject({
      status: 404,
      body: { detail: 'Not found' },
    });
    expect(
      await db('POST', `/v1/table/${t.identifier}/run-enrichment/${added.body.id}`, { apiKey: null }),
    ).toMatchObject({ status: 403, body: { detail: 'Not allowed' } });
  });

  it('skips rows failing run_if for free, and re-runs exactly the changed rows when launched run_on_update', async () => {
    const t = await table(['Email', 'Country']);
    const inserted = await db('POST', `/v1/table/${t.identifier}/rows`, {
      body: {
        rows: [
          { fields: { Email: 'a@acme.test', Country: 'FR' } },
          { fields: { Email: 'b@globex.test', Country: 'US' } },
        ],
      },
    });
    const added = await db('POST', `/v1/table/${t.identifier}/add-enrichment`, {
      body: {
        enrichment: 1,
        mapping: { email: { type: 'mapping', value: 'Email' } },
        run_if: '{Country} == "FR"',
        launch_strategy: 'run_on_update',
      },
    });
    expect(added.status).toBe(200);
    await db('POST', `/v1/table/${t.identifier}/run-enrichment/${added.body.id}`, { body: {} });
    await api().engine.drain();
    const cells = await api().request('GET', `/v1/tables/${t.identifier}/data`);
    const result = cells.body.columns.find((column: any) => column.config.kind === 'enrichment').config.key;
    expect(
      cells.body.rows.map((row: any) => [row.data[result].status, row.data[result].reason ?? null]),
    ).toEqual([
      ['done', null],
      ['skipped', 'condition_not_met'],
    ]);
    const runs = await api().request('GET', `/v1/tables/${t.identifier}/runs`);
    expect(runs.body.items[0]).toMatchObject({ cost: 0, counts: { skipped: expect.any(Number) } });

    // run_on_update: changing the first row's email re-runs that row only.
    const [a] = inserted.body.results.map((item: any) => item.id);
    await db('PATCH', `/v1/table/${t.identifier}/rows`, {
      body: { rows: [{ id: a, fields: { Email: 'a@initech.test' } }] },
    });
    const after = await api().request('GET', `/v1/tables/${t.identifier}/runs`);
    expect(after.body.items[0]).toMatchObject({ rows: [a], num_requested_cells: 3 });
    await api().engine.drain();
    const rows = await db('GET', `/v1/table/${t.identifier}/rows`);
    expect(rows.body.data.map((row: any) => row.Domain)).toEqual(['initech.test', null]);
  });

  it('fills a waterfall from the first vendor with data: first empty, second down, third hits; only the third is charged', async () => {
    const t = await table(['First name', 'Last name', 'Domain']);
    for (const [provider, key] of [
      ['hunter', 'hunter-key'],
      ['apollo', 'apollo-key'],
      ['prospeo', 'prospeo-key'],
    ]) {
      const saved = await db('PUT', `/v1/connections/${provider}`, { body: { api_key: key } });
      expect(saved.body).toEqual({
        provider,
        hint: expect.stringMatching(/^…/),
        updated_at: expect.any(String),
      });
      expect(JSON.stringify(saved.body)).not.toContain(key);
    }
    expect((await db('GET', '/v1/connections')).body.map((item: any) => item.provider)).toEqual([
      'apollo',
      'hunter',
      'prospeo',
    ]);
    await db('POST', `/v1/table/${t.identifier}/rows`, {
      body: {
        rows: [{ fields: { 'First name': 'Ada', 'Last name': 'Lovelace', Domain: 'analytical.test' } }],
      },
    });
    const catalog = (await db('GET', '/v1/enrichments/')).body;
    // Catalog ids are stable: the email finders of Hunter, Apollo and Prospeo.
    const ids: Record<string, number> = { Hunter: 100, Apollo: 101, Prospeo: 102 };
    for (const [source, id] of Object.entries(ids))
      expect(catalog.find((item: any) => item.id === id).data_source).toBe(source);
    const idOf = (source: string) => ids[source]!;
    apollo.enqueueFaults('server_error');
    const added = await db('POST', `/v1/table/${t.identifier}/add-waterfall`, {
      body: {
        waterfall: 'email_finder',
        enrichments: [idOf('Hunter'), idOf('Apollo'), idOf('Prospeo')],
        mapping: { first_name: 'First name', last_name: 'Last name', domain: 'Domain' },
      },
    });
    expect(added.body).toEqual({ id: expect.any(Number), waterfall_name: 'Email finder waterfall' });
    expect((await db('GET', `/v1/table/${t.identifier}/waterfalls`)).body).toEqual([
      { id: added.body.id, name: 'Email finder waterfall' },
    ]);
    expect(await db('POST', `/v1/table/${t.identifier}/run-enrichment/${added.body.id}`)).toMatchObject({
      body: { status: 'queued', processing_rows: 1 },
    });
    await api().engine.drain();
    const rows = await db('GET', `/v1/table/${t.identifier}/rows`);
    expect(rows.body.data[0].Email).toBe('ada@analytical.test');
    const data = await api().request('GET', `/v1/tables/${t.identifier}/data`);
    const key = data.body.columns.find((column: any) => column.config.kind === 'waterfall').config.key;
    const cell = data.body.rows[0].data[key];
    expect(cell.status).toBe('done');
    expect(
      cell.value.steps.map((step: any) => [
        step.provider,
        step.result === null,
        step.cost > 0,
        step.error ? 'error' : 'ok',
      ]),
    ).toEqual([
      ['hunter', true, false, 'ok'],
      ['apollo', true, false, 'error'],
      ['prospeo', false, true, 'ok'],
    ]);
    const run = (await api().request('GET', `/v1/tables/${t.identifier}/runs`)).body.items[0];
    const prospeoPrice = catalog.find((item: any) => item.id === idOf('Prospeo')).price;
    expect(run.cost).toBeCloseTo(prospeoPrice, 10);
    expect(JSON.stringify(data.body)).not.toMatch(/hunter-key|apollo-key|prospeo-key/);
  });
});
