import { EnrichbaseNetworkError, errorFromResponse } from './errors.ts';
import { computeDelayMs, isRetryableStatus, parseRetryAfterMs, type RetryPolicy } from './retry.ts';

/** What the client needs of `fetch`; the global one, undici's, or an in-process app's `request`. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Extruct paths take the key as a Bearer token, Databar paths as `x-apikey`. */
export type Auth = 'bearer' | 'apikey' | 'none';

type QueryScalar = string | number | boolean;
export type Query = Record<string, QueryScalar | readonly QueryScalar[] | null | undefined>;

export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  auth: Auth;
  query?: Query;
  body?: unknown;
  /** A POST or PATCH whose repetition changes nothing (cancel, upsert, rename): retried like a GET. */
  idempotent?: boolean;
  signal?: AbortSignal | undefined;
  accept?: string;
}

/** Per-call options every SDK method takes last. */
export interface CallOptions {
  signal?: AbortSignal;
}

const IDEMPOTENT_METHODS: ReadonlySet<Call['method']> = new Set(['GET', 'PUT', 'DELETE']);

/** Sends calls: auth headers, JSON bodies, query strings, retries, and error answers as typed errors. */
export class Transport {
  readonly #baseUrl: string;
  readonly #apiKey: string;
  readonly #fetch: FetchLike;
  readonly #retry: RetryPolicy;

  constructor(options: { baseUrl: string; apiKey: string; fetch: FetchLike; retry: RetryPolicy }) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch;
    this.#retry = options.retry;
  }

  /** The response of a call that succeeded (2xx); its body is left unread. */
  async send(call: Call): Promise<Response> {
    const url = this.#baseUrl + call.path + queryString(call.query);
    const request = { method: call.method, url };
    const init = this.#init(call);
    const retryable = call.idempotent ?? IDEMPOTENT_METHODS.has(call.method);
    const attempts = retryable ? this.#retry.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.#fetch(url, init);
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason;
        if (attempt >= attempts) throw new EnrichbaseNetworkError(request, { cause: error });
        await this.#retry.sleep(computeDelayMs(attempt, this.#retry), call.signal);
        continue;
      }
      if (response.ok) return response;
      const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'));
      const error = await errorFromResponse(response, request, retryAfterMs);
      const delayMs = retryAfterMs ?? computeDelayMs(attempt, this.#retry);
      if (!isRetryableStatus(response.status) || attempt >= attempts || delayMs > this.#retry.maxDelayMs)
        throw error;
      await this.#retry.sleep(delayMs, call.signal);
    }
  }

  /** The parsed JSON body of a call that succeeded. */
  async json<T>(call: Call): Promise<T> {
    const response = await this.send(call);
    return (await response.json()) as T;
  }

  #init(call: Call): RequestInit {
    const headers: Record<string, string> = { accept: call.accept ?? 'application/json' };
    if (call.auth === 'bearer') headers.authorization = `Bearer ${this.#apiKey}`;
    if (call.auth === 'apikey') headers['x-apikey'] = this.#apiKey;
    const init: RequestInit = { method: call.method, headers };
    if (call.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(call.body);
    }
    if (call.signal) init.signal = call.signal;
    return init;
  }
}

/** `?a=1&tags=x&tags=y`: arrays repeat their name; null and undefined are left out. */
function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A path segment from an id: ids are UUIDs or numbers, but a stray `/` must not change the route. */
export function segment(id: string | number): string {
  return encodeURIComponent(String(id));
}
