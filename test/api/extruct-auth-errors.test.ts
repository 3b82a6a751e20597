import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/engine/api-keys.ts';
import { issueApiKey } from '../../src/engine/api-keys.ts';
import { useTestApi, type TestApi } from '../fixtures/app.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';

/** A table of workspace A with one row and two columns, and every endpoint that can reach it. */
async function fixture(api: TestApi) {
  const table = (
    await api.request('POST', '/v1/tables', {
      body: {
        name: 'Private',
        column_configs: [
          { name: 'Company', key: 'company' },
          { name: 'Notes', key: 'notes' },
        ],
      },
    })
  ).body;
  const row = (
    await api.request('POST', `/v1/tables/${table.id}/rows`, {
      body: { rows: [{ data: { company: 'Acme' } }] },
    })
  ).body[0];
  const [company, notes] = table.columns;
  const endpoints: { method: string; path: string; body?: unknown }[] = [
    { method: 'GET', path: `/v1/tables/${table.id}` },
    { method: 'PATCH', path: `/v1/tables/${table.id}`, body: { name: 'Hijacked' } },
    { method: 'DELETE', path: `/v1/tables/${table.id}` },
    { method: 'GET', path: `/v1/tables/${table.id}/data` },
    {
      method: 'POST',
      path: `/v1/tables/${table.id}/rows`,
      body: { rows: [{ data: { company: 'Intruder' } }] },
    },
    {
      method: 'PATCH',
      path: `/v1/tables/${table.id}/rows`,
      body: { rows: [{ id: row.id, data: { company: 'Changed' } }] },
    },
    { method: 'DELETE', path: `/v1/tables/${table.id}/rows`, body: { rows: [row.id] } },
    { method: 'GET', path: `/v1/tables/${table.id}/rows/${row.id}` },
    {
      method: 'POST',
      path: `/v1/tables/${table.id}/columns`,
      body: { column_configs: [{ name: 'X', key: 'x' }] },
    },
    {
      method: 'PATCH',
      path: `/v1/tables/${table.id}/columns/${notes.id}`,
      body: { name: 'Renamed', key: 'notes' },
    },
    { method: 'DELETE', path: `/v1/tables/${table.id}/columns/${notes.id}` },
  ];
  return { table, row, company, notes, endpoints };
}

describe.each(STORE_KINDS)('Extruct auth, isolation and error shapes on %s', (kind) => {
  const api = useTestApi(kind);

  it('answers 401 {detail} without a key, with a malformed header, and with an unknown or revoked key', async () => {
    const { endpoints } = await fixture(api());
    const all = [
      ...endpoints,
      { method: 'GET', path: '/v1/user' },
      { method: 'GET', path: '/v1/tables' },
      { method: 'POST', path: '/v1/tables', body: {} },
    ];
    const revoked = await issueApiKey(api().store, { workspaceName: 'default' });
    await api().store.revokeApiKey(revoked.workspace.id, revoked.apiKey.id);
    for (const endpoint of all) {
      const missing = await api().request(endpoint.method, endpoint.path, { body: endpoint.body, key: null });
      expect(missing.status, `${endpoint.method} ${endpoint.path}`).toBe(401);
      expect(missing.body).toEqual({ detail: 'Not authenticated' });
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      const malformed = await api().request(endpoint.method, endpoint.path, {
        body: endpoint.body,
        key: null,
        headers: { authorization: `Token ${api().key}` },
      });
      expect(malformed).toMatchObject({ status: 401, body: { detail: 'Not authenticated' } });
      const unknown = await api().request(endpoint.method, endpoint.path, {
        body: endpoint.body,
        key: 'eb_not-a-real-key',
      });
      expect(unknown).toMatchObject({ status: 401, body: { detail: 'Invalid or revoked API key' } });
      const revokedResponse = await api().request(endpoint.method, endpoint.path, {
        body: endpoint.body,
        key: revoked.key,
      });
      expect(revokedResponse).toMatchObject({ status: 401, body: { detail: 'Invalid or revoked API key' } });
    }
  });

  it("answers another workspace's table, rows and columns with the same 404 as absent ones, and changes nothing", async () => {
    const { table, row, endpoints } = await fixture(api());
    for (const endpoint of endpoints) {
      const response = await api().request(endpoint.method, endpoint.path, {
        body: endpoint.body,
        key: api().otherKey,
      });
      expect(response.status, `${endpoint.method} ${endpoint.path}`).toBe(404);
      expect(response.body).toEqual({ detail: 'Table not found' });
    }
    const listed = await api().request('GET', '/v1/tables?limit=100', { key: api().otherKey });
    expect(listed.body.items.map((item: any) => item.id)).not.toContain(table.id);

    const data = await api().request('GET', `/v1/tables/${table.id}/data`);
    expect(data.body).toMatchObject({ name: 'Private', status: { num_rows: 1, num_columns: 2 } });
    expect(data.body.rows.map((r: any) => [r.id, r.data.company.value.answer])).toEqual([[row.id, 'Acme']]);
  });

  it('answers 404 for a row or column that is not in the table', async () => {
    const { table } = await fixture(api());
    const other = await fixture(api());
    const row = await api().request('GET', `/v1/tables/${table.id}/rows/${other.row.id}`);
    expect(row).toMatchObject({ status: 404, body: { detail: 'Row not found' } });
    const column = await api().request('DELETE', `/v1/tables/${table.id}/columns/${other.notes.id}`);
    expect(column).toMatchObject({ status: 404, body: { detail: 'Column not found' } });
  });

  it('turns malformed JSON into 422 json_invalid', async () => {
    const response = await api().request('POST', '/v1/tables', {
      rawBody: '{"name": "x",',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      detail: [{ loc: ['body', expect.any(Number)], msg: 'JSON decode error', type: 'json_invalid' }],
    });
  });

  it('answers a body of the wrong content type with 415 and a missing body with 422 Field required', async () => {
    const form = await api().request('POST', '/v1/tables', {
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(form.body.detail).toMatch(/application\/json/);
    const empty = await api().request('POST', '/v1/tables');
    expect(empty).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ['body'], msg: 'Field required', type: 'missing' }] },
    });
    const notObject = await api().request('POST', '/v1/tables', { body: [1, 2] });
    expect(notObject.body.detail).toEqual([
      { loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' },
    ]);
  });

  it('refuses a body over the size limit with 413', async () => {
    const response = await api().request('POST', '/v1/tables', {
      rawBody: JSON.stringify({ name: 'x'.repeat(11 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(413);
    expect(response.body.detail).toMatch(/too large/);
  });

  it('answers unknown routes with 404 {detail}', async () => {
    const response = await api().request('GET', '/v1/nothing-here');
    expect(response).toMatchObject({ status: 404, body: { detail: 'Not Found' } });
  });

  it('never answers garbage with a 5xx or a stack trace', async () => {
    const { table } = await fixture(api());
    const garbage: unknown[] = [
      null,
      0,
      'x',
      [],
      {},
      { rows: 'x' },
      { rows: [null] },
      { rows: [{ data: [] }] },
      { column_configs: [{}] },
      { column_configs: [[]] },
      { mode: {} },
      { name: null },
      { tags: 'x' },
      { insert_after: 5 },
    ];
    const targets = [
      ['POST', '/v1/tables'],
      ['PATCH', `/v1/tables/${table.id}`],
      ['POST', `/v1/tables/${table.id}/rows`],
      ['PATCH', `/v1/tables/${table.id}/rows`],
      ['DELETE', `/v1/tables/${table.id}/rows`],
      ['POST', `/v1/tables/${table.id}/columns`],
      ['PATCH', `/v1/tables/${table.id}/columns/${table.columns[1].id}`],
    ] as const;
    for (const [method, path] of targets) {
      for (const body of garbage) {
        const response = await api().request(method, path, {
          rawBody: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        });
        expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
        expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts:\d+|node_modules/);
      }
    }
  });

  it('stores API keys only as hashes', async () => {
    const issued = await issueApiKey(api().store, { workspaceName: 'default' });
    expect((await api().store.authenticate(hashApiKey(issued.key)))?.name).toBe('default');
    const keys = await api().store.listApiKeys(issued.workspace.id);
    expect(JSON.stringify(keys)).not.toContain(issued.key);
    expect(issued.key.length).toBeGreaterThanOrEqual(43);
  });
});
