import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import type { EventRelay, TableEvent } from '../../engine/events.ts';

/** The channel every process of a store listens on. */
export const EVENTS_CHANNEL = 'enrichbase_table_events';
/** NOTIFY payloads must stay under 8000 bytes; cells events are split to fit. */
const MAX_PAYLOAD_BYTES = 7000;
const RECONNECT_DELAY_MS = { first: 500, max: 15_000 };

interface Envelope {
  /** The sending process: its own notifications come back to it and are dropped. */
  origin: string;
  events: TableEvent[];
}

/**
 * Table events between processes on one PostgreSQL database: each process NOTIFYs its events on one
 * channel and LISTENs for the others' on a connection of its own (reopened after a drop). Payloads
 * are small JSON envelopes; a big batch of cell changes goes as several.
 *
 * @example
 *   events.connect(await openPostgresEventRelay(process.env.DATABASE_URL!, logger));
 */
export async function openPostgresEventRelay(connectionString: string, logger?: Logger): Promise<EventRelay> {
  const origin = randomUUID();
  const sender = new pg.Pool({ connectionString, max: 1 });
  sender.on('error', (error) => logger?.warn({ err: error }, 'event relay: sender connection dropped'));
  let onEvent: (event: TableEvent) => void = () => {};
  let listener: pg.Client | undefined;
  let closed = false;
  let delayMs = RECONNECT_DELAY_MS.first;
  let reconnectTimer: NodeJS.Timeout | undefined;

  const receive = (message: pg.Notification) => {
    if (message.channel !== EVENTS_CHANNEL || !message.payload) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message.payload) as Envelope;
    } catch {
      return;
    }
    if (envelope.origin === origin) return;
    for (const event of envelope.events) onEvent(event);
  };

  const connectListener = async (): Promise<void> => {
    const client = new pg.Client({ connectionString });
    client.on('notification', receive);
    const dropped = (error?: Error) => {
      if (listener !== client) return;
      logger?.warn({ err: error }, 'event relay: listening connection dropped; reconnecting');
      scheduleReconnect();
    };
    client.on('error', dropped);
    client.on('end', () => dropped());
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    listener = client;
    delayMs = RECONNECT_DELAY_MS.first;
  };

  const scheduleReconnect = () => {
    if (closed || reconnectTimer) return;
    listener = undefined;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connectListener().catch((error: unknown) => {
        logger?.warn({ err: error }, 'event relay: reconnecting failed; trying again');
        delayMs = Math.min(delayMs * 2, RECONNECT_DELAY_MS.max);
        scheduleReconnect();
      });
    }, delayMs);
    reconnectTimer.unref();
  };

  await connectListener();

  // NOTIFYs go one at a time, in order; a failure is logged and the rest still go.
  let queue: Promise<void> = Promise.resolve();
  return {
    send(events) {
      if (closed) return;
      for (const payload of payloads(origin, events)) {
        queue = queue
          .then(async () => {
            await sender.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, payload]);
          })
          .catch((error: unknown) => logger?.warn({ err: error }, 'event relay: NOTIFY failed'));
      }
    },
    listen(handler) {
      onEvent = handler;
    },
    async close() {
      closed = true;
      clearTimeout(reconnectTimer);
      await queue;
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
      await sender.end();
    },
  };
}

/** The events as JSON envelopes under the payload limit: cells events are split by cells. */
export function payloads(origin: string, events: TableEvent[]): string[] {
  const out: string[] = [];
  let batch: TableEvent[] = [];
  const encode = (list: TableEvent[]) => JSON.stringify({ origin, events: list } satisfies Envelope);
  const flush = () => {
    if (batch.length > 0) out.push(encode(batch));
    batch = [];
  };
  for (const event of events) {
    const pieces =
      event.type === 'cells' && Buffer.byteLength(encode([event])) > MAX_PAYLOAD_BYTES
        ? splitCells(event, (piece) => Buffer.byteLength(encode([piece])) <= MAX_PAYLOAD_BYTES)
        : [event];
    for (const piece of pieces) {
      if (batch.length > 0 && Buffer.byteLength(encode([...batch, piece])) > MAX_PAYLOAD_BYTES) flush();
      batch.push(piece);
    }
  }
  flush();
  return out;
}

function splitCells(
  event: Extract<TableEvent, { type: 'cells' }>,
  fits: (piece: TableEvent) => boolean,
): TableEvent[] {
  // Cell entries are about 100 bytes: start from an estimate and halve until a piece fits.
  let size = Math.max(1, Math.floor(MAX_PAYLOAD_BYTES / 110));
  const piece = (cells: typeof event.cells) => ({ ...event, cells });
  while (size > 1 && !fits(piece(event.cells.slice(0, size)))) size = Math.floor(size / 2);
  const pieces: TableEvent[] = [];
  for (let index = 0; index < event.cells.length; index += size)
    pieces.push(piece(event.cells.slice(index, index + size)));
  return pieces;
}
