import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyWebhookSignature } from '../../src/domain/webhook-signature.ts';
import { webhookRunData, type WebhookEvent } from '../../src/domain/webhooks.ts';
import type { RunRequest, Store } from '../../src/engine/ports.ts';
import { createSecretBox } from '../../src/engine/secret-box.ts';
import { WebhookDeliverer, type WebhookDelivererOptions } from '../../src/engine/webhooks.ts';
import { STRICT_POLICY, type AddressPolicy } from '../../src/providers/http/address-guard.ts';
import { createWebhookTransport } from '../../src/providers/http/webhook-transport.ts';
import { createTable, SILENT, testEngine } from '../fixtures/engine.ts';
import { FakeClock } from '../fixtures/fake-clock.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../fixtures/stores.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../fixtures/webhook-receiver.ts';

const LOOPBACK: AddressPolicy = { allowPrivate: true, allowedHosts: [] };
const ALL_ROWS: Omit<RunRequest, 'mode'> = { rowIds: null, columnIds: null };

describe.each(STORE_KINDS)('webhooks on %s', (kind) => {
  const clock = new FakeClock();
  const box = createSecretBox(randomBytes(32));
  let opened: TestStore;
  let store: Store;
  let ws: string;
  let otherWs: string;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    opened = await openTestStore(kind, clock);
    store = opened.store;
    ws = (await store.createWorkspace({ name: 'hooks', ownerEmail: 'h@h.h' })).id;
    otherWs = (await store.createWorkspace({ name: 'other', ownerEmail: 'o@o.o' })).id;
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    // Each test starts with an empty outbox: deleting the webhooks takes their deliveries along.
    for (const workspaceId of [ws, otherWs]) {
      for (const hook of await store.listWebhooks(workspaceId))
        await store.deleteWebhook(workspaceId, hook.id);
    }
    receiver.requests.length = 0;
    receiver.setMode(200);
  });
  afterAll(async () => {
    await receiver.close();
    await opened.dispose();
  });

  function deliverer(options: WebhookDelivererOptions = {}, policy: AddressPolicy = LOOPBACK) {
    return new WebhookDeliverer({
      store,
      transport: createWebhookTransport(policy),
      secrets: box,
      clock,
      logger: SILENT,
      options: {
        timeoutMs: 5_000,
        leaseMs: 30_000,
        retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 10_000 },
        random: () => 0,
        ...options,
      },
    });
  }

  async function hook(
    workspaceId: string,
    input: { tableId?: string | null; events?: WebhookEvent[]; url?: string } = {},
  ) {
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const webhook = await store.createWebhook(workspaceId, {
      tableId: input.tableId ?? null,
      url: input.url ?? receiver.url,
      events: input.events ?? ['run.finished'],
      encryptedSecret: box.encrypt(secret),
    });
    return { ...webhook, secret };
  }

  function formulaTable(rows: Record<string, unknown>[], expression = 'n * 2') {
    return createTable(
      store,
      ws,
      [
        { key: 'n', name: 'N' },
        { kind: 'formula', key: 'double', name: 'Double', value: { expression } },
      ],
      rows,
    );
  }

  async function runToEnd(tableId: string, mode: RunRequest['mode'] = 'new') {
    const engine = testEngine(store, {}, clock);
    const run = await engine.startRun(ws, tableId, { mode, ...ALL_ROWS });
    await engine.drain({ advanceClock: (to) => clock.advanceTo(to) });
    return store.getRun(ws, tableId, run.id);
  }

  async function log(workspaceId: string, webhookId: string) {
    return (await store.listWebhookDeliveries(workspaceId, webhookId, { offset: 0, limit: 100 })).items;
  }

  async function deliverAll(...deliverers: WebhookDeliverer[]) {
    for (;;) {
      const attempted = await Promise.all(deliverers.map((d) => d.deliverDue()));
      if (attempted.every((n) => n === 0)) return;
    }
  }

  it('writes one run.finished delivery per matching webhook with the run that finishes', async () => {
    const t = await formulaTable([{ n: 1 }, { n: 2 }]);
    const other = await formulaTable([{ n: 3 }]);
    const workspaceWide = await hook(ws);
    const scoped = await hook(ws, { tableId: t.tableId });
    const elsewhere = await hook(ws, { tableId: other.tableId });
    const failuresOnly = await hook(ws, { events: ['cell.failed'] });
    const disabled = await hook(ws);
    await store.updateWebhook(ws, disabled.id, { enabled: false });
    const foreign = await hook(otherWs);

    const run = await runToEnd(t.tableId);
    expect(run.status).toBe('done');
    expect(await log(ws, workspaceWide.id)).toHaveLength(1);
    expect(await log(ws, scoped.id)).toHaveLength(1);
    expect(await log(ws, elsewhere.id)).toHaveLength(0);
    expect(await log(ws, failuresOnly.id)).toHaveLength(0);
    expect(await log(ws, disabled.id)).toHaveLength(0);
    expect(await log(otherWs, foreign.id)).toHaveLength(0);

    const [delivery] = await log(ws, workspaceWide.id);
    expect(delivery).toMatchObject({ event: 'run.finished', status: 'pending', attempts: 0 });
    expect(JSON.parse(delivery!.payload)).toEqual({
      id: delivery!.id,
      type: 'run.finished',
      created_at: run.finishedAt,
      workspace_id: ws,
      table_id: t.tableId,
      data: { run: webhookRunData(run) },
    });
    expect(webhookRunData(run)).toMatchObject({
      status: 'done',
      finished_at: run.finishedAt,
      counts: { done: 2, failed: 0, queued: 0, running: 0 },
      num_requested_cells: 2,
    });
  });

  it('notifies runs that finish at once (empty scope) and cancelled runs, once each', async () => {
    const t = await formulaTable([{ n: 1 }]);
    const scoped = await hook(ws, { tableId: t.tableId });
    const empty = await store.planRun(ws, t.tableId, { mode: 'failed', ...ALL_ROWS });
    expect(empty).toMatchObject({ status: 'done', numRequestedCells: 0 });
    const queued = await store.planRun(ws, t.tableId, { mode: 'all', ...ALL_ROWS });
    expect((await store.cancelRun(ws, t.tableId, queued.id)).status).toBe('cancelled');
    // Cancelling again changes nothing and notifies nothing.
    await store.cancelRun(ws, t.tableId, queued.id);

    const runs = (await log(ws, scoped.id)).map((d) => JSON.parse(d.payload).data.run);
    expect(runs.map((run) => [run.id, run.status]).sort()).toEqual(
      [
        [empty.id, 'done'],
        [queued.id, 'cancelled'],
      ].sort(),
    );
  });

  it('sends failed cells to webhooks that opted into cell.failed, batched per completion', async () => {
    const t = await formulaTable([{ n: 'a' }, { n: 'b' }, { n: 3 }], 'int(n) * 2');
    const failures = await hook(ws, { tableId: t.tableId, events: ['cell.failed', 'run.finished'] });
    const runsOnly = await hook(ws, { tableId: t.tableId });

    const run = await runToEnd(t.tableId);
    expect(run).toMatchObject({ status: 'failed', counts: { failed: 2, done: 1 } });
    expect((await log(ws, runsOnly.id)).map((d) => d.event)).toEqual(['run.finished']);

    const deliveries = await log(ws, failures.id);
    expect(deliveries.filter((d) => d.event === 'run.finished')).toHaveLength(1);
    const cellPayloads = deliveries
      .filter((d) => d.event === 'cell.failed')
      .map((d) => JSON.parse(d.payload));
    expect(cellPayloads.length).toBeGreaterThanOrEqual(1);
    for (const payload of cellPayloads) {
      expect(payload).toMatchObject({ type: 'cell.failed', workspace_id: ws, table_id: t.tableId });
    }
    const cells = cellPayloads.flatMap((payload) => payload.data.cells);
    expect(cells.map((cell: any) => cell.row_id).sort()).toEqual([t.rowIds[0], t.rowIds[1]].sort());
    for (const cell of cells) {
      expect(cell).toMatchObject({
        column_id: t.columnId.double,
        column_key: 'double',
        run_id: run.id,
        error: { message: expect.stringMatching(/Formula error/) },
      });
    }
  });

  it('signs each attempt, backs off exponentially while the endpoint fails, and gives up after maxAttempts', async () => {
    const t = await formulaTable([{ n: 1 }]);
    const webhook = await hook(ws, { tableId: t.tableId });
    await runToEnd(t.tableId);
    receiver.setMode(500);
    const worker = deliverer({ retry: { maxAttempts: 3, baseDelayMs: 2_000, maxDelayMs: 10_000 } });

    expect(await worker.deliverDue()).toBe(1);
    let [entry] = await log(ws, webhook.id);
    // random() = 0: the lower edge of the equal-jitter window, half of 2 s.
    expect(entry).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatusCode: 500,
      lastError: 'HTTP 500: refused with 500',
      nextAttemptAt: clock.now() + 1_000,
    });
    expect(await worker.deliverDue()).toBe(0);
    clock.advance(999);
    expect(await worker.deliverDue()).toBe(0);
    clock.advance(1);
    expect(await worker.deliverDue()).toBe(1);
    [entry] = await log(ws, webhook.id);
    expect(entry).toMatchObject({ attempts: 2, nextAttemptAt: clock.now() + 2_000 });
    clock.advance(2_000);
    expect(await worker.deliverDue()).toBe(1);
    [entry] = await log(ws, webhook.id);
    expect(entry).toMatchObject({ status: 'failed', attempts: 3, nextAttemptAt: null, lastStatusCode: 500 });
    expect(receiver.requests).toHaveLength(3);
    for (const request of receiver.requests) {
      expect(request.body).toBe(entry!.payload);
      expect(request.headers['enrichbase-delivery']).toBe(entry!.id);
      expect(request.headers['enrichbase-event']).toBe('run.finished');
      expect(request.headers['content-type']).toBe('application/json');
      const signature = request.headers['enrichbase-signature'] as string;
      expect(verifyWebhookSignature(webhook.secret, signature, request.body, { now: clock.now() }).ok).toBe(
        true,
      );
    }
    // A fresh timestamp is signed on every attempt.
    expect(new Set(receiver.requests.map((r) => r.headers['enrichbase-signature'])).size).toBe(3);
    clock.advance(24 * 3600_000);
    expect(await worker.deliverDue()).toBe(0);
    // A day later, a captured request no longer passes: outside the replay window.
    const replayed = receiver.requests[0]!;
    expect(
      verifyWebhookSignature(
        webhook.secret,
        replayed.headers['enrichbase-signature'] as string,
        replayed.body,
        {
          now: clock.now(),
        },
      ),
    ).toEqual({ ok: false, reason: 'stale' });

    receiver.setMode(204);
    expect(await store.retryWebhookDelivery(ws, webhook.id, entry!.id)).toMatchObject({ status: 'pending' });
    expect(await worker.deliverDue()).toBe(1);
    [entry] = await log(ws, webhook.id);
    expect(entry).toMatchObject({
      status: 'delivered',
      attempts: 4,
      lastStatusCode: 204,
      lastError: null,
      deliveredAt: new Date(clock.now()).toISOString(),
    });
    expect(receiver.accepted()).toHaveLength(1);
  });

  it('leases claimed deliveries: concurrent workers never double-send, and a dead worker’s are sent after its lease', async () => {
    const t = await formulaTable([{ n: 1 }]);
    const webhook = await hook(ws, { tableId: t.tableId });
    for (let index = 0; index < 6; index += 1) await runToEnd(t.tableId, 'all');
    expect(await log(ws, webhook.id)).toHaveLength(6);

    // A worker claims two and dies without a word.
    const orphaned = await store.claimWebhookDeliveries(2, { nowMs: clock.now(), leaseMs: 30_000 });
    expect(orphaned).toHaveLength(2);

    const a = deliverer({ batchSize: 1 });
    const b = deliverer({ batchSize: 1 });
    await deliverAll(a, b);
    const ids = () => receiver.accepted().map((r) => r.headers['enrichbase-delivery']);
    expect(ids()).toHaveLength(4);
    expect(new Set(ids()).size).toBe(4);
    for (const claim of orphaned) expect(ids()).not.toContain(claim.id);

    clock.advance(30_000);
    await deliverAll(a, b);
    expect(ids()).toHaveLength(6);
    expect(new Set(ids()).size).toBe(6);
    // The dead worker's late outcome is fenced off.
    const late = orphaned[0]!;
    expect(
      await store.recordWebhookAttempt(
        late.id,
        late.attempt,
        { status: 'failed', statusCode: null, error: 'late' },
        clock.now(),
      ),
    ).toBe(false);
    const entries = await log(ws, webhook.id);
    expect(entries.every((entry) => entry.status === 'delivered')).toBe(true);
    expect(
      entries
        .filter((entry) => entry.attempts === 2)
        .map((entry) => entry.id)
        .sort(),
    ).toEqual(orphaned.map((claim) => claim.id).sort());
  });

  it('fails a delivery at once when the address guard refuses its target', async () => {
    const t = await formulaTable([{ n: 1 }]);
    const webhook = await hook(ws, { tableId: t.tableId });
    await runToEnd(t.tableId);
    expect(await deliverer({}, STRICT_POLICY).deliverDue()).toBe(1);
    const [entry] = await log(ws, webhook.id);
    expect(entry).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: null });
    expect(entry!.lastError).toMatch(/^blocked: Refusing to connect to internal address 127\.0\.0\.1/);
    expect(receiver.requests).toHaveLength(0);
  });

  it('delivers from its own loop once started, woken when there is new work, and stops cleanly', async () => {
    const t = await formulaTable([{ n: 1 }]);
    await hook(ws, { tableId: t.tableId });
    await runToEnd(t.tableId);
    const worker = deliverer({ pollIntervalMs: 60_000 });
    worker.start();
    try {
      await vi.waitFor(() => expect(receiver.accepted()).toHaveLength(1), { timeout: 10_000 });
      await runToEnd(t.tableId, 'all');
      worker.wake();
      await vi.waitFor(() => expect(receiver.accepted()).toHaveLength(2), { timeout: 10_000 });
    } finally {
      await worker.stop();
    }
    expect(new Set(receiver.accepted().map((r) => r.headers['enrichbase-delivery'])).size).toBe(2);
  });
});
