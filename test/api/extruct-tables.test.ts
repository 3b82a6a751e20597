import { describe, expect, it } from 'vitest';
import { useTestApi } from '../fixtures/app.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';
import { seedSchema } from '../fixtures/seeds.ts';

const UNKNOWN_ID = '0190f1a2-0000-7000-8000-000000000000';

describe.each(STORE_KINDS)('Extruct tables API on %s', (kind) => {
  const api = useTestApi(kind);

  async function createTable(body: Record<string, unknown> = {}) {
    const response = await api().request('POST', '/v1/tables', { body });
    expect(response.status).toBe(200);
    return response.body;
  }

  it('answers the healthcheck without a key', async () => {
    const response = await api().request('GET', '/v1/healthcheck', { key: null });
    expect(response).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('describes the workspace owner on GET /v1/user', async () => {
    const response = await api().request('GET', '/v1/user');
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(
      [
        'available_credits',
        'email',
        'organization_id',
        'organization_name',
        'organization_slug',
        'user_id',
      ].sort(),
    );
    expect(response.body).toMatchObject({
      email: 'owner@localhost',
      organization_name: 'default',
      organization_slug: 'default',
    });
    expect(Number.isInteger(response.body.available_credits)).toBe(true);
  });

  it('creates a table with the documented defaults', async () => {
    const table = await createTable();
    expect(table).toMatchObject({
      name: 'Untitled Table',
      kind: 'generic',
      description: null,
      tags: null,
      columns: [],
      child_relationships: [],
      parent_relationships: [],
      owner: { id: expect.any(String), email: 'owner@localhost' },
      status: {
        num_rows: 0,
        num_output_columns: 0,
        num_input_columns: 0,
        num_cells_completed: 0,
        num_cells_in_progress: 0,
        num_columns: 0,
        run_status: 'idle',
      },
    });
    expect(table.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  });

  it('serves GET /v1/tables/{id} field for field as seed 003 (TableHeaderWithStatusOutput)', async () => {
    const created = await createTable({
      name: 'Seed shape',
      kind: 'company',
      tags: ['a'],
      column_configs: [
        { kind: 'input', name: 'Input', key: 'input' },
        { kind: 'agent', name: 'About', key: 'about', value: { prompt: 'Describe {input}' } },
        { kind: 'criterion_grade', name: 'Fit', key: 'fit', value: { criterion: 'Sells to {input}' } },
        { kind: 'company_people_finder', name: 'People', key: 'people', value: { roles: ['CEO'] } },
        { kind: 'discovery_scores', name: 'Scores', key: 'scores' },
        { kind: 'company_name', name: 'Name', key: 'company_name' },
        { kind: 'company_website', name: 'Website', key: 'company_website' },
        { kind: 'company_profile', name: 'Profile', key: 'company_profile' },
        { kind: 'email_finder', name: 'Email', key: 'email' },
        { kind: 'phone_finder', name: 'Phone', key: 'phone' },
        { kind: 'reverse_email_lookup', name: 'Who', key: 'who', email_column_key: 'email' },
      ],
    });
    const response = await api().request('GET', `/v1/tables/${created.id}`);
    expect(response.status).toBe(200);
    const table = response.body;
    const schema = seedSchema('003', 'TableHeaderWithStatusOutput');
    expect(Object.keys(table).sort()).toEqual(Object.keys(schema.properties).sort());
    for (const required of schema.required) expect(table).toHaveProperty(required);
    const statusSchema = seedSchema('003', 'TableStatus-Output');
    expect(Object.keys(table.status).sort()).toEqual(Object.keys(statusSchema.properties).sort());
    expect(seedSchema('003', 'TableKind').enum).toContain(table.kind);
    expect(table.status).toMatchObject({
      num_input_columns: 1,
      num_output_columns: 10,
      num_columns: 11,
      run_status: 'idle',
    });
    for (const column of table.columns) {
      expect(Object.keys(column).sort()).toEqual(['config', 'created_at', 'id']);
    }
    const about = table.columns[1].config;
    expect(about).toEqual({
      kind: 'agent',
      name: 'About',
      key: 'about',
      value: {
        agent_type: 'research_pro',
        prompt: 'Describe {input}',
        output_format: 'text',
        labels: null,
        output_schema: null,
        extra_dependencies: null,
      },
    });
    expect(table.columns[3].config.value).toEqual({
      roles: ['CEO'],
      provider: 'research_pro',
      max_results: 5,
    });
  });

  it('lists root tables with filters, sort, paging and pagination headers', async () => {
    await createTable({ name: 'zz-list alpha', tags: ['list-a'] });
    await createTable({ name: 'zz-list beta', tags: ['list-b'], kind: 'people' });
    const response = await api().request('GET', '/v1/tables?search=zz-list&sort=name&limit=1&offset=1');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ offset: 1, limit: 1 });
    expect(response.body.items.map((item: any) => item.name)).toEqual(['zz-list beta']);
    expect(Object.keys(response.body.items[0]).sort()).toEqual(
      [
        'created_at',
        'description',
        'id',
        'kind',
        'name',
        'num_rows',
        'owner',
        'settings',
        'tags',
        'updated_at',
      ].sort(),
    );
    expect(response.headers.get('x-extruct-pagination-total')).toBe('2');
    const tagged = await api().request('GET', '/v1/tables?tags=list-a&tags=nope');
    expect(tagged.body.items.map((item: any) => item.name)).toEqual(['zz-list alpha']);
    const people = await api().request('GET', '/v1/tables?kind=people&search=zz-list');
    expect(people.body.items.map((item: any) => item.name)).toEqual(['zz-list beta']);
  });

  it('rejects bad list parameters with every problem located in the query', async () => {
    const response = await api().request('GET', '/v1/tables?limit=0&offset=-1&sort=size&kind=planet');
    expect(response.status).toBe(422);
    const locs = response.body.detail.map((detail: any) => detail.loc.join('.'));
    expect(locs.sort()).toEqual(['query.kind', 'query.limit', 'query.offset', 'query.sort']);
    const limit = response.body.detail.find((detail: any) => detail.loc[1] === 'limit');
    expect(limit).toEqual({
      loc: ['query', 'limit'],
      msg: 'Input should be greater than or equal to 1',
      type: 'greater_than_equal',
    });
    const tooMany = await api().request('GET', '/v1/tables?limit=101');
    expect(tooMany.body.detail[0]).toMatchObject({ loc: ['query', 'limit'], type: 'less_than_equal' });
  });

  it('patches only the given fields and deletes a table, returning it', async () => {
    const created = await createTable({ name: 'Before', description: 'keep' });
    const patched = await api().request('PATCH', `/v1/tables/${created.id}`, {
      body: { name: 'After', tags: ['t'] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'After', description: 'keep', tags: ['t'] });
    const deleted = await api().request('DELETE', `/v1/tables/${created.id}`);
    expect(deleted).toMatchObject({ status: 200, body: { id: created.id, name: 'After' } });
    const gone = await api().request('GET', `/v1/tables/${created.id}`);
    expect(gone).toMatchObject({ status: 404, body: { detail: 'Table not found' } });
  });

  it('reports every invalid column config with a loc into column_configs[i]', async () => {
    const response = await api().request('POST', '/v1/tables', {
      body: {
        column_configs: [
          { kind: 'input', name: 'Name', key: 'Name' },
          {
            kind: 'agent',
            name: 'Bio',
            key: 'bio',
            value: { prompt: 'About {name}', output_format: 'colour' },
          },
          { kind: 'telepathy', name: 'X', key: 'x' },
          { kind: 'agent', name: 'Missing value', key: 'mv' },
        ],
      },
    });
    expect(response.status).toBe(422);
    const byLoc = Object.fromEntries(
      response.body.detail.map((detail: any) => [detail.loc.join('.'), detail]),
    );
    expect(Object.keys(byLoc).sort()).toEqual(
      [
        'body.column_configs.0.key',
        'body.column_configs.1.value.output_format',
        'body.column_configs.2.kind',
        'body.column_configs.3.value',
      ].sort(),
    );
    expect(byLoc['body.column_configs.0.key'].type).toBe('string_pattern_mismatch');
    expect(byLoc['body.column_configs.1.value.output_format'].type).toBe('enum');
    expect(byLoc['body.column_configs.2.kind'].type).toBe('union_tag_invalid');
    expect(byLoc['body.column_configs.3.value']).toEqual({
      loc: ['body', 'column_configs', 3, 'value'],
      msg: 'Field required',
      type: 'missing',
    });
  });

  it('reports rule violations (references, cycles, labels, schemas, kinds) as 422s located in the body', async () => {
    const response = await api().request('POST', '/v1/tables', {
      body: {
        kind: 'people',
        column_configs: [
          { kind: 'input', name: 'Name', key: 'name' },
          { kind: 'agent', name: 'Bio', key: 'bio', value: { prompt: 'About {nam}', agent_type: 'llm' } },
          {
            kind: 'agent',
            name: 'Pick',
            key: 'pick',
            value: { prompt: '{name}', output_format: 'multiselect', agent_type: 'llm' },
          },
          { kind: 'agent', name: 'Deep', key: 'deep', value: { prompt: '{name}' } },
          { kind: 'formula', name: 'F', key: 'f', value: { expression: 'name +' } },
        ],
      },
    });
    expect(response.status).toBe(422);
    expect(response.body.detail.map((detail: any) => detail.loc.join('.')).sort()).toEqual(
      [
        'body.column_configs.1.value.prompt',
        'body.column_configs.2.value.labels',
        'body.column_configs.3.value.agent_type',
        'body.column_configs.4.value.expression',
      ].sort(),
    );
    for (const detail of response.body.detail) expect(detail.type).toBe('value_error');
  });

  it('refuses a path id that is not a UUID with FastAPI uuid_parsing', async () => {
    const response = await api().request('GET', '/v1/tables/not-a-uuid');
    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      detail: [{ loc: ['path', 'table_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }],
    });
  });

  it('answers 404 for unknown tables', async () => {
    const response = await api().request('GET', `/v1/tables/${UNKNOWN_ID}`);
    expect(response).toMatchObject({ status: 404, body: { detail: 'Table not found' } });
  });

  it('serves the OpenAPI 3.1 document and the docs page', async () => {
    const doc = await api().request('GET', '/openapi.json', { key: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/healthcheck',
        '/v1/user',
        '/v1/tables',
        '/v1/tables/{table_id}',
        '/v1/tables/{table_id}/rows',
        '/v1/tables/{table_id}/rows/{row_id}',
        '/v1/tables/{table_id}/data',
        '/v1/tables/{table_id}/columns',
        '/v1/tables/{table_id}/columns/{column_id}',
      ]),
    );
    expect(doc.body.components.schemas).toHaveProperty('TableHeaderWithStatusOutput');
    expect(doc.body.components.schemas).toHaveProperty('HTTPValidationError');
    expect(doc.body.paths['/v1/tables/{table_id}'].get.security).toEqual([{ HTTPBearer: [] }]);
    const docs = await api().http.request('/docs');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('/openapi.json');
    const asset = await api().http.request('/docs/assets/swagger-ui-bundle.js');
    expect(asset.status).toBe(200);
  });
});
