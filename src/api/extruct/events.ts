import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { toWireStatus } from '../../domain/cell-status.ts';
import type { TableEvent, TableEvents } from '../../engine/events.ts';
import type { Store } from '../../engine/ports.ts';
import type { AuthEnv } from '../shared/auth.ts';
import { INVALID, NOT_FOUND, SECURITY, UNAUTHORIZED } from './responses.ts';
import { TableIdParamsSchema } from './schemas.ts';
import { tableStatus } from './serialize.ts';

const FLUSH_MS = 100;
const KEEPALIVE_MS = 15_000;
/**
 * How often an idle stream re-reads the table's status: changes made by another process that this
 * one heard nothing of (a worker or a CLI on the same SQLite file) come as `status` and `refresh`.
 */
const WATCH_MS = 1_000;

const tableEvents = createRoute({
  method: 'get',
  path: '/v1/tables/{table_id}/events',
  tags: ['events'],
  summary: 'Table events (ext)',
  description: [
    'A `text/event-stream` of changes to the table, coalesced every 100 ms:',
    '`cells` `{cells: [{row_id, column_id, status}]}`, `rows` `{change: added|updated|deleted, row_ids}`,',
    '`table` `{change: updated|columns|deleted}`, `run` `{run_id}`, and `status` (seed 003 status) after any change.',
    'When the status moves without an event this server heard (another process wrote), `refresh` `{}` says to re-read what is shown.',
    'Authenticate with the Bearer header (read the stream with fetch; EventSource cannot send headers).',
  ].join(' '),
  security: SECURITY,
  request: { params: TableIdParamsSchema },
  responses: {
    200: { description: 'The event stream', content: { 'text/event-stream': { schema: z.string() } } },
    ...UNAUTHORIZED,
    ...NOT_FOUND,
    ...INVALID,
  },
});

/** Pending changes of one subscriber, merged until the next flush. */
class Pending {
  cells = new Map<string, { row_id: string; column_id: string; status: string }>();
  rows = new Map<'added' | 'updated' | 'deleted', Set<string>>();
  table = new Set<'updated' | 'columns' | 'deleted'>();
  runs = new Set<string>();

  add(event: TableEvent): void {
    switch (event.type) {
      case 'cells':
        for (const cell of event.cells) {
          this.cells.set(`${cell.rowId}/${cell.columnId}`, {
            row_id: cell.rowId,
            column_id: cell.columnId,
            status: toWireStatus(cell.status),
          });
        }
        break;
      case 'rows': {
        const set = this.rows.get(event.change) ?? new Set<string>();
        for (const id of event.rowIds) set.add(id);
        this.rows.set(event.change, set);
        break;
      }
      case 'table':
        this.table.add(event.change);
        break;
      case 'run':
        this.runs.add(event.runId);
        break;
    }
  }

  get empty(): boolean {
    return this.cells.size === 0 && this.rows.size === 0 && this.table.size === 0 && this.runs.size === 0;
  }
}

export function registerEventRoutes(app: OpenAPIHono<AuthEnv>, store: Store, events: TableEvents): void {
  app.openapi(tableEvents, async (c) => {
    const { table_id: tableId } = c.req.valid('param');
    const workspaceId = c.get('workspace').id;
    await store.getTable(workspaceId, tableId); // 404 before the stream starts
    return streamSSE(c, async (stream) => {
      let pending = new Pending();
      let wake: (() => void) | undefined;
      const unsubscribe = events.subscribe(tableId, (event) => {
        pending.add(event);
        wake?.();
      });
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      const readStatus = async () => {
        const detail = await store.getTable(workspaceId, tableId);
        return JSON.stringify(tableStatus(detail.table, detail.columns));
      };
      try {
        let lastWrite = Date.now();
        let lastStatus = await readStatus();
        while (!stream.aborted) {
          if (pending.empty) {
            let timer: NodeJS.Timeout | undefined;
            await new Promise<void>((resolve) => {
              wake = resolve;
              timer = setTimeout(resolve, WATCH_MS);
            });
            clearTimeout(timer);
            wake = undefined;
            if (!pending.empty || stream.aborted) continue;
            // Nothing heard here: has another process changed the table?
            const status = await readStatus().catch(() => undefined);
            if (status === undefined) break; // the table is gone
            if (status !== lastStatus) {
              lastStatus = status;
              await stream.writeSSE({ event: 'status', data: status });
              await stream.writeSSE({ event: 'refresh', data: '{}' });
              lastWrite = Date.now();
            } else if (Date.now() - lastWrite >= KEEPALIVE_MS - 50) {
              await stream.write(': keepalive\n\n');
              lastWrite = Date.now();
            }
            continue;
          }
          await stream.sleep(FLUSH_MS);
          const batch = pending;
          pending = new Pending();
          for (const change of batch.table)
            await stream.writeSSE({ event: 'table', data: JSON.stringify({ change }) });
          if (batch.table.has('deleted')) break;
          for (const [change, ids] of batch.rows) {
            await stream.writeSSE({ event: 'rows', data: JSON.stringify({ change, row_ids: [...ids] }) });
          }
          if (batch.cells.size > 0)
            await stream.writeSSE({
              event: 'cells',
              data: JSON.stringify({ cells: [...batch.cells.values()] }),
            });
          for (const runId of batch.runs)
            await stream.writeSSE({ event: 'run', data: JSON.stringify({ run_id: runId }) });
          lastStatus = await readStatus();
          await stream.writeSSE({ event: 'status', data: lastStatus });
          lastWrite = Date.now();
        }
      } finally {
        unsubscribe();
      }
    });
  });
}
