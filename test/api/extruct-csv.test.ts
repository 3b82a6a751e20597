import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useTestApi } from '../fixtures/app.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';

const UNKNOWN_ID = '0190f1a2-0000-7000-8000-000000000000';
const BOM = '\uFEFF';

describe.each(STORE_KINDS)('CSV import and export on %s', (kind) => {
  const api = useTestApi(kind);

  async function createTable(columnConfigs: unknown[] = []) {
    const created = await api().request('POST', '/v1/tables', {
      body: { name: 'Leads — März', column_configs: columnConfigs },
    });
    expect(created.status).toBe(200);
    return created.body.id as string;
  }

  function upload(tableId: string, csv: string, query = '') {
    return api().request('POST', `/v1/tables/${tableId}/import${query}`, {
      rawBody: csv,
      headers: { 'content-type': 'text/csv' },
    });
  }

  /** The raw bytes as text: `Response.text()` would drop the byte order mark. */
  async function download(tableId: string, query = '') {
    const response = await api().http.request(`/v1/tables/${tableId}/export.csv${query}`, {
      headers: { authorization: `Bearer ${api().key}` },
    });
    expect(response.status).toBe(200);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer());
    return { text, headers: response.headers };
  }

  it('round-trips quotes, commas, line breaks, BOM, CRLF and non-Latin text', async () => {
    const tableId = await createTable();
    const rows = [
      ['Name', 'Note', 'City'],
      ['Acme, Inc.', 'said "hello"\r\nthen left', 'Berlin'],
      ['Αθηνά Λαμπς', 'multi\nline', 'Αθήνα'],
      ['Борей', '', 'Москва'],
      ['株式会社テスト', 'emoji 🚀 ok', '東京'],
      ["O'Brien", 'trailing space ', ' leading space'],
    ];
    const csv = `${BOM}${rows.map((row) => row.map(quote).join(',')).join('\r\n')}\r\n`;
    const imported = await upload(tableId, csv);
    expect(imported.status).toBe(200);
    expect(imported.body).toMatchObject({ imported: 5, error_count: 0, errors: [], run_id: null });
    expect(imported.body.headers).toEqual([
      { header: 'Name', key: 'name', created: true, ignored: null },
      { header: 'Note', key: 'note', created: true, ignored: null },
      { header: 'City', key: 'city', created: true, ignored: null },
    ]);

    const { text, headers } = await download(tableId);
    expect(headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(headers.get('content-disposition')).toBe(
      `attachment; filename="Leads _ M_rz.csv"; filename*=UTF-8''${encodeURIComponent('Leads — März.csv')}`,
    );
    expect(text.startsWith(BOM)).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    const back = rowsOf(text);
    expect(back).toEqual(rows);

    // Importing the export again adds the same rows to the same columns, creating none.
    const again = await upload(tableId, text);
    expect(again.body.imported).toBe(5);
    expect(again.body.headers.every((header: { created: boolean }) => !header.created)).toBe(true);
    expect(
      await api()
        .request('GET', `/v1/tables/${tableId}`)
        .then((r) => r.body.status.num_rows),
    ).toBe(10);
  });

  it('neutralises text a spreadsheet would run as a formula, and leaves numbers alone', async () => {
    const tableId = await createTable([
      { kind: 'input', name: 'Value', key: 'value' },
      { kind: 'input', name: 'Amount', key: 'amount' },
      { kind: 'formula', name: 'Negated', key: 'negated', value: { expression: '0 - int(amount)' } },
    ]);
    const dangerous = ['=1+2', '+1 call', '-2', '@SUM(A1)', '\tcmd', '\rcmd', '=HYPERLINK("http://x")'];
    const added = await api().request('POST', `/v1/tables/${tableId}/rows`, {
      body: { rows: dangerous.map((value) => ({ data: { value, amount: '5' } })), run: true },
    });
    expect(added.status).toBe(200);
    await api().engine.drain();

    const { text } = await download(tableId);
    const back = rowsOf(text);
    expect(back[0]).toEqual(['Value', 'Amount', 'Negated']);
    expect(back.slice(1).map((row) => row[0])).toEqual(dangerous.map((value) => `'${value}`));
    // A computed number is a number: -5 is not a formula.
    expect(back.slice(1).map((row) => row[2])).toEqual(dangerous.map(() => '-5'));
    // Nothing but the quote was added: the raw file has no cell starting with a formula character.
    for (const row of back) for (const cell of row) expect(cell).not.toMatch(/^[=+@\t\r]/);
  });

  it('maps headers by key or name, ignores computed and repeated ones, and reports bad lines without stopping', async () => {
    const tableId = await createTable([
      { kind: 'input', name: 'Company name', key: 'company' },
      { kind: 'input', name: 'Website', key: 'website' },
      { kind: 'formula', name: 'Label', key: 'label', value: { expression: 'company + "!"' } },
    ]);
    const csv = [
      'company,WEBSITE,Label,company,New one',
      'Acme,acme.test,x,dup,n1',
      'Globex,globex.test,x,dup,n2,extra field',
      '"Initech,initech.test',
    ].join('\n');
    // The unclosed quote swallows the rest: the parse stops there, what came before stays.
    const imported = await upload(tableId, `${csv}\nHooli,hooli.test,,,n4\n`);
    expect(imported.status).toBe(200);
    expect(imported.body.imported).toBe(1);
    expect(imported.body.headers).toEqual([
      { header: 'company', key: 'company', created: false, ignored: null },
      { header: 'WEBSITE', key: 'website', created: false, ignored: null },
      {
        header: 'Label',
        key: null,
        created: false,
        ignored: "'label' is a computed column: its values are computed, not imported",
      },
      { header: 'company', key: null, created: false, ignored: "a second header for column 'company'" },
      { header: 'New one', key: 'new_one', created: true, ignored: null },
    ]);
    expect(imported.body.error_count).toBe(2);
    expect(imported.body.errors[0]).toEqual({ line: 3, message: 'The line has 6 fields; the header has 5' });
    expect(imported.body.errors[1].line).toBeGreaterThanOrEqual(4);
    expect(imported.body.errors[1].message).toMatch(/quote/i);

    // A bad line in the middle is skipped; the lines after it are imported.
    const second = await upload(
      tableId,
      // A quote inside an unquoted field is kept as text, as spreadsheets write it.
      'company,website\nA,a.test\nB,b.test,surplus\nC,c"x.test\nD,d.test\n',
      '?create_columns=false',
    );
    expect(second.body.imported).toBe(3);
    expect(second.body.errors).toEqual([{ line: 3, message: 'The line has 3 fields; the header has 2' }]);

    const ignored = await upload(tableId, 'company,Unknown\nE,zzz\n', '?create_columns=false');
    expect(ignored.body.imported).toBe(1);
    expect(ignored.body.headers[1]).toEqual({
      header: 'Unknown',
      key: null,
      created: false,
      ignored: 'no column has this key or name',
    });
    const { columns } = (await api().request('GET', `/v1/tables/${tableId}`)).body;
    expect(columns.map((column: { config: { key: string } }) => column.config.key)).toEqual([
      'company',
      'website',
      'label',
      'new_one',
    ]);
  });

  it('imports and runs, and exports chosen columns with statuses and row ids, page after page', async () => {
    const tableId = await createTable([
      { kind: 'input', name: 'N', key: 'n' },
      { kind: 'formula', name: 'Double', key: 'double', value: { expression: 'int(n) * 2' } },
    ]);
    const count = 2_345;
    const csv = `n\n${Array.from({ length: count }, (_, index) => String(index)).join('\n')}\n`;
    const imported = await upload(tableId, csv, '?run=true');
    expect(imported.body.imported).toBe(count);
    expect(imported.body.run_id).toEqual(expect.any(String));
    await api().engine.drain();

    const { text } = await download(tableId, '?columns=double&include=row_id,status&header=key&bom=false');
    expect(text.startsWith(BOM)).toBe(false);
    const back = rowsOf(text);
    expect(back[0]).toEqual(['row_id', 'double', 'double (status)']);
    expect(back).toHaveLength(count + 1);
    // Rows keep table order across export pages (keyset paging, 1000 a page).
    expect(back.slice(1).map((row) => row[1])).toEqual(
      Array.from({ length: count }, (_, index) => String(index * 2)),
    );
    expect(new Set(back.slice(1).map((row) => row[2]))).toEqual(new Set(['done']));
    expect(new Set(back.slice(1).map((row) => row[0])).size).toBe(count);
  });

  it('answers 401, 404 and 422 as the rest of the API does', async () => {
    const tableId = await createTable([{ kind: 'input', name: 'A', key: 'a' }]);
    expect((await upload(UNKNOWN_ID, 'a\n1\n')).status).toBe(404);
    expect((await api().request('GET', `/v1/tables/${UNKNOWN_ID}/export.csv`)).status).toBe(404);
    const otherWorkspace = await api().request('GET', `/v1/tables/${tableId}/export.csv`, {
      key: api().otherKey,
    });
    expect(otherWorkspace.status).toBe(404);
    expect(
      (
        await api().request('POST', `/v1/tables/${tableId}/import`, {
          rawBody: 'a\n1\n',
          headers: { 'content-type': 'text/csv' },
          key: null,
        })
      ).status,
    ).toBe(401);
    const badInclude = await api().request('GET', `/v1/tables/${tableId}/export.csv?include=secrets`);
    expect(badInclude.status).toBe(422);
    expect(badInclude.body.detail[0].loc).toEqual(['query', 'include', 0]);
    const badColumn = await api().request('GET', `/v1/tables/${tableId}/export.csv?columns=nope`);
    expect(badColumn.status).toBe(422);
    expect(badColumn.body.detail[0]).toMatchObject({ loc: ['query', 'columns'] });
    const empty = await upload(tableId, '');
    expect(empty.status).toBe(422);
    expect(empty.body.detail[0].msg).toMatch(/empty/);
    expect(
      (await api().request('GET', `/v1/tables/${tableId}`)).body.status.num_rows,
      'nothing was imported by the failed requests',
    ).toBe(0);
  });
});

function rowsOf(text: string): string[][] {
  const rows: unknown = parse(text, { bom: true });
  return rows as string[][];
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}
