import { renderTemplate, templateReferences } from '../../domain/templates.ts';
import { isEmptyValue } from '../../domain/rows.ts';
import type { PreparedCall, Provider, ProviderRequest, ProviderResult } from '../../engine/ports.ts';
import type { AddressPolicy } from './address-guard.ts';
import { readAnswer } from './answer.ts';
import { httpRequest } from './client.ts';
import { extractPath } from './extract.ts';
import { renderBody, renderUrl } from './render.ts';

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
      const rendered = value.body === null ? undefined : renderBody(value.body, resolve);
      const body = rendered?.body;
      if (rendered?.json) headers['content-type'] ??= 'application/json';
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
          const read = readAnswer(result, { json: value.extract !== null });
          if (!read.ok) return read;
          let answer = read.answer;
          if (value.extract) answer = extractPath(answer, value.extract) ?? null;
          return { ok: true, value: { answer, sources: [{ url: read.url }] } };
        },
      };
    },
  };
}
