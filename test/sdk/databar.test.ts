import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createClient,
  EnrichbaseApiError,
  type DatabarRow,
  type EnrichbaseClient,
  type RunEnrichmentResult,
} from '../../src/sdk/index.ts';
import { useTestApi } from '../fixtures/app.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';
import { settleEventStreams } from './listen.ts';

const UNKNOWN_UUID = '0190f1a2-0000-7000-8000-000000000000';

/** The Databar half of the SDK, with `fetch` injected: requests go straight into the in-process app. */
describe.each(STORE_KINDS)('SDK, Databar dialect, in process on %s', (kind) => {
  const api = useTestApi(kind);
  // Runs before useTestApi's own afterAll (hooks unwind in reverse), so before the store closes.
  afterAll(settleEventStreams);
  const connect = (apiKey: string): EnrichbaseClient =>
    createClient({
      baseUrl: 'http://enrichbase.test',
      apiKey,
      fetch: async (input, init) => api().http.request(input, init),
      retry: false,
    });
  const client = () => connect(api().key);

  async function rows<T>(iterable: AsyncIterable<T>): Promise<T[]> {
    const items: T[] = [];
    for await (const item of iterable) items.push(item);
    return items;
  }

  it('answers user/me', async () => {
    const me = await client().databar.user();
    expect(me).toMatchObject({
      email: 'owner@localhost',
      plan: 'self-hosted',
      workspace: expect.any(String),
    });
  });

  it('creates, lists, renames and deletes tables, the same tables the Extruct dialect sees', async () => {
    const created = await client().databar.tables.create({
      name: 'People',
      columns: ['Email', 'Full name'],
      rows: 2,
    });
    expect(created).toMatchObject({ name: 'People', identifier: expect.any(String) });
    expect((await client().tables.get(created.identifier)).status.num_rows).toBe(2);

    expect((await client().databar.tables.list()).map((table) => table.identifier)).toContain(
      created.identifier,
    );
    expect(await client().databar.tables.rename(created.identifier, { name: 'Contacts' })).toMatchObject({
      name: 'Contacts',
    });
    await client().databar.tables.delete(created.identifier);
    await expect(client().databar.rows.page(created.identifier)).rejects.toMatchObject({
      status: 404,
      detail: 'Not found',
    });
  });

  it('lists and adds columns', async () => {
    const table = await client().databar.tables.create({ columns: ['Email'] });
    const added = await client().databar.columns.add(table.identifier, { name: 'Job title' });
    expect(added).toMatchObject({ name: 'Job title', internal_name: 'job_title', type_of_value: 'text' });
    expect((await client().databar.columns.list(table.identifier)).map((column) => column.name)).toEqual([
      'Email',
      'Job title',
    ]);
  });

  it('adds rows, pages through all of them, filters, updates, upserts and deletes', async () => {
    const table = await client().databar.tables.create({ columns: ['Email', 'Company'] });
    const inserted = await client().databar.rows.add(table.identifier, {
      rows: Array.from({ length: 5 }, (_, index) => ({
        fields: {
          Email: `p${index}@${index % 2 ? 'acme' : 'globex'}.test`,
          Company: index % 2 ? 'Acme' : 'Globex',
        },
      })),
    });
    expect(inserted.results.map((result) => result.action)).toEqual(Array(5).fill('created'));

    const all: DatabarRow[] = await rows(client().databar.rows.list(table.identifier, { per_page: 2 }));
    expect(all.map((row) => row.Email)).toEqual([
      'p0@globex.test',
      'p1@acme.test',
      'p2@globex.test',
      'p3@acme.test',
      'p4@globex.test',
    ]);
    const acme = await rows(
      client().databar.rows.list(table.identifier, { per_page: 1, filter: { Email: { contains: 'ACME' } } }),
    );
    expect(acme.map((row) => row.Email)).toEqual(['p1@acme.test', 'p3@acme.test']);
    const page = await client().databar.rows.page(table.identifier, { page: 2, per_page: 2 });
    expect(page).toMatchObject({ page: 2, has_next_page: true, total_count: 5 });

    const [first, second] = inserted.results.map((result) => result.id);
    const patched = await client().databar.rows.update(table.identifier, {
      rows: [{ id: first!, fields: { Company: 'Initech' } }],
      return_rows: true,
    });
    expect(patched.results).toEqual([
      { id: first, ok: true, row_data: { Email: 'p0@globex.test', Company: 'Initech' } },
    ]);
    const upserted = await client().databar.rows.upsert(table.identifier, {
      rows: [
        { key: { Email: 'p1@acme.test' }, fields: { Company: 'Acme Inc' } },
        { key: { Email: 'new@x.test' }, fields: { Company: 'New' } },
      ],
    });
    expect(upserted.results.map((result) => [result.action, result.ok])).toEqual([
      ['updated', true],
      ['created', true],
    ]);
    expect(await client().databar.rows.delete(table.identifier, { row_ids: [second!] })).toEqual({
      deleted: [second],
    });
    expect((await client().databar.rows.page(table.identifier)).total_count).toBe(5);
  });

  it('serves the catalog and adds, lists and runs a table enrichment, then waits for the table', async () => {
    const enrichments = await client().databar.enrichments.list();
    expect(enrichments.find((item) => item.id === 1)).toMatchObject({ name: 'Domain from email' });
    expect(await client().databar.enrichments.get(1)).toMatchObject({
      params: [{ name: 'email', is_required: true }],
    });
    const waterfalls = await client().databar.waterfalls.list();
    expect(waterfalls.map((item) => item.identifier)).toContain('email_finder');
    expect(await client().databar.waterfalls.get('email_finder')).toMatchObject({
      identifier: 'email_finder',
    });

    const table = await client().databar.tables.create({ columns: ['Email'] });
    await client().databar.rows.add(table.identifier, {
      rows: [{ fields: { Email: 'ada@acme.test' } }, { fields: { Email: 'bob@gmail.com' } }],
    });
    const added = await client().databar.tables.addEnrichment(table.identifier, {
      enrichment: 1,
      mapping: { email: { type: 'mapping', value: 'Email' } },
    });
    expect(await client().databar.tables.enrichments(table.identifier)).toEqual([
      { id: added.id, name: added.enrichment_name },
    ]);
    const run = await client().databar.tables.runEnrichment(table.identifier, added.id, {
      run_strategy: 'run_all',
    });
    expectTypeOf(run).toEqualTypeOf<RunEnrichmentResult>();
    expect(run).toEqual({ status: 'queued', processing_rows: 2 });

    // One table, two dialects: the Extruct waiter follows a run started through Databar.
    const waiting = client().waitForTable(table.identifier, { pollIntervalMs: 20 });
    await api().engine.drain();
    expect((await waiting).status).toMatchObject({ run_status: 'idle', num_cells_in_progress: 0 });
    const domains = (await rows(client().databar.rows.list(table.identifier))).map((row) => row.Domain);
    expect(domains).toEqual(['acme.test', 'gmail.com']);
  });

  it('adds a custom connector to the catalog, never showing its headers, and removes it', async () => {
    const connector = await client().databar.connectors.create({
      name: 'CRM lookup',
      url: 'https://crm.example.com/lookup?domain={domain}',
      headers: { Authorization: 'Bearer crm-secret-token' },
      parameters: ['domain'],
      response_fields: [{ name: 'owner', path: 'data.owner' }],
    });
    expect(connector).toMatchObject({ name: 'CRM lookup', header_names: ['Authorization'], method: 'GET' });
    expect(JSON.stringify(await client().databar.connectors.list())).not.toContain('crm-secret-token');
    expect((await client().databar.enrichments.list()).map((item) => item.id)).toContain(connector.id);
    expect((await client().databar.connectors.get(connector.id)).id).toBe(connector.id);
    await client().databar.connectors.delete(connector.id);
    await expect(client().databar.connectors.get(connector.id)).rejects.toMatchObject({
      status: 404,
      detail: 'Not found',
    });
  });

  it('stores vendor keys as connections and adds a waterfall over those vendors', async () => {
    const saved = await client().connections.set('hunter', { api_key: 'hunter-secret-key' });
    expect(saved).toMatchObject({ provider: 'hunter', hint: expect.any(String) });
    expect(JSON.stringify(saved)).not.toContain('hunter-secret-key');
    expect((await client().connections.list()).map((item) => item.provider)).toContain('hunter');

    const table = await client().databar.tables.create({ columns: ['First name', 'Last name', 'Domain'] });
    const enrichments = await client().databar.enrichments.list();
    const hunter = enrichments.find((item) => item.data_source === 'Hunter' && /finder/i.test(item.name))!;
    const added = await client().databar.tables.addWaterfall(table.identifier, {
      waterfall: 'email_finder',
      enrichments: [hunter.id],
      mapping: { first_name: 'First name', last_name: 'Last name', domain: 'Domain' },
    });
    expect(await client().databar.tables.waterfalls(table.identifier)).toEqual([
      { id: added.id, name: added.waterfall_name },
    ]);

    expect(await client().connections.delete('hunter')).toEqual({ deleted: true });
    await expect(client().connections.delete('hunter')).rejects.toMatchObject({ status: 404 });
  });

  it("maps 403, 404, 400 and 422 answers to EnrichbaseApiError with Databar's detail", async () => {
    const forbidden = await connect('nope')
      .databar.tables.list()
      .catch((caught: unknown) => caught);
    expect(forbidden).toBeInstanceOf(EnrichbaseApiError);
    expect(forbidden).toMatchObject({ status: 403, detail: 'Not allowed' });

    await expect(client().databar.columns.list(UNKNOWN_UUID)).rejects.toMatchObject({
      status: 404,
      detail: 'Not found',
    });
    await expect(client().databar.rows.page('not-a-uuid')).rejects.toMatchObject({
      status: 404,
      detail: 'Not found',
    });

    const table = await client().databar.tables.create({ columns: ['Email'] });
    const tooMany = await client()
      .databar.rows.add(table.identifier, { rows: Array.from({ length: 501 }, () => ({ fields: {} })) })
      .catch((caught: unknown) => caught as EnrichbaseApiError);
    expect(tooMany).toMatchObject({ status: 400, detail: expect.stringMatching(/^BATCH_TOO_LARGE/) });
    expect((tooMany as EnrichbaseApiError).issues).toEqual([]);

    const invalid = await client()
      .databar.tables.runEnrichment(table.identifier, 1, { run_strategy: 'sometimes' as never })
      .catch((caught: unknown) => caught as EnrichbaseApiError);
    // The enrichment id is checked after the body: the body's problem is what comes back.
    expect(invalid).toMatchObject({ status: 422 });
    expect((invalid as EnrichbaseApiError).issues).toEqual([
      expect.objectContaining({ loc: ['body', 'run_strategy'], type: 'enum' }),
    ]);
  });
});
