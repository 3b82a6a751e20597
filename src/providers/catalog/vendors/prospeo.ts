import { z } from 'zod';
import type { ProviderError } from '../../../engine/ports.ts';
import { parseRetryAfter, type HttpResponse } from '../../http/client.ts';
import type { ConnectorContext, ConnectorResult, EnrichmentDefinition } from '../types.ts';
import {
  callVendor,
  excerpt,
  failure,
  header,
  missingKey,
  normalizeDomain,
  orNull,
  parseSuccess,
  secondsHeader,
  text,
  type VendorInfo,
} from './shared.ts';

/**
 * Prospeo (https://prospeo.io/api-docs/enrich-person): the Enrich Person API, which replaced the
 * older single-purpose endpoints (`/email-finder`, `/mobile-finder`, `/social-url-enrichment`).
 *
 * - `POST https://api.prospeo.io/enrich-person`, headers `X-KEY` and `Content-Type:
 *   application/json` (required). Body: `{only_verified_email, enrich_mobile, only_verified_mobile,
 *   data: {first_name, last_name, full_name, linkedin_url, email, company_name, company_website,
 *   company_linkedin_url, person_id}}`.
 * - Success: `{error: false, free_enrichment, person: {…, email: {status, revealed, email},
 *   mobile: {status, revealed, mobile, mobile_national, mobile_international, …}}, company: {…}}`.
 * - Errors: `{error: true, error_code}` — 400 `NO_MATCH` (nothing matched, or no verified
 *   email/mobile when asked for one only: no credit used), 400 `INVALID_DATAPOINTS`, 400
 *   `INSUFFICIENT_CREDITS`, 400 `INVALID_REQUEST`, 400 `INTERNAL_ERROR`, 401 `INVALID_API_KEY`,
 *   429 `RATE_LIMITED`; `ACCOUNT_RESTRICTED` for restricted accounts.
 * - Rate limits per plan (Starter: 5/s, 300/min, 2,000/day on enrich endpoints), reported in
 *   `x-minute-request-left`, `x-minute-reset-seconds`, `x-daily-request-left`,
 *   `x-daily-reset-seconds`.
 * - Credits: 1 per match (email included), 10 when a mobile is revealed; nothing when no match;
 *   nothing for a record this account already enriched (`free_enrichment: true`).
 */
export const PROSPEO: VendorInfo = {
  provider: 'prospeo',
  name: 'Prospeo',
  envVar: 'PROSPEO_API_KEY',
  baseUrl: 'https://api.prospeo.io',
};

// Prospeo Starter: $39/month for 1,000 credits (≈ $0.039 a credit; prospeo.io/pricing, approximate).
// An email costs 1 credit, a mobile 10.
const EMAIL_PRICE_USD = 0.039;
const MOBILE_PRICE_USD = 0.39;

const ProspeoErrorSchema = z.object({
  error: z.literal(true),
  error_code: z.string().nullish(),
  filter_error: z.string().nullish(),
});

const ProspeoEnrichSchema = z.object({
  error: z.literal(false),
  free_enrichment: z.boolean().nullish(),
  person: z
    .object({
      person_id: z.string().nullish(),
      first_name: z.string().nullish(),
      last_name: z.string().nullish(),
      full_name: z.string().nullish(),
      linkedin_url: z.string().nullish(),
      current_job_title: z.string().nullish(),
      email: z
        .object({
          status: z.string().nullish(),
          revealed: z.boolean().nullish(),
          email: z.string().nullish(),
          verification_method: z.string().nullish(),
        })
        .nullish(),
      mobile: z
        .object({
          status: z.string().nullish(),
          revealed: z.boolean().nullish(),
          mobile: z.string().nullish(),
          mobile_national: z.string().nullish(),
          mobile_international: z.string().nullish(),
          mobile_country: z.string().nullish(),
          mobile_country_code: z.string().nullish(),
        })
        .nullish(),
    })
    .nullish(),
  company: z
    .object({
      name: z.string().nullish(),
      domain: z.string().nullish(),
      website: z.string().nullish(),
    })
    .nullish(),
});

type ProspeoEnrichment = z.infer<typeof ProspeoEnrichSchema>;

/** Wait after a 429: Retry-After if sent, else the reset of the window that ran out. */
function prospeoRetryAfterMs(headers: HttpResponse['headers']): number {
  const retryAfter = parseRetryAfter(headers['retry-after']);
  if (retryAfter !== undefined) return retryAfter;
  if (header(headers, 'x-daily-request-left')?.trim() === '0') {
    const daily = secondsHeader(headers, 'x-daily-reset-seconds');
    if (daily !== undefined) return daily;
  }
  // Otherwise the per-minute (or, with no header at all, the per-second) window.
  return secondsHeader(headers, 'x-minute-reset-seconds') ?? 1_000;
}

function prospeoFailure(
  status: number,
  headers: HttpResponse['headers'],
  body: unknown,
  apiKey: string,
): { ok: false; error: ProviderError } {
  const parsed = ProspeoErrorSchema.safeParse(body);
  const code = parsed.success ? (parsed.data.error_code ?? '') : '';
  const said = code || (typeof body === 'string' ? excerpt(body) : '');
  const suffix = said ? `: ${said}` : '';
  if (code === 'INVALID_API_KEY' || status === 401) {
    return failure('auth', `Prospeo refused the API key (${status})${suffix}`, apiKey);
  }
  if (code === 'INSUFFICIENT_CREDITS') {
    return failure('auth', `Prospeo credits are exhausted for this account (${status})${suffix}`, apiKey);
  }
  if (code === 'ACCOUNT_RESTRICTED' || status === 403) {
    return failure('auth', `Prospeo refused this account (${status})${suffix}`, apiKey);
  }
  if (code === 'RATE_LIMITED' || status === 429) {
    return failure(
      'rate_limited',
      `Prospeo rate limit reached (${status})${suffix}`,
      apiKey,
      prospeoRetryAfterMs(headers),
    );
  }
  if (code === 'INTERNAL_ERROR' || status >= 500) {
    return failure('retryable', `Prospeo server error (${status})${suffix}`, apiKey);
  }
  return failure('non_retryable', `Prospeo rejected the request (${status})${suffix}`, apiKey);
}

interface EnrichOptions {
  onlyVerifiedEmail: boolean;
  enrichMobile: boolean;
  onlyVerifiedMobile: boolean;
}

/**
 * The datapoints Prospeo matches on; undefined when they cannot identify anyone. A known work
 * email identifies the person too (useful to find their mobile, pointless to find their email).
 */
function datapoints(params: Record<string, unknown>, useEmail: boolean): Record<string, string> | undefined {
  const firstName = text(params, 'first_name');
  const lastName = text(params, 'last_name');
  const fullName = text(params, 'full_name');
  const linkedinUrl = text(params, 'linkedin_url');
  const website = normalizeDomain(text(params, 'domain'));
  const company = text(params, 'company');
  const email = useEmail ? text(params, 'email') : undefined;
  const hasName = Boolean((firstName && lastName) || fullName);
  // Prospeo's minimum: a LinkedIn URL, an email, or a name with a company (INVALID_DATAPOINTS otherwise).
  if (!linkedinUrl && !email && !(hasName && (website || company))) return undefined;
  const data: Record<string, string> = {};
  if (firstName && lastName) {
    data.first_name = firstName;
    data.last_name = lastName;
  } else if (fullName) {
    data.full_name = fullName;
  }
  if (linkedinUrl) data.linkedin_url = linkedinUrl;
  if (email) data.email = email;
  if (website) data.company_website = website;
  if (company) data.company_name = company;
  return data;
}

async function enrichPerson(
  label: string,
  params: Record<string, unknown>,
  context: ConnectorContext,
  options: EnrichOptions,
): Promise<{ ok: true; value: ProspeoEnrichment | null } | { ok: false; error: ProviderError }> {
  const apiKey = context.apiKey;
  if (!apiKey) return missingKey(PROSPEO);
  const data = datapoints(params, options.enrichMobile);
  if (data === undefined) {
    return failure(
      'non_retryable',
      `${label} needs a linkedin_url${options.enrichMobile ? ', an email' : ''}, or a name (first_name + last_name, or full_name) with a domain or company`,
      apiKey,
    );
  }
  const response = await callVendor(PROSPEO, context, {
    method: 'POST',
    path: '/enrich-person',
    headers: { 'x-key': apiKey },
    json: {
      only_verified_email: options.onlyVerifiedEmail,
      enrich_mobile: options.enrichMobile,
      only_verified_mobile: options.onlyVerifiedMobile,
      data,
    },
  });
  if (!response.ok) return response;
  const { status, headers, body } = response;
  const errorCode = ProspeoErrorSchema.safeParse(body);
  if (errorCode.success && errorCode.data.error_code === 'NO_MATCH') return { ok: true, value: null };
  if (status !== 200 || errorCode.success) return prospeoFailure(status, headers, body, apiKey);
  return parseSuccess(PROSPEO, body, ProspeoEnrichSchema, apiKey);
}

async function findEmail(
  params: Record<string, unknown>,
  context: ConnectorContext,
): Promise<ConnectorResult> {
  const result = await enrichPerson('Prospeo Email Finder', params, context, {
    // Only verified emails: Prospeo then charges nothing (NO_MATCH) when it has none.
    onlyVerifiedEmail: true,
    enrichMobile: false,
    onlyVerifiedMobile: false,
  });
  if (!result.ok) return result;
  const person = result.value?.person;
  const email = person?.email;
  if (!result.value || !person || !email?.email || email.revealed === false) return { ok: true, data: null };
  return {
    ok: true,
    data: {
      email: email.email,
      email_status: orNull(email.status),
      first_name: orNull(person.first_name),
      last_name: orNull(person.last_name),
      full_name: orNull(person.full_name),
      title: orNull(person.current_job_title),
      linkedin_url: orNull(person.linkedin_url),
      company: orNull(result.value.company?.name),
      company_domain: orNull(result.value.company?.domain),
    },
    cost: result.value.free_enrichment ? 0 : EMAIL_PRICE_USD,
  };
}

async function findMobile(
  params: Record<string, unknown>,
  context: ConnectorContext,
): Promise<ConnectorResult> {
  const result = await enrichPerson('Prospeo Mobile Finder', params, context, {
    onlyVerifiedEmail: false,
    enrichMobile: true,
    // Only records with a mobile: no mobile, no match, no 10-credit charge.
    onlyVerifiedMobile: true,
  });
  if (!result.ok) return result;
  const person = result.value?.person;
  const mobile = person?.mobile;
  const number = mobile?.mobile_international ?? mobile?.mobile;
  if (!result.value || !person || !mobile || !number || mobile.revealed === false)
    return { ok: true, data: null };
  return {
    ok: true,
    data: {
      phone: number,
      phone_national: orNull(mobile.mobile_national),
      phone_country: orNull(mobile.mobile_country),
      phone_country_code: orNull(mobile.mobile_country_code),
      phone_status: orNull(mobile.status),
      first_name: orNull(person.first_name),
      last_name: orNull(person.last_name),
      full_name: orNull(person.full_name),
      title: orNull(person.current_job_title),
      linkedin_url: orNull(person.linkedin_url),
      company: orNull(result.value.company?.name),
    },
    cost: result.value.free_enrichment ? 0 : MOBILE_PRICE_USD,
  };
}

const PERSON_PARAMS: EnrichmentDefinition['params'] = [
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
  {
    name: 'domain',
    is_required: false,
    type_field: 'text',
    description: "The company's website or domain, e.g. intercom.com.",
  },
  {
    name: 'company',
    is_required: false,
    type_field: 'text',
    description: "The company's name, when no domain is known.",
  },
  {
    name: 'linkedin_url',
    is_required: false,
    type_field: 'url',
    description: "The person's LinkedIn profile URL (the best single input).",
  },
];

// Prospeo Starter allows 5 requests/second and 300/minute on enrich endpoints; stay below both.
const PROSPEO_LIMITS = { maxConcurrency: 4, requestsPerMinute: 240 };

export const PROSPEO_EMAIL_FINDER: EnrichmentDefinition = {
  id: 102,
  slug: 'prospeo_email_finder',
  name: 'Prospeo Email Finder',
  description:
    "Finds a person's verified work email with Prospeo's Enrich Person API from their name and company, or their LinkedIn URL.",
  provider: PROSPEO.provider,
  data_source: PROSPEO.name,
  category: ['email', 'people'],
  auth_method: 'api_key',
  price: EMAIL_PRICE_USD,
  pricing: { type: 'per_result', parameter: 'email' },
  params: PERSON_PARAMS,
  response_fields: [
    { name: 'email', display_name: 'Email', type_field: 'email' },
    { name: 'email_status', display_name: 'Email status', type_field: 'text' },
    { name: 'first_name', display_name: 'First name', type_field: 'text' },
    { name: 'last_name', display_name: 'Last name', type_field: 'text' },
    { name: 'full_name', display_name: 'Full name', type_field: 'text' },
    { name: 'title', display_name: 'Title', type_field: 'text' },
    { name: 'linkedin_url', display_name: 'LinkedIn URL', type_field: 'url' },
    { name: 'company', display_name: 'Company', type_field: 'text' },
    { name: 'company_domain', display_name: 'Company domain', type_field: 'text' },
  ],
  limits: PROSPEO_LIMITS,
  baseUrl: PROSPEO.baseUrl,
  cacheable: true,
  run: findEmail,
};

/**
 * The phone finder: Prospeo's, because its mobile lookup is synchronous and documented in the same
 * Enrich Person call (`enrich_mobile`, `only_verified_mobile`), takes a LinkedIn URL or name +
 * company, and charges only when a mobile is returned. Apollo reveals phones only asynchronously
 * to a webhook; Lusha and Kaspr gate phone reveals by plan and have less explicit error semantics.
 */
export const PROSPEO_MOBILE_FINDER: EnrichmentDefinition = {
  id: 103,
  slug: 'prospeo_mobile_finder',
  name: 'Prospeo Mobile Finder',
  description:
    "Finds a person's verified mobile number with Prospeo's Enrich Person API from their LinkedIn URL, or name and company.",
  provider: PROSPEO.provider,
  data_source: PROSPEO.name,
  category: ['phone', 'people'],
  auth_method: 'api_key',
  price: MOBILE_PRICE_USD,
  pricing: { type: 'per_result', parameter: 'phone' },
  params: [
    ...PERSON_PARAMS,
    {
      name: 'email',
      is_required: false,
      type_field: 'email',
      description: "The person's work email, if known.",
    },
  ],
  response_fields: [
    { name: 'phone', display_name: 'Mobile (international)', type_field: 'phone' },
    { name: 'phone_national', display_name: 'Mobile (national)', type_field: 'phone' },
    { name: 'phone_country', display_name: 'Country', type_field: 'text' },
    { name: 'phone_country_code', display_name: 'Country code', type_field: 'text' },
    { name: 'phone_status', display_name: 'Mobile status', type_field: 'text' },
    { name: 'first_name', display_name: 'First name', type_field: 'text' },
    { name: 'last_name', display_name: 'Last name', type_field: 'text' },
    { name: 'full_name', display_name: 'Full name', type_field: 'text' },
    { name: 'title', display_name: 'Title', type_field: 'text' },
    { name: 'linkedin_url', display_name: 'LinkedIn URL', type_field: 'url' },
    { name: 'company', display_name: 'Company', type_field: 'text' },
  ],
  limits: PROSPEO_LIMITS,
  baseUrl: PROSPEO.baseUrl,
  cacheable: true,
  run: findMobile,
};
