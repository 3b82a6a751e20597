import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApi, type RequestOptions } from '../fixtures/app.ts';
import { listenOnLoopback, type LoopbackServer } from '../fixtures/fake-http.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';

const SECRET = 'sk_live_connector_secret_1234';

/** A company-lookup API of the user's own: GET /lookup?domain=…, keyed by a header; 404 when unknown. */
async function startCompanyApi(): Promise<LoopbackServer & { requests: http.IncomingMessage[] }> {
  const requests: http.IncomingMessage[] = [];
  const companies: Record<string, { name: string; employees: number; hq: { city: string } }> = {
    'acme.test': { name: 'Acme', employees: 120, hq: { city: 'Berlin' } },
    'globex.test': { name: 'Globex', employees: 4000, hq: { city: 'Springfield' } },
  };
  const server = await listenOnLoopback(async (request, response) => {
    requests.push(request);
    if (request.headers['x-api-key'] !== SECRET) {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'bad key' }));
      return;
    }
    const url = new URL(request.url!, 'http://localhost');
    const company = companies[url.searchParams.get('domain') ?? ''];
    response.writeHead(company ? 200 : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(company ? { data: company } : { error: 'not found' }));
    await Promise.resolve();
  });
  return Object.assign(server, { requests });
}

describe.each(STORE_KINDS)('custom connectors on %s', (kind) => {
  let companyApi: Awaited<ReturnType<typeof startCompanyApi>>;
  beforeAll(async () => {
    companyApi = await startCompanyApi();
  });
  afterAll(async () => {
    await companyApi?.close();
  });
  const api = useTestApi(kind);

  const db = (method: string, path: string, options: RequestOptions & { apiKey?: string } = {}) =>
    api().request(method, path, {
      ...options,
      key: null,
      headers: { 'x-apikey': options.apiKey ?? api().key, ...options.headers },
    });

  const connector = () => ({
    name: 'Company lookup',
    description: 'Our CRM’s company API',
    method: 'GET',
    url: `${companyApi.origin}/lookup?domain={domain}`,
    headers: { 'X-Api-Key': SECRET },
    parameters: ['domain'],
    response_fields: [
      { name: 'company_name', path: 'data.name', display_name: 'Company name' },
      { name: 'employees', path: 'data.employees', type_field: 'number' },
      { name: 'city', path: 'data.hq.city' },
    ],
    rate_limit: 600,
    max_concurrency: 4,
  });

  it('adds a connector to the workspace catalog, keeps its headers secret, and runs it on a table', async () => {
    const created = await db('POST', '/v1/connectors', { body: connector() });
    expect(created.status).toBe(200);
    const id = created.body.id as number;
    expect(id).toBeGreaterThanOrEqual(100_000);
    expect(created.body).toMatchObject({
      name: 'Company lookup',
      header_names: ['X-Api-Key'],
      parameters: [{ name: 'domain', is_required: true, type_field: 'text', description: '' }],
      rate_limit: 600,
      max_concurrency: 4,
    });
    // The secret never comes back, in any answer.
    for (const answer of [
      created,
      await db('GET', '/v1/connectors'),
      await db('GET', `/v1/connectors/${id}`),
    ])
      expect(JSON.stringify(answer.body)).not.toContain(SECRET);

    // In this workspace's catalog, with params and response fields; not in another workspace's.
    const catalog = (await db('GET', '/v1/enrichments/')).body as { id: number; name: string }[];
    expect(catalog.find((item) => item.id === id)).toMatchObject({
      name: 'Company lookup',
      category: ['custom'],
    });
    expect((await db('GET', `/v1/enrichments/${id}`)).body).toMatchObject({
      params: [{ name: 'domain', is_required: true }],
      response_fields: [
        { name: 'company_name', display_name: 'Company name' },
        { name: 'employees', display_name: 'employees', type_field: 'number' },
        { name: 'city' },
      ],
    });
    const others = (await db('GET', '/v1/enrichments/', { apiKey: api().otherKey })).body as { id: number }[];
    expect(others.some((item) => item.id === id)).toBe(false);
    expect(await db('GET', `/v1/connectors/${id}`, { apiKey: api().otherKey })).toMatchObject({
      status: 404,
      body: { detail: 'Not found' },
    });

    const table = await db('POST', '/v1/table/create', { body: { name: 'Companies', columns: ['Domain'] } });
    const tableId = table.body.identifier as string;
    await db('POST', `/v1/table/${tableId}/rows`, {
      body: {
        rows: [{ fields: { Domain: 'acme.test' } }, { fields: { Domain: 'unknown.test' } }, { fields: {} }],
      },
    });
    const added = await db('POST', `/v1/table/${tableId}/add-enrichment`, {
      body: { enrichment: id, mapping: { domain: { type: 'mapping', value: 'Domain' } } },
    });
    expect(added.status).toBe(200);
    // The column keeps the connector's non-secret description, never its headers.
    const header = await api().request('GET', `/v1/tables/${tableId}`);
    expect(JSON.stringify(header.body)).not.toContain(SECRET);
    const run = await db('POST', `/v1/table/${tableId}/run-enrichment/${added.body.id}`);
    expect(run.body).toEqual({ status: 'queued', processing_rows: 3 });
    await api().engine.drain();

    const data = await api().request('GET', `/v1/tables/${tableId}/data`);
    const byKind = (kindName: string) =>
      (data.body.columns as { config: { kind: string; key: string; name: string } }[]).filter(
        (column) => column.config.kind === kindName,
      );
    const main = byKind('enrichment')[0]!.config.key;
    const fields = Object.fromEntries(
      byKind('enrichment_field').map((column) => [column.config.name, column.config.key]),
    );
    const rows = data.body.rows as { data: Record<string, any> }[];
    expect(rows[0]!.data[main]).toMatchObject({
      status: 'done',
      value: { answer: { company_name: 'Acme', employees: 120, city: 'Berlin' } },
    });
    expect(rows[0]!.data[fields['Company name']!].value.answer).toBe('Acme');
    expect(rows[0]!.data[fields.city!].value.answer).toBe('Berlin');
    // A 404 is "no match": done, no answer. A row without the required param is skipped, not called.
    expect(rows[1]!.data[main]).toMatchObject({ status: 'done', value: { answer: null } });
    expect(rows[2]!.data[main]).toMatchObject({ status: 'skipped', reason: 'missing_input' });
    expect(companyApi.requests.map((request) => request.url).sort()).toEqual([
      '/lookup?domain=acme.test',
      '/lookup?domain=unknown.test',
    ]);
    expect(companyApi.requests.every((request) => request.headers['x-api-key'] === SECRET)).toBe(true);

    // Deleted: gone from the catalog; the column's cells now fail fast for want of the headers.
    expect((await db('DELETE', `/v1/connectors/${id}`)).status).toBe(200);
    expect(await db('GET', `/v1/enrichments/${id}`)).toMatchObject({ status: 404 });
    await db('POST', `/v1/table/${tableId}/run-enrichment/${added.body.id}`, {
      body: { run_strategy: 'run_all' },
    });
    await api().engine.drain();
    const after = await api().request('GET', `/v1/tables/${tableId}/data`);
    expect(after.body.rows[0].data[main]).toMatchObject({
      status: 'failed',
      error: { message: expect.stringContaining('add the connector again') },
    });
    expect(JSON.stringify(after.body)).not.toContain(SECRET);
  });

  it('refuses templates over undeclared params, duplicate names and bad URLs with 422s at their field', async () => {
    const bad = await db('POST', '/v1/connectors', {
      body: {
        ...connector(),
        url: `${companyApi.origin}/lookup?domain={domain}&q={query}`,
        headers: { Authorization: 'Bearer {token}' },
        parameters: ['domain', 'domain'],
        body_template: { q: '{nope}' },
      },
    });
    expect(bad.status).toBe(422);
    const locs = (bad.body.detail as { loc: (string | number)[] }[]).map((issue) => issue.loc.join('.'));
    expect(locs).toEqual(
      expect.arrayContaining([
        'body.parameters.1.name',
        'body.url',
        'body.headers.Authorization',
        'body.body_template',
      ]),
    );
    const relative = await db('POST', '/v1/connectors', { body: { ...connector(), url: '/lookup' } });
    expect(relative).toMatchObject({ status: 422, body: { detail: [{ loc: ['body', 'url'] }] } });
    const unknownField = await db('POST', '/v1/connectors', { body: { ...connector(), secret: 'x' } });
    expect(unknownField.status).toBe(422);
    expect(await db('GET', '/v1/connectors/nope')).toMatchObject({
      status: 404,
      body: { detail: 'Not found' },
    });
    expect(await db('GET', '/v1/connectors', { headers: { 'x-apikey': 'wrong' } })).toMatchObject({
      status: 403,
      body: { detail: 'Not allowed' },
    });
  });
});

describe('custom connector targets, private addresses not allowed', () => {
  const api = useTestApi('sqlite', { env: () => ({ ENRICHBASE_HTTP_ALLOW_PRIVATE: 'false' }) });

  it('refuses a loopback or private literal host at creation', async () => {
    for (const url of ['http://127.0.0.1:9/lookup?d={domain}', 'http://10.1.2.3/x?d={domain}']) {
      const refused = await api().request('POST', '/v1/connectors', {
        key: null,
        headers: { 'x-apikey': api().key },
        body: { name: 'Internal', url, parameters: ['domain'] },
      });
      expect(refused).toMatchObject({ status: 422, body: { detail: [{ loc: ['body', 'url'] }] } });
    }
  });
});
