import { describe, expect, it } from 'vitest';
import { useTestApi } from '../fixtures/app.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';

describe.each(STORE_KINDS)('Extruct rows and columns API on %s', (kind) => {
  const api = useTestApi(kind);

  async function leadsTable() {
    const response = await api().request('POST', '/v1/tables', {
      body: {
        name: 'Leads',
        column_configs: [
          { kind: 'input', name: 'Company', key: 'company' },
          { kind: 'input', name: 'Website', key: 'website' },
          {
            kind: 'agent',
            name: 'Summary',
            key: 'summary',
            value: { agent_type: 'llm', prompt: 'Summarise {website}' },
          },
          {
            kind: 'formula',
            name: 'Label',
            key: 'label',
            value: { expression: 'company + " (" + website + ")"' },
          },
        ],
      },
    });
    expect(response.status).toBe(200);
    return response.body;
  }

  it('adds rows and returns them as an array in cell form', async () => {
    const table = await leadsTable();
    const response = await api().request('POST', `/v1/tables/${table.id}/rows`, {
      body: {
        rows: [
          { data: { company: 'Acme', website: 'acme.test' }, metadata: { source: 'crm' } },
          { data: { company: 'Globex' } },
        ],
      },
    });
    expect(response.status).toBe(200);
    expect(Array.isArray(response.body)).toBe(true);
    const [acme, globex] = response.body;
    expect(Object.keys(acme).sort()).toEqual(
      ['created_at', 'data', 'id', 'is_missing_inputs', 'metadata', 'parent_data', 'parent_row_id'].sort(),
    );
    expect(acme).toMatchObject({
      parent_row_id: null,
      parent_data: null,
      metadata: { source: 'crm' },
      is_missing_inputs: false,
      data: {
        company: { value: { answer: 'Acme' }, status: 'done' },
        website: { value: { answer: 'acme.test' }, status: 'done' },
        summary: null,
        label: null,
      },
    });
    expect(globex.is_missing_inputs).toBe(true);
    expect(globex.data.website).toBeNull();

    const table2 = await api().request('GET', `/v1/tables/${table.id}`);
    expect(table2.body.status).toMatchObject({
      num_rows: 2,
      num_input_columns: 2,
      num_output_columns: 2,
      num_columns: 4,
    });
  });

  it('reads one row and pages the data with is_missing_inputs', async () => {
    const table = await leadsTable();
    const added = await api().request('POST', `/v1/tables/${table.id}/rows`, {
      body: {
        rows: Array.from({ length: 7 }, (_, i) => ({
          data: { company: `c${i}`, website: i % 2 ? `c${i}.test` : '' },
        })),
      },
    });
    const row = await api().request('GET', `/v1/tables/${table.id}/rows/${added.body[3].id}`);
    expect(row.status).toBe(200);
    expect(row.body).toMatchObject({
      id: added.body[3].id,
      data: { company: { value: { answer: 'c3' } } },
      is_missing_inputs: false,
    });

    const page = await api().request('GET', `/v1/tables/${table.id}/data?offset=2&limit=3`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({
      id: table.id,
      name: 'Leads',
      notify: false,
      settings: { exclude_from_search: false },
    });
    expect(page.body.rows.map((r: any) => [r.data.company.value.answer, r.is_missing_inputs])).toEqual([
      ['c2', true],
      ['c3', false],
      ['c4', true],
    ]);
    const last = await api().request('GET', `/v1/tables/${table.id}/data?offset=6&limit=3`);
    expect(last.body.rows).toHaveLength(1);
  });

  it('patches rows by id, creates rows without id, and deletes rows', async () => {
    const table = await leadsTable();
    const added = await api().request('POST', `/v1/tables/${table.id}/rows`, {
      body: { rows: [{ data: { company: 'Acme' } }] },
    });
    const id = added.body[0].id;
    const patched = await api().request('PATCH', `/v1/tables/${table.id}/rows`, {
      body: { rows: [{ id, data: { website: 'acme.test' } }, { data: { company: 'Initech' } }] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body[0]).toMatchObject({
      id,
      data: { company: { value: { answer: 'Acme' } }, website: { value: { answer: 'acme.test' } } },
    });
    expect(patched.body[1].data.company.value.answer).toBe('Initech');

    const deleted = await api().request('DELETE', `/v1/tables/${table.id}/rows`, { body: { rows: [id] } });
    expect(deleted).toMatchObject({ status: 200, body: { deleted: [id] } });
    const gone = await api().request('GET', `/v1/tables/${table.id}/rows/${id}`);
    expect(gone).toMatchObject({ status: 404, body: { detail: 'Row not found' } });
  });

  it('rejects rows with unknown or computed keys, and batches outside 1–1000, with 422s in the body', async () => {
    const table = await leadsTable();
    const unknown = await api().request('POST', `/v1/tables/${table.id}/rows`, {
      body: { rows: [{ data: { company: 'ok' } }, { data: { compnay: 'typo', summary: 'no' } }] },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail.map((d: any) => d.loc)).toEqual([
      ['body', 'rows', 1, 'data', 'compnay'],
      ['body', 'rows', 1, 'data', 'summary'],
    ]);
    const empty = await api().request('POST', `/v1/tables/${table.id}/rows`, { body: { rows: [] } });
    expect(empty.body.detail[0]).toMatchObject({ loc: ['body', 'rows'], type: 'too_short' });
    const tooMany = await api().request('POST', `/v1/tables/${table.id}/rows`, {
      body: { rows: Array.from({ length: 1001 }, () => ({ data: {} })) },
    });
    expect(tooMany.body.detail[0]).toMatchObject({ loc: ['body', 'rows'], type: 'too_long' });
    const noData = await api().request('POST', `/v1/tables/${table.id}/rows`, {
      body: { rows: [{ metadata: {} }], run: 'yes' },
    });
    expect(noData.body.detail).toEqual([
      { loc: ['body', 'rows', 0, 'data'], msg: 'Field required', type: 'missing' },
      { loc: ['body', 'run'], msg: 'Input should be a valid boolean', type: 'bool_type' },
    ]);
    const status = await api().request('GET', `/v1/tables/${table.id}`);
    expect(status.body.status.num_rows).toBe(0);
  });

  it('adds columns at the end, at the start, or after a column, and returns them', async () => {
    const table = await leadsTable();
    const first = await api().request('POST', `/v1/tables/${table.id}/columns`, {
      body: { column_configs: [{ name: 'Notes', key: 'notes' }], insert_after: false },
    });
    expect(first.status).toBe(200);
    expect(first.body).toEqual([
      {
        id: expect.any(String),
        created_at: expect.any(String),
        config: { kind: 'input', name: 'Notes', key: 'notes' },
      },
    ]);
    await api().request('POST', `/v1/tables/${table.id}/columns`, {
      body: { column_configs: [{ name: 'Country', key: 'country' }], insert_after: table.columns[0].id },
    });
    await api().request('POST', `/v1/tables/${table.id}/columns`, {
      body: { column_configs: [{ name: 'Tail', key: 'tail' }] },
    });
    const keys = (await api().request('GET', `/v1/tables/${table.id}`)).body.columns.map(
      (c: any) => c.config.key,
    );
    expect(keys).toEqual(['notes', 'company', 'country', 'website', 'summary', 'label', 'tail']);
  });

  it('validates new columns against the table, locating problems in column_configs[i]', async () => {
    const table = await leadsTable();
    const response = await api().request('POST', `/v1/tables/${table.id}/columns`, {
      body: {
        column_configs: [
          { name: 'Dup', key: 'company' },
          {
            kind: 'agent',
            name: 'Grade',
            key: 'grade',
            value: { prompt: '{summary} {ghost}', output_format: 'select', labels: ['a', 'a'] },
          },
        ],
      },
    });
    expect(response.status).toBe(422);
    expect(response.body.detail.map((d: any) => d.loc.join('.'))).toEqual([
      'body.column_configs.0.key',
      'body.column_configs.1.value.labels',
      'body.column_configs.1.value.prompt',
    ]);
    const badAfter = await api().request('POST', `/v1/tables/${table.id}/columns`, {
      body: {
        column_configs: [{ name: 'X', key: 'x' }],
        insert_after: '0190f1a2-0000-7000-8000-000000000000',
      },
    });
    expect(badAfter.body.detail[0].loc).toEqual(['body', 'insert_after']);
  });

  it('updates a column config and refuses to delete a column others depend on', async () => {
    const table = await leadsTable();
    const [, website, summary] = table.columns;
    const patched = await api().request('PATCH', `/v1/tables/${table.id}/columns/${summary.id}`, {
      body: {
        kind: 'agent',
        name: 'Summary',
        key: 'summary',
        value: { agent_type: 'llm', prompt: 'Summarise {company}', output_format: 'text' },
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.config.value.prompt).toBe('Summarise {company}');

    const blocked = await api().request('DELETE', `/v1/tables/${table.id}/columns/${website.id}`);
    expect(blocked.status).toBe(422);
    expect(blocked.body.detail).toEqual([
      {
        loc: ['path', 'column_id'],
        msg: expect.stringMatching(/'website' is used by 'label'/),
        type: 'value_error',
      },
    ]);
    const rename = await api().request('PATCH', `/v1/tables/${table.id}/columns/${website.id}`, {
      body: { kind: 'input', name: 'Site', key: 'site' },
    });
    expect(rename.status).toBe(422);
    expect(rename.body.detail[0].loc).toEqual(['body', 'key']);

    const deleted = await api().request('DELETE', `/v1/tables/${table.id}/columns/${summary.id}`);
    expect(deleted).toMatchObject({ status: 200, body: { id: summary.id, config: { key: 'summary' } } });
    const missing = await api().request('DELETE', `/v1/tables/${table.id}/columns/${summary.id}`);
    expect(missing).toMatchObject({ status: 404, body: { detail: 'Column not found' } });
  });
});
