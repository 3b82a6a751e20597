import { z } from 'zod';
import type { ProviderError } from '../../../engine/ports.ts';
import type { ConnectorContext, ConnectorResult, EnrichmentDefinition } from '../types.ts';
import {
  callVendor,
  excerpt,
  failure,
  missingKey,
  normalizeDomain,
  parseSuccess,
  secondsHeader,
  text,
  type VendorInfo,
} from './shared.ts';

/**
 * People Data Labs (https://docs.peopledatalabs.com/docs/person-search-api): Person Search, the
 * people-data vendor behind `company_people_finder` when a workspace has a key.
 *
 * - `POST https://api.peopledatalabs.com/v5/person/search`, key in the `X-Api-Key` header, body
 *   `{query: <Elasticsearch query>, size}`; the answer is `{status: 200, data: [person…], total}`.
 * - Status codes as documented: 400 bad query, 401 no valid key, 402 out of credits (the account's
 *   quota), 404 **no record matched** (not an error: nobody found), 429 rate limited (with
 *   `X-RateLimit-Reset` and `Retry-After`), 5xx server trouble.
 * - Profiles come without a scheme (`linkedin.com/in/…`); a credit is spent per record returned.
 */
export const PDL: VendorInfo = {
  provider: 'pdl',
  name: 'People Data Labs',
  envVar: 'PDL_API_KEY',
  baseUrl: 'https://api.peopledatalabs.com',
};

// Pro plan: about $0.28 per person record returned (peopledatalabs.com/pricing, 2025); smaller plans cost more.
const RECORD_PRICE_USD = 0.28;
const MAX_RESULTS = 25;

const PdlPersonSchema = z.object({
  full_name: z.string().nullish(),
  job_title: z.string().nullish(),
  linkedin_url: z.string().nullish(),
  work_email: z.union([z.string(), z.boolean()]).nullish(),
  job_company_name: z.string().nullish(),
  job_company_website: z.string().nullish(),
});

const PdlSearchSchema = z.object({
  status: z.number(),
  data: z.array(PdlPersonSchema),
  total: z.number().nullish(),
});

const PdlErrorSchema = z.object({
  error: z.object({ type: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

/** A person as the people finder writes them. */
export interface FoundPerson {
  full_name: string;
  role: string;
  profile_url: string | null;
}

/** Words PDL's lower-cased titles spell that read as acronyms. */
const ACRONYMS = new Set([
  'ceo',
  'cto',
  'cfo',
  'coo',
  'cmo',
  'cio',
  'cpo',
  'cro',
  'vp',
  'svp',
  'evp',
  'hr',
  'it',
  'ai',
  'ml',
]);

/** PDL stores names and titles in lower case: `sean thorne, vp sales` reads better as `Sean Thorne, VP Sales`. */
function titleCase(value: string): string {
  if (value !== value.toLowerCase()) return value;
  return value.replace(/\p{L}[\p{L}']*/gu, (word) =>
    ACRONYMS.has(word) ? word.toUpperCase() : word.charAt(0).toUpperCase() + word.slice(1),
  );
}

function profileUrl(raw: string | null | undefined): string | null {
  if (!raw) return null;
  return /^https?:\/\//i.test(raw) ? raw : `https://${raw.replace(/^\/+/, '')}`;
}

/** PDL's documented error statuses as provider errors. */
function pdlFailure(
  status: number,
  headers: Parameters<typeof secondsHeader>[0],
  body: unknown,
  apiKey: string,
): { ok: false; error: ProviderError } {
  const parsed = PdlErrorSchema.safeParse(body);
  const detail = parsed.success ? (parsed.data.error?.message ?? '') : '';
  const what = `People Data Labs answered ${status}${detail ? `: ${excerpt(detail)}` : ''}`;
  if (status === 401 || status === 403)
    return failure('auth', `People Data Labs refused the API key (${status})`, apiKey);
  if (status === 402) return failure('auth', `${what} (the account is out of credits)`, apiKey);
  if (status === 429) {
    const retryAfterMs = secondsHeader(headers, 'retry-after') ?? secondsHeader(headers, 'x-ratelimit-reset');
    return failure('rate_limited', what, apiKey, retryAfterMs);
  }
  if (status >= 500) return failure('retryable', what, apiKey);
  return failure('non_retryable', what, apiKey);
}

/** Roles as PDL matches them: each a `match` on the job title, any one enough. */
function searchQuery(domain: string, roles: string[]): Record<string, unknown> {
  const must: Record<string, unknown>[] = [{ term: { job_company_website: domain } }];
  if (roles.length > 0) {
    must.push({
      bool: {
        should: roles.map((role) => ({ match: { job_title: role } })),
        minimum_should_match: 1,
      },
    });
  }
  return { bool: { must } };
}

async function searchPeople(
  params: Record<string, unknown>,
  context: ConnectorContext,
): Promise<ConnectorResult> {
  const apiKey = context.apiKey;
  if (!apiKey) return missingKey(PDL);
  const given = text(params, 'company_domain');
  const domain = normalizeDomain(given);
  if (domain === undefined) {
    return failure(
      'non_retryable',
      given === undefined
        ? 'People Data Labs Person Search needs a company domain'
        : `People Data Labs Person Search: "${excerpt(given, 80)}" is not a domain`,
      apiKey,
    );
  }
  const roles = (text(params, 'roles') ?? '')
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  const wanted = Number(params.max_results ?? 5);
  const size = Math.min(MAX_RESULTS, Math.max(1, Number.isFinite(wanted) ? Math.floor(wanted) : 5));

  const response = await callVendor(PDL, context, {
    method: 'POST',
    path: '/v5/person/search',
    headers: { 'X-Api-Key': apiKey },
    json: { query: searchQuery(domain, roles), size },
  });
  if (!response.ok) return response;
  const { status, headers, body } = response;
  // Nobody matched: an answer, not an error, and it costs nothing.
  if (status === 404) return { ok: true, data: null };
  if (status !== 200) return pdlFailure(status, headers, body, apiKey);
  const parsed = parseSuccess(PDL, body, PdlSearchSchema, apiKey);
  if (!parsed.ok) return parsed;
  const people: FoundPerson[] = parsed.value.data
    .filter((person) => person.full_name)
    .map((person) => ({
      full_name: titleCase(person.full_name!),
      role: titleCase(person.job_title ?? ''),
      profile_url: profileUrl(person.linkedin_url),
    }));
  if (people.length === 0) return { ok: true, data: null };
  return { ok: true, data: { people }, cost: RECORD_PRICE_USD * people.length };
}

/** Person Search: the people in some roles at a company, from PDL's profiles. */
export const PDL_PEOPLE_SEARCH: EnrichmentDefinition = {
  id: 106,
  slug: 'pdl_people_search',
  name: 'People Data Labs Person Search',
  description:
    'People at a company (by its domain) whose job title matches any of the roles given, with their LinkedIn profiles.',
  provider: PDL.provider,
  data_source: PDL.name,
  category: ['people'],
  auth_method: 'api_key',
  price: RECORD_PRICE_USD,
  pricing: { type: 'per_result', parameter: 'people' },
  params: [
    {
      name: 'company_domain',
      is_required: true,
      type_field: 'text',
      description: 'The company domain, e.g. acme.com',
    },
    {
      name: 'roles',
      is_required: false,
      type_field: 'text',
      description: 'Job titles to match, comma-separated',
    },
    {
      name: 'max_results',
      is_required: false,
      type_field: 'number',
      description: 'At most this many people (1–25, default 5)',
    },
  ],
  response_fields: [{ name: 'people', display_name: 'People', type_field: 'json' }],
  // PDL's search allows 10 requests a minute on the free plan, more on paid ones.
  limits: { maxConcurrency: 2, requestsPerMinute: 10 },
  baseUrl: PDL.baseUrl,
  cacheable: true,
  run: searchPeople,
};

const PdlEnrichSchema = z.object({
  status: z.number(),
  likelihood: z.number().nullish(),
  data: PdlPersonSchema,
});
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// Person Enrichment on the Pro plan: about $0.28 per match, nothing when no profile matches.
const ENRICH_PRICE_USD = 0.28;

/** Person Enrichment by email (`GET /v5/person/enrich?email=`): who is behind an address. */
async function enrichByEmail(
  params: Record<string, unknown>,
  context: ConnectorContext,
): Promise<ConnectorResult> {
  const apiKey = context.apiKey;
  if (!apiKey) return missingKey(PDL);
  const email = text(params, 'email')?.toLowerCase();
  if (!email || !EMAIL.test(email))
    return failure('non_retryable', 'People Data Labs Person Enrichment needs an email address', apiKey);
  const response = await callVendor(PDL, context, {
    method: 'GET',
    path: '/v5/person/enrich',
    // A likelihood of 6 (of 10) or more: PDL's own advice for matches worth acting on.
    query: { email, min_likelihood: '6' },
    headers: { 'X-Api-Key': apiKey },
  });
  if (!response.ok) return response;
  const { status, headers, body } = response;
  if (status === 404) return { ok: true, data: null };
  if (status !== 200) return pdlFailure(status, headers, body, apiKey);
  const parsed = parseSuccess(PDL, body, PdlEnrichSchema, apiKey);
  if (!parsed.ok) return parsed;
  const person = parsed.value.data;
  if (!person.full_name) return { ok: true, data: null };
  const website = normalizeDomain(person.job_company_website ?? undefined);
  return {
    ok: true,
    data: {
      full_name: titleCase(person.full_name),
      role: titleCase(person.job_title ?? ''),
      profile_url: profileUrl(person.linkedin_url),
      company_website: website ? `https://${website}` : null,
    },
    cost: ENRICH_PRICE_USD,
  };
}

/** Person Enrichment by email: the vendor behind reverse_email_lookup when a workspace has the key. */
export const PDL_PERSON_BY_EMAIL: EnrichmentDefinition = {
  id: 107,
  slug: 'pdl_person_by_email',
  name: 'People Data Labs Person Enrichment (email)',
  description: 'The person behind an email address: name, job title, LinkedIn profile and employer website.',
  provider: PDL.provider,
  data_source: PDL.name,
  category: ['people'],
  auth_method: 'api_key',
  price: ENRICH_PRICE_USD,
  pricing: { type: 'per_result', parameter: 'full_name' },
  params: [{ name: 'email', is_required: true, type_field: 'email', description: 'An email address' }],
  response_fields: [
    { name: 'full_name', display_name: 'Full name', type_field: 'text' },
    { name: 'role', display_name: 'Role', type_field: 'text' },
    { name: 'profile_url', display_name: 'Profile URL', type_field: 'url' },
    { name: 'company_website', display_name: 'Company website', type_field: 'url' },
  ],
  limits: { maxConcurrency: 5, requestsPerMinute: 100 },
  baseUrl: PDL.baseUrl,
  cacheable: true,
  run: enrichByEmail,
};
