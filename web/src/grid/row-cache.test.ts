import { describe, expect, it } from 'vitest';
import type { ApiClient, Row, TableData } from '../api.ts';
import { RowCache } from './row-cache.ts';

/** A fake of the two reads the cache makes, over `total` rows named `r{index}`. */
function fakeClient(total: number) {
  const calls: string[] = [];
  const row = (index: number, answer = `v${index}`): Row => ({
    id: `r${index}`,
    created_at: '2026-01-01T00:00:00Z',
    is_missing_inputs: false,
    parent_row_id: null,
    metadata: null,
    parent_data: null,
    data: { name: { value: { answer }, status: 'done' } },
  });
  let version = '';
  const client = {
    getData: (_table: string, offset: number, limit: number) => {
      calls.push(`data ${offset}`);
      const rows = [];
      for (let i = offset; i < Math.min(total, offset + limit); i++) rows.push(row(i, `v${i}${version}`));
      return Promise.resolve({ rows } as unknown as TableData);
    },
    getRow: (_table: string, id: string) => {
      calls.push(`row ${id}`);
      return Promise.resolve(row(Number(id.slice(1)), `${id}${version}`));
    },
  } as unknown as ApiClient;
  return { client, calls, bump: (suffix: string) => (version = suffix) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function cacheFor(total: number) {
  const fake = fakeClient(total);
  let changes = 0;
  const cache = new RowCache({
    client: fake.client,
    tableId: 't',
    loadDelayMs: 0,
    refreshDelayMs: 0,
    onChange: () => changes++,
  });
  cache.setRowCount(total);
  return { cache, ...fake, changes: () => changes };
}

describe('RowCache', () => {
  it('reads only the pages of the visible rows, once each', async () => {
    const { cache, calls } = cacheFor(100_000);
    cache.setVisible(210, 230);
    await settle();
    cache.setVisible(215, 235);
    await settle();
    expect(calls).toEqual(['data 200']);
    expect(cache.rowAt(255)?.id).toBe('r255');
    expect(cache.rowAt(0)).toBeUndefined();
    cache.setVisible(99_990, 99_999);
    await settle();
    expect(calls).toEqual(['data 200', 'data 99900']);
  });

  it('reads scroll positions only once scrolling pauses', async () => {
    const { cache, calls } = cacheFor(100_000);
    for (let first = 0; first < 50_000; first += 1000) cache.setVisible(first, first + 20);
    await settle();
    expect(calls).toEqual(['data 49000']);
  });

  it('re-reads a few changed rows one by one and many by their visible pages', async () => {
    const { cache, calls, bump } = cacheFor(1000);
    cache.setVisible(0, 20);
    await settle();
    cache.setVisible(500, 520);
    await settle();
    calls.length = 0;
    bump('*');
    cache.refreshRows(['r3', 'r999']); // r999 is not loaded: ignored
    await settle();
    expect(calls).toEqual(['row r3']);
    expect(cache.rowAt(3)?.data.name?.value?.answer).toBe('r3*');
    calls.length = 0;
    cache.refreshRows(['r501', 'r502', 'r503', 'r504', 'r1', 'r2', 'r4', 'r5']);
    await settle();
    expect(calls).toEqual(['data 500']); // page 0 is not visible any more: dropped, not read
    expect(cache.rowAt(1)).toBeUndefined();
    expect(cache.rowAt(501)?.data.name?.value?.answer).toBe('v501*');
  });

  it('shows a new status at once, before the row is read again', async () => {
    const { cache } = cacheFor(10);
    cache.setVisible(0, 10);
    await settle();
    expect(cache.applyStatus('r2', 'f', 'in_progress')).toBe(true);
    expect(cache.rowAt(2)?.data.f).toEqual({ value: null, status: 'in_progress' });
    expect(cache.applyStatus('r99', 'f', 'done')).toBe(false);
  });

  it('reads the short last page again when rows are added', async () => {
    const { cache, calls } = cacheFor(150);
    cache.setVisible(100, 149);
    await settle();
    expect(cache.loadedRowCount).toBe(50);
    cache.setRowCount(160);
    await settle();
    expect(calls).toEqual(['data 100', 'data 100']);
  });

  it('keeps a short visible page on screen while the rows added to it are read', async () => {
    const { cache, calls } = cacheFor(6);
    cache.setVisible(0, 5);
    await settle();
    cache.setRowCount(7);
    expect(cache.rowAt(0)?.id).toBe('r0'); // an edit in progress keeps its row
    await settle();
    expect(calls).toEqual(['data 0', 'data 0']);
  });

  it('finds loaded rows by id, also after rows moved to another page', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `r${i}`);
    const client = {
      getData: (_table: string, offset: number, limit: number) =>
        Promise.resolve({
          rows: ids.slice(offset, offset + limit).map((id) => ({ id, data: {} })),
        } as unknown as TableData),
    } as unknown as ApiClient;
    const cache = new RowCache({
      client,
      tableId: 't',
      pageSize: 10,
      loadDelayMs: 0,
      refreshDelayMs: 0,
      onChange: () => undefined,
    });
    cache.setRowCount(30);
    cache.setVisible(0, 29);
    await settle();
    expect(cache.rowById('r10')).toBe(cache.rowAt(10));
    expect(cache.rowById('r99')).toBeUndefined();
    // r0 is deleted: r10 moves up to page 0. Page 0 is read again first, then page 1.
    ids.shift();
    cache.refreshRows(['r1', 'r2', 'r3', 'r4']);
    await settle();
    cache.refreshRows(['r11', 'r12', 'r13', 'r14']);
    await settle();
    expect(cache.rowById('r10')).toBe(cache.rowAt(9));
  });

  it('keeps visible rows on screen while everything is read again', async () => {
    const { cache, calls, bump } = cacheFor(300);
    cache.setVisible(0, 20);
    await settle();
    bump('!');
    cache.invalidateAll();
    expect(cache.rowAt(0)?.id).toBe('r0'); // still there while the page is re-read
    await settle();
    expect(cache.rowAt(0)?.data.name?.value?.answer).toBe('v0!');
    expect(calls).toEqual(['data 0', 'data 0']);
  });
});
