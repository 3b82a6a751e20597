import type { ApiClient, Row, TableData, WireStatus } from '../api.ts';

export interface RowCacheOptions {
  client: ApiClient;
  tableId: string;
  /** Rows per `GET /data` request (the API allows 1–100). */
  pageSize?: number;
  /** Quiet time after the last scroll before the visible pages load. */
  loadDelayMs?: number;
  /** Quiet time that merges bursts of cell events into one refresh. */
  refreshDelayMs?: number;
  /** Up to this many changed rows are re-read one by one; more re-read their visible pages. */
  singleRowLimit?: number;
  /** Rows or their cells changed: redraw. */
  onChange(): void;
  /** A page came with the table's header (columns, status). */
  onTable?(table: TableData): void;
  onError?(error: unknown): void;
}

interface Loading {
  controller: AbortController;
  /** Invalidated while in flight: read it again when this request ends. */
  dirty: boolean;
}

/**
 * The rows of one table as far as the grid has looked: pages of `GET /data` fetched only for the
 * visible range (after scrolling settles), so a table of any size costs a few requests per
 * screen. Live events patch statuses at once and re-read only rows that are loaded.
 */
export class RowCache {
  rowCount = 0;
  /** `GET /data` requests sent, for diagnostics. */
  dataRequests = 0;
  private readonly pageSize: number;
  private readonly pages = new Map<number, Row[]>();
  private readonly loading = new Map<number, Loading>();
  private readonly indexById = new Map<string, number>();
  private visible = { first: 0, last: -1 };
  private loadTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pendingRefresh = new Set<string>();
  private disposed = false;

  constructor(private readonly options: RowCacheOptions) {
    this.pageSize = options.pageSize ?? 100;
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.loadTimer);
    clearTimeout(this.refreshTimer);
    for (const { controller } of this.loading.values()) controller.abort();
    this.loading.clear();
  }

  get loadedRowCount(): number {
    let count = 0;
    for (const rows of this.pages.values()) count += rows.length;
    return count;
  }

  /** Every loaded row, in table order. */
  *loadedRows(): Iterable<Row> {
    for (const page of [...this.pages.keys()].sort((a, b) => a - b)) yield* this.pages.get(page) ?? [];
  }

  rowAt(index: number): Row | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** A loaded row by its id (an edit names its row by id: indexes shift when rows are deleted). */
  rowById(rowId: string): Row | undefined {
    const index = this.indexById.get(rowId);
    const row = index === undefined ? undefined : this.rowAt(index);
    return row?.id === rowId ? row : undefined;
  }

  indexOf(rowId: string): number | undefined {
    return this.indexById.get(rowId);
  }

  isLoaded(rowId: string): boolean {
    return this.indexById.has(rowId);
  }

  setRowCount(count: number): void {
    if (count === this.rowCount) return;
    const grew = count > this.rowCount;
    this.rowCount = count;
    // Pages past the end are gone. A short last page has new rows to read: on screen it stays
    // until then (nothing flickers, and an edit in progress keeps its row); off screen it is dropped.
    const visible = new Set(this.pagesOf(this.visible.first, this.visible.last));
    for (const page of [...this.pages.keys()]) {
      const rows = this.pages.get(page) ?? [];
      if (page * this.pageSize >= count) this.dropPage(page);
      else if (grew && rows.length < this.pageSize) {
        if (visible.has(page)) void this.fetchPage(page);
        else this.dropPage(page);
      }
    }
    this.scheduleLoad(0);
    this.options.onChange();
  }

  /** The grid shows rows `first..last` (inclusive); their pages load once scrolling pauses. */
  setVisible(first: number, last: number): void {
    // At least a screenful: rows that arrive later in an empty or short table load too.
    this.visible = { first: Math.max(0, first), last: Math.max(first + 40, last) };
    this.scheduleLoad(this.options.loadDelayMs ?? 60);
  }

  /** Loads (if needed) and returns rows `first..last` (inclusive), e.g. for "try on 5 rows". */
  async ensureRows(first: number, last: number): Promise<Row[]> {
    const end = Math.min(last, this.rowCount - 1);
    const wanted = this.pagesOf(first, end);
    await Promise.all(wanted.filter((page) => !this.pages.has(page)).map((page) => this.fetchPage(page)));
    const rows: Row[] = [];
    for (let index = first; index <= end; index++) {
      const row = this.rowAt(index);
      if (row) rows.push(row);
    }
    return rows;
  }

  /**
   * Everything may have changed (columns, deletions, a reconnect): visible pages are read again
   * (and stay on screen until then, so nothing flickers and an edit in progress keeps its row);
   * the others are forgotten.
   */
  invalidateAll(): void {
    const visible = new Set(this.pagesOf(this.visible.first, this.visible.last));
    for (const page of [...this.pages.keys()]) if (!visible.has(page)) this.dropPage(page);
    for (const loading of this.loading.values()) loading.dirty = true;
    for (const page of visible) if (this.pages.has(page)) void this.fetchPage(page);
    this.scheduleLoad(0);
    this.options.onChange();
  }

  /** Shows a cell's new status at once (its value follows with the refresh). */
  applyStatus(rowId: string, key: string, status: WireStatus): boolean {
    const index = this.indexById.get(rowId);
    if (index === undefined) return false;
    const row = this.rowAt(index);
    if (!row) return false;
    const cell = row.data[key];
    row.data[key] = cell ? { ...cell, status } : { value: null, status };
    return true;
  }

  /** Re-reads these rows if they are loaded (others are read when scrolled to). */
  refreshRows(rowIds: Iterable<string>): void {
    for (const id of rowIds) if (this.indexById.has(id)) this.pendingRefresh.add(id);
    if (this.pendingRefresh.size === 0 || this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.flushRefresh();
    }, this.options.refreshDelayMs ?? 120);
  }

  /** Puts a row read on its own (GET /rows/{id}) in place. */
  replaceRow(row: Row): void {
    const index = this.indexById.get(row.id);
    if (index === undefined) return;
    const rows = this.pages.get(Math.floor(index / this.pageSize));
    if (rows) rows[index % this.pageSize] = row;
  }

  private async flushRefresh(): Promise<void> {
    const ids = [...this.pendingRefresh].filter((id) => this.indexById.has(id));
    this.pendingRefresh.clear();
    if (ids.length === 0 || this.disposed) return;
    if (ids.length <= (this.options.singleRowLimit ?? 3)) {
      await Promise.all(
        ids.map(async (id) => {
          try {
            this.replaceRow(await this.options.client.getRow(this.options.tableId, id));
          } catch (error) {
            this.options.onError?.(error);
          }
        }),
      );
      if (!this.disposed) this.options.onChange();
      return;
    }
    const visiblePages = new Set(this.pagesOf(this.visible.first, this.visible.last));
    const pages = new Set<number>();
    for (const id of ids) pages.add(Math.floor((this.indexById.get(id) ?? 0) / this.pageSize));
    for (const page of pages) {
      if (visiblePages.has(page)) void this.fetchPage(page);
      else this.dropPage(page); // read again when it is scrolled to
    }
  }

  private pagesOf(first: number, last: number): number[] {
    if (last < first || this.rowCount === 0) return [];
    const from = Math.floor(first / this.pageSize);
    const to = Math.floor(Math.min(last, this.rowCount - 1) / this.pageSize);
    const pages: number[] = [];
    for (let page = from; page <= to; page++) pages.push(page);
    return pages;
  }

  private scheduleLoad(delayMs: number): void {
    clearTimeout(this.loadTimer);
    this.loadTimer = setTimeout(() => {
      this.loadTimer = undefined;
      for (const page of this.pagesOf(this.visible.first, this.visible.last)) {
        if (!this.pages.has(page) && !this.loading.has(page)) void this.fetchPage(page);
      }
    }, delayMs);
  }

  private dropPage(page: number): void {
    // A row that moved to another page (rows above it deleted) keeps the index that page gave it.
    (this.pages.get(page) ?? []).forEach((row, i) => {
      if (this.indexById.get(row.id) === page * this.pageSize + i) this.indexById.delete(row.id);
    });
    this.pages.delete(page);
  }

  private async fetchPage(page: number): Promise<void> {
    const current = this.loading.get(page);
    if (current) {
      current.dirty = true;
      return;
    }
    const loading: Loading = { controller: new AbortController(), dirty: false };
    this.loading.set(page, loading);
    try {
      this.dataRequests++;
      const data = await this.options.client.getData(
        this.options.tableId,
        page * this.pageSize,
        this.pageSize,
        loading.controller.signal,
      );
      if (this.disposed) return;
      this.dropPage(page);
      this.pages.set(page, data.rows);
      data.rows.forEach((row, i) => this.indexById.set(row.id, page * this.pageSize + i));
      this.options.onTable?.(data);
      this.options.onChange();
    } catch (error) {
      if (!this.disposed) this.options.onError?.(error);
    } finally {
      this.loading.delete(page);
    }
    if (loading.dirty && !this.disposed) {
      const visible = this.pagesOf(this.visible.first, this.visible.last);
      if (visible.includes(page)) await this.fetchPage(page);
      else this.dropPage(page);
    }
  }
}
