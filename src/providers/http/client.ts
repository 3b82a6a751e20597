import http from 'node:http';
import https from 'node:https';
import { BlockedAddressError, checkLiteralHost, guardedLookup, type AddressPolicy } from './address-guard.ts';

/**
 * The one outbound HTTP client of the providers: timeouts, a response size cap, manual redirects
 * (each hop passes the address guard again), and errors that never echo request headers (they may
 * carry keys).
 */
export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  url: string;
}

export type HttpFailure =
  | { kind: 'blocked'; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'too_large'; message: string }
  | { kind: 'network'; message: string }
  | { kind: 'invalid_url'; message: string }
  | { kind: 'aborted'; message: string };

export type HttpResult = { ok: true; response: HttpResponse } | { ok: false; failure: HttpFailure };

// Keep-alive pools; a reused socket passed the guard when it connected.
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

export const USER_AGENT = 'Enrichbase/0.1 (+https://github.com/enrichbase/enrichbase)';

export async function httpRequest(policy: AddressPolicy, request: HttpRequest): Promise<HttpResult> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return {
      ok: false,
      failure: { kind: 'invalid_url', message: `Not a valid URL: ${truncate(request.url)}` },
    };
  }
  let method = request.method.toUpperCase();
  let body = request.body;
  for (let hop = 0; hop <= (request.maxRedirects ?? 5); hop += 1) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return {
        ok: false,
        failure: {
          kind: 'invalid_url',
          message: `Only http and https URLs are fetched, not ${url.protocol}`,
        },
      };
    }
    const result = await once(policy, url, method, request, body);
    if (!result.ok) return result;
    const { response } = result;
    const location = response.headers.location;
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      if (
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) && method === 'POST')
      ) {
        method = 'GET';
        body = undefined;
      }
      continue;
    }
    return result;
  }
  return { ok: false, failure: { kind: 'network', message: 'Too many redirects' } };
}

function once(
  policy: AddressPolicy,
  url: URL,
  method: string,
  request: HttpRequest,
  body: string | undefined,
): Promise<HttpResult> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  try {
    checkLiteralHost(policy, url.hostname, port);
  } catch (error) {
    return Promise.resolve({ ok: false, failure: { kind: 'blocked', message: (error as Error).message } });
  }
  const maxBytes = request.maxBytes ?? 5 * 1024 * 1024;
  const timeoutMs = request.timeoutMs ?? 30_000;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<HttpResult>((resolve) => {
    let settled = false;
    const finish = (result: HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const outgoing = transport.request(
      url,
      {
        method,
        headers: {
          'user-agent': USER_AGENT,
          accept: 'application/json, text/*;q=0.9, */*;q=0.5',
          ...request.headers,
        },
        lookup: guardedLookup(policy, url.hostname, port),
        agent: AGENTS[url.protocol as 'http:' | 'https:'],
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            outgoing.destroy();
            finish({
              ok: false,
              failure: { kind: 'too_large', message: `Response larger than ${maxBytes} bytes` },
            });
            return;
          }
          chunks.push(chunk);
        });
        incoming.on('end', () =>
          finish({
            ok: true,
            response: {
              status: incoming.statusCode ?? 0,
              headers: incoming.headers,
              body: Buffer.concat(chunks),
              url: url.toString(),
            },
          }),
        );
        incoming.on('error', (error) =>
          finish({ ok: false, failure: { kind: 'network', message: error.message } }),
        );
      },
    );
    const timer = setTimeout(() => {
      outgoing.destroy();
      finish({
        ok: false,
        failure: { kind: 'timeout', message: `No complete response within ${timeoutMs} ms` },
      });
    }, timeoutMs);
    const onAbort = () => {
      outgoing.destroy();
      finish({ ok: false, failure: { kind: 'aborted', message: 'Request aborted' } });
    };
    request.signal?.addEventListener('abort', onAbort, { once: true });
    outgoing.on('error', (error) => {
      const blocked = error instanceof BlockedAddressError || error.name === 'BlockedAddressError';
      finish({ ok: false, failure: { kind: blocked ? 'blocked' : 'network', message: error.message } });
    });
    if (body !== undefined) outgoing.write(body);
    outgoing.end();
  });
}

/** Retry-After as milliseconds (seconds or an HTTP date), if present and sane. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 3_600_000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.min(date - now, 3_600_000));
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
