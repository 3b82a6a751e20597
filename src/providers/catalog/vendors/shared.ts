import type { z } from 'zod';
import type { ProviderError, ProviderErrorKind } from '../../../engine/ports.ts';
import { httpRequest, type HttpResponse } from '../../http/client.ts';
import type { ConnectorContext } from '../types.ts';

/**
 * What every vendor connector shares: the missing-key answer, one outbound call through the
 * guarded HTTP client, JSON parsing with zod, and error messages scrubbed of the key. Each vendor
 * file keeps its own status mapping, because vendors disagree on what a status means (Hunter's
 * 403 is a rate limit, Prospeo reports "no match" as a 400).
 */

export interface VendorInfo {
  /** Provider name: credentials, base URL and limits are kept per provider. */
  provider: string;
  /** Display name, also the catalog's `data_source`. */
  name: string;
  /** The environment variable the server reads a default key from. */
  envVar: string;
  baseUrl: string;
}

/** The answer when the workspace has no key for this vendor: the engine fails these cells fast. */
export function missingKey(vendor: VendorInfo): { ok: false; error: ProviderError } {
  return {
    ok: false,
    error: {
      kind: 'auth',
      message: `No ${vendor.name} API key: add one with PUT /v1/connections/${vendor.provider} or set ${vendor.envVar}`,
    },
  };
}

export function failure(
  kind: ProviderErrorKind,
  message: string,
  apiKey: string | undefined,
  retryAfterMs?: number,
): { ok: false; error: ProviderError } {
  const error: ProviderError = { kind, message: scrub(message, apiKey) };
  if (retryAfterMs !== undefined) error.retryAfterMs = retryAfterMs;
  return { ok: false, error };
}

/** Removes the key from text a vendor (or a transport error) might echo back. */
export function scrub(text: string, apiKey: string | undefined): string {
  if (!apiKey || apiKey.length < 4) return text;
  return text.split(apiKey).join('[redacted]');
}

export interface VendorRequest {
  method: 'GET' | 'POST';
  /** Path below the base URL, with the vendor's version prefix (`/v2/email-finder`). */
  path: string;
  query?: Record<string, string | undefined>;
  headers: Record<string, string>;
  json?: unknown;
  timeoutMs?: number;
}

export type VendorResponse =
  | { ok: true; status: number; headers: HttpResponse['headers']; body: unknown }
  | { ok: false; error: ProviderError };

/**
 * One call to a vendor. Transport failures become provider errors here (timeouts and resets are
 * worth retrying; a blocked or malformed base URL is configuration); any HTTP status comes back
 * with its parsed JSON body (or the raw text when it is not JSON) for the vendor to interpret.
 */
export async function callVendor(
  vendor: VendorInfo,
  context: ConnectorContext,
  request: VendorRequest,
): Promise<VendorResponse> {
  let url: URL;
  try {
    const base = context.baseUrl.endsWith('/') ? context.baseUrl : `${context.baseUrl}/`;
    url = new URL(request.path.replace(/^\//, ''), base);
  } catch {
    return failure('non_retryable', `${vendor.name}: the base URL is not a valid URL`, context.apiKey);
  }
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | undefined;
  if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    headers['content-type'] = 'application/json';
  }
  const result = await httpRequest(context.addressPolicy, {
    method: request.method,
    url: url.toString(),
    headers,
    body,
    timeoutMs: request.timeoutMs ?? 30_000,
    maxBytes: 2 * 1024 * 1024,
    signal: context.signal,
  });
  if (!result.ok) {
    const { kind, message } = result.failure;
    const retryable = kind === 'timeout' || kind === 'network' || kind === 'aborted';
    return failure(retryable ? 'retryable' : 'non_retryable', `${vendor.name}: ${message}`, context.apiKey);
  }
  const { status, headers: responseHeaders, body: raw } = result.response;
  const text = raw.toString('utf8');
  let parsed: unknown = text;
  if (text.trim() !== '') {
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = text;
    }
  } else {
    parsed = undefined;
  }
  return { ok: true, status, headers: responseHeaders, body: parsed };
}

/**
 * A successful answer's body checked against the vendor's documented shape. A 2xx that is not
 * JSON is a glitch worth one more try; JSON of another shape means the API changed, and retrying
 * will not help.
 */
export function parseSuccess<T>(
  vendor: VendorInfo,
  body: unknown,
  schema: z.ZodType<T>,
  apiKey: string | undefined,
): { ok: true; value: T } | { ok: false; error: ProviderError } {
  if (typeof body !== 'object' || body === null) {
    return failure('retryable', `${vendor.name} answered with a body that is not JSON`, apiKey);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : '';
    return failure('non_retryable', `${vendor.name} answered in an unexpected shape${where}`, apiKey);
  }
  return { ok: true, value: parsed.data };
}

/** A short excerpt of an error body for messages (vendors put the useful sentence there). */
export function excerpt(text: string | undefined, max = 200): string {
  if (!text) return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** A header's first value. */
export function header(headers: HttpResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Seconds in a header as milliseconds, when it is a sane non-negative number (capped at 1 h). */
export function secondsHeader(headers: HttpResponse['headers'], name: string): number | undefined {
  const text = header(headers, name);
  if (text === undefined || text.trim() === '') return undefined;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, 3_600_000) : undefined;
}

/** A parameter as trimmed text, or undefined when absent or blank. */
export function text(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * A company domain the way vendors want it: `https://www.Acme.com/about` → `acme.com`. An email
 * address yields its domain. Undefined when nothing domain-like remains.
 */
export function normalizeDomain(input: string | undefined): string | undefined {
  if (input === undefined) return undefined;
  let value = input.trim().toLowerCase();
  const at = value.lastIndexOf('@');
  if (at >= 0) value = value.slice(at + 1);
  value = value.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  value = value.split(/[/?#]/)[0] ?? '';
  value = value
    .replace(/:\d+$/, '')
    .replace(/^www\./, '')
    .replace(/\.$/, '');
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(value) ? value : undefined;
}

/** Values for `data`: absent vendor fields become null so every result has the same keys. */
export function orNull<T>(value: T | null | undefined): T | null {
  return value ?? null;
}
