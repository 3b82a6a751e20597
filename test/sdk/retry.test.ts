import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createClient,
  EnrichbaseApiError,
  EnrichbaseNetworkError,
  type RetryOptions,
} from '../../src/sdk/index.ts';

/** What the flaky server does with one request: answer a status (with Retry-After), or drop the socket. */
type Fault = { status: number; retryAfter?: string } | 'drop';

const TABLE_ID = '0190f1a2-0000-7000-8000-000000000001';
const RUN_ID = '0190f1a2-0000-7000-8000-000000000002';

/**
 * No store here: retries are the transport's business, and a real socket is what they are about.
 * A tiny HTTP server on 127.0.0.1 fails the first requests as scripted, then answers `{"ok": true}`.
 */
describe('SDK retries against a flaky server', () => {
  let server: http.Server;
  let baseUrl: string;
  let faults: Fault[] = [];
  let seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[] = [];
  let slept: number[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers });
      req.resume();
      const fault = faults.shift();
      if (fault === 'drop') {
        req.socket.destroy();
        return;
      }
      const status = fault?.status ?? 200;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault && typeof fault === 'object' && fault.retryAfter !== undefined)
        headers['retry-after'] = fault.retryAfter;
      res.writeHead(status, headers);
      res.end(JSON.stringify(status === 200 ? { ok: true } : { detail: `failure ${status}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    faults = [];
    seen = [];
    slept = [];
  });

  /** A client whose backoff is recorded, not slept. */
  const client = (retry: RetryOptions | false = {}) =>
    createClient({
      baseUrl,
      apiKey: 'k-123',
      retry:
        retry === false
          ? false
          : {
              sleep: (ms) => {
                slept.push(ms);
                return Promise.resolve();
              },
              ...retry,
            },
    });

  it('retries a GET through 503 and 429, waiting exactly what Retry-After says', async () => {
    faults = [
      { status: 503, retryAfter: '2' },
      { status: 429, retryAfter: '1' },
    ];
    await expect(client().tables.get(TABLE_ID)).resolves.toEqual({ ok: true });
    expect(seen.map((request) => request.method)).toEqual(['GET', 'GET', 'GET']);
    expect(slept).toEqual([2_000, 1_000]);
  });

  it('backs off exponentially with jitter when the server gives no Retry-After', async () => {
    faults = [{ status: 500 }, { status: 502 }, { status: 504 }];
    await client({ baseDelayMs: 100 }).runs.get(TABLE_ID, RUN_ID);
    expect(seen).toHaveLength(4);
    expect(slept).toHaveLength(3);
    const steps = [100, 200, 400];
    slept.forEach((ms, index) => {
      expect(ms).toBeGreaterThanOrEqual(steps[index]! / 2);
      expect(ms).toBeLessThanOrEqual(steps[index]!);
    });
  });

  it('gives up after maxAttempts and throws the last answer with its detail', async () => {
    faults = Array.from({ length: 5 }, () => ({ status: 503 }));
    const error = await client({ maxAttempts: 3 })
      .tables.get(TABLE_ID)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnrichbaseApiError);
    expect(error).toMatchObject({ status: 503, detail: 'failure 503' });
    expect(seen).toHaveLength(3);
  });

  it('does not retry a POST: the server may have acted on it', async () => {
    faults = [{ status: 503, retryAfter: '1' }];
    await expect(client().tables.create({ name: 'Once' })).rejects.toMatchObject({
      name: 'EnrichbaseApiError',
      status: 503,
      retryAfterMs: 1_000,
    });
    faults = [{ status: 429 }];
    await expect(client().rows.add(TABLE_ID, { rows: [{ data: {} }] })).rejects.toMatchObject({
      status: 429,
    });
    expect(seen.map((request) => request.method)).toEqual(['POST', 'POST']);
    expect(slept).toEqual([]);
  });

  it('retries a POST the SDK knows to be idempotent (cancelling a run)', async () => {
    faults = [{ status: 503 }];
    await expect(client().runs.cancel(TABLE_ID, RUN_ID)).resolves.toEqual({ ok: true });
    expect(seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      `POST /v1/tables/${TABLE_ID}/runs/${RUN_ID}/cancel`,
      `POST /v1/tables/${TABLE_ID}/runs/${RUN_ID}/cancel`,
    ]);
  });

  it('retries a dropped connection on a GET, but not on a POST', async () => {
    faults = ['drop'];
    await expect(client().databar.tables.list()).resolves.toEqual({ ok: true });
    expect(seen).toHaveLength(2);

    faults = ['drop'];
    const error = await client()
      .databar.tables.create({ name: 'Once' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnrichbaseNetworkError);
    expect((error as EnrichbaseNetworkError).request).toEqual({
      method: 'POST',
      url: `${baseUrl}/v1/table/create`,
    });
    expect(seen).toHaveLength(3);
  });

  it('does not wait out a Retry-After longer than maxDelayMs, and says how long it was', async () => {
    faults = [{ status: 429, retryAfter: '120' }];
    await expect(client({ maxDelayMs: 30_000 }).tables.get(TABLE_ID)).rejects.toMatchObject({
      status: 429,
      retryAfterMs: 120_000,
    });
    expect(seen).toHaveLength(1);
    expect(slept).toEqual([]);
  });

  it('makes one attempt when retries are off', async () => {
    faults = [{ status: 503 }];
    await expect(client(false).tables.get(TABLE_ID)).rejects.toMatchObject({ status: 503 });
    expect(seen).toHaveLength(1);
  });

  it('stops during the backoff when the signal aborts, with the signal’s reason', async () => {
    faults = [{ status: 503, retryAfter: '30' }];
    const controller = new AbortController();
    // The real timer this time: the abort must cut the 30-second wait short.
    const waiting = createClient({ baseUrl, apiKey: 'k', retry: { maxDelayMs: 60_000 } }).tables.get(
      TABLE_ID,
      {
        signal: controller.signal,
      },
    );
    setTimeout(() => controller.abort(new Error('user gave up')), 50);
    await expect(waiting).rejects.toThrow('user gave up');
    expect(seen).toHaveLength(1);
  });

  it('sends the key as Bearer to Extruct, as x-apikey to Databar, and none to healthcheck', async () => {
    const sdk = client();
    await sdk.user();
    await sdk.databar.user();
    await sdk.connections.list();
    await sdk.healthcheck();
    expect(
      seen.map((request) => [
        request.url,
        request.headers.authorization ?? null,
        request.headers['x-apikey'] ?? null,
      ]),
    ).toEqual([
      ['/v1/user', 'Bearer k-123', null],
      ['/v1/user/me', null, 'k-123'],
      ['/v1/connections', null, 'k-123'],
      ['/v1/healthcheck', null, null],
    ]);
  });

  it('encodes queries: arrays repeat, undefined is left out, filters are JSON', async () => {
    const sdk = client();
    await sdk.tables.listPage({ tags: ['a', 'b c'], search: undefined, limit: 5 });
    await sdk.databar.rows.page(TABLE_ID, { per_page: 2, filter: { Email: { contains: '@' } } });
    expect(seen.map((request) => decodeURIComponent(request.url.replaceAll('+', ' ')))).toEqual([
      '/v1/tables?tags=a&tags=b c&limit=5',
      `/v1/table/${TABLE_ID}/rows?per_page=2&filter={"Email":{"contains":"@"}}`,
    ]);
  });
});
