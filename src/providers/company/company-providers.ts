import type { AgentColumnConfig } from '../../domain/columns.ts';
import { personKeys, personRowData } from '../../domain/company.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { CellValue, Column, JsonObject } from '../../domain/model.ts';
import type { Person } from '../../domain/output-formats.ts';
import { isEmptyValue } from '../../domain/rows.ts';
import type {
  ChildRowsWriter,
  ExecuteContext,
  PreparedCall,
  Provider,
  ProviderRequest,
  ProviderResult,
} from '../../engine/ports.ts';
import { runVendorStep, type CredentialLookup } from '../catalog/enrichment-provider.ts';
import type { ConnectorResult, EnrichmentDefinition } from '../catalog/types.ts';
import type { AddressPolicy } from '../http/address-guard.ts';
import type { SearchClient } from '../search/search.ts';
import { companyInputOf, isDirectoryDomain, registeredDomain, websiteOf } from './domains.ts';

/**
 * The company columns (seed 003) and the person lookups of people tables, built on the agent provider
 * (web research: search, read the pages found, answer in a format with sources from fetched pages
 * only). Each column asks the agent one question about the row's company, identified by its
 * registered domain; the cache key is the domain (not the table or row), so a company researched in
 * one table of a workspace is reused by every other.
 *
 * - `company_website`: the registered domain of the row's input (domain, URL or email), or for a
 *   name, the first search result that is not a directory site. No LLM.
 * - `company_name`, `company_profile`: research about the domain (the profile is a json answer).
 * - `company_people_finder`: research for people in the roles asked; each person found becomes a row
 *   of the column's child people table (deduped), and the cell's answer is the list.
 * - `reverse_email_lookup`: research for the person behind an email address.
 */
export interface CompanyProvidersDeps {
  /** The agent provider: what answers research questions. */
  agent: Provider;
  search: SearchClient | undefined;
  /** Where the people finder writes the people it finds. */
  children: ChildRowsWriter | undefined;
  /**
   * A people-data vendor, asked first when the workspace has its key: `search` answers `{people}`
   * for `company_domain`, `roles`, `max_results` (the people finder); `byEmail` answers a person for
   * an `email` (reverse_email_lookup).
   */
  peopleData?: {
    search?: EnrichmentDefinition;
    byEmail?: EnrichmentDefinition;
    credentials: CredentialLookup;
    addressPolicy: AddressPolicy;
    baseUrls?: Record<string, string>;
  };
}

export type CompanyColumnKind =
  | 'company_website'
  | 'company_name'
  | 'company_profile'
  | 'company_people_finder'
  | 'discovery_scores'
  | 'reverse_email_lookup';

/** The json answer of `company_profile` (strict-mode friendly: closed objects, every key required). */
export const COMPANY_PROFILE_SCHEMA = closedObject({
  short_description: nullableString('One sentence: what the company does.'),
  full_description: nullableString('A paragraph: what the company does, for whom, and how.'),
  products_services: { type: 'array', items: { type: 'string' }, description: 'Main products or services.' },
  use_cases: { type: 'array', items: { type: 'string' }, description: 'What customers use them for.' },
  target_audience: nullableString('Who the customers are (industries, company sizes, roles).'),
  founding_year: { type: ['integer', 'null'], description: 'Year founded, or null.' },
  employee_count: { type: ['integer', 'null'], description: 'Approximate number of employees, or null.' },
  hq_country: nullableString('Country of the headquarters.'),
  hq_state_province: nullableString('State or province of the headquarters.'),
  hq_city: nullableString('City of the headquarters.'),
  hq_full_address: nullableString('Full postal address of the headquarters.'),
  social_profiles: {
    type: 'array',
    description: "The company's own social profiles.",
    items: closedObject({
      platform: { type: 'string', description: 'linkedin, twitter, facebook, instagram, youtube, github …' },
      url: { type: 'string', description: 'Absolute URL of the profile.' },
    }),
  },
  sources: { type: 'array', items: { type: 'string' }, description: 'URLs of the pages used.' },
});

export function createCompanyProviders(deps: CompanyProvidersDeps): Record<CompanyColumnKind, Provider> {
  return {
    company_website: { name: 'company_website', prepare: (request) => prepareWebsite(deps, request) },
    company_name: { name: 'company_name', prepare: (request) => prepareName(deps, request) },
    company_profile: { name: 'company_profile', prepare: (request) => prepareProfile(deps, request) },
    company_people_finder: {
      name: 'company_people_finder',
      prepare: (request) => preparePeopleFinder(deps, request),
    },
    discovery_scores: { name: 'discovery_scores', prepare: (request) => prepareScores(deps, request) },
    reverse_email_lookup: {
      name: 'reverse_email_lookup',
      prepare: (request) => prepareReverseEmail(deps, request),
    },
  };
}

// ── company_website ─────────────────────────────────────────────────────────────────────

const INPUT_KEYS = ['input', 'domain', 'website', 'company_domain', 'company', 'company_name'];

function prepareWebsite(deps: CompanyProvidersDeps, request: ProviderRequest): PreparedCall {
  const key = INPUT_KEYS.find((candidate) => !isEmptyValue(request.values[candidate]));
  const given = key === undefined ? undefined : companyInputOf(request.values[key]);
  if (!given) return missing('The row has no input (a domain, URL or company name)');
  if ('domain' in given) {
    const answer = websiteOf(given.domain);
    return {
      kind: 'call',
      limiterKey: 'company:website',
      execute: () =>
        Promise.resolve({
          ok: true,
          value: { answer, explanation: `The registered domain of "${String(request.values[key!])}".` },
        }),
    };
  }
  const search = deps.search;
  if (!search) {
    return fail(
      `Finding the website of "${given.name}" needs a search API: set SEARXNG_URL or BRAVE_SEARCH_API_KEY (or give the company's domain as input)`,
    );
  }
  return {
    kind: 'call',
    limiterKey: `search:${search.name}`,
    cacheKey: JSON.stringify(['website', given.name.toLowerCase()]),
    execute: async ({ signal }) => {
      const outcome = await search.search(`${given.name} official website`, { signal, limit: 10 });
      if (!outcome.ok) return { ok: false, error: outcome.error };
      for (const result of outcome.results) {
        const domain = registeredDomain(result.url);
        if (!domain || isDirectoryDomain(domain)) continue;
        return {
          ok: true,
          value: {
            answer: websiteOf(domain),
            explanation: `The first search result for "${given.name}" that is not a directory site.`,
            sources: [{ url: result.url, title: result.title }],
          },
          usage: { searches: 1 },
        };
      }
      return {
        ok: true,
        value: { answer: null, explanation: `No website found for "${given.name}".` },
        usage: { searches: 1 },
      };
    },
  };
}

// ── research questions about the company ───────────────────────────────────────────────

/** The company of a row: its domain (from the website column, else the input) and name when known. */
function companyOf(
  values: Record<string, unknown>,
): { domain: string; name: string | undefined } | undefined {
  let domain: string | undefined;
  for (const key of ['company_website', ...INPUT_KEYS]) {
    const value = values[key];
    if (typeof value !== 'string' || value.trim() === '') continue;
    domain = registeredDomain(value);
    if (domain) break;
  }
  if (!domain) return undefined;
  const name =
    typeof values.company_name === 'string' && values.company_name.trim() !== ''
      ? unbraced(values.company_name.trim())
      : undefined;
  return { domain, name };
}

function prepareName(deps: CompanyProvidersDeps, request: ProviderRequest): PreparedCall {
  const company = companyOf(request.values);
  if (!company) return missing('The row has no company website or domain to research');
  const prepared = askAgent(deps, request, {
    agent_type: 'research',
    prompt: `What is the name of the company whose website is ${company.domain}? Answer with the name the company uses for itself, without legal suffixes (Inc., Ltd., GmbH) unless they are part of the brand.`,
    output_format: 'text',
    values: { company_website: websiteOf(company.domain) },
  });
  return byDomain(prepared, 'company_name', company.domain);
}

function prepareProfile(deps: CompanyProvidersDeps, request: ProviderRequest): PreparedCall {
  const company = companyOf(request.values);
  if (!company) return missing('The row has no company website or domain to research');
  const who = company.name
    ? `${company.name} (${company.domain})`
    : `the company whose website is ${company.domain}`;
  const prepared = askAgent(deps, request, {
    agent_type: 'research_pro',
    prompt: `Build a profile of ${who} from its website and public sources: what it does (short and full description), its products and services, use cases, target audience, founding year, number of employees, headquarters (country, state or province, city, full address) and its social profiles. Use null or an empty list for what the pages do not say.`,
    output_format: 'json',
    output_schema: COMPANY_PROFILE_SCHEMA,
    values: { company_name: company.name ?? null, company_website: websiteOf(company.domain) },
  });
  if (prepared.kind !== 'call') return prepared;
  return byDomain(
    {
      ...prepared,
      // The profile's `sources` are the pages the answer cites: only pages actually fetched.
      execute: async (context) => {
        const result = await prepared.execute(context);
        if (!result.ok || !isRecord(result.value.answer)) return result;
        const sources = (result.value.sources ?? []).map((source) => source.url);
        return { ...result, value: { ...result.value, answer: { ...result.value.answer, sources } } };
      },
    },
    'company_profile',
    company.domain,
  );
}

// ── discovery_scores ────────────────────────────────────────────────────────────────────

const GRADE_SCHEMA = closedObject({
  grade: {
    type: 'integer',
    enum: [1, 2, 3, 4, 5],
    description: '1: does not meet the criterion at all … 5: fully meets it.',
  },
  explanation: { type: 'string', description: 'The evidence for the grade, in one or two sentences.' },
});

function prepareScores(deps: CompanyProvidersDeps, request: ProviderRequest): PreparedCall {
  const config = request.column.config;
  if (config.kind !== 'discovery_scores') return fail('not a discovery_scores column');
  const criteria = Object.values(config.criteria ?? {});
  if (criteria.length === 0)
    return fail(
      'This discovery_scores column has no criteria: give `criteria` (criterion key → {key, name, criterion})',
    );
  const company = companyOf(request.values);
  if (!company) return missing('The row has no company website or domain to research');
  const who = company.name
    ? `${company.name} (${company.domain})`
    : `the company whose website is ${company.domain}`;
  const prepared = askAgent(deps, request, {
    agent_type: 'research',
    prompt: [
      `Grade ${who} on each criterion below, from 1 (does not meet it at all) to 5 (fully meets it), from its website and public sources. Answer one entry per criterion key, each with a grade and a short explanation.`,
      ...criteria.map(
        (criterion) => `- ${criterion.key} (${unbraced(criterion.name)}): ${unbraced(criterion.criterion)}`,
      ),
    ].join('\n'),
    output_format: 'json',
    output_schema: closedObject(
      Object.fromEntries(criteria.map((criterion) => [criterion.key, GRADE_SCHEMA])),
    ),
    values: { company_name: company.name ?? null, company_website: websiteOf(company.domain) },
  });
  if (prepared.kind !== 'call') return prepared;
  const criteriaKey = criteria.map((criterion) => [criterion.key, criterion.criterion]);
  return {
    ...prepared,
    cacheKey: JSON.stringify(['discovery_scores', company.domain, criteriaKey, prepared.limiterKey]),
  };
}

// ── company_people_finder ───────────────────────────────────────────────────────────────

function preparePeopleFinder(deps: CompanyProvidersDeps, request: ProviderRequest): PreparedCall {
  const config = request.column.config;
  if (config.kind !== 'company_people_finder') return fail('not a company_people_finder column');
  const { children } = deps;
  const { tableId, rowId } = request;
  if (!children || !tableId || !rowId) return fail('This server cannot write people tables (no store given)');
  const company = companyOf(request.values);
  if (!company) return missing('The row has no company website or domain to research');
  const { roles, max_results: maxResults } = config.value;
  const who = company.name
    ? `${company.name} (${company.domain})`
    : `the company whose website is ${company.domain}`;
  const prepared = askAgent(deps, request, {
    agent_type: 'research_pro',
    prompt: `Find up to ${maxResults} people who work at ${who} now, in these roles: ${roles.map(unbraced).join(', ')}. Look at the company's own pages (team, about, leadership) and public profiles. For each person give their full name, their job title as role, and the URL of their public profile (LinkedIn if found, else a page about them), or null. List only people the pages name; never invent anyone.`,
    output_format: 'people',
    values: { company_name: company.name ?? null, company_website: websiteOf(company.domain) },
  });
  if (prepared.kind !== 'call') return prepared;
  const parentData = parentDataOf(request);
  return {
    ...prepared,
    // Finding people writes rows elsewhere: every run does the work (no reuse of a cached answer).
    cacheKey: undefined,
    execute: async (context): Promise<ProviderResult> => {
      // A configured people-data vendor first; research fills in when it found fewer than asked.
      const vendor = await askPeopleVendor(
        deps,
        request.workspaceId,
        company.domain,
        roles,
        maxResults,
        context,
      );
      const vendorPeople = vendor?.ok ? vendor.people : [];
      const researched = vendorPeople.length >= maxResults ? undefined : await prepared.execute(context);
      if (researched && !researched.ok && vendorPeople.length === 0) return researched;
      const result: Extract<ProviderResult, { ok: true }> =
        researched?.ok === true ? researched : { ok: true, value: { answer: null }, cost: 0 };
      const researchedPeople = Array.isArray(result.value.answer) ? (result.value.answer as Person[]) : [];
      const people = mergePeople(vendorPeople, researchedPeople).slice(0, maxResults);
      const vendorNote = vendor
        ? vendor.ok
          ? `${deps.peopleData!.search!.data_source} found ${vendorPeople.length}. `
          : `${deps.peopleData!.search!.data_source} failed (${vendor.message}). `
        : '';
      result.cost = (result.cost ?? 0) + (vendor?.ok ? vendor.cost : 0);
      result.value = {
        ...result.value,
        explanation: `${vendorNote}${result.value.explanation ?? ''}`.trim() || undefined,
      };
      let written;
      try {
        written = await children.addChildRows(request.workspaceId, tableId, request.column.id, rowId, {
          rows: people.map(personRowData),
          parentData,
        });
      } catch (error) {
        // The child table is gone (its column was deleted meanwhile): retrying cannot help.
        return {
          ok: false,
          error: {
            kind: error instanceof NotFoundError ? 'non_retryable' : 'retryable',
            message: `Writing the people found failed: ${(error as Error).message}`,
          },
          cost: result.cost,
        };
      }
      const value: CellValue = {
        answer: people.length > 0 ? people : null,
        explanation:
          `${people.length === 0 ? 'Nobody found' : `${people.length} found`}; ${written.insertedRowIds.length} added to the people table${written.skipped > 0 ? `, ${written.skipped} already there` : ''}. ${result.value.explanation ?? ''}`.trim(),
        sources: result.value.sources,
      };
      return { ...result, value };
    },
  };
}

/** The vendor's people, or why it could not answer; undefined when the workspace has no key for it. */
async function askPeopleVendor(
  deps: CompanyProvidersDeps,
  workspaceId: string,
  domain: string,
  roles: string[],
  maxResults: number,
  context: ExecuteContext,
): Promise<{ ok: true; people: Person[]; cost: number } | { ok: false; message: string } | undefined> {
  const definition = deps.peopleData?.search;
  if (!definition) return undefined;
  const params = { company_domain: domain, roles: roles.join(', '), max_results: maxResults };
  const result = await askVendor(deps, definition, params, workspaceId, context);
  if (!result) return undefined;
  if (!result.ok) return { ok: false, message: result.error.message };
  const people = Array.isArray(result.data?.people) ? (result.data.people as Person[]) : [];
  return { ok: true, people, cost: result.data ? (result.cost ?? 0) : 0 };
}

/** One vendor call under the vendor's own limiter; undefined when the workspace has no key for it. */
async function askVendor(
  deps: CompanyProvidersDeps,
  definition: EnrichmentDefinition,
  params: Record<string, unknown>,
  workspaceId: string,
  context: ExecuteContext,
): Promise<ConnectorResult | undefined> {
  const vendor = deps.peopleData!;
  const apiKey = await vendor.credentials(workspaceId, definition.provider);
  if (!apiKey) return undefined;
  return runVendorStep(vendor, definition, params, workspaceId, context, apiKey);
}

/** The vendor's people, then the researched ones not already among them (profile URL, else name). */
function mergePeople(first: Person[], second: Person[]): Person[] {
  const merged: Person[] = [];
  const seen = new Set<string>();
  for (const person of [...first, ...second]) {
    const keys = personKeys(person as unknown as Record<string, unknown>);
    const ids = [keys.url && `u:${keys.url}`, keys.name && `n:${keys.name}`].filter(Boolean) as string[];
    if (ids.length === 0 || ids.some((id) => seen.has(id))) continue;
    for (const id of ids) seen.add(id);
    merged.push(person);
  }
  return merged;
}

/** What a child row keeps of its company row: every value but the finder's own. */
function parentDataOf(request: ProviderRequest): JsonObject {
  const data: JsonObject = {};
  for (const [key, value] of Object.entries(request.values)) {
    if (key !== request.column.config.key && !isEmptyValue(value)) data[key] = value;
  }
  return data;
}

// ── reverse_email_lookup ────────────────────────────────────────────────────────────────

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function prepareReverseEmail(deps: CompanyProvidersDeps, request: ProviderRequest): PreparedCall {
  const config = request.column.config;
  if (config.kind !== 'reverse_email_lookup') return fail('not a reverse_email_lookup column');
  const raw = request.values[config.email_column_key];
  // An email finder's answer is its result object: the address is its `email`.
  const email = isRecord(raw) ? raw.email : raw;
  if (typeof email !== 'string' || !EMAIL.test(email.trim()))
    return missing(`No email address in {${config.email_column_key}}`);
  const address = email.trim().toLowerCase();
  const domain = registeredDomain(address);
  const prepared = askAgent(deps, request, {
    agent_type: 'research',
    prompt: `Who is the person with the email address ${address}${domain ? ` (at ${domain})` : ''}? Give their full name, current job title as role, and the URL of their public profile (LinkedIn if found), as a list of one person; an empty list if the pages do not say.`,
    output_format: 'people',
    values: domain ? { company_website: websiteOf(domain) } : {},
  });
  if (prepared.kind !== 'call') return prepared;
  return {
    ...prepared,
    cacheKey: JSON.stringify(['reverse_email_lookup', address, prepared.limiterKey]),
    execute: async (context) => {
      // A people-data vendor first, when the workspace has its key; research when it knows nobody.
      const byEmail = deps.peopleData?.byEmail;
      const vendor = byEmail
        ? await askVendor(deps, byEmail, { email: address }, request.workspaceId, context)
        : undefined;
      if (vendor?.ok && vendor.data) {
        const found = vendor.data as { company_website?: string | null };
        return {
          ok: true,
          value: {
            answer: {
              ...vendor.data,
              email: address,
              company_website: found.company_website ?? (domain ? websiteOf(domain) : null),
            },
            explanation: `Found by ${byEmail!.data_source}.`,
          },
          cost: vendor.cost ?? byEmail!.price,
        };
      }
      const result = await prepared.execute(context);
      if (!result.ok) return result;
      const person = Array.isArray(result.value.answer)
        ? (result.value.answer[0] as Person | undefined)
        : undefined;
      const answer = person
        ? { ...person, email: address, company_website: domain ? websiteOf(domain) : null }
        : null;
      return { ...result, value: { ...result.value, answer } };
    },
  };
}

// ── helpers ─────────────────────────────────────────────────────────────────────────────

interface Question {
  agent_type: AgentColumnConfig['value']['agent_type'];
  prompt: string;
  output_format: AgentColumnConfig['value']['output_format'];
  output_schema?: Record<string, unknown>;
  values: Record<string, unknown>;
}

/** Asks the agent provider one question, as an agent column of the same key would. */
function askAgent(deps: CompanyProvidersDeps, request: ProviderRequest, question: Question): PreparedCall {
  const column: Column = {
    ...request.column,
    config: {
      kind: 'agent',
      name: request.column.config.name,
      key: request.column.config.key,
      value: {
        agent_type: question.agent_type,
        prompt: question.prompt,
        output_format: question.output_format,
        labels: null,
        output_schema: question.output_schema ?? null,
        extra_dependencies: null,
      },
    },
  };
  return deps.agent.prepare({ ...request, column, values: question.values, parentValues: undefined });
}

/** One answer per company per model, whatever table or row asks: the cache key is the domain. */
function byDomain(prepared: PreparedCall, kind: string, domain: string): PreparedCall {
  if (prepared.kind !== 'call') return prepared;
  return { ...prepared, cacheKey: JSON.stringify([kind, domain, prepared.limiterKey]) };
}

/** Text put into an agent prompt: braces would read as {column} references of its template. */
function unbraced(text: string): string {
  return text.replace(/[{}]/g, (brace) => (brace === '{' ? '(' : ')'));
}

function missing(message: string): PreparedCall {
  return { kind: 'skip', reason: 'missing_input', message };
}

function fail(message: string): PreparedCall {
  return { kind: 'fail', error: { kind: 'non_retryable', message } };
}

function nullableString(description: string): Record<string, unknown> {
  return { type: ['string', 'null'], description };
}

function closedObject(properties: Record<string, Record<string, unknown>>): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, properties, required: Object.keys(properties) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
