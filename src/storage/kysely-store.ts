import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Insertable,
  type Selectable,
  type SqlBool,
  type Transaction,
} from 'kysely';
import {
  computedGraph,
  dependencyKeys,
  downstreamColumnIds,
  downstreamKeys,
} from '../domain/column-graph.ts';
import { checkColumnSet, type ColumnDraft } from '../domain/column-rules.ts';
import { PEOPLE_TABLE_COLUMNS, personKeys, withSystemColumns } from '../domain/company.ts';
import { emptyCellCounts, type CellStatus } from '../domain/cell-status.ts';
import { isInputKind, type ColumnConfig, type TableKind } from '../domain/columns.ts';
import { IssueCollector, NotFoundError, ValidationError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type {
  ApiKey,
  Cell,
  Column,
  JsonObject,
  Row,
  RowWithCells,
  Table,
  TableDetail,
  Workspace,
} from '../domain/model.ts';
import { resolveRowData } from '../domain/rows.ts';
import type { ConnectorSnapshot } from '../domain/connectors.ts';
import type { DiscoveryTask } from '../domain/discovery.ts';
import type { Run } from '../domain/runs.ts';
import type { Webhook } from '../domain/webhooks.ts';
import type {
  CachedResult,
  CellRef,
  CellResult,
  ChildRowsResult,
  ColumnStats,
  DiscoveryTaskPatch,
  NewDiscoveryTask,
  ClaimedCell,
  Clock,
  ColumnPlacement,
  DeliveryAttemptOutcome,
  NewTableEnrichment,
  NewWebhook,
  StoredConnector,
  WebhookPatch,
  RowFilter,
  RunRequest,
  TableEnrichment,
  NewTable,
  RowInput,
  RowsResult,
  RowUpdate,
  Store,
  TableData,
  TableListQuery,
  TablePatch,
} from '../engine/ports.ts';
import { invalidateCells, removeCells } from './cell-changes.ts';
import { applyTransitions, type CellTransition } from './counters.ts';
import type { StoreDb, StoreDialect } from './dialect.ts';
import {
  chunks,
  parseJson,
  toApiKey,
  toCell,
  toColumn,
  toIso,
  toRow,
  toTable,
  toWorkspace,
} from './mapping.ts';
import { ConnectorQueries } from './connectors.ts';
import { EnrichmentQueries } from './enrichments.ts';
import { PlannerStatistics } from './planner-statistics.ts';
import { RunQueries } from './runs.ts';
import { WebhookQueries } from './webhooks.ts';
import { DiscoveryQueries } from './discovery.ts';
import type { Database, RowsTable, TablesTable } from './schema.ts';

type Trx = Transaction<Database>;

export interface KyselyStoreOptions {
  db: StoreDb;
  dialect: StoreDialect;
  clock: Clock;
  location: string;
  /** Runs a function in a write transaction (SQLite: BEGIN IMMEDIATE). */
  onClose?: () => Promise<void>;
  /**
   * Writes rows through one prepared statement, inside the transaction the caller holds (SQLite: one
   * connection). Bulk imports spend most of their time building multi-row INSERTs otherwise.
   */
  insertRowsDirect?: (records: Insertable<RowsTable>[]) => void;
}

/** The Store over Kysely: one implementation for SQLite and Postgres, differing only through `StoreDialect`. */
export class KyselyStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly location: string;
  readonly #db: StoreDb;
  readonly #dialect: StoreDialect;
  readonly #clock: Clock;
  readonly #runs: RunQueries;
  readonly #statistics: PlannerStatistics;
  readonly #enrichments: EnrichmentQueries;
  readonly #connectors: ConnectorQueries;
  readonly #webhooks: WebhookQueries;
  readonly #discovery: DiscoveryQueries;

  readonly #insertRowsDirect: KyselyStoreOptions['insertRowsDirect'];

  constructor(options: KyselyStoreOptions) {
    this.#db = options.db;
    this.#dialect = options.dialect;
    this.#clock = options.clock;
    this.#insertRowsDirect = options.insertRowsDirect;
    this.#statistics = new PlannerStatistics(options.db, options.dialect.kind === 'postgres');
    this.#enrichments = new EnrichmentQueries(options.db, () => this.#now());
    this.#connectors = new ConnectorQueries(options.db, () => this.#now());
    this.#runs = new RunQueries(options.db, options.dialect, options.clock, this.#statistics);
    this.#webhooks = new WebhookQueries(options.db, options.dialect, options.clock);
    this.#discovery = new DiscoveryQueries(options.db, options.dialect, options.clock);
    this.kind = options.dialect.kind;
    this.location = options.location;
  }

  async close(): Promise<void> {
    await this.#statistics.settle();
    await this.#db.destroy();
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  // ── workspaces and keys ────────────────────────────────────────────────────────────────

  async createWorkspace(input: { name: string; ownerEmail: string }): Promise<Workspace> {
    const row = {
      id: newId(),
      name: input.name,
      owner_id: newId(),
      owner_email: input.ownerEmail,
      created_at: this.#now(),
    };
    await this.#db.insertInto('workspaces').values(row).execute();
    return toWorkspace(row);
  }

  async listWorkspaces(): Promise<Workspace[]> {
    const rows = await this.#db
      .selectFrom('workspaces')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toWorkspace);
  }

  async findWorkspaceByName(name: string): Promise<Workspace | undefined> {
    const row = await this.#db
      .selectFrom('workspaces')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toWorkspace(row);
  }

  async createApiKey(input: {
    workspaceId: string;
    name: string;
    keyHash: string;
    prefix: string;
  }): Promise<ApiKey> {
    const row = {
      id: newId(),
      workspace_id: input.workspaceId,
      name: input.name,
      key_hash: input.keyHash,
      prefix: input.prefix,
      created_at: this.#now(),
      revoked_at: null,
    };
    await this.#db.insertInto('api_keys').values(row).execute();
    return toApiKey(row);
  }

  async authenticate(keyHash: string): Promise<Workspace | undefined> {
    const row = await this.#db
      .selectFrom('api_keys')
      .innerJoin('workspaces', 'workspaces.id', 'api_keys.workspace_id')
      .selectAll('workspaces')
      .where('api_keys.key_hash', '=', keyHash)
      .where('api_keys.revoked_at', 'is', null)
      .executeTakeFirst();
    return row && toWorkspace(row);
  }

  async listApiKeys(workspaceId: string): Promise<ApiKey[]> {
    const rows = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toApiKey);
  }

  async revokeApiKey(workspaceId: string, keyId: string): Promise<ApiKey> {
    return this.#write(async (trx) => {
      const row = await trx
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', keyId)
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirst();
      if (!row) throw new NotFoundError('api_key', keyId);
      const revokedAt = row.revoked_at === null ? this.#now() : toIso(row.revoked_at);
      await trx.updateTable('api_keys').set({ revoked_at: revokedAt }).where('id', '=', keyId).execute();
      return toApiKey({ ...row, revoked_at: revokedAt });
    });
  }

  // ── tables ─────────────────────────────────────────────────────────────────────────────

  async createTable(workspaceId: string, input: NewTable): Promise<TableDetail> {
    checkColumnSet(
      input.kind,
      input.columns.map((config, index) => ({ config, path: ['column_configs', index] })),
    );
    // Company tables get their system columns (after the columns asked for, so paths above stay true).
    const configs = withSystemColumns(input.kind, input.columns);
    return this.#write(async (trx) => {
      const now = this.#now();
      const tableId = newId();
      await trx
        .insertInto('tables')
        .values({
          id: tableId,
          workspace_id: workspaceId,
          parent_table_id: null,
          name: input.name,
          description: input.description,
          tags: input.tags === null ? null : JSON.stringify(input.tags),
          kind: input.kind,
          notify: this.#dialect.bool(input.notify),
          settings: JSON.stringify(input.settings),
          created_at: now,
          updated_at: now,
        })
        .execute();
      const columns = await this.#insertColumns(trx, tableId, configs, 0, now);
      await this.#createChildTables(trx, workspaceId, { id: tableId, name: input.name }, columns, now);
      return this.#readDetail(trx, workspaceId, tableId);
    });
  }

  async listTables(
    workspaceId: string,
    query: TableListQuery,
  ): Promise<{ items: (Table & { owner: Workspace })[]; total: number }> {
    let base = this.#db
      .selectFrom('tables')
      .innerJoin('workspaces', 'workspaces.id', 'tables.workspace_id')
      .where('tables.workspace_id', '=', workspaceId)
      .where('tables.parent_table_id', 'is', null);
    if (query.kind) base = base.where('tables.kind', '=', query.kind);
    if (query.search) {
      const pattern = `%${query.search.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
      base = base.where((eb) =>
        eb.or([
          this.#dialect.containsIgnoringCase(eb.ref('tables.name'), pattern),
          this.#dialect.containsIgnoringCase(eb.ref('tables.description'), pattern),
        ]),
      );
    }
    if (query.tags && query.tags.length > 0) {
      const tags = query.tags;
      base = base.where((eb) => this.#dialect.jsonArrayHasAny(eb.ref('tables.tags'), tags));
    }
    const descending = query.sort.startsWith('-');
    const direction = descending ? 'desc' : 'asc';
    const field = query.sort.replace('-', '');
    let page = base
      .selectAll('tables')
      .select([
        'workspaces.name as ws_name',
        'workspaces.owner_id as ws_owner_id',
        'workspaces.owner_email as ws_owner_email',
        'workspaces.created_at as ws_created_at',
      ]);
    if (field === 'name') page = page.orderBy(sql`lower(tables.name)`, direction);
    else if (field === 'num_rows') page = page.orderBy('tables.num_rows', direction);
    else page = page.orderBy('tables.created_at', direction);
    const [rows, count] = await Promise.all([
      page.orderBy('tables.id', direction).limit(query.limit).offset(query.offset).execute(),
      base.select((eb) => eb.fn.countAll<number | string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return {
      items: rows.map((row) => ({
        ...toTable(row),
        owner: toWorkspace({
          id: row.workspace_id,
          name: row.ws_name,
          owner_id: row.ws_owner_id,
          owner_email: row.ws_owner_email,
          created_at: row.ws_created_at,
        }),
      })),
      total: Number(count.total),
    };
  }

  async getTable(workspaceId: string, tableId: string): Promise<TableDetail> {
    return this.#readDetail(this.#db, workspaceId, tableId);
  }

  async updateTable(workspaceId: string, tableId: string, patch: TablePatch): Promise<TableDetail> {
    return this.#write(async (trx) => {
      await this.#lockTable(trx, workspaceId, tableId);
      const changes: Partial<Record<keyof TablesTable, unknown>> = { updated_at: this.#now() };
      if (patch.name !== undefined) changes.name = patch.name;
      if (patch.description !== undefined) changes.description = patch.description;
      if (patch.tags !== undefined) changes.tags = patch.tags === null ? null : JSON.stringify(patch.tags);
      if (patch.notify !== undefined) changes.notify = this.#dialect.bool(patch.notify);
      if (patch.settings !== undefined) changes.settings = JSON.stringify(patch.settings);
      await trx
        .updateTable('tables')
        .set(changes as never)
        .where('id', '=', tableId)
        .execute();
      return this.#readDetail(trx, workspaceId, tableId);
    });
  }

  async deleteTable(workspaceId: string, tableId: string): Promise<TableDetail> {
    return this.#write(async (trx) => {
      await this.#lockTable(trx, workspaceId, tableId);
      const detail = await this.#readDetail(trx, workspaceId, tableId);
      // Child tables go with their parent (ON DELETE CASCADE), as do columns, rows and cells.
      await trx.deleteFrom('tables').where('id', '=', tableId).execute();
      return detail;
    });
  }

  // ── columns ────────────────────────────────────────────────────────────────────────────

  async addColumns(
    workspaceId: string,
    tableId: string,
    configs: ColumnConfig[],
    placement: ColumnPlacement,
  ): Promise<Column[]> {
    return this.#write(async (trx) => {
      const table = await this.#lockTable(trx, workspaceId, tableId);
      const existing = await this.#readColumns(trx, tableId);
      checkColumnSet(table.kind as TableKind, [
        ...existing.map((column): ColumnDraft => ({ config: column.config })),
        ...configs.map((config, index): ColumnDraft => ({ config, path: ['column_configs', index] })),
      ]);
      let insertAt = existing.length;
      if ('at' in placement && placement.at === 'start') insertAt = 0;
      if ('afterColumnId' in placement) {
        const index = existing.findIndex((column) => column.id === placement.afterColumnId);
        if (index < 0) {
          throw ValidationError.single(
            ['insert_after'],
            `No column with id '${placement.afterColumnId}' in this table`,
          );
        }
        insertAt = index + 1;
      }
      const now = this.#now();
      // Make room: shift the columns after the insertion point by the number of new columns.
      await trx
        .updateTable('columns')
        .set((eb) => ({ position: eb('position', '+', configs.length) }))
        .where('table_id', '=', tableId)
        .where('position', '>=', insertAt)
        .execute();
      const created = await this.#insertColumns(trx, tableId, configs, insertAt, now);
      await this.#createChildTables(trx, workspaceId, table, created, now);
      await trx.updateTable('tables').set({ updated_at: now }).where('id', '=', tableId).execute();
      return created;
    });
  }

  async updateColumn(
    workspaceId: string,
    tableId: string,
    columnId: string,
    config: ColumnConfig,
  ): Promise<Column> {
    return this.#write(async (trx) => {
      const table = await this.#lockTable(trx, workspaceId, tableId);
      const columns = await this.#readColumns(trx, tableId);
      const current = columns.find((column) => column.id === columnId);
      if (!current) throw new NotFoundError('column', columnId);
      if (isInputKind(current.config.kind) !== isInputKind(config.kind)) {
        throw ValidationError.single(
          ['kind'],
          `A column cannot change between input and computed (from '${current.config.kind}' to '${config.kind}'); add a new column instead`,
        );
      }
      const renamed = current.config.key !== config.key;
      checkColumnSet(
        table.kind as TableKind,
        columns.map((column): ColumnDraft =>
          column.id === columnId ? { config, path: [] } : { config: column.config },
        ),
        renamed ? ['key'] : [],
      );
      const now = this.#now();
      await trx
        .updateTable('columns')
        .set({ config: JSON.stringify(config), key: config.key, kind: config.kind, updated_at: now })
        .where('id', '=', columnId)
        .execute();
      const changed = JSON.stringify(current.config) !== JSON.stringify(config);
      if (changed && !isInputKind(config.kind)) {
        const graph = computedGraph(
          columns.map((column) => (column.id === columnId ? { ...column, config } : column)),
        );
        const affected = [columnId, ...downstreamColumnIds(graph, [columnId])];
        const transitions = await invalidateCells(
          trx,
          this.#dialect,
          tableId,
          graph,
          affected,
          undefined,
          this.#stamp(),
        );
        await applyTransitions(trx, transitions, now);
      }
      await trx.updateTable('tables').set({ updated_at: now }).where('id', '=', tableId).execute();
      return { ...current, config, updatedAt: now };
    });
  }

  async deleteColumn(workspaceId: string, tableId: string, columnId: string): Promise<Column> {
    return this.#write(async (trx) => {
      await this.#lockTable(trx, workspaceId, tableId);
      const columns = await this.#readColumns(trx, tableId);
      const column = columns.find((candidate) => candidate.id === columnId);
      if (!column) throw new NotFoundError('column', columnId);
      const dependents = columns.filter(
        (other) => other.id !== columnId && dependencyKeys(other.config).includes(column.config.key),
      );
      if (dependents.length > 0) {
        throw ValidationError.single(
          ['column_id'],
          `Column '${column.config.key}' is used by ${dependents.map((dep) => `'${dep.config.key}'`).join(', ')}; change or delete those columns first`,
          'value_error',
          'path',
        );
      }
      const transitions = await removeCells(trx, tableId, { columnIds: [columnId] });
      // A people finder's child table goes with it (its rows and cells by ON DELETE CASCADE).
      await trx
        .deleteFrom('tables')
        .where('parent_table_id', '=', tableId)
        .where('parent_column_id', '=', columnId)
        .execute();
      await trx.deleteFrom('columns').where('id', '=', columnId).execute();
      await trx
        .updateTable('columns')
        .set((eb) => ({ position: eb('position', '-', 1) }))
        .where('table_id', '=', tableId)
        .where('position', '>', columns.indexOf(column))
        .execute();
      if (isInputKind(column.config.kind)) {
        // The column's values leave with it: a deleted column keeps no copy of what it held.
        await trx
          .updateTable('rows')
          .set((eb) => ({ data: this.#dialect.jsonWithoutKey(eb.ref('data'), columnId) }))
          .where('table_id', '=', tableId)
          .execute();
      }
      await applyTransitions(trx, transitions, this.#now());
      return column;
    });
  }

  // ── rows ───────────────────────────────────────────────────────────────────────────────

  async insertRows(workspaceId: string, tableId: string, rows: RowInput[]): Promise<RowsResult> {
    const result = await this.#write(async (trx) => {
      await this.#lockTable(trx, workspaceId, tableId);
      const columns = await this.#readColumns(trx, tableId);
      const resolver = rowResolver(columns);
      const issues = new IssueCollector();
      const values = rows.map((row, index) => resolver(row.data, ['rows', index, 'data'], issues));
      issues.throwIfAny();
      const inserted = await this.#insertRowRecords(
        trx,
        tableId,
        rows.map((row, index) => ({ values: values[index]!, metadata: row.metadata ?? null })),
      );
      return { columns, rows: inserted.map((row) => ({ row, cells: [] })) };
    });
    this.#statistics.noteWrites('rows', result.rows.length);
    return result;
  }

  async updateRows(workspaceId: string, tableId: string, updates: RowUpdate[]): Promise<RowsResult> {
    return this.#write(async (trx) => {
      await this.#lockTable(trx, workspaceId, tableId);
      const columns = await this.#readColumns(trx, tableId);
      const resolver = rowResolver(columns);
      const issues = new IssueCollector();
      const values = updates.map((row, index) => resolver(row.data, ['rows', index, 'data'], issues));
      const ids = updates.flatMap((update) => (update.id ? [update.id] : []));
      const existing = new Map(
        (await this.#selectRowsByIds(trx, tableId, ids)).map((record) => [record.id, record] as const),
      );
      updates.forEach((update, index) => {
        if (update.id && !existing.has(update.id)) {
          issues.add(['rows', index, 'id'], `No row with id '${update.id}' in this table`);
        }
      });
      const seen = new Set<string>();
      updates.forEach((update, index) => {
        if (update.id && seen.has(update.id))
          issues.add(['rows', index, 'id'], `Row '${update.id}' appears twice`);
        if (update.id) seen.add(update.id);
      });
      issues.throwIfAny();

      const now = this.#now();
      const configs = columns.map((column) => column.config);
      const keyById = new Map(columns.map((column) => [column.id, column.config.key]));
      const idByKey = new Map(columns.map((column) => [column.config.key, column.id]));
      // Rows whose changed inputs invalidate the same columns are invalidated together.
      const invalidations = new Map<string, { columnIds: string[]; rowIds: string[] }>();
      const results: Row[] = [];
      const creations: { index: number; values: Record<string, unknown>; metadata: JsonObject | null }[] = [];
      for (const [index, update] of updates.entries()) {
        if (!update.id) {
          creations.push({ index, values: values[index]!, metadata: update.metadata ?? null });
          continue;
        }
        const before = toRow(existing.get(update.id)!);
        const merged = { ...before.values, ...values[index]! };
        const changedKeys = Object.keys(values[index]!)
          .filter((columnId) => JSON.stringify(before.values[columnId]) !== JSON.stringify(merged[columnId]))
          .map((columnId) => keyById.get(columnId)!);
        const metadata = update.metadata === undefined ? before.metadata : update.metadata;
        await trx
          .updateTable('rows')
          .set({
            data: JSON.stringify(merged),
            metadata: metadata === null ? null : JSON.stringify(metadata),
            updated_at: now,
          })
          .where('id', '=', update.id)
          .execute();
        if (changedKeys.length > 0) {
          const columnIds = [...downstreamKeys(configs, changedKeys)].map((key) => idByKey.get(key)!).sort();
          const group = invalidations.get(columnIds.join());
          if (group) group.rowIds.push(update.id);
          else invalidations.set(columnIds.join(), { columnIds, rowIds: [update.id] });
        }
        results[index] = { ...before, values: merged, metadata, updatedAt: now };
      }
      if (invalidations.size > 0) {
        const graph = computedGraph(columns);
        const transitions: CellTransition[] = [];
        for (const { columnIds, rowIds } of invalidations.values()) {
          transitions.push(
            ...(await invalidateCells(trx, this.#dialect, tableId, graph, columnIds, rowIds, this.#stamp())),
          );
        }
        await applyTransitions(trx, transitions, now);
      }
      const created = await this.#insertRowRecords(trx, tableId, creations);
      creations.forEach((creation, position) => (results[creation.index] = created[position]!));
      const cells = await this.#cellsByRow(
        trx,
        results.map((row) => row.id),
      );
      return { columns, rows: results.map((row) => ({ row, cells: cells.get(row.id) ?? [] })) };
    });
  }

  async deleteRows(workspaceId: string, tableId: string, rowIds: string[]): Promise<string[]> {
    return this.#write(async (trx) => {
      await this.#lockTable(trx, workspaceId, tableId);
      const found = (await this.#selectRowsByIds(trx, tableId, rowIds)).map((row) => row.id);
      if (found.length === 0) return [];
      const transitions = await removeCells(trx, tableId, { rowIds: found });
      for (const chunk of chunks(found, 1000))
        await trx.deleteFrom('rows').where('id', 'in', chunk).execute();
      await applyTransitions(trx, transitions, this.#now());
      await trx
        .updateTable('tables')
        .set((eb) => ({ num_rows: eb('num_rows', '-', found.length) }))
        .where('id', '=', tableId)
        .execute();
      await this.#deleteChildRows(trx, tableId, found);
      const order = new Map(rowIds.map((id, index) => [id, index]));
      return found.sort((a, b) => order.get(a)! - order.get(b)!);
    });
  }

  async columnStats(
    workspaceId: string,
    tableId: string,
  ): Promise<{ numRows: number; columns: ColumnStats[] }> {
    const table = await this.#requireTable(this.#db, workspaceId, tableId);
    const [columns, groups] = await Promise.all([
      this.#readColumns(this.#db, tableId),
      // One pass over the table's cells (index cells_table_status): statuses and cost by column.
      this.#db
        .selectFrom('cells')
        .where('table_id', '=', tableId)
        .select((eb) => [
          'column_id',
          'status',
          eb.fn.countAll<number | string>().as('n'),
          eb.fn.sum<number | string | null>('cost').as('cost'),
        ])
        .groupBy(['column_id', 'status'])
        .execute(),
    ]);
    const byColumn = new Map<string, ColumnStats>();
    for (const column of columns) {
      if (isInputKind(column.config.kind)) continue;
      byColumn.set(column.id, { columnId: column.id, counts: emptyCellCounts(), cost: 0 });
    }
    for (const group of groups) {
      const stats = byColumn.get(group.column_id);
      if (!stats) continue;
      stats.counts[group.status as CellStatus] += Number(group.n);
      stats.cost += Number(group.cost ?? 0);
    }
    return { numRows: Number(table.num_rows), columns: [...byColumn.values()] };
  }

  async getRow(workspaceId: string, tableId: string, rowId: string): Promise<RowsResult> {
    await this.#requireTable(this.#db, workspaceId, tableId);
    const [columns, records] = await Promise.all([
      this.#readColumns(this.#db, tableId),
      this.#selectRowsByIds(this.#db, tableId, [rowId]),
    ]);
    const record = records[0];
    if (!record) throw new NotFoundError('row', rowId);
    const cells = await this.#cellsByRow(this.#db, [rowId]);
    return { columns, rows: [{ row: toRow(record), cells: cells.get(rowId) ?? [] }] };
  }

  async getTableData(
    workspaceId: string,
    tableId: string,
    page: { offset: number; limit: number; afterRowId?: string },
  ): Promise<TableData> {
    const detail = await this.#readDetail(this.#db, workspaceId, tableId);
    let query = this.#db.selectFrom('rows').selectAll().where('table_id', '=', tableId);
    if (page.afterRowId !== undefined) query = query.where('id', '>', page.afterRowId);
    const records = await query.orderBy('id').limit(page.limit).offset(page.offset).execute();
    const rows = records.map(toRow);
    const cells = await this.#cellsByRow(
      this.#db,
      rows.map((row) => row.id),
    );
    return {
      detail,
      columns: detail.columns,
      rows: rows.map((row): RowWithCells => ({ row, cells: cells.get(row.id) ?? [] })),
    };
  }

  // ── Databar: table enrichments, filtered rows, lookups, vendor keys ──────────────────────

  async addTableEnrichment(
    workspaceId: string,
    tableId: string,
    input: NewTableEnrichment,
  ): Promise<{ enrichment: TableEnrichment; columns: Column[] }> {
    const { id, columns } = await this.#write(async (trx) => {
      const table = await this.#lockTable(trx, workspaceId, tableId);
      const existing = await this.#readColumns(trx, tableId);
      const id = await this.#enrichments.insertTableEnrichment(trx, {
        workspaceId,
        tableId,
        kind: input.kind,
        catalogRef: input.catalogRef,
        name: input.name,
      });
      const configs = input.columns(id);
      checkColumnSet(table.kind as TableKind, [
        ...existing.map((column): ColumnDraft => ({ config: column.config })),
        ...configs.map((config, index): ColumnDraft => ({ config, path: ['columns', index] })),
      ]);
      const now = this.#now();
      const columns = await this.#insertColumns(trx, tableId, configs, existing.length, now);
      await this.#enrichments.setTableEnrichmentColumn(trx, id, columns[0]!.id);
      await trx.updateTable('tables').set({ updated_at: now }).where('id', '=', tableId).execute();
      return { id, columns };
    });
    return { enrichment: await this.#enrichments.get(workspaceId, tableId, id), columns };
  }

  async listTableEnrichments(workspaceId: string, tableId: string): Promise<TableEnrichment[]> {
    await this.#requireTable(this.#db, workspaceId, tableId);
    return this.#enrichments.list(workspaceId, tableId);
  }

  async getTableEnrichment(workspaceId: string, tableId: string, id: number): Promise<TableEnrichment> {
    await this.#requireTable(this.#db, workspaceId, tableId);
    return this.#enrichments.get(workspaceId, tableId, id);
  }

  async findRows(
    workspaceId: string,
    tableId: string,
    query: { filters: RowFilter[]; offset: number; limit: number },
  ): Promise<RowsResult & { total: number }> {
    await this.#requireTable(this.#db, workspaceId, tableId);
    const columns = await this.#readColumns(this.#db, tableId);
    const base = this.#db
      .selectFrom('rows')
      .where('rows.table_id', '=', tableId)
      .where((eb) => eb.and(query.filters.map((filter) => this.#rowFilter(eb, filter))));
    const [records, count] = await Promise.all([
      base.selectAll('rows').orderBy('rows.id').limit(query.limit).offset(query.offset).execute(),
      base.select((eb) => eb.fn.countAll<number | string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    const rows = records.map(toRow);
    const cells = await this.#cellsByRow(
      this.#db,
      rows.map((row) => row.id),
    );
    return {
      columns,
      rows: rows.map((row) => ({ row, cells: cells.get(row.id) ?? [] })),
      total: Number(count.total),
    };
  }

  /** One filter as SQL: input values from the row's JSON, computed values from the cell's answer. */
  #rowFilter(eb: ExpressionBuilder<Database, 'rows'>, filter: RowFilter): Expression<SqlBool> {
    const text = filter.computed
      ? eb
          .selectFrom('cells')
          .select((inner) => this.#dialect.jsonText(inner.ref('cells.value'), 'answer').as('answer'))
          .whereRef('cells.row_id', '=', 'rows.id')
          .where('cells.column_id', '=', filter.columnId)
          .where('cells.status', '=', 'done')
      : this.#dialect.jsonText(eb.ref('rows.data'), filter.columnId);
    const value =
      filter.value === null || filter.value === undefined
        ? ''
        : typeof filter.value === 'string'
          ? filter.value
          : JSON.stringify(filter.value);
    switch (filter.operator) {
      case 'equals':
        return eb(text, '=', value);
      case 'not_equals':
        return eb.or([eb(text, 'is', null), eb(text, '!=', value)]);
      case 'contains':
        return this.#dialect.containsIgnoringCase(
          text,
          `%${value.replace(/[\\%_]/g, (char) => `\\${char}`)}%`,
        );
      case 'is_empty':
        return eb.or([eb(text, 'is', null), eb(text, '=', '')]);
      case 'is_not_empty':
        return eb.and([eb(text, 'is not', null), eb(text, '!=', '')]);
    }
  }

  async findRowsByValues(
    workspaceId: string,
    tableId: string,
    columnIds: string[],
    tuples: unknown[][],
  ): Promise<Map<string, string>> {
    await this.#requireTable(this.#db, workspaceId, tableId);
    const found = new Map<string, string>();
    if (columnIds.length === 0 || tuples.length === 0) return found;
    const asText = (value: unknown) =>
      value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    const wanted = new Set(tuples.map((tuple) => JSON.stringify(tuple.map(asText))));
    for (const batch of chunks(tuples, 500)) {
      const firstValues = [...new Set(batch.map((tuple) => asText(tuple[0])))];
      const rows = await this.#db
        .selectFrom('rows')
        .select((eb) => [
          'rows.id',
          ...columnIds.map((id, index) => this.#dialect.jsonText(eb.ref('rows.data'), id).as(`v${index}`)),
        ])
        .where('rows.table_id', '=', tableId)
        .where((eb) => eb(this.#dialect.jsonText(eb.ref('rows.data'), columnIds[0]!), 'in', firstValues))
        .orderBy('rows.id')
        .execute();
      for (const row of rows as unknown as Record<string, string | null>[]) {
        const signature = JSON.stringify(columnIds.map((_, index) => row[`v${index}`] ?? ''));
        if (wanted.has(signature) && !found.has(signature)) found.set(signature, row.id!);
      }
    }
    return found;
  }

  setVendorCredential(workspaceId: string, provider: string, encryptedSecret: string, hint: string) {
    return this.#enrichments.setCredential(workspaceId, provider, encryptedSecret, hint);
  }
  listVendorCredentials(workspaceId: string) {
    return this.#enrichments.listCredentials(workspaceId);
  }
  getVendorSecret(workspaceId: string, provider: string) {
    return this.#enrichments.getSecret(workspaceId, provider);
  }
  deleteVendorCredential(workspaceId: string, provider: string) {
    return this.#enrichments.deleteCredential(workspaceId, provider);
  }

  // ── runs and the queue (storage/runs.ts) ─────────────────────────────────────────────────

  planRun(workspaceId: string, tableId: string, request: RunRequest): Promise<Run> {
    return this.#runs.planRun(workspaceId, tableId, request);
  }
  getRun(workspaceId: string, tableId: string, runId: string): Promise<Run> {
    return this.#runs.getRun(workspaceId, tableId, runId);
  }
  listRuns(workspaceId: string, tableId: string, page: { offset: number; limit: number }) {
    return this.#runs.listRuns(workspaceId, tableId, page);
  }
  cancelRun(workspaceId: string, tableId: string, runId: string): Promise<Run> {
    return this.#runs.cancelRun(workspaceId, tableId, runId);
  }
  claimCells(workerId: string, limit: number, leaseMs: number): Promise<ClaimedCell[]> {
    return this.#runs.claimCells(workerId, limit, leaseMs);
  }
  extendLeases(workerId: string, cells: CellRef[], leaseMs: number): Promise<CellRef[]> {
    return this.#runs.extendLeases(workerId, cells, leaseMs);
  }
  completeCells(results: CellResult[]) {
    return this.#runs.completeCells(results);
  }
  releaseExpiredLeases(): Promise<number> {
    return this.#runs.releaseExpiredLeases();
  }
  nextDueAt(): Promise<number | undefined> {
    return this.#runs.nextDueAt();
  }
  getCachedResults(
    workspaceId: string,
    cacheKeys: string[],
    notBefore?: number,
  ): Promise<Map<string, CachedResult>> {
    return this.#runs.getCachedResults(workspaceId, cacheKeys, notBefore);
  }
  putCachedResult(workspaceId: string, cacheKey: string, result: CachedResult, ttlMs: number): Promise<void> {
    return this.#runs.putCachedResult(workspaceId, cacheKey, result, ttlMs);
  }

  // ── webhooks and their outbox (storage/webhooks.ts) ─────────────────────────────────────

  createWebhook(workspaceId: string, input: NewWebhook): Promise<Webhook> {
    return this.#webhooks.createWebhook(workspaceId, input);
  }
  listWebhooks(workspaceId: string): Promise<Webhook[]> {
    return this.#webhooks.listWebhooks(workspaceId);
  }
  getWebhook(workspaceId: string, webhookId: string): Promise<Webhook> {
    return this.#webhooks.getWebhook(workspaceId, webhookId);
  }
  updateWebhook(workspaceId: string, webhookId: string, patch: WebhookPatch): Promise<Webhook> {
    return this.#webhooks.updateWebhook(workspaceId, webhookId, patch);
  }
  deleteWebhook(workspaceId: string, webhookId: string): Promise<Webhook> {
    return this.#webhooks.deleteWebhook(workspaceId, webhookId);
  }
  listWebhookDeliveries(workspaceId: string, webhookId: string, page: { offset: number; limit: number }) {
    return this.#webhooks.listWebhookDeliveries(workspaceId, webhookId, page);
  }
  retryWebhookDelivery(workspaceId: string, webhookId: string, deliveryId: string) {
    return this.#webhooks.retryWebhookDelivery(workspaceId, webhookId, deliveryId);
  }
  claimWebhookDeliveries(limit: number, at: { nowMs: number; leaseMs: number }) {
    return this.#webhooks.claimWebhookDeliveries(limit, at);
  }
  recordWebhookAttempt(deliveryId: string, attempt: number, outcome: DeliveryAttemptOutcome, nowMs: number) {
    return this.#webhooks.recordWebhookAttempt(deliveryId, attempt, outcome, nowMs);
  }
  nextWebhookDeliveryAt(): Promise<number | undefined> {
    return this.#webhooks.nextWebhookDeliveryAt();
  }

  // ── custom connectors (storage/connectors.ts) ───────────────────────────────────────────

  createConnector(
    workspaceId: string,
    input: { spec: Omit<ConnectorSnapshot, 'id'>; encryptedHeaders: string | null },
  ): Promise<StoredConnector> {
    return this.#connectors.createConnector(workspaceId, input);
  }
  listConnectors(workspaceId: string): Promise<StoredConnector[]> {
    return this.#connectors.listConnectors(workspaceId);
  }
  getConnector(workspaceId: string, catalogId: number): Promise<StoredConnector | undefined> {
    return this.#connectors.getConnector(workspaceId, catalogId);
  }
  getConnectorHeaders(workspaceId: string, catalogId: number): Promise<string | null | undefined> {
    return this.#connectors.getConnectorHeaders(workspaceId, catalogId);
  }
  deleteConnector(workspaceId: string, catalogId: number): Promise<StoredConnector> {
    return this.#connectors.deleteConnector(workspaceId, catalogId);
  }

  // ── discovery tasks (storage/discovery.ts) ──────────────────────────────────────────────

  createDiscoveryTask(workspaceId: string, input: NewDiscoveryTask): Promise<DiscoveryTask> {
    return this.#discovery.createDiscoveryTask(workspaceId, input);
  }
  getDiscoveryTask(workspaceId: string, taskId: string): Promise<DiscoveryTask> {
    return this.#discovery.getDiscoveryTask(workspaceId, taskId);
  }
  updateDiscoveryTask(
    workspaceId: string,
    taskId: string,
    patch: DiscoveryTaskPatch,
  ): Promise<DiscoveryTask> {
    return this.#discovery.updateDiscoveryTask(workspaceId, taskId, patch);
  }
  claimStaleDiscoveryTasks(staleBefore: string): Promise<DiscoveryTask[]> {
    return this.#discovery.claimStaleDiscoveryTasks(staleBefore);
  }

  // ── company and people tables ─────────────────────────────────────────────────────────

  async addChildRows(
    workspaceId: string,
    parentTableId: string,
    parentColumnId: string,
    parentRowId: string,
    input: { rows: Record<string, unknown>[]; parentData: JsonObject },
  ): Promise<ChildRowsResult> {
    const result = await this.#write(async (trx) => {
      await this.#requireTable(trx, workspaceId, parentTableId);
      const child = await trx
        .selectFrom('tables')
        .select('id')
        .where('parent_table_id', '=', parentTableId)
        .where('parent_column_id', '=', parentColumnId)
        .executeTakeFirst();
      if (!child) throw new NotFoundError('table', `child of column ${parentColumnId}`);
      await this.#lockTable(trx, workspaceId, child.id);
      const columns = await this.#readColumns(trx, child.id);
      const idByKey = new Map(
        columns
          .filter((column) => isInputKind(column.config.kind))
          .map((column) => [column.config.key, column.id] as const),
      );
      const keyById = new Map([...idByKey].map(([key, id]) => [id, key] as const));
      const existing = await trx
        .selectFrom('rows')
        .select(['id', 'data'])
        .where('table_id', '=', child.id)
        .where('parent_row_id', '=', parentRowId)
        .orderBy('id')
        .execute();
      // Dedupe: the same profile URL is the same person; without one, the same name is.
      const urls = new Set<string>();
      const names = new Set<string>();
      const namesWithoutUrl = new Set<string>();
      const remember = (data: Record<string, unknown>) => {
        const keys = personKeys(data);
        if (keys.url) urls.add(keys.url);
        if (keys.name) names.add(keys.name);
        if (keys.name && !keys.url) namesWithoutUrl.add(keys.name);
      };
      for (const row of existing) {
        const byId = parseJson<Record<string, unknown>>(row.data) ?? {};
        remember(
          Object.fromEntries(Object.entries(byId).map(([id, value]) => [keyById.get(id) ?? id, value])),
        );
      }
      const fresh: {
        values: Record<string, unknown>;
        metadata: null;
        parentRowId: string;
        parentData: JsonObject;
      }[] = [];
      let skipped = 0;
      for (const data of input.rows) {
        const keys = personKeys(data);
        const duplicate = keys.url
          ? urls.has(keys.url) || (keys.name !== null && namesWithoutUrl.has(keys.name))
          : keys.name !== null && names.has(keys.name);
        if (duplicate || (!keys.url && !keys.name)) {
          skipped += 1;
          continue;
        }
        remember(data);
        const values: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(data)) {
          const id = idByKey.get(key);
          if (id !== undefined && value !== null && value !== undefined) values[id] = value;
        }
        fresh.push({ values, metadata: null, parentRowId, parentData: input.parentData });
      }
      const inserted = await this.#insertRowRecords(trx, child.id, fresh);
      return { childTableId: child.id, insertedRowIds: inserted.map((row) => row.id), skipped };
    });
    this.#statistics.noteWrites('rows', result.insertedRowIds.length);
    return result;
  }

  /** The people found for company rows leave with them, from every child table. */
  async #deleteChildRows(trx: Trx, parentTableId: string, parentRowIds: string[]): Promise<void> {
    const children = await trx
      .selectFrom('tables')
      .select('id')
      .where('parent_table_id', '=', parentTableId)
      .execute();
    for (const child of children) {
      const childRowIds: string[] = [];
      for (const chunk of chunks(parentRowIds, 1000)) {
        const rows = await trx
          .selectFrom('rows')
          .select('id')
          .where('table_id', '=', child.id)
          .where('parent_row_id', 'in', chunk)
          .execute();
        childRowIds.push(...rows.map((row) => row.id));
      }
      if (childRowIds.length === 0) continue;
      const transitions = await removeCells(trx, child.id, { rowIds: childRowIds });
      for (const chunk of chunks(childRowIds, 1000))
        await trx.deleteFrom('rows').where('id', 'in', chunk).execute();
      await applyTransitions(trx, transitions, this.#now());
      await trx
        .updateTable('tables')
        .set((eb) => ({ num_rows: eb('num_rows', '-', childRowIds.length) }))
        .where('id', '=', child.id)
        .execute();
    }
  }

  /** Makes the people table of each new company_people_finder column (kind rules were checked). */
  async #createChildTables(
    trx: Trx,
    workspaceId: string,
    parent: { id: string; name: string },
    columns: Column[],
    now: string,
  ): Promise<void> {
    for (const column of columns) {
      if (column.config.kind !== 'company_people_finder') continue;
      const childId = newId();
      await trx
        .insertInto('tables')
        .values({
          id: childId,
          workspace_id: workspaceId,
          parent_table_id: parent.id,
          parent_column_id: column.id,
          name: `${parent.name} · ${column.config.name}`,
          description: null,
          tags: null,
          kind: 'people',
          notify: this.#dialect.bool(false),
          settings: JSON.stringify({ exclude_from_search: false }),
          created_at: now,
          updated_at: now,
        })
        .execute();
      await this.#insertColumns(trx, childId, [...PEOPLE_TABLE_COLUMNS], 0, now);
    }
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  #write<T>(work: (trx: Trx) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(work);
  }

  async #requireTable(
    db: StoreDb | Trx,
    workspaceId: string,
    tableId: string,
  ): Promise<Selectable<TablesTable>> {
    const table = await db
      .selectFrom('tables')
      .selectAll()
      .where('id', '=', tableId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    if (!table) throw new NotFoundError('table', tableId);
    return table;
  }

  async #lockTable(trx: Trx, workspaceId: string, tableId: string): Promise<Selectable<TablesTable>> {
    const table = await this.#dialect.selectTableForUpdate(trx, workspaceId, tableId);
    if (!table) throw new NotFoundError('table', tableId);
    return table;
  }

  async #readDetail(db: StoreDb | Trx, workspaceId: string, tableId: string): Promise<TableDetail> {
    const row = await db
      .selectFrom('tables')
      .innerJoin('workspaces', 'workspaces.id', 'tables.workspace_id')
      .selectAll('tables')
      .select(['workspaces.owner_id as owner_id', 'workspaces.owner_email as owner_email'])
      .where('tables.id', '=', tableId)
      .where('tables.workspace_id', '=', workspaceId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('table', tableId);
    const [columns, children] = await Promise.all([
      this.#readColumns(db, tableId),
      db
        .selectFrom('tables')
        .select('id')
        .where('parent_table_id', '=', tableId)
        // Children made together share a timestamp: ids (UUIDv7) keep the order they were made in.
        .orderBy('created_at')
        .orderBy('id')
        .execute(),
    ]);
    return {
      table: toTable(row),
      columns,
      owner: { id: row.owner_id, email: row.owner_email },
      childTableIds: children.map((child) => child.id),
    };
  }

  async #readColumns(db: StoreDb | Trx, tableId: string): Promise<Column[]> {
    const rows = await db
      .selectFrom('columns')
      .selectAll()
      .where('table_id', '=', tableId)
      .orderBy('position')
      .execute();
    return rows.map(toColumn);
  }

  async #insertColumns(
    trx: Trx,
    tableId: string,
    configs: ColumnConfig[],
    firstPosition: number,
    now: string,
  ): Promise<Column[]> {
    if (configs.length === 0) return [];
    const records = configs.map((config, index) => ({
      id: newId(),
      table_id: tableId,
      key: config.key,
      kind: config.kind,
      position: firstPosition + index,
      config: JSON.stringify(config),
      created_at: now,
      updated_at: now,
    }));
    await trx.insertInto('columns').values(records).execute();
    return records.map(toColumn);
  }

  async #insertRowRecords(
    trx: Trx,
    tableId: string,
    rows: {
      values: Record<string, unknown>;
      metadata: JsonObject | null;
      parentRowId?: string;
      parentData?: JsonObject;
    }[],
  ): Promise<Row[]> {
    if (rows.length === 0) return [];
    const now = this.#now();
    const records = rows.map((row) => ({
      id: newId(),
      table_id: tableId,
      parent_row_id: row.parentRowId ?? null,
      data: JSON.stringify(row.values),
      metadata: row.metadata === null ? null : JSON.stringify(row.metadata),
      parent_data: row.parentData === undefined ? null : JSON.stringify(row.parentData),
      created_at: now,
      updated_at: now,
    }));
    if (this.#insertRowsDirect) this.#insertRowsDirect(records);
    else {
      const perStatement = Math.floor(this.#dialect.maxParameters / 8);
      for (const chunk of chunks(records, perStatement)) await trx.insertInto('rows').values(chunk).execute();
    }
    await trx
      .updateTable('tables')
      .set((eb) => ({ num_rows: eb('num_rows', '+', records.length), updated_at: now }))
      .where('id', '=', tableId)
      .execute();
    // The rows as written, without parsing back the JSON just made (bulk imports write millions).
    return records.map((record, index) => ({
      id: record.id,
      tableId,
      createdAt: now,
      updatedAt: now,
      parentRowId: record.parent_row_id,
      values: rows[index]!.values,
      metadata: rows[index]!.metadata,
      parentData: rows[index]!.parentData ?? null,
    }));
  }

  async #selectRowsByIds(
    db: StoreDb | Trx,
    tableId: string,
    ids: string[],
  ): Promise<Selectable<RowsTable>[]> {
    const result: Selectable<RowsTable>[] = [];
    for (const chunk of chunks([...new Set(ids)], 1000)) {
      result.push(
        ...(await db
          .selectFrom('rows')
          .selectAll()
          .where('table_id', '=', tableId)
          .where('id', 'in', chunk)
          .execute()),
      );
    }
    return result;
  }

  async #cellsByRow(db: StoreDb | Trx, rowIds: string[]): Promise<Map<string, Cell[]>> {
    const result = new Map<string, Cell[]>();
    for (const chunk of chunks(rowIds, 1000)) {
      const rows = await db
        .selectFrom('cells')
        .select([
          'row_id',
          'column_id',
          'status',
          'value',
          'error',
          'reason',
          'attempts',
          'cost',
          'usage',
          'updated_at',
        ])
        .where('row_id', 'in', chunk)
        .execute();
      for (const row of rows) {
        const cell = toCell(row);
        const list = result.get(cell.rowId);
        if (list) list.push(cell);
        else result.set(cell.rowId, [cell]);
      }
    }
    return result;
  }

  #stamp(): { iso: string; ms: number } {
    const ms = this.#clock.now();
    return { iso: new Date(ms).toISOString(), ms };
  }
}

// ── small helpers ────────────────────────────────────────────────────────────────────────

function rowResolver(columns: Column[]) {
  const inputIds = new Map(
    columns
      .filter((column) => isInputKind(column.config.kind))
      .map((column) => [column.config.key, column.id]),
  );
  const computed = new Set(
    columns.filter((column) => !isInputKind(column.config.kind)).map((column) => column.config.key),
  );
  return (data: Record<string, unknown>, path: (string | number)[], issues: IssueCollector) =>
    resolveRowData(inputIds, computed, data, path, issues);
}
