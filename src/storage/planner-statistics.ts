import { sql } from 'kysely';
import type { StoreDb } from './dialect.ts';

type AnalyzedTable = 'rows' | 'cells';

/**
 * Postgres plans from statistics that autovacuum refreshes only after a while: right after a bulk
 * import it thinks a 100k-row table holds a thousand rows and sorts it whole to serve one page
 * (80 ms instead of 5). After enough writes we ANALYZE in the background, without blocking writers.
 */
export class PlannerStatistics {
  readonly #db: StoreDb;
  readonly #enabled: boolean;
  readonly #pending = new Map<AnalyzedTable, number>();
  readonly #threshold = new Map<AnalyzedTable, number>();
  #running: Promise<void> | undefined;

  static readonly FIRST_THRESHOLD = 5_000;
  static readonly MAX_THRESHOLD = 200_000;

  constructor(db: StoreDb, enabled: boolean) {
    this.#db = db;
    this.#enabled = enabled;
  }

  noteWrites(table: AnalyzedTable, count: number): void {
    if (!this.#enabled || count <= 0) return;
    const pending = (this.#pending.get(table) ?? 0) + count;
    this.#pending.set(table, pending);
    const threshold = this.#threshold.get(table) ?? PlannerStatistics.FIRST_THRESHOLD;
    if (pending < threshold || this.#running) return;
    this.#pending.set(table, 0);
    // Tables keep growing: analyze less often as they do.
    this.#threshold.set(table, Math.min(threshold * 2, PlannerStatistics.MAX_THRESHOLD));
    this.#running = sql`analyze ${sql.table(table)}`
      .execute(this.#db)
      .then(
        () => undefined,
        () => undefined, // statistics are an optimisation; autovacuum remains the fallback
      )
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** Waits for an ANALYZE in progress (before the pool closes). */
  async settle(): Promise<void> {
    await this.#running;
  }
}
