import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCellCounts } from '../../src/domain/cell-status.ts';
import { Engine } from '../../src/engine/engine.ts';
import { systemClock, type Store } from '../../src/engine/ports.ts';
import { createTable, SILENT, tableCells, testEngine, vendorColumn } from '../fixtures/engine.ts';
import { FakeClock } from '../fixtures/fake-clock.ts';
import { startFakeVendor, type FakeVendor } from '../fixtures/fake-vendor.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../fixtures/stores.ts';

describe.each(STORE_KINDS)('engine on %s', (kind) => {
  let opened: TestStore;
  let store: Store;
  let ws: string;
  let vendor: FakeVendor;

  beforeAll(async () => {
    opened = await openTestStore(kind);
    store = opened.store;
    ws = (await store.createWorkspace({ name: 'engine', ownerEmail: 'e@e.e' })).id;
    vendor = await startFakeVendor();
  });
  afterAll(async () => {
    await vendor.close();
    await opened.dispose();
  });

  async function expectCountersExact(tableId: string) {
    const counts = emptyCellCounts();
    for (const cell of await tableCells(store, ws, tableId)) counts[cell.status as keyof typeof counts] += 1;
    expect((await store.getTable(ws, tableId)).table.cellCounts).toEqual(counts);
  }

  it('computes a vendor column and a formula reading it, in dependency order', async () => {
    vendor.reset();
    const t = await createTable(
      store,
      ws,
      [
        { key: 'domain', name: 'Domain' },
        vendorColumn(vendor.url, 'company', 'domain'),
        { kind: 'formula', key: 'label', name: 'Label', value: { expression: 'company + " @ " + domain' } },
      ],
      [{ domain: 'acme.test' }, { domain: 'globex.test' }],
    );
    const engine = testEngine(store);
    const run = await engine.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    expect(run.numRequestedCells).toBe(4);
    await engine.drain();
    const cells = await tableCells(store, ws, t.tableId);
    expect(
      cells
        .filter((cell) => cell.key === 'label')
        .map((cell) => cell.answer)
        .sort(),
    ).toEqual(['result:acme.test @ acme.test', 'result:globex.test @ globex.test']);
    expect(cells.every((cell) => cell.status === 'done')).toBe(true);
    expect(await store.getRun(ws, t.tableId, run.id)).toMatchObject({ status: 'done', counts: { done: 4 } });
    const { table } = await store.getTable(ws, t.tableId);
    expect(table.cellCounts).toMatchObject({ done: 4, queued: 0, running: 0 });
    await expectCountersExact(t.tableId);
  });

  it('calls the vendor once per distinct input (cache and single-flight), again only in mode all', async () => {
    vendor.reset();
    const rows = Array.from({ length: 40 }, (_, index) => ({ domain: `d${index % 5}.test` }));
    const t = await createTable(
      store,
      ws,
      [{ key: 'domain', name: 'Domain' }, vendorColumn(vendor.url, 'company', 'domain')],
      rows,
    );
    const engine = testEngine(store);
    await engine.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await engine.drain();
    expect(vendor.stats.requests).toBe(5);
    expect(engine.providerCalls).toBe(5);
    const cells = await tableCells(store, ws, t.tableId);
    expect(cells.filter((cell) => cell.status === 'done')).toHaveLength(40);

    const again = await engine.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    expect(again.numRequestedCells).toBe(0);
    await engine.drain();
    expect(vendor.stats.requests).toBe(5);

    // Mode all recomputes: each distinct input once more, still shared across rows.
    await engine.startRun(ws, t.tableId, { mode: 'all', rowIds: null, columnIds: null });
    await engine.drain();
    expect(vendor.stats.requests).toBe(10);
    await expectCountersExact(t.tableId);
  });

  it('shares one store between two engines: every cell computed exactly once', async () => {
    const slow = await startFakeVendor({ latencyMs: 5 });
    try {
      const rows = Array.from({ length: 200 }, (_, index) => ({ domain: `w${index}.test` }));
      const t = await createTable(
        store,
        ws,
        // A timeout's retry would be a second call for a reason other than a double claim: none here.
        [
          { key: 'domain', name: 'Domain' },
          vendorColumn(slow.url, 'company', 'domain', { timeout_ms: 60_000 }),
        ],
        rows,
      );
      const a = testEngine(store, { claimBatch: 16, maxInFlight: 16 });
      const b = testEngine(store, { claimBatch: 16, maxInFlight: 16 });
      await a.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
      await Promise.all([a.drain(), b.drain()]);
      expect(a.providerCalls).toBeGreaterThan(0);
      expect(b.providerCalls).toBeGreaterThan(0);
      expect(a.providerCalls + b.providerCalls).toBe(200);
      expect([...slow.stats.byKey.values()].every((count) => count === 1)).toBe(true);
      const cells = await tableCells(store, ws, t.tableId);
      expect(cells.filter((cell) => cell.status === 'done')).toHaveLength(200);
      await expectCountersExact(t.tableId);
    } finally {
      await slow.close();
    }
  });

  it('skips cells with an empty input without calling anyone', async () => {
    vendor.reset();
    const t = await createTable(
      store,
      ws,
      [{ key: 'domain', name: 'Domain' }, vendorColumn(vendor.url, 'company', 'domain')],
      [{ domain: '' }, { domain: null }, { domain: 'ok.test' }],
    );
    const engine = testEngine(store);
    await engine.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await engine.drain();
    const cells = await tableCells(store, ws, t.tableId);
    expect(cells.map((cell) => [cell.status, cell.reason])).toEqual([
      ['skipped', 'missing_input'],
      ['skipped', 'missing_input'],
      ['done', null],
    ]);
    expect(vendor.stats.requests).toBe(1);
  });

  it('fails auth errors fast, without hammering the vendor', async () => {
    const locked = await startFakeVendor({ apiKey: 'right' });
    try {
      const rows = Array.from({ length: 30 }, (_, index) => ({ domain: `d${index}.test` }));
      const t = await createTable(
        store,
        ws,
        [
          { key: 'domain', name: 'Domain' },
          vendorColumn(locked.url, 'company', 'domain', {
            headers: { 'x-api-key': 'wrong' },
            max_concurrency: 2,
          }),
        ],
        rows,
      );
      const engine = testEngine(store);
      await engine.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
      await engine.drain();
      const cells = await tableCells(store, ws, t.tableId);
      expect(
        cells.every((cell) => cell.status === 'failed' && (cell.error as { type: string }).type === 'auth'),
      ).toBe(true);
      expect(locked.stats.requests).toBeLessThanOrEqual(2);
      expect(JSON.stringify(cells)).not.toContain('wrong');
    } finally {
      await locked.close();
    }
  });

  it('fails a non-retryable answer at once and keeps the error', async () => {
    const missing = await startFakeVendor({ status: 404 });
    try {
      const t = await createTable(
        store,
        ws,
        [{ key: 'domain', name: 'Domain' }, vendorColumn(missing.url, 'company', 'domain')],
        [{ domain: 'x.test' }],
      );
      const engine = testEngine(store);
      const run = await engine.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
      await engine.drain();
      const [cell] = await tableCells(store, ws, t.tableId);
      expect(cell).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { type: 'provider_error', message: expect.stringContaining('404') },
      });
      expect(missing.stats.requests).toBe(1);
      expect((await store.getRun(ws, t.tableId, run.id)).status).toBe('failed');
    } finally {
      await missing.close();
    }
  });

  it('respects a column concurrency limit', async () => {
    const slow = await startFakeVendor({ latencyMs: 30 });
    try {
      const rows = Array.from({ length: 24 }, (_, index) => ({ domain: `c${index}.test` }));
      const t = await createTable(
        store,
        ws,
        [
          { key: 'domain', name: 'Domain' },
          vendorColumn(slow.url, 'company', 'domain', { max_concurrency: 3 }),
        ],
        rows,
      );
      const engine = testEngine(store);
      await engine.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
      await engine.drain();
      expect(slow.stats.ok).toBe(24);
      expect(slow.stats.maxConcurrent).toBe(3);
    } finally {
      await slow.close();
    }
  });

  it('refuses to call loopback addresses unless configured', async () => {
    vendor.reset();
    const { Engine } = await import('../../src/engine/engine.ts');
    const { createProviderRegistry } = await import('../../src/providers/index.ts');
    const { SILENT } = await import('../fixtures/engine.ts');
    const strict = new Engine({
      store,
      providers: createProviderRegistry({ addressPolicy: { allowPrivate: false, allowedHosts: [] } }),
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
      logger: SILENT,
      options: { flushIntervalMs: 1 },
    });
    const localhost = vendor.url.replace('127.0.0.1', 'localhost');
    const t = await createTable(
      store,
      ws,
      [
        { key: 'domain', name: 'Domain' },
        vendorColumn(vendor.url, 'a', 'domain'),
        vendorColumn(localhost, 'b', 'domain'),
      ],
      [{ domain: 'x.test' }],
    );
    await strict.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await strict.drain();
    const cells = await tableCells(store, ws, t.tableId);
    expect(cells.map((cell) => cell.status)).toEqual(['failed', 'failed']);
    for (const cell of cells) expect((cell.error as { message: string }).message).toMatch(/internal address/);
    expect(vendor.stats.requests).toBe(0);
  });

  it('fails columns no provider computes with a clear message', async () => {
    const t = await createTable(
      store,
      ws,
      [
        { key: 'name', name: 'Name' },
        { kind: 'discovery_scores', key: 'scores', name: 'Scores' },
      ],
      [{ name: 'Ada' }],
    );
    // Every kind has a provider on this server: a registry without one stands for a kind added later.
    const engine = new Engine({
      store,
      providers: { forColumn: () => undefined },
      clock: systemClock,
      logger: SILENT,
      options: { flushIntervalMs: 1 },
    });
    await engine.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await engine.drain();
    const [cell] = await tableCells(store, ws, t.tableId);
    expect(cell).toMatchObject({
      status: 'failed',
      error: { type: 'unsupported_column', message: expect.stringContaining('discovery_scores') },
    });
  });

  it('stops without losing cells: cells still in flight after the grace period go back to the queue', async () => {
    const slow = await startFakeVendor({ latencyMs: 2_000 });
    try {
      const rows = Array.from({ length: 6 }, (_, index) => ({ domain: `q${index}.test` }));
      const t = await createTable(
        store,
        ws,
        [
          { key: 'domain', name: 'Domain' },
          vendorColumn(slow.url, 'company', 'domain', { timeout_ms: 10_000 }),
        ],
        rows,
      );
      const engine = testEngine(store, { shutdownTimeoutMs: 50 });
      engine.start();
      await engine.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
      while (slow.stats.requests < 6) await new Promise((resolve) => setTimeout(resolve, 5));
      await engine.stop();
      const cells = await tableCells(store, ws, t.tableId);
      expect(cells.map((cell) => cell.status)).toEqual(Array(6).fill('queued'));
      await expectCountersExact(t.tableId);
      const next = testEngine(store);
      slow.options.latencyMs = 0;
      await next.drain();
      expect((await tableCells(store, ws, t.tableId)).every((cell) => cell.status === 'done')).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it('cancels a run in flight: queued cells end cancelled, calls in flight are abandoned', async () => {
    const slow = await startFakeVendor({ latencyMs: 300 });
    try {
      const rows = Array.from({ length: 20 }, (_, index) => ({ domain: `s${index}.test` }));
      const t = await createTable(
        store,
        ws,
        [
          { key: 'domain', name: 'Domain' },
          vendorColumn(slow.url, 'company', 'domain', { max_concurrency: 2 }),
        ],
        rows,
      );
      const engine = testEngine(store);
      engine.start();
      const run = await engine.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
      while (slow.stats.requests === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const cancelled = await engine.cancelRun(ws, t.tableId, run.id);
      await engine.stop();
      expect(cancelled.status).toBe('cancelled');
      const finalRun = await store.getRun(ws, t.tableId, run.id);
      expect(finalRun.counts.queued + finalRun.counts.running).toBe(0);
      expect(finalRun.counts.cancelled).toBeGreaterThanOrEqual(18);
      const cells = await tableCells(store, ws, t.tableId);
      expect(cells.filter((cell) => cell.status === 'cancelled').length).toBe(finalRun.counts.cancelled);
      await expectCountersExact(t.tableId);
    } finally {
      await slow.close();
    }
  });
});

describe.each(STORE_KINDS)('retries on a fake clock (%s)', (kind) => {
  let opened: TestStore;
  let store: Store;
  let ws: string;
  let vendor: FakeVendor;
  let busyVendor: FakeVendor;
  const clock = new FakeClock();

  beforeAll(async () => {
    opened = await openTestStore(kind, clock);
    store = opened.store;
    ws = (await store.createWorkspace({ name: 'retries', ownerEmail: 'r@r.r' })).id;
    vendor = await startFakeVendor({ failFirst: { 'flaky.test': 2, 'broken.test': 5 } });
    // Its own origin: the 429's pause applies to this vendor only.
    busyVendor = await startFakeVendor({ rateLimitOnce: { 'busy.test': 7 } });
  });
  afterAll(async () => {
    await vendor.close();
    await busyVendor.close();
    await opened.dispose();
  });

  it('retries with backoff, honours Retry-After, and fails after max attempts with the last error', async () => {
    const t = await createTable(
      store,
      ws,
      [
        { key: 'domain', name: 'Domain' },
        { key: 'vendor', name: 'Vendor' },
        {
          kind: 'http',
          key: 'company',
          name: 'Company',
          value: { url: '{vendor}/enrich?key={domain}', extract: 'result' },
        },
      ],
      [
        { domain: 'flaky.test', vendor: vendor.url },
        { domain: 'broken.test', vendor: vendor.url },
        { domain: 'busy.test', vendor: busyVendor.url },
      ],
    );
    // Jitter pinned at its maximum: delays are exactly the exponential caps.
    const engine = testEngine(
      store,
      { random: () => 0.999999, retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 } },
      clock,
    );
    const started = clock.now();
    const dueTimes: number[] = [];
    await engine.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await engine.drain({
      advanceClock: (to) => {
        dueTimes.push(to - started);
        clock.advanceTo(to);
      },
    });
    const cells = await tableCells(store, ws, t.tableId);
    const byDomain = Object.fromEntries(cells.map((cell) => [cell.answer ?? cell.rowId, cell]));
    expect(byDomain['result:flaky.test']).toMatchObject({ status: 'done', attempts: 3 });
    expect(byDomain['result:busy.test']).toMatchObject({ status: 'done', attempts: 2 });
    const broken = cells.find((cell) => cell.status === 'failed');
    expect(broken).toMatchObject({
      attempts: 3,
      error: { type: 'provider_error', message: expect.stringContaining('500') },
    });
    // flaky/broken: 999 ms then 1999 ms after; busy: Retry-After 7 s beats its 999 ms backoff.
    expect(dueTimes).toEqual([999, 999 + 1999, 7000]);
    expect(vendor.stats.byKey.get('broken.test')).toBe(3);
  });
});
