import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import type { Store } from '../../src/engine/ports.ts';
import { VENDOR_ENRICHMENTS } from '../../src/providers/catalog/vendors/index.ts';
import { builtinEnrichments, createCatalog, createProviderRegistry } from '../../src/providers/index.ts';
import { createTable, SILENT, tableCells } from '../fixtures/engine.ts';
import {
  startFakeHunter,
  startFakeProspeo,
  type FakeHunter,
  type FakeProspeo,
} from '../fixtures/fake-vendors/index.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../fixtures/stores.ts';

const ADA = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  domain: 'analytical.test',
  email: 'ada@analytical.test',
  phone: '+14155552671',
  linkedin_url: 'https://www.linkedin.com/in/ada-lovelace',
};

describe.each(STORE_KINDS)('Extruct finder columns on %s', (kind) => {
  let opened: TestStore;
  let store: Store;
  let ws: string;
  let hunter: FakeHunter;
  let prospeo: FakeProspeo;

  beforeAll(async () => {
    opened = await openTestStore(kind);
    store = opened.store;
    ws = (await store.createWorkspace({ name: 'finders', ownerEmail: 'f@f.f' })).id;
    hunter = await startFakeHunter({ apiKey: 'hunter-key', people: [ADA] });
    prospeo = await startFakeProspeo({ apiKey: 'prospeo-key', people: [ADA] });
  });
  afterAll(async () => {
    await hunter.close();
    await prospeo.close();
    await opened.dispose();
  });

  function engine(keys: Record<string, string>) {
    return new Engine({
      store,
      providers: createProviderRegistry({
        addressPolicy: { allowPrivate: true, allowedHosts: [] },
        catalog: createCatalog([
          ...builtinEnrichments({ mx: () => Promise.resolve([]) }),
          ...VENDOR_ENRICHMENTS,
        ]),
        credentials: (_workspace, provider) => Promise.resolve(keys[provider]),
        vendorBaseUrls: { hunter: hunter.url, prospeo: prospeo.url },
      }),
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
      logger: SILENT,
      options: { flushIntervalMs: 1 },
    });
  }

  const people = (fullName = 'Ada Lovelace') =>
    createTable(
      store,
      ws,
      [
        { key: 'full_name', name: 'Full name' },
        { key: 'company_website', name: 'Company website' },
        { key: 'profile_url', name: 'Profile' },
        { kind: 'email_finder', key: 'email', name: 'Email' },
        { kind: 'phone_finder', key: 'phone', name: 'Phone' },
      ],
      [
        {
          full_name: fullName,
          company_website: 'https://www.analytical.test/',
          profile_url: ADA.linkedin_url,
        },
      ],
    );

  it('finds emails and phones through the vendors the workspace has keys for', async () => {
    const t = await people();
    const run = engine({ hunter: 'hunter-key', prospeo: 'prospeo-key' });
    await run.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await run.drain();
    const cells = Object.fromEntries(
      (await tableCells(store, ws, t.tableId)).map((cell) => [cell.key, cell]),
    );
    expect(cells.email).toMatchObject({ status: 'done', answer: { email: 'ada@analytical.test' } });
    expect(cells.phone).toMatchObject({ status: 'done', answer: { phone: '+14155552671' } });
    expect(hunter.requests[0]?.query).toMatchObject({
      domain: 'analytical.test',
      first_name: 'Ada',
      last_name: 'Lovelace',
    });
  });

  it("keeps a waterfall's steps within each vendor's own limits", async () => {
    const slow = await startFakeHunter({ apiKey: 'hunter-key', people: [], latencyMs: 60 });
    try {
      const names = Array.from({ length: 24 }, (_, index) => ({
        full_name: `Person ${index} Example`,
        company_website: 'https://analytical.test',
      }));
      const t = await createTable(
        store,
        ws,
        [
          { key: 'full_name', name: 'Full name' },
          { key: 'company_website', name: 'Company website' },
          { kind: 'email_finder', key: 'email', name: 'Email' },
        ],
        names,
      );
      const run = new Engine({
        store,
        providers: createProviderRegistry({
          addressPolicy: { allowPrivate: true, allowedHosts: [] },
          catalog: createCatalog(VENDOR_ENRICHMENTS),
          credentials: (_workspace, provider) =>
            Promise.resolve(provider === 'hunter' ? 'hunter-key' : undefined),
          vendorBaseUrls: { hunter: slow.url },
        }),
        clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
        logger: SILENT,
        options: { flushIntervalMs: 1 },
      });
      await run.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
      await run.drain();
      const cells = await tableCells(store, ws, t.tableId);
      expect(cells.filter((cell) => cell.status === 'done')).toHaveLength(24);
      expect(slow.stats.requests).toBe(24);
      // The waterfall column itself has no concurrency limit; Hunter's Email Finder allows 5 at once.
      const hunterLimit = VENDOR_ENRICHMENTS.find((e) => e.slug === 'hunter_email_finder')!.limits!;
      expect(slow.stats.peakInFlight).toBeLessThanOrEqual(hunterLimit.maxConcurrency!);
      expect(slow.stats.peakInFlight).toBeGreaterThan(1);
    } finally {
      await slow.close();
    }
  });

  it('fails at once, saying how to add a vendor, when none is configured', async () => {
    const t = await people('Grace Hopper');
    const run = engine({});
    await run.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await run.drain();
    const cells = await tableCells(store, ws, t.tableId);
    for (const cell of cells) {
      expect(cell).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { message: expect.stringContaining('PUT /v1/connections/') },
      });
    }
  });
});
