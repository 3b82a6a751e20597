import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ColumnConfigSchema, type ColumnConfigInput, type TableKind } from '../../src/domain/columns.ts';
import { NotFoundError, ValidationError } from '../../src/domain/errors.ts';
import { generateApiKey } from '../../src/engine/api-keys.ts';
import type { NewTable, Store } from '../../src/engine/ports.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../fixtures/stores.ts';

function columns(...configs: ColumnConfigInput[]) {
  return configs.map((config) => ColumnConfigSchema.parse(config));
}

function newTable(overrides: Partial<NewTable> = {}): NewTable {
  return {
    name: 'Leads',
    description: null,
    tags: null,
    kind: 'generic',
    notify: false,
    settings: { exclude_from_search: false },
    columns: columns({ key: 'company', name: 'Company' }, { key: 'website', name: 'Website' }),
    ...overrides,
  };
}

const agent = (key: string, prompt: string, extra: Record<string, unknown> = {}): ColumnConfigInput => ({
  kind: 'agent',
  key,
  name: key,
  value: { prompt, ...extra },
});

async function validationIssues(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues;
}

describe.each(STORE_KINDS)('store on %s', (kind) => {
  let opened: TestStore;
  let store: Store;
  let ws: string;
  let otherWs: string;

  beforeAll(async () => {
    opened = await openTestStore(kind);
    store = opened.store;
    ws = (await store.createWorkspace({ name: 'acme', ownerEmail: 'owner@acme.test' })).id;
    otherWs = (await store.createWorkspace({ name: 'globex', ownerEmail: 'owner@globex.test' })).id;
  });
  afterAll(() => opened.dispose());

  describe('workspaces and keys', () => {
    it('finds the workspace of an unrevoked key by its hash, and nothing once revoked', async () => {
      const generated = generateApiKey();
      const key = await store.createApiKey({
        workspaceId: ws,
        name: 'ci',
        keyHash: generated.keyHash,
        prefix: generated.prefix,
      });
      expect((await store.authenticate(generated.keyHash))?.id).toBe(ws);
      expect(await store.authenticate(generateApiKey().keyHash)).toBeUndefined();
      const revoked = await store.revokeApiKey(ws, key.id);
      expect(revoked.revokedAt).not.toBeNull();
      expect(await store.authenticate(generated.keyHash)).toBeUndefined();
    });

    it("lists keys without their secrets and refuses to revoke another workspace's key", async () => {
      const generated = generateApiKey();
      const key = await store.createApiKey({
        workspaceId: otherWs,
        name: 'x',
        keyHash: generated.keyHash,
        prefix: generated.prefix,
      });
      const listed = await store.listApiKeys(otherWs);
      expect(listed.map((item) => item.id)).toContain(key.id);
      expect(JSON.stringify(listed)).not.toContain(generated.key);
      await expect(store.revokeApiKey(ws, key.id)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('keeps workspace names unique', async () => {
      await expect(store.createWorkspace({ name: 'acme', ownerEmail: 'x@y.z' })).rejects.toThrow();
      expect((await store.findWorkspaceByName('acme'))?.id).toBe(ws);
    });
  });

  describe('tables', () => {
    it('creates a table with its columns in order and zeroed counters', async () => {
      const detail = await store.createTable(ws, newTable({ tags: ['q3'], description: 'Inbound' }));
      expect(detail.table).toMatchObject({
        name: 'Leads',
        kind: 'generic',
        tags: ['q3'],
        description: 'Inbound',
        numRows: 0,
      });
      expect(detail.columns.map((column) => column.config.key)).toEqual(['company', 'website']);
      expect(detail.owner).toEqual({ id: expect.any(String), email: 'owner@acme.test' });
      expect(Object.values(detail.table.cellCounts).every((count) => count === 0)).toBe(true);
      expect(detail.childTableIds).toEqual([]);
    });

    it('reports every broken column rule at once, each located in column_configs', async () => {
      const issues = await validationIssues(
        store.createTable(
          ws,
          newTable({
            columns: columns(
              { key: 'name', name: 'Name' },
              { key: 'name', name: 'Again' },
              agent('summary', 'Summarise {nmae}'),
              agent('pick', 'Pick one', { output_format: 'select' }),
              agent('blob', 'Give JSON', { output_format: 'json', output_schema: { type: 'not-a-type' } }),
              { kind: 'company_people_finder', key: 'people', name: 'People', value: { roles: ['CEO'] } },
              agent('extra', 'x', { extra_dependencies: ['missing_col'] }),
            ),
          }),
        ),
      );
      const byPath = Object.fromEntries(issues.map((issue) => [issue.path.join('.'), issue.message]));
      expect(Object.keys(byPath).sort()).toEqual(
        [
          'column_configs.1.key',
          'column_configs.2.value.prompt',
          'column_configs.3.value.labels',
          'column_configs.4.value.output_schema',
          'column_configs.5.kind',
          'column_configs.6.value.extra_dependencies.0',
        ].sort(),
      );
      expect(byPath['column_configs.2.value.prompt']).toMatch(/nmae/);
    });

    it('refuses dependency cycles and research_pro on people tables', async () => {
      const cycle = await validationIssues(
        store.createTable(
          ws,
          newTable({ columns: columns(agent('a', '{b}'), agent('b', '{c}'), agent('c', '{a}')) }),
        ),
      );
      expect(cycle).toHaveLength(1);
      expect(cycle[0]!.message).toMatch(/cycle: a → b → c → a/);
      const people = await validationIssues(
        store.createTable(
          ws,
          newTable({ kind: 'people' as TableKind, columns: columns(agent('bio', 'About them')) }),
        ),
      );
      expect(people[0]).toMatchObject({ path: ['column_configs', 0, 'value', 'agent_type'] });
    });

    it('lists root tables with filters, sorting, paging and a total', async () => {
      const listWs = (await store.createWorkspace({ name: 'lister', ownerEmail: 'l@l.l' })).id;
      await store.createTable(listWs, newTable({ name: 'Alpha accounts', tags: ['sales'], columns: [] }));
      await store.createTable(
        listWs,
        newTable({ name: 'beta people', kind: 'people', tags: ['hr', 'sales'], columns: [] }),
      );
      await store.createTable(
        listWs,
        newTable({ name: 'Gamma', description: 'ALPHA in description', columns: [] }),
      );
      const names = async (query: Partial<Parameters<Store['listTables']>[1]>) =>
        (await store.listTables(listWs, { sort: '-created_at', offset: 0, limit: 50, ...query })).items.map(
          (t) => t.name,
        );

      expect(await names({})).toEqual(['Gamma', 'beta people', 'Alpha accounts']);
      expect(await names({ sort: 'name' })).toEqual(['Alpha accounts', 'beta people', 'Gamma']);
      expect(await names({ sort: '-name' })).toEqual(['Gamma', 'beta people', 'Alpha accounts']);
      expect(await names({ kind: 'people' })).toEqual(['beta people']);
      expect(await names({ search: 'alpha', sort: 'name' })).toEqual(['Alpha accounts', 'Gamma']);
      expect(await names({ search: '%' })).toEqual([]);
      expect(await names({ tags: ['hr', 'nope'] })).toEqual(['beta people']);
      const page = await store.listTables(listWs, { sort: 'created_at', offset: 1, limit: 1 });
      expect(page.items.map((t) => t.name)).toEqual(['beta people']);
      expect(page.total).toBe(3);
      expect(page.items[0]!.owner.ownerEmail).toBe('l@l.l');
    });

    it('updates only the fields given', async () => {
      const { table } = await store.createTable(ws, newTable({ description: 'keep me' }));
      const updated = await store.updateTable(ws, table.id, { name: 'Renamed', notify: true, tags: ['x'] });
      expect(updated.table).toMatchObject({
        name: 'Renamed',
        notify: true,
        tags: ['x'],
        description: 'keep me',
      });
    });

    it('deletes a table with its rows', async () => {
      const { table } = await store.createTable(ws, newTable());
      await store.insertRows(ws, table.id, [{ data: { company: 'Acme' } }]);
      const deleted = await store.deleteTable(ws, table.id);
      expect(deleted.table.id).toBe(table.id);
      await expect(store.getTable(ws, table.id)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("answers NotFound for another workspace's table on every table-scoped method", async () => {
      const { table, columns: cols } = await store.createTable(ws, newTable());
      const { rows } = await store.insertRows(ws, table.id, [{ data: { company: 'Acme' } }]);
      const rowId = rows[0]!.row.id;
      const attempts: (() => Promise<unknown>)[] = [
        () => store.getTable(otherWs, table.id),
        () => store.updateTable(otherWs, table.id, { name: 'hijack' }),
        () => store.deleteTable(otherWs, table.id),
        () => store.addColumns(otherWs, table.id, columns({ key: 'x', name: 'X' }), { at: 'end' }),
        () => store.updateColumn(otherWs, table.id, cols[0]!.id, cols[0]!.config),
        () => store.deleteColumn(otherWs, table.id, cols[1]!.id),
        () => store.insertRows(otherWs, table.id, [{ data: {} }]),
        () => store.updateRows(otherWs, table.id, [{ id: rowId, data: { company: 'x' } }]),
        () => store.deleteRows(otherWs, table.id, [rowId]),
        () => store.getRow(otherWs, table.id, rowId),
        () => store.getTableData(otherWs, table.id, { offset: 0, limit: 10 }),
      ];
      for (const attempt of attempts) await expect(attempt()).rejects.toBeInstanceOf(NotFoundError);
      // …and nothing changed.
      const data = await store.getTableData(ws, table.id, { offset: 0, limit: 10 });
      expect(data.detail.table.name).toBe('Leads');
      expect(data.rows).toHaveLength(1);
      expect(data.columns).toHaveLength(2);
    });
  });

  describe('columns', () => {
    it('places new columns at the end, at the start, or after a given column', async () => {
      const { table, columns: cols } = await store.createTable(ws, newTable());
      await store.addColumns(ws, table.id, columns({ key: 'last', name: 'Last' }), { at: 'end' });
      await store.addColumns(ws, table.id, columns({ key: 'first', name: 'First' }), { at: 'start' });
      await store.addColumns(
        ws,
        table.id,
        columns({ key: 'mid_a', name: 'A' }, { key: 'mid_b', name: 'B' }),
        {
          afterColumnId: cols[0]!.id,
        },
      );
      const keys = (await store.getTable(ws, table.id)).columns.map((column) => column.config.key);
      expect(keys).toEqual(['first', 'company', 'mid_a', 'mid_b', 'website', 'last']);
      const issues = await validationIssues(
        store.addColumns(ws, table.id, columns({ key: 'z', name: 'Z' }), {
          afterColumnId: '00000000-0000-4000-8000-000000000000',
        }),
      );
      expect(issues[0]!.path).toEqual(['insert_after']);
    });

    it('checks new columns against the existing ones', async () => {
      const { table } = await store.createTable(ws, newTable());
      const issues = await validationIssues(
        store.addColumns(
          ws,
          table.id,
          columns({ key: 'company', name: 'Dup' }, agent('bio', '{company} {nope}')),
          {
            at: 'end',
          },
        ),
      );
      expect(issues.map((issue) => issue.path)).toEqual([
        ['column_configs', 0, 'key'],
        ['column_configs', 1, 'value', 'prompt'],
      ]);
      const added = await store.addColumns(ws, table.id, columns(agent('bio', 'About {company}')), {
        at: 'end',
      });
      expect(added[0]!.config).toMatchObject({
        kind: 'agent',
        value: { agent_type: 'research_pro', output_format: 'text' },
      });
    });

    it('refuses a rename that breaks a reference, a kind change across input/computed, and deleting a used column', async () => {
      const { table, columns: cols } = await store.createTable(
        ws,
        newTable({ columns: columns({ key: 'company', name: 'Company' }, agent('bio', 'About {company}')) }),
      );
      const [company, bio] = cols;
      const rename = await validationIssues(
        store.updateColumn(
          ws,
          table.id,
          company!.id,
          ColumnConfigSchema.parse({ key: 'org', name: 'Company' }),
        ),
      );
      expect(rename[0]).toMatchObject({ path: ['key'] });
      expect(rename[0]!.message).toMatch(/column 'bio'/);
      const kindChange = await validationIssues(
        store.updateColumn(ws, table.id, bio!.id, ColumnConfigSchema.parse({ key: 'bio', name: 'Bio' })),
      );
      expect(kindChange[0]!.path).toEqual(['kind']);
      const used = await validationIssues(store.deleteColumn(ws, table.id, company!.id));
      expect(used[0]).toMatchObject({ path: ['column_id'], in: 'path' });
      expect(used[0]!.message).toMatch(/'bio'/);

      const updated = await store.updateColumn(
        ws,
        table.id,
        bio!.id,
        ColumnConfigSchema.parse(agent('bio', 'Describe {company}', { output_format: 'text' })),
      );
      expect(updated.config).toMatchObject({ value: { prompt: 'Describe {company}' } });
      await store.deleteColumn(ws, table.id, bio!.id);
      await store.deleteColumn(ws, table.id, company!.id);
      expect((await store.getTable(ws, table.id)).columns).toEqual([]);
    });

    it("removes an input column's values from every row when the column is deleted", async () => {
      const { table, columns: cols } = await store.createTable(ws, newTable());
      await store.insertRows(ws, table.id, [{ data: { company: 'Acme', website: 'acme.test' } }]);
      await store.deleteColumn(ws, table.id, cols[1]!.id);
      const data = await store.getTableData(ws, table.id, { offset: 0, limit: 10 });
      expect(data.rows[0]!.row.values).toEqual({ [cols[0]!.id]: 'Acme' });
    });
  });

  describe('rows', () => {
    it('inserts rows by column key, keeps metadata, and counts them', async () => {
      const { table, columns: cols } = await store.createTable(ws, newTable());
      const result = await store.insertRows(ws, table.id, [
        { data: { company: 'Acme', website: 'acme.test' }, metadata: { source: 'crm' } },
        { data: { company: 'Globex' } },
      ]);
      expect(result.rows.map(({ row }) => row.values)).toEqual([
        { [cols[0]!.id]: 'Acme', [cols[1]!.id]: 'acme.test' },
        { [cols[0]!.id]: 'Globex' },
      ]);
      expect(result.rows[0]!.row.metadata).toEqual({ source: 'crm' });
      expect((await store.getTable(ws, table.id)).table.numRows).toBe(2);
    });

    it('rejects a whole batch naming each unknown or computed key, and writes nothing', async () => {
      const { table } = await store.createTable(
        ws,
        newTable({ columns: columns({ key: 'company', name: 'Company' }, agent('bio', 'About {company}')) }),
      );
      const issues = await validationIssues(
        store.insertRows(ws, table.id, [
          { data: { company: 'ok' } },
          { data: { compnay: 'typo', bio: 'x' } },
        ]),
      );
      expect(issues.map((issue) => issue.path)).toEqual([
        ['rows', 1, 'data', 'compnay'],
        ['rows', 1, 'data', 'bio'],
      ]);
      expect((await store.getTable(ws, table.id)).table.numRows).toBe(0);
    });

    it('merges updates into rows, creates rows without id, and refuses unknown or repeated ids', async () => {
      const { table, columns: cols } = await store.createTable(ws, newTable());
      const { rows } = await store.insertRows(ws, table.id, [
        { data: { company: 'Acme', website: 'acme.test' } },
      ]);
      const id = rows[0]!.row.id;
      const result = await store.updateRows(ws, table.id, [
        { id, data: { website: 'acme.example' }, metadata: { touched: true } },
        { data: { company: 'New Co' } },
      ]);
      expect(result.rows[0]!.row).toMatchObject({
        id,
        values: { [cols[0]!.id]: 'Acme', [cols[1]!.id]: 'acme.example' },
        metadata: { touched: true },
      });
      expect(result.rows[1]!.row.values).toEqual({ [cols[0]!.id]: 'New Co' });
      expect((await store.getTable(ws, table.id)).table.numRows).toBe(2);

      const issues = await validationIssues(
        store.updateRows(ws, table.id, [
          { id: '00000000-0000-4000-8000-000000000000', data: {} },
          { id, data: {} },
          { id, data: {} },
        ]),
      );
      expect(issues.map((issue) => issue.path)).toEqual([
        ['rows', 0, 'id'],
        ['rows', 2, 'id'],
      ]);
    });

    it('deletes only rows of this table, returning their ids, and keeps the row counter exact', async () => {
      const { table } = await store.createTable(ws, newTable());
      const { table: other } = await store.createTable(ws, newTable());
      const { rows } = await store.insertRows(ws, table.id, [
        { data: { company: 'a' } },
        { data: { company: 'b' } },
      ]);
      const { rows: otherRows } = await store.insertRows(ws, other.id, [{ data: { company: 'c' } }]);
      const deleted = await store.deleteRows(ws, table.id, [
        rows[1]!.row.id,
        otherRows[0]!.row.id,
        rows[1]!.row.id,
      ]);
      expect(deleted).toEqual([rows[1]!.row.id]);
      expect((await store.getTable(ws, table.id)).table.numRows).toBe(1);
      expect((await store.getTable(ws, other.id)).table.numRows).toBe(1);
      await expect(store.getRow(ws, table.id, rows[1]!.row.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.getRow(ws, table.id, otherRows[0]!.row.id)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('pages rows in insertion order across batches', async () => {
      const { table, columns: cols } = await store.createTable(ws, newTable());
      for (let batch = 0; batch < 3; batch += 1) {
        await store.insertRows(
          ws,
          table.id,
          Array.from({ length: 40 }, (_, index) => ({ data: { company: `c${batch * 40 + index}` } })),
        );
      }
      const page = await store.getTableData(ws, table.id, { offset: 35, limit: 10 });
      expect(page.rows.map(({ row }) => row.values[cols[0]!.id])).toEqual(
        Array.from({ length: 10 }, (_, index) => `c${35 + index}`),
      );
      const last = await store.getTableData(ws, table.id, { offset: 115, limit: 10 });
      expect(last.rows).toHaveLength(5);
    });
  });
});
