import { z } from 'zod';
import type { ProviderError } from '../../engine/ports.ts';
import { STRICT_POLICY, type AddressPolicy } from '../http/address-guard.ts';
import { httpRequest, parseRetryAfter, type HttpResult } from '../http/client.ts';

export interface SearchResult {
  url: string;
  title: string;
  snippet: string;
}

export type SearchOutcome = { ok: true; results: SearchResult[] } | { ok: false; error: ProviderError };

/** A web search API behind one small interface, so research agents do not care which one runs. */
export interface SearchClient {
  readonly name: string;
  search(query: string, options: { signal: AbortSignal; limit: number }): Promise<SearchOutcome>;
}

const SearxngResponseSchema = z.object({
  results: z
    .array(z.object({ url: z.string(), title: z.string().default(''), content: z.string().nullish() }))
    .default([]),
});

/** A self-hosted SearXNG (`format=json` must be enabled in its settings). */
export function createSearxngClient(baseUrl: string, policy: AddressPolicy): SearchClient {
  // The operator chose this host: it may be on the local network.
  const host = new URL(baseUrl).host;
  const trusted: AddressPolicy = {
    ...policy,
    allowedHosts: [...policy.allowedHosts, host, new URL(baseUrl).hostname],
  };
  return {
    name: 'searxng',
    async search(query, { signal, limit }) {
      const url = new URL('search', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
      url.searchParams.set('q', query);
      url.searchParams.set('format', 'json');
      const result = await httpRequest(trusted, {
        method: 'GET',
        url: url.toString(),
        signal,
        timeoutMs: 15_000,
      });
      const parsed = parseJson(result, 'SearXNG', SearxngResponseSchema);
      if (!parsed.ok) return parsed;
      return {
        ok: true,
        results: parsed.value.results
          .slice(0, limit)
          .map((item) => ({ url: item.url, title: item.title, snippet: item.content ?? '' })),
      };
    },
  };
}

const BraveResponseSchema = z.object({
  web: z
    .object({
      results: z
        .array(
          z.object({ url: z.string(), title: z.string().default(''), description: z.string().nullish() }),
        )
        .default([]),
    })
    .optional(),
});

/**
 * Brave Search API: an independent index with a plain GET API and snippets, a good fit for
 * "search, then fetch and read the pages ourselves" (we cite only what we fetched).
 */
export function createBraveClient(
  apiKey: string,
  baseUrl = 'https://api.search.brave.com/res/v1',
): SearchClient {
  return {
    name: 'brave',
    async search(query, { signal, limit }) {
      const url = new URL(`${baseUrl.replace(/\/$/, '')}/web/search`);
      url.searchParams.set('q', query);
      url.searchParams.set('count', String(Math.min(20, limit)));
      const result = await httpRequest(STRICT_POLICY, {
        method: 'GET',
        url: url.toString(),
        headers: { 'x-subscription-token': apiKey, accept: 'application/json' },
        signal,
        timeoutMs: 15_000,
      });
      const parsed = parseJson(result, 'Brave Search', BraveResponseSchema);
      if (!parsed.ok) return parsed;
      return {
        ok: true,
        results: (parsed.value.web?.results ?? []).slice(0, limit).map((item) => ({
          url: item.url,
          title: stripTags(item.title),
          snippet: stripTags(item.description ?? ''),
        })),
      };
    },
  };
}

function stripTags(text: string): string {
  return text
    .replace(/<[^>]*>/g, '')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

function parseJson<T>(
  result: HttpResult,
  who: string,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; error: ProviderError } {
  if (!result.ok) {
    const retryable = result.failure.kind === 'timeout' || result.failure.kind === 'network';
    return {
      ok: false,
      error: {
        kind: retryable ? 'retryable' : 'non_retryable',
        message: `${who}: ${result.failure.message}`,
      },
    };
  }
  const { status, headers, body } = result.response;
  if (status === 429) {
    return {
      ok: false,
      error: {
        kind: 'rate_limited',
        message: `${who} answered 429`,
        retryAfterMs: parseRetryAfter(headers['retry-after']),
      },
    };
  }
  if (status === 401 || status === 403)
    return { ok: false, error: { kind: 'auth', message: `${who} refused the API key (${status})` } };
  if (status >= 500) return { ok: false, error: { kind: 'retryable', message: `${who} answered ${status}` } };
  if (status >= 400)
    return { ok: false, error: { kind: 'non_retryable', message: `${who} answered ${status}` } };
  try {
    const parsed = schema.safeParse(JSON.parse(body.toString('utf8')));
    if (parsed.success) return { ok: true, value: parsed.data };
  } catch {
    // fall through
  }
  return {
    ok: false,
    error: { kind: 'retryable', message: `${who} sent a response that is not the expected JSON` },
  };
}
