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
  text,
  type VendorInfo,
} from './shared.ts';

/**
 * Apollo (https://docs.apollo.io/reference): People Enrichment and Organization Enrichment.
 *
 * - Base `https://api.apollo.io/api/v1/`; the key goes in the `x-api-key` header.
 * - People Enrichment is `POST /api/v1/people/match` with its inputs as query parameters (as the
 *   reference documents them: first_name, last_name, name, email, domain, organization_name,
 *   linkedin_url, reveal_personal_emails, reveal_phone_number). A weak match still answers 200,
 *   with no person: that is "not found". Work emails come back by default; personal emails and
 *   phones only with the reveal flags, and phones then arrive later at a webhook — so we ask for
 *   neither. A locked email comes back as the placeholder `email_not_unlocked@domain.com`.
 * - Organization Enrichment is `GET /api/v1/organizations/enrich?domain=` (no `www.`, no `@`);
 *   an unknown domain answers 200 without an organization.
 * - Rate limits are fixed windows per minute, hour and day, reported on every answer in
 *   `x-rate-limit-minute|hourly|daily` and `x-minute|hourly|daily-requests-left`; beyond, 429.
 *   The reset time is not sent, so the exhausted window's length is the wait.
 * - 401 refused key; 403 `API_INACCESSIBLE` (the endpoint is not open to this key: free plan or a
 *   non-master key); running out of credits answers 402/422 with a message about credits; other
 *   422s are invalid inputs.
 */
export const APOLLO: VendorInfo = {
  provider: 'apollo',
  name: 'Apollo',
  envVar: 'APOLLO_API_KEY',
  baseUrl: 'https://api.apollo.io',
};

// Apollo charges 1 credit per enriched person (plus an email credit when a verified email is
// returned) and 1 per enriched organization (docs.apollo.io "API Pricing and Credits"). Credits
// work out at roughly $0.02–0.04 each on the Basic/Professional plans; approximate.
const PERSON_PRICE_USD = 0.04;
const ORGANIZATION_PRICE_USD = 0.03;

/** The placeholders Apollo puts where an address exists but is not unlocked on the plan. */
const LOCKED_EMAIL = /^(email_)?not_unlocked@|^email_hidden@|\*/i;

const ApolloErrorSchema = z.object({
  error: z.string().nullish(),
  error_code: z.string().nullish(),
  message: z.string().nullish(),
});

const ApolloOrganizationSchema = z.object({
  id: z.string().nullish(),
  name: z.string().nullish(),
  website_url: z.string().nullish(),
  linkedin_url: z.string().nullish(),
  twitter_url: z.string().nullish(),
  primary_domain: z.string().nullish(),
  industry: z.string().nullish(),
  estimated_num_employees: z.number().nullish(),
  founded_year: z.number().nullish(),
  annual_revenue: z.number().nullish(),
  short_description: z.string().nullish(),
  phone: z.string().nullish(),
  city: z.string().nullish(),
  state: z.string().nullish(),
  country: z.string().nullish(),
});

const ApolloPersonSchema = z.object({
  id: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  name: z.string().nullish(),
  title: z.string().nullish(),
  headline: z.string().nullish(),
  email: z.string().nullish(),
  email_status: z.string().nullish(),
  linkedin_url: z.string().nullish(),
  city: z.string().nullish(),
  country: z.string().nullish(),
  organization: ApolloOrganizationSchema.nullish(),
});

const ApolloPeopleMatchSchema = z.object({ person: ApolloPersonSchema.nullish() });
const ApolloOrganizationEnrichSchema = z.object({ organization: ApolloOrganizationSchema.nullish() });

function apolloHeaders(apiKey: string): Record<string, string> {
  return { 'x-api-key': apiKey, 'cache-control': 'no-cache', 'content-type': 'application/json' };
}

/**
 * How long to wait after a 429: Retry-After when sent, else the window that ran out (Apollo's
 * windows are fixed and their reset is not reported, so a whole window is the safe wait).
 */
function apolloRetryAfterMs(headers: HttpResponse['headers']): number {
  const retryAfter = parseRetryAfter(headers['retry-after']);
  if (retryAfter !== undefined) return retryAfter;
  const exhausted = (name: string) => header(headers, name)?.trim() === '0';
  if (exhausted('x-daily-requests-left') || exhausted('x-hourly-requests-left')) return 3_600_000;
  return 60_000;
}

function apolloFailure(
  endpoint: string,
  status: number,
  headers: HttpResponse['headers'],
  body: unknown,
  apiKey: string,
): { ok: false; error: ProviderError } {
  const parsed = ApolloErrorSchema.safeParse(body);
  const said = parsed.success
    ? excerpt(parsed.data.error ?? parsed.data.message ?? '')
    : typeof body === 'string'
      ? excerpt(body)
      : '';
  const suffix = said ? `: ${said}` : '';
  const aboutCredits = /credit/i.test(said);
  if (status === 401) return failure('auth', `Apollo refused the API key (401)${suffix}`, apiKey);
  if (status === 402 || ((status === 422 || status === 403) && aboutCredits)) {
    return failure('auth', `Apollo credits are exhausted for this account (${status})${suffix}`, apiKey);
  }
  if (status === 403) {
    return failure(
      'auth',
      `Apollo does not open ${endpoint} to this API key (403; it needs a paid plan or a master key)${suffix}`,
      apiKey,
    );
  }
  if (status === 429) {
    return failure(
      'rate_limited',
      `Apollo rate limit reached (429)${suffix}`,
      apiKey,
      apolloRetryAfterMs(headers),
    );
  }
  if (status >= 500) return failure('retryable', `Apollo server error (${status})${suffix}`, apiKey);
  return failure('non_retryable', `Apollo rejected the request (${status})${suffix}`, apiKey);
}

function usableEmail(email: string | null | undefined): string | undefined {
  if (!email || !email.includes('@') || LOCKED_EMAIL.test(email.trim())) return undefined;
  return email.trim();
}

async function matchPerson(
  params: Record<string, unknown>,
  context: ConnectorContext,
): Promise<ConnectorResult> {
  const apiKey = context.apiKey;
  if (!apiKey) return missingKey(APOLLO);
  const firstName = text(params, 'first_name');
  const lastName = text(params, 'last_name');
  const fullName = text(params, 'full_name');
  const domain = normalizeDomain(text(params, 'domain'));
  const company = text(params, 'company');
  const linkedinUrl = text(params, 'linkedin_url');
  const hasName = Boolean((firstName && lastName) || fullName);
  if (!linkedinUrl && !(hasName && (domain || company))) {
    return failure(
      'non_retryable',
      'Apollo People Enrichment needs a linkedin_url, or a name (first_name + last_name, or full_name) with a domain or company',
      apiKey,
    );
  }

  const response = await callVendor(APOLLO, context, {
    method: 'POST',
    path: '/api/v1/people/match',
    query: {
      first_name: firstName && lastName ? firstName : undefined,
      last_name: firstName && lastName ? lastName : undefined,
      name: firstName && lastName ? undefined : fullName,
      domain,
      organization_name: company,
      linkedin_url: linkedinUrl,
      // Work emails come by default; these two would cost extra credits (and phones need a webhook).
      reveal_personal_emails: 'false',
      reveal_phone_number: 'false',
    },
    headers: apolloHeaders(apiKey),
  });
  if (!response.ok) return response;
  const { status, headers, body } = response;
  if (status !== 200) return apolloFailure('People Enrichment', status, headers, body, apiKey);

  const parsed = parseSuccess(APOLLO, body, ApolloPeopleMatchSchema, apiKey);
  if (!parsed.ok) return parsed;
  const person = parsed.value.person;
  const email = usableEmail(person?.email);
  if (!person || email === undefined) return { ok: true, data: null };
  const organization = person.organization;
  return {
    ok: true,
    data: {
      email,
      email_status: orNull(person.email_status),
      first_name: orNull(person.first_name),
      last_name: orNull(person.last_name),
      name: orNull(person.name),
      title: orNull(person.title),
      linkedin_url: orNull(person.linkedin_url),
      company: orNull(organization?.name),
      company_domain: orNull(organization?.primary_domain),
      apollo_id: orNull(person.id),
    },
    cost: PERSON_PRICE_USD,
  };
}

async function enrichOrganization(
  params: Record<string, unknown>,
  context: ConnectorContext,
): Promise<ConnectorResult> {
  const apiKey = context.apiKey;
  if (!apiKey) return missingKey(APOLLO);
  const given = text(params, 'domain');
  const domain = normalizeDomain(given);
  if (domain === undefined) {
    return failure(
      'non_retryable',
      given === undefined
        ? 'Apollo Organization Enrichment needs a domain'
        : `Apollo Organization Enrichment: "${excerpt(given, 80)}" is not a domain`,
      apiKey,
    );
  }

  const response = await callVendor(APOLLO, context, {
    method: 'GET',
    path: '/api/v1/organizations/enrich',
    query: { domain },
    headers: apolloHeaders(apiKey),
  });
  if (!response.ok) return response;
  const { status, headers, body } = response;
  if (status !== 200) return apolloFailure('Organization Enrichment', status, headers, body, apiKey);

  const parsed = parseSuccess(APOLLO, body, ApolloOrganizationEnrichSchema, apiKey);
  if (!parsed.ok) return parsed;
  const organization = parsed.value.organization;
  if (!organization?.name) return { ok: true, data: null };
  return {
    ok: true,
    data: {
      name: organization.name,
      domain: organization.primary_domain ?? domain,
      website_url: orNull(organization.website_url),
      linkedin_url: orNull(organization.linkedin_url),
      twitter_url: orNull(organization.twitter_url),
      industry: orNull(organization.industry),
      employee_count: orNull(organization.estimated_num_employees),
      founded_year: orNull(organization.founded_year),
      annual_revenue: orNull(organization.annual_revenue),
      description: orNull(organization.short_description),
      phone: orNull(organization.phone),
      city: orNull(organization.city),
      state: orNull(organization.state),
      country: orNull(organization.country),
    },
    cost: ORGANIZATION_PRICE_USD,
  };
}

// Apollo's per-minute limits depend on the plan (its docs' example: 50/minute; paid plans
// commonly 100–200/minute for enrichment). The conservative default fits the smaller plans.
const APOLLO_LIMITS = { maxConcurrency: 3, requestsPerMinute: 50 };

export const APOLLO_EMAIL_FINDER: EnrichmentDefinition = {
  id: 101,
  slug: 'apollo_email_finder',
  name: 'Apollo People Enrichment (work email)',
  description:
    "Matches a person in Apollo's database from their name and company (or LinkedIn URL) and returns their work email, title and company.",
  provider: APOLLO.provider,
  data_source: APOLLO.name,
  category: ['email', 'people'],
  auth_method: 'api_key',
  price: PERSON_PRICE_USD,
  pricing: { type: 'per_result', parameter: 'email' },
  params: [
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
      description: "The employer's domain, e.g. apollo.io.",
    },
    {
      name: 'company',
      is_required: false,
      type_field: 'text',
      description: "The employer's name, when no domain is known.",
    },
    {
      name: 'linkedin_url',
      is_required: false,
      type_field: 'url',
      description: "The person's LinkedIn profile URL.",
    },
  ],
  response_fields: [
    { name: 'email', display_name: 'Email', type_field: 'email' },
    { name: 'email_status', display_name: 'Email status', type_field: 'text' },
    { name: 'first_name', display_name: 'First name', type_field: 'text' },
    { name: 'last_name', display_name: 'Last name', type_field: 'text' },
    { name: 'name', display_name: 'Name', type_field: 'text' },
    { name: 'title', display_name: 'Title', type_field: 'text' },
    { name: 'linkedin_url', display_name: 'LinkedIn URL', type_field: 'url' },
    { name: 'company', display_name: 'Company', type_field: 'text' },
    { name: 'company_domain', display_name: 'Company domain', type_field: 'text' },
    { name: 'apollo_id', display_name: 'Apollo person ID', type_field: 'text' },
  ],
  limits: APOLLO_LIMITS,
  baseUrl: APOLLO.baseUrl,
  cacheable: true,
  run: matchPerson,
};

/**
 * Company enrichment: Apollo's, because it takes just a domain, answers synchronously with the
 * firmographics a table wants (industry, headcount estimate, founding year, revenue, location,
 * LinkedIn) and charges only when it returns an organization.
 */
export const APOLLO_COMPANY_ENRICHMENT: EnrichmentDefinition = {
  id: 105,
  slug: 'apollo_company_enrichment',
  name: 'Apollo Organization Enrichment',
  description:
    'Firmographics for a company domain: name, industry, estimated employees, founding year, revenue, location and social links.',
  provider: APOLLO.provider,
  data_source: APOLLO.name,
  category: ['company'],
  auth_method: 'api_key',
  price: ORGANIZATION_PRICE_USD,
  pricing: { type: 'per_result', parameter: 'name' },
  params: [
    {
      name: 'domain',
      is_required: true,
      type_field: 'text',
      description: 'The company domain, e.g. apollo.io (a URL works too).',
    },
  ],
  response_fields: [
    { name: 'name', display_name: 'Name', type_field: 'text' },
    { name: 'domain', display_name: 'Domain', type_field: 'text' },
    { name: 'website_url', display_name: 'Website', type_field: 'url' },
    { name: 'linkedin_url', display_name: 'LinkedIn URL', type_field: 'url' },
    { name: 'twitter_url', display_name: 'Twitter URL', type_field: 'url' },
    { name: 'industry', display_name: 'Industry', type_field: 'text' },
    { name: 'employee_count', display_name: 'Employees (estimate)', type_field: 'number' },
    { name: 'founded_year', display_name: 'Founded', type_field: 'number' },
    { name: 'annual_revenue', display_name: 'Annual revenue (USD)', type_field: 'number' },
    { name: 'description', display_name: 'Description', type_field: 'text' },
    { name: 'phone', display_name: 'Phone', type_field: 'phone' },
    { name: 'city', display_name: 'City', type_field: 'text' },
    { name: 'state', display_name: 'State', type_field: 'text' },
    { name: 'country', display_name: 'Country', type_field: 'text' },
  ],
  limits: APOLLO_LIMITS,
  baseUrl: APOLLO.baseUrl,
  cacheable: true,
  run: enrichOrganization,
};
