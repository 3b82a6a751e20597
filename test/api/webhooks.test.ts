import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/domain/webhook-signature.ts';
import { useTestApi } from '../fixtures/app.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../fixtures/webhook-receiver.ts';

const UNKNOWN_ID = '0190f1a2-0000-7000-8000-000000000000';

describe.each(STORE_KINDS)('webhook API on %s', (kind) => {
  // Retries are due at once: each deliverDue() round is one attempt per pending delivery.
  const api = useTestApi(kind, { webhooks: { retry: { maxAttempts: 10, baseDelayMs: 0, maxDelayMs: 0 } } });
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  beforeEach(async () => {
    for (const key of [api().key, api().otherKey]) {
      const { body } = await api().request('GET', '/v1/webhooks', { key });
      for (const hook of body.items) await api().request('DELETE', `/v1/webhooks/${hook.id}`, { key });
    }
    receiver.requests.length = 0;
    receiver.setMode(200);
    await receiver.revive();
  });
  afterAll(() => receiver.close());

  async function formulaTable(rows = 2) {
    const created = await api().request('POST', '/v1/tables', {
      body: {
        name: 'Hooks',
        column_configs: [
          { kind: 'input', name: 'N', key: 'n' },
          { kind: 'formula', name: 'Double', key: 'double', value: { expression: 'n * 2' } },
        ],
      },
    });
    await api().request('POST', `/v1/tables/${created.body.id}/rows`, {
      body: { rows: Array.from({ length: rows }, (_, index) => ({ data: { n: index } })) },
    });
    return created.body.id as string;
  }

  async function runTable(tableId: string, mode = 'all') {
    const started = await api().request('POST', `/v1/tables/${tableId}/run`, { body: { mode } });
    expect(started.status).toBe(200);
    await api().engine.drain();
    return started.body.id as string;
  }

  async function deliveries(webhookId: string) {
    const response = await api().request('GET', `/v1/webhooks/${webhookId}/deliveries`);
    expect(response.status).toBe(200);
    return response.body.items as any[];
  }

  it('creates a webhook with a generated secret shown once, and never lists a secret', async () => {
    const created = await api().request('POST', '/v1/webhooks', { body: { url: receiver.url } });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.any(String),
      url: receiver.url,
      table_id: null,
      events: ['run.finished'],
      enabled: true,
      created_at: expect.stringMatching(/Z$/),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });
    const secret = created.body.secret as string;
    const own = await api().request('POST', '/v1/webhooks', {
      body: { url: receiver.url, events: ['cell.failed', 'run.finished'], secret: 'my-own-secret-of-16+' },
    });
    expect(own.body).toMatchObject({
      secret: 'my-own-secret-of-16+',
      events: ['cell.failed', 'run.finished'],
    });

    const list = await api().request('GET', '/v1/webhooks');
    expect(list.status).toBe(200);
    expect(list.body.items.map((hook: any) => hook.id)).toEqual([created.body.id, own.body.id]);
    const one = await api().request('GET', `/v1/webhooks/${created.body.id}`);
    expect(one.status).toBe(200);
    for (const text of [JSON.stringify(list.body), JSON.stringify(one.body)]) {
      expect(text).not.toContain('secret');
      expect(text).not.toContain(secret);
      expect(text).not.toContain('my-own-secret');
    }
    expect(one.body).toEqual(list.body.items[0]);

    const openapi = await api().request('GET', '/openapi.json', { key: null });
    for (const path of [
      '/v1/webhooks',
      '/v1/webhooks/{webhook_id}',
      '/v1/webhooks/{webhook_id}/deliveries',
      '/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry',
    ]) {
      expect(openapi.body.paths).toHaveProperty([path]);
    }
  });

  it('validates the body with FastAPI 422s', async () => {
    const bad = await api().request('POST', '/v1/webhooks', {
      body: { url: 'ftp://example.com/x', events: ['run.started'], secret: 'short' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.detail.map((d: any) => d.loc)).toEqual(
      expect.arrayContaining([
        ['body', 'url'],
        ['body', 'events', 0],
        ['body', 'secret'],
      ]),
    );
    const missing = await api().request('POST', '/v1/webhooks', { body: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.detail[0]).toMatchObject({ loc: ['body', 'url'], type: 'missing' });
    const empty = await api().request('POST', '/v1/webhooks', { body: { url: receiver.url, events: [] } });
    expect(empty.status).toBe(422);
    const unknownTable = await api().request('POST', '/v1/webhooks', {
      body: { url: receiver.url, table_id: UNKNOWN_ID },
    });
    expect(unknownTable.status).toBe(422);
    expect(unknownTable.body.detail).toEqual([
      { loc: ['body', 'table_id'], msg: `No table with id '${UNKNOWN_ID}'`, type: 'value_error' },
    ]);
    const notUuid = await api().request('GET', '/v1/webhooks/not-a-uuid');
    expect(notUuid.status).toBe(422);
    expect(notUuid.body.detail[0].loc).toEqual(['path', 'webhook_id']);
    expect((await api().request('GET', '/v1/webhooks', { key: null })).status).toBe(401);
  });

  it("keeps each workspace's webhooks to itself: 404 across workspaces, another workspace's table is refused", async () => {
    const tableId = await formulaTable(1);
    const mine = await api().request('POST', '/v1/webhooks', {
      body: { url: receiver.url, table_id: tableId },
    });
    expect(mine.status).toBe(200);
    const theirs = { key: api().otherKey };
    const id = mine.body.id as string;
    expect((await api().request('GET', '/v1/webhooks', theirs)).body.items).toEqual([]);
    for (const [method, path] of [
      ['GET', `/v1/webhooks/${id}`],
      ['DELETE', `/v1/webhooks/${id}`],
      ['GET', `/v1/webhooks/${id}/deliveries`],
      ['POST', `/v1/webhooks/${id}/deliveries/${UNKNOWN_ID}/retry`],
    ] as const) {
      const response = await api().request(method, path, theirs);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body).toEqual({ detail: 'Webhook not found' });
    }
    const patched = await api().request('PATCH', `/v1/webhooks/${id}`, {
      ...theirs,
      body: { enabled: false },
    });
    expect(patched.status).toBe(404);
    const foreignTable = await api().request('POST', '/v1/webhooks', {
      ...theirs,
      body: { url: receiver.url, table_id: tableId },
    });
    expect(foreignTable.status).toBe(422);
    expect(foreignTable.body.detail[0].loc).toEqual(['body', 'table_id']);
    // Their runs never reach my webhook.
    expect((await api().request('GET', `/v1/webhooks/${id}`)).body.enabled).toBe(true);
    expect(await deliveries(id)).toEqual([]);

    const retryUnknown = await api().request('POST', `/v1/webhooks/${id}/deliveries/${UNKNOWN_ID}/retry`);
    expect(retryUnknown).toMatchObject({ status: 404, body: { detail: 'Webhook delivery not found' } });
    const deleted = await api().request('DELETE', `/v1/webhooks/${id}`);
    expect(deleted.body).toMatchObject({ id, table_id: tableId });
    expect((await api().request('GET', `/v1/webhooks/${id}`)).status).toBe(404);
  });

  it('survives a dead receiver: exactly one accepted, validly signed delivery per run, retries in the log', async () => {
    const tableId = await formulaTable(3);
    const created = await api().request('POST', '/v1/webhooks', { body: { url: receiver.url } });
    const { id: webhookId, secret } = created.body as { id: string; secret: string };

    // The receiver dies before the runs finish.
    await receiver.kill();
    const runIds = [await runTable(tableId, 'new'), await runTable(tableId, 'all')];
    const webhooks = api().webhooks;
    expect(await webhooks.deliverDue()).toBe(2); // connection refused
    expect(await webhooks.deliverDue()).toBe(2); // refused again
    let log = await deliveries(webhookId);
    expect(log).toHaveLength(2);
    for (const entry of log) {
      expect(entry).toMatchObject({
        status: 'pending',
        attempts: 2,
        last_status_code: null,
        delivered_at: null,
      });
      expect(entry.last_error).toMatch(/^network: .*ECONNREFUSED/);
    }

    // It comes back, but hangs up on every request before answering …
    await receiver.revive();
    receiver.setMode('hangup');
    expect(await webhooks.deliverDue()).toBe(2);
    // … then answers 503 …
    receiver.setMode(503);
    expect(await webhooks.deliverDue()).toBe(2);
    log = await deliveries(webhookId);
    for (const entry of log) expect(entry).toMatchObject({ attempts: 4, last_status_code: 503 });
    // … and finally accepts.
    receiver.setMode(200);
    expect(await webhooks.deliverDue()).toBe(2);
    for (let round = 0; round < 3; round += 1) expect(await webhooks.deliverDue()).toBe(0);

    // Raw count of accepted POSTs: no dedupe by delivery id hides a duplicate.
    const accepted = receiver.accepted();
    expect(accepted).toHaveLength(2);
    const payloads = accepted.map((request) => JSON.parse(request.body));
    expect(payloads.map((payload) => payload.data.run.id).sort()).toEqual([...runIds].sort());
    for (const [index, request] of accepted.entries()) {
      const payload = payloads[index];
      const check = verifyWebhookSignature(
        secret,
        request.headers['enrichbase-signature'] as string,
        request.body,
      );
      expect(check.ok).toBe(true);
      expect(
        verifyWebhookSignature(secret, request.headers['enrichbase-signature'] as string, `${request.body} `)
          .ok,
      ).toBe(false);
      expect(request.headers['enrichbase-delivery']).toBe(payload.id);
      expect(request.headers['enrichbase-event']).toBe('run.finished');
      expect(payload).toMatchObject({
        type: 'run.finished',
        table_id: tableId,
        workspace_id: expect.any(String),
      });
      // The payload's run is the ext Run the API serves.
      const run = await api().request('GET', `/v1/tables/${tableId}/runs/${payload.data.run.id}`);
      expect(payload.data.run).toEqual(run.body);
      expect(run.body).toMatchObject({
        status: 'done',
        counts: { done: 3 },
        finished_at: expect.any(String),
      });
    }
    // Every attempt carried the same delivery ids and bodies.
    expect(new Set(receiver.requests.map((request) => request.headers['enrichbase-delivery']))).toEqual(
      new Set(payloads.map((payload) => payload.id)),
    );
    expect(new Set(receiver.requests.map((request) => request.body))).toEqual(
      new Set(accepted.map((request) => request.body)),
    );

    log = await deliveries(webhookId);
    expect(log.map((entry) => entry.id).sort()).toEqual(payloads.map((payload) => payload.id).sort());
    for (const entry of log) {
      expect(entry).toMatchObject({
        event: 'run.finished',
        status: 'delivered',
        attempts: 5,
        last_status_code: 200,
        last_error: null,
        next_attempt_at: null,
        delivered_at: expect.stringMatching(/Z$/),
      });
      expect(entry.payload.id).toBe(entry.id);
    }
  });

  it('scopes a webhook to its table, and resends a delivery on request', async () => {
    const tableId = await formulaTable(1);
    const otherTable = await formulaTable(1);
    const scoped = await api().request('POST', '/v1/webhooks', {
      body: { url: receiver.url, table_id: tableId },
    });
    await runTable(otherTable);
    const runId = await runTable(tableId);
    expect(await api().webhooks.deliverDue()).toBe(1);
    const [entry] = await deliveries(scoped.body.id);
    expect(entry).toMatchObject({
      status: 'delivered',
      attempts: 1,
      payload: { data: { run: { id: runId } } },
    });

    const retried = await api().request(
      'POST',
      `/v1/webhooks/${scoped.body.id}/deliveries/${entry.id}/retry`,
    );
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: entry.id, status: 'pending', delivered_at: null });
    expect(await api().webhooks.deliverDue()).toBe(1);
    expect((await deliveries(scoped.body.id))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    // Resent on request: the same delivery id, twice.
    expect(receiver.accepted().map((request) => request.headers['enrichbase-delivery'])).toEqual([
      entry.id,
      entry.id,
    ]);

    const disabled = await api().request('PATCH', `/v1/webhooks/${scoped.body.id}`, {
      body: { enabled: false },
    });
    expect(disabled.body).toMatchObject({ enabled: false });
    await runTable(tableId);
    expect(await deliveries(scoped.body.id)).toHaveLength(1);

    // A table's own webhooks go with it.
    expect((await api().request('DELETE', `/v1/tables/${tableId}`)).status).toBe(200);
    expect((await api().request('GET', `/v1/webhooks/${scoped.body.id}`)).status).toBe(404);
  });
});

describe.each(STORE_KINDS)('webhook targets on %s, private addresses not allowed', (kind) => {
  const api = useTestApi(kind, {
    env: () => ({ ENRICHBASE_HTTP_ALLOW_PRIVATE: 'false', ENRICHBASE_HTTP_ALLOWED_HOSTS: '10.1.2.3:8080' }),
  });

  it('refuses loopback, private and link-local targets with a 422 at url, as the http column guard would', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost:8080/hook',
      'http://10.0.0.7/hook',
      'http://[::1]/hook',
      'http://169.254.169.254/latest/meta-data',
    ]) {
      const response = await api().request('POST', '/v1/webhooks', { body: { url } });
      expect(response.status, url).toBe(422);
      expect(response.body.detail).toEqual([
        { loc: ['body', 'url'], msg: expect.stringMatching(/internal address/), type: 'value_error' },
      ]);
    }
    const patched = await api().request('POST', '/v1/webhooks', {
      body: { url: 'http://10.1.2.3:8080/hook' },
    });
    expect(patched.status).toBe(200);
    const moved = await api().request('PATCH', `/v1/webhooks/${patched.body.id}`, {
      body: { url: 'http://127.0.0.1/hook' },
    });
    expect(moved.status).toBe(422);
    expect(moved.body.detail[0].loc).toEqual(['body', 'url']);
  });
});
