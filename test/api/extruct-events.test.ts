import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApi } from '../fixtures/app.ts';
import { startFakeVendor, type FakeVendor } from '../fixtures/fake-vendor.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';

interface SseEvent {
  event: string;
  data: any;
}

/** Reads server-sent events from a response until `until` is satisfied, then closes the stream. */
async function collect(response: Response, until: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  } finally {
    await reader.cancel();
  }
  return events;
}

describe.each(STORE_KINDS)('table events on %s', (kind) => {
  const api = useTestApi(kind);
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await startFakeVendor();
  });
  afterAll(() => vendor.close());

  it('says refresh when another process changed the table (a write this server did not hear)', async () => {
    const created = await api().request('POST', '/v1/tables', {
      body: { column_configs: [{ name: 'Domain', key: 'domain' }] },
    });
    const tableId = created.body.id;
    const stream = await api().http.request(`/v1/tables/${tableId}/events`, {
      headers: { authorization: `Bearer ${api().key}` },
    });
    const received = collect(stream, (events) => events.some((event) => event.event === 'refresh'));
    // The raw store, not the app's observed one: as another process sharing the database would write.
    const ws = (await api().store.listWorkspaces()).find((item) => item.name === 'default')!;
    await api().store.insertRows(ws.id, tableId, [{ data: { domain: 'elsewhere.test' } }]);
    const events = await received;
    const status = events.find((event) => event.event === 'status');
    expect(status?.data.num_rows).toBe(1);
    expect(events.at(-1)).toEqual({ event: 'refresh', data: {} });
  });

  it('streams row, cell, run and status changes of one table as server-sent events', async () => {
    const created = await api().request('POST', '/v1/tables', {
      body: {
        column_configs: [
          { name: 'Domain', key: 'domain' },
          {
            kind: 'http',
            name: 'Company',
            key: 'company',
            value: { url: `${vendor.url}/enrich?key={domain}`, extract: 'result' },
          },
        ],
      },
    });
    const tableId = created.body.id;
    const stream = await api().http.request(`/v1/tables/${tableId}/events`, {
      headers: { authorization: `Bearer ${api().key}` },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const received = collect(stream, (events) =>
      events.some(
        (event) =>
          event.event === 'status' &&
          event.data.num_cells_completed === 2 &&
          event.data.run_status === 'idle',
      ),
    );
    const added = await api().request('POST', `/v1/tables/${tableId}/rows`, {
      body: { rows: [{ data: { domain: 'a.test' } }, { data: { domain: 'b.test' } }], run: true },
    });
    await api().engine.drain();
    const events = await received;
    const rowIds = added.body.map((row: any) => row.id);
    expect(events.find((event) => event.event === 'rows')?.data).toEqual({
      change: 'added',
      row_ids: rowIds,
    });
    expect(events.some((event) => event.event === 'run')).toBe(true);
    const finalCells = events
      .filter((event) => event.event === 'cells')
      .flatMap((event) => event.data.cells)
      .filter((cell: any) => cell.status === 'done');
    expect(finalCells.map((cell: any) => cell.row_id).sort()).toEqual([...rowIds].sort());
  });

  it('answers 404 before streaming for a table of another workspace', async () => {
    const created = await api().request('POST', '/v1/tables', { body: {} });
    const response = await api().request('GET', `/v1/tables/${created.body.id}/events`, {
      key: api().otherKey,
    });
    expect(response).toMatchObject({ status: 404, body: { detail: 'Table not found' } });
  });
});
