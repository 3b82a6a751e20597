import type { Selectable } from 'kysely';
import type { CriterionDefinition, DiscoveryStatus, DiscoveryTask } from '../domain/discovery.ts';
import { NotFoundError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { Clock, DiscoveryStore, DiscoveryTaskPatch, NewDiscoveryTask } from '../engine/ports.ts';
import type { StoreDb, StoreDialect } from './dialect.ts';
import { parseJson, toIso } from './mapping.ts';
import type { DiscoveryTasksTable } from './schema.ts';

/** Discovery tasks: one row each, updated as the task moves along. */
export class DiscoveryQueries implements DiscoveryStore {
  readonly #db: StoreDb;
  readonly #dialect: StoreDialect;
  readonly #clock: Clock;

  constructor(db: StoreDb, dialect: StoreDialect, clock: Clock) {
    this.#db = db;
    this.#dialect = dialect;
    this.#clock = clock;
  }

  async createDiscoveryTask(workspaceId: string, input: NewDiscoveryTask): Promise<DiscoveryTask> {
    const now = new Date(this.#clock.now()).toISOString();
    const row = {
      id: newId(),
      workspace_id: workspaceId,
      query: input.query,
      desired_num_results: input.desiredNumResults,
      criteria: JSON.stringify(input.criteria),
      exclude_domains: JSON.stringify(input.excludeDomains),
      status: 'created',
      table_id: null,
      run_id: null,
      num_candidates: 0,
      exhausted: this.#dialect.bool(false),
      reason: null,
      created_at: now,
      updated_at: now,
    };
    await this.#db.insertInto('discovery_tasks').values(row).execute();
    return toDiscoveryTask(row);
  }

  async getDiscoveryTask(workspaceId: string, taskId: string): Promise<DiscoveryTask> {
    const row = await this.#db
      .selectFrom('discovery_tasks')
      .selectAll()
      .where('id', '=', taskId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('discovery_task', taskId);
    return toDiscoveryTask(row);
  }

  async updateDiscoveryTask(
    workspaceId: string,
    taskId: string,
    patch: DiscoveryTaskPatch,
  ): Promise<DiscoveryTask> {
    const changes: Partial<Record<keyof DiscoveryTasksTable, unknown>> = {
      updated_at: new Date(this.#clock.now()).toISOString(),
    };
    if (patch.status !== undefined) changes.status = patch.status;
    if (patch.criteria !== undefined) changes.criteria = JSON.stringify(patch.criteria);
    if (patch.tableId !== undefined) changes.table_id = patch.tableId;
    if (patch.runId !== undefined) changes.run_id = patch.runId;
    if (patch.numCandidates !== undefined) changes.num_candidates = patch.numCandidates;
    if (patch.exhausted !== undefined) changes.exhausted = this.#dialect.bool(patch.exhausted);
    if (patch.reason !== undefined) changes.reason = patch.reason;
    const updated = await this.#db
      .updateTable('discovery_tasks')
      .set(changes as never)
      .where('id', '=', taskId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) throw new NotFoundError('discovery_task', taskId);
    return this.getDiscoveryTask(workspaceId, taskId);
  }

  async claimStaleDiscoveryTasks(staleBefore: string): Promise<DiscoveryTask[]> {
    const candidates = await this.#db
      .selectFrom('discovery_tasks')
      .selectAll()
      .where('status', 'in', ['created', 'in_progress'])
      .where((eb) => eb.or([eb('table_id', 'is', null), eb('run_id', 'is', null)]))
      .where('updated_at', '<', staleBefore)
      .orderBy('created_at')
      .limit(100)
      .execute();
    const claimed: DiscoveryTask[] = [];
    for (const row of candidates) {
      const now = new Date(this.#clock.now()).toISOString();
      // Compare-and-set on updated_at: of two processes claiming at once, one moves it first.
      const result = await this.#db
        .updateTable('discovery_tasks')
        .set({ updated_at: now })
        .where('id', '=', row.id)
        .where('updated_at', '=', row.updated_at)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) claimed.push(toDiscoveryTask({ ...row, updated_at: now }));
    }
    return claimed;
  }
}

function toDiscoveryTask(row: Selectable<DiscoveryTasksTable>): DiscoveryTask {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    query: row.query,
    desiredNumResults: Number(row.desired_num_results),
    criteria: parseJson<CriterionDefinition[]>(jsonText(row.criteria)) ?? [],
    excludeDomains: parseJson<string[]>(jsonText(row.exclude_domains)) ?? [],
    status: row.status as DiscoveryStatus,
    tableId: row.table_id,
    runId: row.run_id,
    numCandidates: Number(row.num_candidates),
    exhausted: Boolean(row.exhausted),
    reason: row.reason,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

/** JSON columns come back as text on both stores; tolerate a driver that parsed them anyway. */
function jsonText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
