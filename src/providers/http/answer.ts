import type { ProviderError } from '../../engine/ports.ts';
import { parseRetryAfter, type HttpResult } from './client.ts';

/**
 * An HTTP answer read the way the engine needs it: 429 is a rate limit (with Retry-After), 5xx and
 * 408 retryable, 401/403 an auth failure (the provider's cells fail fast), other 4xx final; a body
 * is JSON when the server says so or the caller needs it, and a garbled JSON body is worth a retry.
 */
export type Answer =
  { ok: true; answer: unknown; status: number; url: string } | { ok: false; error: ProviderError };

export function readAnswer(
  result: HttpResult,
  options: { json: boolean; notFoundIsEmpty?: boolean },
): Answer {
  if (!result.ok) {
    const { failure } = result;
    const retryable = failure.kind === 'timeout' || failure.kind === 'network';
    return {
      ok: false,
      error: { kind: retryable ? 'retryable' : 'non_retryable', message: failure.message },
    };
  }
  const { response } = result;
  const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
  if (response.status === 429) {
    return {
      ok: false,
      error: { kind: 'rate_limited', message: 'The server answered 429 Too Many Requests', retryAfterMs },
    };
  }
  if (response.status >= 500 || response.status === 408) {
    return {
      ok: false,
      error: { kind: 'retryable', message: `The server answered ${response.status}`, retryAfterMs },
    };
  }
  if (response.status === 401 || response.status === 403) {
    return {
      ok: false,
      error: { kind: 'auth', message: `The server refused the credentials (${response.status})` },
    };
  }
  if (response.status === 404 && options.notFoundIsEmpty)
    return { ok: true, answer: null, status: 404, url: response.url };
  if (response.status >= 400) {
    return {
      ok: false,
      error: {
        kind: 'non_retryable',
        message: `The server answered ${response.status}: ${preview(response.body)}`,
      },
    };
  }
  const text = response.body.toString('utf8');
  const isJson = /json/i.test(String(response.headers['content-type'] ?? ''));
  if (!isJson && !options.json) return { ok: true, answer: text, status: response.status, url: response.url };
  try {
    return {
      ok: true,
      answer: text === '' ? null : JSON.parse(text),
      status: response.status,
      url: response.url,
    };
  } catch {
    // A truncated or garbled body from a flaky server is worth another try.
    return { ok: false, error: { kind: 'retryable', message: 'The server sent a malformed JSON body' } };
  }
}

function preview(body: Buffer): string {
  const text = body.toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
