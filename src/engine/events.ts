import type { CellStatus } from '../domain/cell-status.ts';
import type { Store } from './ports.ts';

/**
 * Table change events, for the live grid (SSE) and the SDK. Published in process after each store
 * write that succeeded, and, when processes share a store (workers beside the API on Postgres),
 * carried to the others by a relay (LISTEN/NOTIFY), so a grid hears of cells a worker computed.
 */
export type TableEvent =
  | { type: 'cells'; tableId: string; cells: { rowId: string; columnId: string; status: CellStatus }[] }
  | { type: 'rows'; tableId: string; change: 'added' | 'updated' | 'deleted'; rowIds: string[] }
  | { type: 'table'; tableId: string; change: 'updated' | 'columns' | 'deleted' }
  | { type: 'run'; tableId: string; runId: string };

type Listener = (event: TableEvent) => void;

/**
 * Carries table events between the processes that share a store. Best effort: a grid that missed
 * events re-reads what it shows when its stream reopens.
 */
export interface EventRelay {
  /** Sends this process's events to the others (never back to this one). */
  send(events: TableEvent[]): void;
  /** Calls `onEvent` with each event another process sent. */
  listen(onEvent: (event: TableEvent) => void): void;
  close(): Promise<void>;
}

export class TableEvents {
  readonly #listeners = new Map<string, Set<Listener>>();
  #relay: EventRelay | undefined;

  /** Shares events with the other processes of the store; theirs are delivered here. */
  connect(relay: EventRelay): void {
    this.#relay = relay;
    relay.listen((event) => this.#deliver(event));
  }

  /** Closes the relay, if any (with the store: see observeStore). */
  async disconnect(): Promise<void> {
    const relay = this.#relay;
    this.#relay = undefined;
    await relay?.close();
  }

  /** Whether anyone may hear an event: a subscriber here, or other processes through the relay. */
  get wanted(): boolean {
    return this.#relay !== undefined || this.subscriberCount > 0;
  }

  /** Listens to one table's events; returns the unsubscribe function. */
  subscribe(tableId: string, listener: Listener): () => void {
    const set = this.#listeners.get(tableId) ?? new Set<Listener>();
    set.add(listener);
    this.#listeners.set(tableId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(tableId);
    };
  }

  publish(...events: TableEvent[]): void {
    for (const event of events) this.#deliver(event);
    if (events.length > 0) this.#relay?.send(events);
  }

  #deliver(event: TableEvent): void {
    for (const listener of this.#listeners.get(event.tableId) ?? []) {
      try {
        listener(event);
      } catch {
        // One broken subscriber must not break the write that published.
      }
    }
  }

  get subscriberCount(): number {
    let count = 0;
    for (const set of this.#listeners.values()) count += set.size;
    return count;
  }
}

type Hook = (args: unknown[], result: unknown) => TableEvent[];

const rowIdsOf = (result: unknown) =>
  (result as { rows: { row: { id: string } }[] }).rows.map(({ row }) => row.id);

/** Which store writes publish what. */
const HOOKS: Partial<Record<keyof Store, Hook>> = {
  insertRows: ([, tableId], result) => [
    { type: 'rows', tableId: tableId as string, change: 'added', rowIds: rowIdsOf(result) },
  ],
  updateRows: ([, tableId], result) => [
    { type: 'rows', tableId: tableId as string, change: 'updated', rowIds: rowIdsOf(result) },
  ],
  deleteRows: ([, tableId], result) => [
    { type: 'rows', tableId: tableId as string, change: 'deleted', rowIds: result as string[] },
  ],
  // A people finder's rows land in its child table: the live grid of that table hears of them.
  addChildRows: (_args, result) => {
    const { childTableId, insertedRowIds } = result as { childTableId: string; insertedRowIds: string[] };
    return insertedRowIds.length === 0
      ? []
      : [{ type: 'rows', tableId: childTableId, change: 'added', rowIds: insertedRowIds }];
  },
  updateTable: ([, tableId]) => [{ type: 'table', tableId: tableId as string, change: 'updated' }],
  deleteTable: ([, tableId]) => [{ type: 'table', tableId: tableId as string, change: 'deleted' }],
  addColumns: ([, tableId]) => [{ type: 'table', tableId: tableId as string, change: 'columns' }],
  updateColumn: ([, tableId]) => [{ type: 'table', tableId: tableId as string, change: 'columns' }],
  deleteColumn: ([, tableId]) => [{ type: 'table', tableId: tableId as string, change: 'columns' }],
  planRun: ([, tableId], result) => [
    { type: 'run', tableId: tableId as string, runId: (result as { id: string }).id },
  ],
  cancelRun: ([, tableId], result) => [
    { type: 'run', tableId: tableId as string, runId: (result as { id: string }).id },
  ],
  claimCells: (_args, result) =>
    groupCells(
      (result as { tableId: string; rowId: string; columnId: string }[]).map((cell) => ({
        ...cell,
        status: 'running',
      })),
    ),
  completeCells: (_args, result) =>
    groupCells(
      (result as { changed: { tableId: string; rowId: string; columnId: string; status: CellStatus }[] })
        .changed,
    ),
};

function groupCells(
  cells: { tableId: string; rowId: string; columnId: string; status: CellStatus }[],
): TableEvent[] {
  const byTable = new Map<string, { rowId: string; columnId: string; status: CellStatus }[]>();
  for (const { tableId, rowId, columnId, status } of cells) {
    byTable.set(tableId, [...(byTable.get(tableId) ?? []), { rowId, columnId, status }]);
  }
  return [...byTable].map(([tableId, list]) => ({ type: 'cells', tableId, cells: list }));
}

/** The store, publishing a table event after each write that succeeded. */
export function observeStore(store: Store, events: TableEvents): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      // The relay lives as long as the store it carries events of.
      if (property === 'close') return () => events.disconnect().then(() => method.apply(target));
      const hook = HOOKS[property as keyof Store];
      if (!hook) return method.bind(target);
      return async (...args: unknown[]) => {
        const result = await method.apply(target, args);
        if (events.wanted) events.publish(...hook(args, result));
        return result;
      };
    },
  });
}
