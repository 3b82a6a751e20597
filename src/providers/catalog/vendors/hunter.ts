import { z } from 'zod';
import type { ProviderError } from '../../../engine/ports.ts';
import { parseRetryAfter, type HttpResponse } from '../../http/client.ts';
import type { ConnectorContext, ConnectorResult, EnrichmentDefinition } from '../types.ts';
import {
  callVendor,
  excerpt,
  failure,
  missingKey,
  normalizeDomain,
  orNull,
  parseSuccess,
  text,
  type VendorInfo,
} from './shared.ts';

/**
 * Hunter (https://hunter.io/api-documentation/v2): Email Finder and Email Verifier.
 *
 * - Base `https://api.hunter.io/v2/`; the key goes in the `api_key` query parameter or the
 *   `X-API-KEY` header. We use the header, so the key never sits in a URL (logs, error text).
 * - Answers are `{data, meta}`; errors are `{errors: [{id, code, details}]}`.
 * - Status codes as documented: 401 no valid key; **403 the rate limit was reached** (15 req/s and
 *   500 req/min on most endpoints, 10/s and 300/min on the Email Verifier; no Retry-After is
 *   documented); **429 the usage limit was reached** (the plan's monthly credits are used up);
 *   451 the person asked Hunter to stop processing their data; 202 (verifier) verification still in
 *   progress, ask again; 222 (verifier) the remote SMTP server answered unexpectedly, retry later.
 * - Credits: no credit is used when Hunter finds no email or cannot verify one.
 */
export const HUNTER: VendorInfo = {
  provider: 'hunter',
  name: 'Hunter',
  envVar: 'HUNTER_API_KEY',
  baseUrl: 'https://api.hunter.io',
};

// Hunter's Starter plan is $49/month for 2,000 credits (≈ $0.0245 a credit); the Email Finder uses
// 1 credit per email found, the Email Verifier 0.5 credit per verification (hunter.io/pricing and
// help.hunter.io "How do credits work"). Approximate: annual billing and bigger plans cost less.
const FINDER_PRICE_USD = 0.025;
const VERIFIER_PRICE_USD = 0.0125;

/** Hunter documents per-second windows and no Retry-After: one second is the earliest useful retry. */
const RATE_LIMIT_FALLBACK_MS = 1_000;
/** A verification still in progress (202): Hunter says to ask again; give the SMTP check time. */
const IN_PROGRESS_RETRY_MS = 5_000;

const HunterErrorsSchema = z.object({
  errors: z.array(
    z.object({
      id: z.string().nullish(),
      code: z.number().nullish(),
      details: z.string().nullish(),
    }),
  ),
});

const HunterFinderSchema = z.object({
  data: z.object({
    first_name: z.string().nullish(),
    last_name: z.string().nullish(),
    email: z.string().nullish(),
    score: z.number().nullish(),
    domain: z.string().nullish(),
    accept_all: z.boolean().nullish(),
    position: z.string().nullish(),
    twitter: z.string().nullish(),
    linkedin_url: z.string().nullish(),
    phone_number: z.string().nullish(),
    company: z.string().nullish(),
    sources: z.array(z.unknown()).nullish(),
    verification: z.object({ date: z.string().nullish(), status: z.string().nullish() }).nullish(),
  }),
});

const HUNTER_VERIFICATION_STATUSES = [
  'valid',
  'invalid',
  'accept_all',
  'webmail',
  'disposable',
  'unknown',
] as const;

const HunterVerifierSchema = z.object({
  data: z.object({
    status: z.string(),
    result: z.string().nullish(),
    score: z.number().nullish(),
    email: z.string(),
    regexp: z.boolean().nullish(),
    gibberish: z.boolean().nullish(),
    disposable: z.boolean().nullish(),
    webmail: z.boolean().nullish(),
    mx_records: z.boolean().nullish(),
    smtp_server: z.boolean().nullish(),
    smtp_check: z.boolean().nullish(),
    accept_all: z.boolean().nullish(),
    block: z.boolean().nullish(),
  }),
});

function hunterHeaders(apiKey: string): Record<string, string> {
  return { 'x-api-key': apiKey };
}

/** The `details` of Hunter's first error, if the body has Hunter's error shape. */
function hunterDetails(body: unknown): string {
  const parsed = HunterErrorsSchema.safeParse(body);
  if (parsed.success) {
    const first = parsed.data.errors[0];
    return excerpt(first?.details ?? first?.id ?? '');
  }
  return typeof body === 'string' ? excerpt(body) : '';
}

/** Hunter's own "nothing found" (its error envelope), as opposed to an unknown route or a proxy's 404. */
function isHunterNotFound(body: unknown): boolean {
  const parsed = HunterErrorsSchema.safeParse(body);
  return parsed.success && !/route/i.test(parsed.data.errors[0]?.id ?? '');
}

/** Statuses every Hunter endpoint shares, as its documentation defines them. */
function hunterFailure(
  status: number,
  headers: HttpResponse['headers'],
  body: unknown,
  apiKey: string,
): { ok: false; error: ProviderError } {
  const details = hunterDetails(body);
  const suffix = details ? `: ${details}` : '';
  if (status === 401) return failure('auth', `Hunter refused the API key (401)${suffix}`, apiKey);
  if (status === 403) {
    return failure(
      'rate_limited',
      `Hunter rate limit reached (403)${suffix}`,
      apiKey,
      parseRetryAfter(headers['retry-after']) ?? RATE_LIMIT_FALLBACK_MS,
    );
  }
  if (status === 429) {
    return failure(
      'auth',
      `Hunter usage limit reached: the plan's credits are used up until the next billing period (429)${suffix}`,
      apiKey,
    );
  }
  if (status >= 500) return failure('retryable', `Hunter server error (${status})${suffix}`, apiKey);
  return failure('non_retryable', `Hunter rejected the request (${status})${suffix}`, apiKey);
}

async function findEmail(
  params: Record<string, unknown>,
  context: ConnectorContext,
): Promise<ConnectorResult> {
  const apiKey = context.apiKey;
  if (!apiKey) return missingKey(HUNTER);
  const domain = normalizeDomain(text(params, 'domain'));
  const company = text(params, 'company');
  const firstName = text(params, 'first_name');
  const lastName = text(params, 'last_name');
  const fullName = text(params, 'full_name');
  if (text(params, 'domain') !== undefined && domain === undefined && company === undefined) {
    return failure(
      'non_retryable',
      `Hunter Email Finder: "${excerpt(text(params, 'domain'), 80)}" is not a domain`,
      apiKey,
    );
  }
  if (domain === undefined && company === undefined) {
    return failure('non_retryable', 'Hunter Email Finder needs a domain or a company name', apiKey);
  }
  if (!(firstName && lastName) && !fullName) {
    return failure(
      'non_retryable',
      'Hunter Email Finder needs first_name and last_name, or full_name',
      apiKey,
    );
  }

  const response = await callVendor(HUNTER, context, {
    method: 'GET',
    path: '/v2/email-finder',
    // Hunter uses the domain when both are given; the company name only helps without one.
    query: {
      domain,
      company: domain === undefined ? company : undefined,
      first_name: firstName && lastName ? firstName : undefined,
      last_name: firstName && lastName ? lastName : undefined,
      full_name: firstName && lastName ? undefined : fullName,
    },
    headers: hunterHeaders(apiKey),
  });
  if (!response.ok) return response;
  const { status, headers, body } = response;
  // No email for this person (404 in Hunter's error shape), or the person opted out of processing
  // (451): answers, and free. A 404 in another shape is a wrong base URL, not a missing email.
  if (status === 451 || (status === 404 && isHunterNotFound(body))) return { ok: true, data: null };
  if (status !== 200) return hunterFailure(status, headers, body, apiKey);

  const parsed = parseSuccess(HUNTER, body, HunterFinderSchema, apiKey);
  if (!parsed.ok) return parsed;
  const found = parsed.value.data;
  if (!found.email) return { ok: true, data: null };
  return {
    ok: true,
    data: {
      email: found.email,
      score: orNull(found.score),
      first_name: orNull(found.first_name),
      last_name: orNull(found.last_name),
      position: orNull(found.position),
      company: orNull(found.company),
      domain: orNull(found.domain),
      linkedin_url: orNull(found.linkedin_url),
      twitter: orNull(found.twitter),
      phone: orNull(found.phone_number),
      accept_all: orNull(found.accept_all),
      verification_status: orNull(found.verification?.status),
      sources_count: found.sources?.length ?? 0,
    },
    cost: FINDER_PRICE_USD,
  };
}

async function verifyEmail(
  params: Record<string, unknown>,
  context: ConnectorContext,
): Promise<ConnectorResult> {
  const apiKey = context.apiKey;
  if (!apiKey) return missingKey(HUNTER);
  const email = text(params, 'email');
  if (email === undefined) return failure('non_retryable', 'Hunter Email Verifier needs an email', apiKey);
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) {
    return failure(
      'non_retryable',
      `Hunter Email Verifier: "${excerpt(email, 80)}" is not an email address`,
      apiKey,
    );
  }

  const response = await callVendor(HUNTER, context, {
    method: 'GET',
    path: '/v2/email-verifier',
    query: { email },
    headers: hunterHeaders(apiKey),
  });
  if (!response.ok) return response;
  const { status, headers, body } = response;
  if (status === 451) return { ok: true, data: null };
  if (status === 202) {
    return failure(
      'retryable',
      'Hunter is still verifying this email (202); asking again costs nothing',
      apiKey,
      parseRetryAfter(headers['retry-after']) ?? IN_PROGRESS_RETRY_MS,
    );
  }
  if (status === 222) {
    return failure(
      'retryable',
      'Hunter could not verify: the mail server answered unexpectedly (222)',
      apiKey,
    );
  }
  if (status !== 200) return hunterFailure(status, headers, body, apiKey);

  const parsed = parseSuccess(HUNTER, body, HunterVerifierSchema, apiKey);
  if (!parsed.ok) return parsed;
  const verified = parsed.value.data;
  const verdict = (HUNTER_VERIFICATION_STATUSES as readonly string[]).includes(verified.status)
    ? verified.status
    : 'unknown';
  return {
    ok: true,
    data: {
      email: verified.email,
      status: verdict,
      // Only `valid` is deliverable for sure; accept_all (catch-all) servers accept any address.
      is_valid: verdict === 'valid',
      score: orNull(verified.score),
      result: orNull(verified.result),
      accept_all: orNull(verified.accept_all),
      disposable: orNull(verified.disposable),
      webmail: orNull(verified.webmail),
      mx_records: orNull(verified.mx_records),
      smtp_check: orNull(verified.smtp_check),
      block: orNull(verified.block),
    },
    // Hunter charges nothing when it cannot verify (status unknown).
    cost: verdict === 'unknown' ? 0 : VERIFIER_PRICE_USD,
  };
}

export const HUNTER_EMAIL_FINDER: EnrichmentDefinition = {
  id: 100,
  slug: 'hunter_email_finder',
  name: 'Hunter Email Finder',
  description:
    "Finds a person's professional email from their name and company domain (or company name), with a confidence score.",
  provider: HUNTER.provider,
  data_source: HUNTER.name,
  category: ['email', 'people'],
  auth_method: 'api_key',
  price: FINDER_PRICE_USD,
  pricing: { type: 'per_result', parameter: 'email' },
  params: [
    {
      name: 'domain',
      is_required: false,
      type_field: 'text',
      description: 'Company domain, e.g. stripe.com (or give company).',
    },
    {
      name: 'company',
      is_required: false,
      type_field: 'text',
      description: 'Company name, used when no domain is given.',
    },
    {
      name: 'first_name',
      is_required: false,
      type_field: 'text',
      description: "The person's first name (with last_name).",
    },
    {
      name: 'last_name',
      is_required: false,
      type_field: 'text',
      description: "The person's last name (with first_name).",
    },
    {
      name: 'full_name',
      is_required: false,
      type_field: 'text',
      description: "The person's full name, instead of first and last name.",
    },
  ],
  response_fields: [
    { name: 'email', display_name: 'Email', type_field: 'email' },
    { name: 'score', display_name: 'Confidence score', type_field: 'number' },
    { name: 'first_name', display_name: 'First name', type_field: 'text' },
    { name: 'last_name', display_name: 'Last name', type_field: 'text' },
    { name: 'position', display_name: 'Position', type_field: 'text' },
    { name: 'company', display_name: 'Company', type_field: 'text' },
    { name: 'domain', display_name: 'Domain', type_field: 'text' },
    { name: 'linkedin_url', display_name: 'LinkedIn URL', type_field: 'url' },
    { name: 'twitter', display_name: 'Twitter', type_field: 'text' },
    { name: 'phone', display_name: 'Phone', type_field: 'phone' },
    { name: 'accept_all', display_name: 'Accept-all domain', type_field: 'boolean' },
    { name: 'verification_status', display_name: 'Verification status', type_field: 'text' },
    { name: 'sources_count', display_name: 'Sources', type_field: 'number' },
  ],
  // Documented: 15 requests/second and 500/minute. Kept below both.
  limits: { maxConcurrency: 5, requestsPerMinute: 300 },
  baseUrl: HUNTER.baseUrl,
  cacheable: true,
  run: findEmail,
};

/**
 * The verifier: Hunter's, because the same key then finds and verifies (a waterfall needs one
 * connection, not two), its status vocabulary is explicit (valid / invalid / accept_all / webmail /
 * disposable / unknown) and it charges nothing when it cannot decide. ZeroBounce and NeverBounce
 * are cheaper at volume but need a second account.
 */
export const HUNTER_EMAIL_VERIFIER: EnrichmentDefinition = {
  id: 104,
  slug: 'hunter_email_verifier',
  name: 'Hunter Email Verifier',
  description:
    'Checks whether an email address is deliverable (format, MX records, SMTP check, catch-all, disposable, webmail).',
  provider: HUNTER.provider,
  data_source: HUNTER.name,
  category: ['email', 'verification'],
  auth_method: 'api_key',
  price: VERIFIER_PRICE_USD,
  pricing: { type: 'per_request' },
  params: [
    { name: 'email', is_required: true, type_field: 'email', description: 'The email address to verify.' },
  ],
  response_fields: [
    { name: 'email', display_name: 'Email', type_field: 'email' },
    { name: 'status', display_name: 'Status', type_field: 'text' },
    { name: 'is_valid', display_name: 'Is valid', type_field: 'boolean' },
    { name: 'score', display_name: 'Deliverability score', type_field: 'number' },
    { name: 'result', display_name: 'Result (deprecated)', type_field: 'text' },
    { name: 'accept_all', display_name: 'Accept-all', type_field: 'boolean' },
    { name: 'disposable', display_name: 'Disposable', type_field: 'boolean' },
    { name: 'webmail', display_name: 'Webmail', type_field: 'boolean' },
    { name: 'mx_records', display_name: 'MX records', type_field: 'boolean' },
    { name: 'smtp_check', display_name: 'SMTP check', type_field: 'boolean' },
    { name: 'block', display_name: 'Blocked', type_field: 'boolean' },
  ],
  // Documented: 10 requests/second and 300/minute for the verifier.
  limits: { maxConcurrency: 3, requestsPerMinute: 200 },
  baseUrl: HUNTER.baseUrl,
  cacheable: true,
  run: verifyEmail,
};
