import type { Logger } from 'pino';
import type { ColumnConfig } from '../domain/columns.ts';
import { INPUT_COLUMN } from '../domain/company.ts';
import {
  relevanceOf,
  type CriterionDefinition,
  type CriterionScore,
  type DiscoveryTask,
} from '../domain/discovery.ts';
import type { Cell } from '../domain/model.ts';
import type { Engine } from './engine.ts';
import type { Store } from './ports.ts';

/**
 * Discovery tasks: a query becomes a company table of graded candidates. The task's own work (infer
 * criteria, search for companies, build and fill the table, start its run) happens here, in the
 * process that accepted the task; the grading is ordinary cells (a `discovery_scores` column), so
 * any worker sharing the store computes them and the task is done when that run is.
 */

/** A company the search found. */
export interface FoundCompany {
  domain: string;
  url: string;
  title: string;
}

/** What discovery needs from providers (implemented in providers/company/discovery.ts). */
export interface CompanyFinder {
  inferCriteria(
    workspaceId: string,
    query: string,
    signal: AbortSignal,
  ): Promise<{ ok: true; criteria: CriterionDefinition[] } | { ok: false; message: string }>;
  findCompanies(
    query: string,
    options: { want: number; exclude: ReadonlySet<string>; signal: AbortSignal },
  ): Promise<{ ok: true; companies: FoundCompany[]; exhausted: boolean } | { ok: false; message: string }>;
}

export interface NewDiscovery {
  query: string;
  desiredNumResults: number;
  criteria: CriterionDefinition[] | null;
  excludeDomains: string[];
}

/** A task with its progress, counted over the rows of its table. */
export interface DiscoveryProgress {
  task: DiscoveryTask;
  numGraded: number;
  numFailed: number;
  numInProgress: number;
}

export interface DiscoveryResult {
  rowId: string;
  domain: string | null;
  companyName: string | null;
  companyWebsite: string | null;
  relevance: number;
  scores: Record<string, CriterionScore> | null;
  status: string;
}

export const SCORES_KEY = 'discovery_scores';
/** A task untouched this long before its run began was left by a process that stopped. */
export const STALE_TASK_MS = 2 * 60_000;

export class DiscoveryService {
  readonly #store: Store;
  readonly #engine: Engine;
  readonly #finder: CompanyFinder;
  readonly #logger: Logger;
  readonly #working = new Set<Promise<void>>();
  readonly #stopping = new AbortController();

  constructor(deps: { store: Store; engine: Engine; finder: CompanyFinder; logger: Logger }) {
    this.#store = deps.store;
    this.#engine = deps.engine;
    this.#finder = deps.finder;
    this.#logger = deps.logger;
  }

  /** Records the task and starts it; answers at once (status `created`). */
  async create(workspaceId: string, input: NewDiscovery): Promise<DiscoveryTask> {
    const task = await this.#store.createDiscoveryTask(workspaceId, {
      query: input.query,
      desiredNumResults: input.desiredNumResults,
      criteria: input.criteria ?? [],
      excludeDomains: input.excludeDomains,
    });
    this.#track(task);
    return task;
  }

  /**
   * Takes up the tasks a stopped process left before their run began (searched, but no table or no
   * run yet), once they have been untouched for `staleMs`. Called when a server or worker starts.
   */
  async resumeInterrupted(staleMs = STALE_TASK_MS): Promise<number> {
    const staleBefore = new Date(Date.now() - staleMs).toISOString();
    const tasks = await this.#store.claimStaleDiscoveryTasks(staleBefore);
    for (const task of tasks) {
      this.#logger.info({ task: task.id }, 'resuming an interrupted discovery task');
      this.#track(task);
    }
    return tasks.length;
  }

  #track(task: DiscoveryTask): void {
    const work = this.#process(task).catch((error: unknown) =>
      this.#logger.error({ err: error, task: task.id }, 'discovery task crashed'),
    );
    this.#working.add(work);
    void work.finally(() => this.#working.delete(work));
  }

  /** Waits for the tasks this process is working on to reach their run (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.#working.size > 0) await Promise.all([...this.#working]);
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.settle();
  }

  /** The task, `done` once its run is over, with its rows counted by the state of their grades. */
  async get(workspaceId: string, taskId: string): Promise<DiscoveryProgress> {
    let task = await this.#store.getDiscoveryTask(workspaceId, taskId);
    const cells = task.tableId ? await this.#scoreCells(workspaceId, task.tableId) : [];
    if (task.status === 'in_progress' && task.runId && task.tableId) {
      const run = await this.#store.getRun(workspaceId, task.tableId, task.runId).catch(() => undefined);
      if (!run || run.finishedAt !== null)
        task = await this.#store.updateDiscoveryTask(workspaceId, taskId, { status: 'done' });
    }
    return {
      task,
      numGraded: cells.filter((cell) => cell?.status === 'done').length,
      numFailed: cells.filter((cell) => cell && ['failed', 'skipped', 'cancelled'].includes(cell.status))
        .length,
      numInProgress: cells.filter((cell) => !cell || ['queued', 'running'].includes(cell.status)).length,
    };
  }

  /** The candidates, most relevant first (the mean of their grades); ungraded ones last. */
  async results(
    workspaceId: string,
    taskId: string,
    page: { offset: number; limit: number },
  ): Promise<{ task: DiscoveryTask; items: DiscoveryResult[]; total: number }> {
    const task = await this.#store.getDiscoveryTask(workspaceId, taskId);
    if (!task.tableId) return { task, items: [], total: 0 };
    const data = await this.#readAll(workspaceId, task.tableId);
    const keyOf = new Map(data.columns.map((column) => [column.id, column.config.key]));
    const items = data.rows.map(({ row, cells }): DiscoveryResult => {
      const answers = new Map(cells.map((cell) => [keyOf.get(cell.columnId), cell]));
      const scoreCell = answers.get(SCORES_KEY);
      const inputId = data.columns.find((column) => column.config.key === INPUT_COLUMN.key)?.id;
      const answer = (key: string) => {
        const cell = answers.get(key);
        return cell?.status === 'done' && typeof cell.value?.answer === 'string' ? cell.value.answer : null;
      };
      const scores =
        scoreCell?.status === 'done'
          ? (scoreCell.value?.answer as Record<string, CriterionScore> | null)
          : null;
      const input = inputId ? row.values[inputId] : undefined;
      return {
        rowId: row.id,
        domain: typeof input === 'string' ? input : null,
        companyName: answer('company_name'),
        companyWebsite: answer('company_website'),
        relevance: relevanceOf(scores),
        scores,
        status: scoreCell?.status ?? 'queued',
      };
    });
    items.sort(
      (a, b) =>
        Number(b.scores !== null) - Number(a.scores !== null) ||
        b.relevance - a.relevance ||
        (a.domain ?? '').localeCompare(b.domain ?? ''),
    );
    return { task, items: items.slice(page.offset, page.offset + page.limit), total: items.length };
  }

  async #process(task: DiscoveryTask): Promise<void> {
    const { workspaceId, id } = task;
    const signal = this.#stopping.signal;
    // Stopped with the process, a task is not failed: it stays in progress for the next start to take up.
    const failWith = async (reason: string) => {
      if (!signal.aborted)
        await this.#store.updateDiscoveryTask(workspaceId, id, { status: 'failed', reason });
    };
    await this.#store.updateDiscoveryTask(workspaceId, id, { status: 'in_progress' });
    try {
      // Resumed after its table was built: only its run is missing.
      if (task.tableId) {
        const run = await this.#engine.startRun(workspaceId, task.tableId, {
          mode: 'new',
          rowIds: null,
          columnIds: null,
        });
        await this.#store.updateDiscoveryTask(workspaceId, id, { runId: run.id });
        return;
      }
      let criteria = task.criteria;
      if (criteria.length === 0) {
        const inferred = await this.#finder.inferCriteria(workspaceId, task.query, signal);
        if (!inferred.ok) return void (await failWith(inferred.message));
        criteria = inferred.criteria;
        await this.#store.updateDiscoveryTask(workspaceId, id, { criteria });
      }
      const found = await this.#finder.findCompanies(task.query, {
        want: task.desiredNumResults,
        exclude: new Set(task.excludeDomains.map((domain) => domain.trim().toLowerCase())),
        signal,
      });
      if (!found.ok) return void (await failWith(found.message));
      const reason = found.exhausted
        ? `The search found ${found.companies.length} matching compan${found.companies.length === 1 ? 'y' : 'ies'} of the ${task.desiredNumResults} asked for, and no more`
        : null;
      if (found.companies.length === 0) {
        await this.#store.updateDiscoveryTask(workspaceId, id, { status: 'done', exhausted: true, reason });
        return;
      }
      const scores: ColumnConfig = {
        kind: 'discovery_scores',
        name: 'Discovery Scores',
        key: SCORES_KEY,
        criteria: Object.fromEntries(criteria.map((criterion) => [criterion.key, criterion])),
      };
      const { table } = await this.#store.createTable(workspaceId, {
        name: `Discovery: ${task.query}`.slice(0, 200),
        description: task.query,
        tags: ['discovery'],
        kind: 'company',
        notify: false,
        settings: { exclude_from_search: false },
        columns: [INPUT_COLUMN, scores],
      });
      for (let start = 0; start < found.companies.length; start += 1000) {
        await this.#store.insertRows(
          workspaceId,
          table.id,
          found.companies.slice(start, start + 1000).map((company) => ({ data: { input: company.domain } })),
        );
      }
      await this.#store.updateDiscoveryTask(workspaceId, id, {
        tableId: table.id,
        numCandidates: found.companies.length,
        exhausted: found.exhausted,
        reason,
      });
      const run = await this.#engine.startRun(workspaceId, table.id, {
        mode: 'new',
        rowIds: null,
        columnIds: null,
      });
      await this.#store.updateDiscoveryTask(workspaceId, id, { runId: run.id });
    } catch (error) {
      await failWith(`Discovery failed: ${(error as Error).message}`);
    }
  }

  async #scoreCells(workspaceId: string, tableId: string): Promise<(Cell | undefined)[]> {
    const data = await this.#readAll(workspaceId, tableId);
    const scoresId = data.columns.find((column) => column.config.key === SCORES_KEY)?.id;
    return data.rows.map(({ cells }) => cells.find((cell) => cell.columnId === scoresId));
  }

  async #readAll(workspaceId: string, tableId: string) {
    const pages = [];
    let afterRowId: string | undefined;
    for (;;) {
      const page = await this.#store.getTableData(workspaceId, tableId, {
        offset: 0,
        limit: 500,
        afterRowId,
      });
      pages.push(page);
      if (page.rows.length < 500) break;
      afterRowId = page.rows.at(-1)!.row.id;
    }
    return { columns: pages[0]!.columns, rows: pages.flatMap((page) => page.rows) };
  }
}
