import { formatTemplateValue, renderTemplate, templateReferences } from '../../domain/templates.ts';
import { isEmptyValue } from '../../domain/rows.ts';
import type { PreparedCall, Provider, ProviderRequest, ProviderResult } from '../../engine/ports.ts';
import type { AddressPolicy } from './address-guard.ts';
import { httpRequest, parseRetryAfter } from './client.ts';
import { extractPath } from './extract.ts';

/**
 * The `http` column: one request per row, `{key}` templates in URL (values URL-encoded), headers and
 * body, an optional dotted path extracted from the JSON answer.
 */
export function createHttpProvider(policy: AddressPolicy): Provider {
  return {
    name: 'http',
    prepare(request: ProviderRequest): PreparedCall {
      const config = request.column.config;
      if (config.kind !== 'http')
        return { kind: 'fail', error: { kind: 'non_retryable', message: 'not an http column' } };
      const value = config.value;
      const bodyTemplate =
        value.body === null
          ? undefined
          : typeof value.body === 'string'
            ? value.body
            : JSON.stringify(value.body);
      const referenced = new Set([
        ...templateReferences(value.url),
        ...Object.values(value.headers ?? {}).flatMap(templateReferences),
        ...(bodyTemplate ? templateReferences(bodyTemplate) : []),
      ]);
      const empty = [...referenced].filter((key) => isEmptyValue(request.values[key]));
      if (empty.length > 0) {
        return {
          kind: 'skip',
          reason: 'missing_input',
          message: `No value for ${empty.map((key) => `{${key}}`).join(', ')} in this row`,
        };
      }
      const resolve = (key: string) => request.values[key];
      const url = renderUrl(value.url, resolve);
      const headers = Object.fromEntries(
        Object.entries(value.headers ?? {}).map(([name, template]) => [
          name,
          renderTemplate(template, resolve),
        ]),
      );
      const body =
        bodyTemplate === undefined
          ? undefined
          : typeof value.body === 'string'
            ? renderTemplate(bodyTemplate, resolve)
            : renderTemplate(bodyTemplate, (key) =>
                JSON.stringify(formatTemplateValue(resolve(key))).slice(1, -1),
              );
      if (body !== undefined && typeof value.body !== 'string')
        headers['content-type'] ??= 'application/json';
      let origin: string;
      try {
        origin = new URL(url).origin;
      } catch {
        return {
          kind: 'fail',
          error: { kind: 'non_retryable', message: `The URL template renders to an invalid URL` },
        };
      }
      const cacheable = value.cache ?? value.method === 'GET';
      return {
        kind: 'call',
        limiterKey: `http:${origin}`,
        limits: {
          maxConcurrency: value.max_concurrency ?? undefined,
          requestsPerMinute: value.requests_per_minute ?? undefined,
        },
        cacheKey: cacheable
          ? JSON.stringify([value.method, url, headers, body ?? null, value.extract])
          : undefined,
        execute: async ({ signal }): Promise<ProviderResult> => {
          const result = await httpRequest(policy, {
            method: value.method,
            url,
            headers,
            body,
            timeoutMs: value.timeout_ms,
            signal,
          });
          if (!result.ok) {
            const { failure } = result;
            const retryable = failure.kind === 'timeout' || failure.kind === 'network';
            return {
              ok: false,
              error: { kind: retryable ? 'retryable' : 'non_retryable', message: failure.message },
            };
          }
          const { response } = result;
          if (response.status === 429) {
            return {
              ok: false,
              error: {
                kind: 'rate_limited',
                message: 'The server answered 429 Too Many Requests',
                retryAfterMs: parseRetryAfter(response.headers['retry-after']),
              },
            };
          }
          if (response.status >= 500 || response.status === 408) {
            return {
              ok: false,
              error: {
                kind: 'retryable',
                message: `The server answered ${response.status}`,
                retryAfterMs: parseRetryAfter(response.headers['retry-after']),
              },
            };
          }
          if (response.status === 401 || response.status === 403) {
            return {
              ok: false,
              error: { kind: 'auth', message: `The server refused the credentials (${response.status})` },
            };
          }
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
          let answer: unknown = text;
          if (isJson || value.extract) {
            try {
              answer = text === '' ? null : JSON.parse(text);
            } catch {
              // A truncated or garbled body from a flaky server is worth another try.
              return {
                ok: false,
                error: { kind: 'retryable', message: 'The server sent a malformed JSON body' },
              };
            }
          }
          if (value.extract) answer = extractPath(answer, value.extract) ?? null;
          return { ok: true, value: { answer, sources: [{ url: response.url }] } };
        },
      };
    },
  };
}

/**
 * Values go into the URL percent-encoded, except a reference the URL starts with: that one supplies
 * the base (`{website}/about`) and is inserted as given.
 */
function renderUrl(template: string, resolve: (key: string) => unknown): string {
  const leading = /^\{\{?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}?\}/.exec(template.trim());
  const rest = leading ? template.trim().slice(leading[0].length) : template;
  const encoded = renderTemplate(rest, (key) => encodeURIComponent(formatTemplateValue(resolve(key))));
  return leading ? `${formatTemplateValue(resolve(leading[1]!))}${encoded}` : encoded;
}

function preview(body: Buffer): string {
  const text = body.toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
