import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  ConnectorContext,
  ConnectorResult,
  EnrichmentDefinition,
} from '../../src/providers/catalog/types.ts';
import {
  APOLLO_COMPANY_ENRICHMENT,
  APOLLO_EMAIL_FINDER,
  HUNTER_EMAIL_FINDER,
  HUNTER_EMAIL_VERIFIER,
  PDL_PEOPLE_SEARCH,
  PDL_PERSON_BY_EMAIL,
  PROSPEO_EMAIL_FINDER,
  PROSPEO_MOBILE_FINDER,
  VENDOR_ENRICHMENTS,
  VENDOR_PROVIDERS,
} from '../../src/providers/catalog/vendors/index.ts';
import { scrub } from '../../src/providers/catalog/vendors/shared.ts';
import {
  startFakeApollo,
  startFakeHunter,
  startFakePdl,
  startFakeProspeo,
  type FakeApollo,
  type FakeCompany,
  type FakeHunter,
  type FakePdl,
  type FakePerson,
  type FakeProspeo,
  type FakeVendor,
} from '../fixtures/fake-vendors/index.ts';

const KEY = 'live_9f8e7d6c5b4a39281706';
const WRONG_KEY = 'live_0000000000000000dead';

const PEOPLE: FakePerson[] = [
  {
    first_name: 'Ada',
    last_name: 'Lovelace',
    domain: 'engines.test',
    company: 'Analytical Engines',
    title: 'Chief Analyst',
    email: 'ada@engines.test',
    score: 97,
    phone: '+14155550123',
    linkedin_url: 'https://www.linkedin.com/in/ada-lovelace',
    city: 'London',
    country: 'United Kingdom',
  },
  {
    first_name: 'Grace',
    last_name: 'Hopper',
    domain: 'cobol.test',
    company: 'Cobol Works',
    title: 'Rear Admiral',
    email: 'grace@cobol.test',
    email_verified: false,
  },
  {
    first_name: 'Alan',
    last_name: 'Turing',
    domain: 'bletchley.test',
    company: 'Bletchley Park',
    phone: '+441632960001',
    linkedin_url: 'https://www.linkedin.com/in/alan-turing',
  },
];

const COMPANIES: FakeCompany[] = [
  {
    domain: 'engines.test',
    name: 'Analytical Engines',
    industry: 'computer software',
    employee_count: 42,
    founded_year: 1843,
    annual_revenue: 1_200_000,
    linkedin_url: 'http://www.linkedin.com/company/analytical-engines',
    description: 'Mechanical general-purpose computers.',
    phone: '+44 20 7946 0000',
    city: 'London',
    state: 'England',
    country: 'United Kingdom',
  },
];

let hunter: FakeHunter;
let apollo: FakeApollo;
let prospeo: FakeProspeo;
let pdl: FakePdl;

beforeAll(async () => {
  pdl = await startFakePdl({
    apiKey: KEY,
    profiles: PEOPLE.map((person) => ({
      full_name: `${person.first_name} ${person.last_name}`,
      job_title: person.title ?? 'Engineer',
      job_company_website: person.domain,
      ...(person.email ? { work_email: person.email } : {}),
      ...(person.linkedin_url
        ? { linkedin_url: person.linkedin_url.replace(/^https:\/\/(www\.)?/, '') }
        : {}),
    })),
  });
  [hunter, apollo, prospeo] = await Promise.all([
    startFakeHunter({ apiKey: KEY, people: PEOPLE, companies: COMPANIES, optedOut: ['optout@engines.test'] }),
    startFakeApollo({
      apiKey: KEY,
      people: PEOPLE,
      companies: COMPANIES,
      lockedEmails: ['grace@cobol.test'],
    }),
    startFakeProspeo({ apiKey: KEY, people: PEOPLE, companies: COMPANIES }),
  ]);
});

afterAll(async () => {
  await Promise.all([hunter?.close(), apollo?.close(), prospeo?.close(), pdl?.close()]);
});

beforeEach(() => {
  hunter.reset();
  apollo.reset();
  prospeo.reset();
  pdl.reset();
});

function contextFor(
  fake: { url: string },
  options: { apiKey?: string | undefined; signal?: AbortSignal } = {},
): ConnectorContext {
  return {
    apiKey: 'apiKey' in options ? options.apiKey : KEY,
    baseUrl: fake.url,
    addressPolicy: { allowPrivate: true, allowedHosts: [] },
    signal: options.signal ?? new AbortController().signal,
    limited: (_key, _limits, work) => work(),
  };
}

/** Runs a connector and checks the invariant every result keeps: the key appears nowhere in it. */
async function run(
  definition: EnrichmentDefinition,
  params: Record<string, unknown>,
  context: ConnectorContext,
): Promise<ConnectorResult> {
  const result = await definition.run(params, context);
  const text = JSON.stringify(result);
  expect(text).not.toContain(KEY);
  expect(text).not.toContain(WRONG_KEY);
  return result;
}

function expectData(result: ConnectorResult): Record<string, unknown> {
  if (!result.ok) throw new Error(`expected data, got ${result.error.kind}: ${result.error.message}`);
  expect(result.data).not.toBeNull();
  return result.data!;
}

function expectError(result: ConnectorResult, kind: string) {
  if (result.ok) throw new Error(`expected a ${kind} error, got ${JSON.stringify(result)}`);
  expect(result.error.kind).toBe(kind);
  return result.error;
}

interface ConnectorCase {
  definition: EnrichmentDefinition;
  fake: () => FakeVendor<string>;
  /** Params that find data in the dataset. */
  hit: Record<string, unknown>;
  /** Params the vendor answers with "nothing found". */
  miss: Record<string, unknown>;
  /** The wait a scripted rate limit (no Retry-After) must turn into. */
  rateLimitedMs: number;
}

const CASES: ConnectorCase[] = [
  {
    definition: HUNTER_EMAIL_FINDER,
    fake: () => hunter,
    hit: { domain: 'engines.test', first_name: 'Ada', last_name: 'Lovelace' },
    miss: { domain: 'engines.test', first_name: 'Charles', last_name: 'Babbage' },
    rateLimitedMs: 1_000,
  },
  {
    definition: APOLLO_EMAIL_FINDER,
    fake: () => apollo,
    hit: { domain: 'engines.test', first_name: 'Ada', last_name: 'Lovelace' },
    miss: { domain: 'engines.test', first_name: 'Charles', last_name: 'Babbage' },
    rateLimitedMs: 60_000,
  },
  {
    definition: PROSPEO_EMAIL_FINDER,
    fake: () => prospeo,
    hit: { domain: 'engines.test', first_name: 'Ada', last_name: 'Lovelace' },
    miss: { domain: 'engines.test', first_name: 'Charles', last_name: 'Babbage' },
    rateLimitedMs: 37_000,
  },
  {
    definition: PROSPEO_MOBILE_FINDER,
    fake: () => prospeo,
    hit: { linkedin_url: 'https://www.linkedin.com/in/ada-lovelace' },
    miss: { linkedin_url: 'https://www.linkedin.com/in/nobody-at-all' },
    rateLimitedMs: 37_000,
  },
  {
    definition: HUNTER_EMAIL_VERIFIER,
    fake: () => hunter,
    hit: { email: 'ada@engines.test' },
    // Hunter's "nothing to say": the owner asked not to be processed (451).
    miss: { email: 'optout@engines.test' },
    rateLimitedMs: 1_000,
  },
  {
    definition: APOLLO_COMPANY_ENRICHMENT,
    fake: () => apollo,
    hit: { domain: 'engines.test' },
    miss: { domain: 'unknown-company.test' },
    rateLimitedMs: 60_000,
  },
  {
    definition: PDL_PEOPLE_SEARCH,
    fake: () => pdl,
    hit: { company_domain: 'https://www.engines.test/team', roles: 'chief, founder' },
    miss: { company_domain: 'unknown-company.test', roles: 'ceo' },
    rateLimitedMs: 1_000,
  },
  {
    definition: PDL_PERSON_BY_EMAIL,
    fake: () => pdl,
    hit: { email: 'ada@engines.test' },
    miss: { email: 'nobody@engines.test' },
    rateLimitedMs: 1_000,
  },
];

describe.each(CASES)('$definition.slug', ({ definition, fake, hit, miss, rateLimitedMs }) => {
  const provider = VENDOR_PROVIDERS[definition.provider]!;

  it('maps a hit to data with its response fields and charges the price', async () => {
    const result = await run(definition, hit, contextFor(fake()));
    const data = expectData(result);
    expect(Object.keys(data).sort()).toEqual(definition.response_fields.map((f) => f.name).sort());
    expect(result.ok && result.cost).toBeGreaterThan(0);
    expect(fake().stats.ok).toBe(1);
  });

  it('answers data: null at no cost when the vendor finds nothing', async () => {
    const result = await run(definition, miss, contextFor(fake()));
    expect(result).toEqual({ ok: true, data: null });
    expect(fake().stats.notFound).toBe(1);
  });

  it('fails with auth, naming the connection and the variable, when no key is configured', async () => {
    const result = await run(definition, hit, contextFor(fake(), { apiKey: undefined }));
    expect(expectError(result, 'auth').message).toBe(
      `No ${provider.name} API key: add one with PUT /v1/connections/${provider.provider} or set ${provider.envVar}`,
    );
    expect(fake().stats.requests).toBe(0);
  });

  it('fails with auth when the vendor refuses the key, without echoing it', async () => {
    const result = await run(definition, hit, contextFor(fake(), { apiKey: WRONG_KEY }));
    expect(expectError(result, 'auth').message).toMatch(/refused the API key \(401\)/);
    expect(fake().stats.unauthorized).toBe(1);
  });

  it('fails with auth, saying so, when the credits are used up', async () => {
    fake().enqueueFaults('quota');
    const result = await run(definition, hit, contextFor(fake()));
    expect(expectError(result, 'auth').message).toMatch(/credits/i);
    expect(fake().stats.quotaExhausted).toBe(1);
  });

  it("turns a rate limit into rate_limited with the vendor's wait", async () => {
    fake().enqueueFaults('rate_limit');
    const error = expectError(await run(definition, hit, contextFor(fake())), 'rate_limited');
    expect(error.retryAfterMs).toBe(rateLimitedMs);
    expect(fake().stats.rateLimited).toBe(1);
  });

  it('treats a 500 as retryable', async () => {
    fake().enqueueFaults('server_error');
    expectError(await run(definition, hit, contextFor(fake())), 'retryable');
    expect(fake().stats.serverErrors).toBe(1);
  });

  it('gives up on a hung call when the signal aborts, as retryable', async () => {
    fake().enqueueFaults('hang');
    const controller = new AbortController();
    const pending = run(definition, hit, contextFor(fake(), { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    expectError(await pending, 'retryable');
    expect(fake().stats.hung).toBe(1);
  });

  it('never puts the key in a URL of the requests it makes', async () => {
    await run(definition, hit, contextFor(fake()));
    const [request] = fake().requests;
    expect(request).toBeDefined();
    expect(Object.values(request!.query)).not.toContain('[redacted]');
  });
});

describe('People Data Labs Person Search', () => {
  it('asks for the company by website and the roles as job-title matches, and reads people back', async () => {
    const result = await run(
      PDL_PEOPLE_SEARCH,
      { company_domain: 'engines.test', roles: 'Chief Analyst', max_results: 3 },
      contextFor(pdl),
    );
    const [request] = pdl.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v5/person/search' });
    expect(request!.headers['x-api-key']).toBe('[redacted]');
    expect(request!.body).toEqual({
      query: {
        bool: {
          must: [
            { term: { job_company_website: 'engines.test' } },
            { bool: { should: [{ match: { job_title: 'Chief Analyst' } }], minimum_should_match: 1 } },
          ],
        },
      },
      size: 3,
    });
    // PDL keeps names in lower case and profiles without a scheme.
    const people = expectData(result).people as {
      full_name: string;
      role: string;
      profile_url: string | null;
    }[];
    expect(people[0]).toMatchObject({ full_name: 'Ada Lovelace', role: 'Chief Analyst' });
    expect(
      people.every((person) => person.profile_url === null || person.profile_url.startsWith('https://')),
    ).toBe(true);
    expect(result.ok && result.cost).toBeCloseTo(0.28 * people.length);
  });
});

describe('Hunter Email Finder', () => {
  it('sends GET /v2/email-finder with the documented parameters and the key in X-API-KEY', async () => {
    const result = await run(
      HUNTER_EMAIL_FINDER,
      {
        domain: 'https://www.Engines.test/about',
        first_name: 'Ada',
        last_name: 'Lovelace',
        company: 'ignored',
      },
      contextFor(hunter),
    );
    expect(expectData(result)).toEqual({
      email: 'ada@engines.test',
      score: 97,
      first_name: 'Ada',
      last_name: 'Lovelace',
      position: 'Chief Analyst',
      company: 'Analytical Engines',
      domain: 'engines.test',
      linkedin_url: 'https://www.linkedin.com/in/ada-lovelace',
      twitter: null,
      phone: '+14155550123',
      accept_all: false,
      verification_status: 'valid',
      sources_count: 1,
    });
    expect(result.ok && result.cost).toBe(HUNTER_EMAIL_FINDER.price);
    const [request] = hunter.requests;
    expect(request).toMatchObject({
      method: 'GET',
      path: '/v2/email-finder',
      query: { domain: 'engines.test', first_name: 'Ada', last_name: 'Lovelace' },
      headers: { 'x-api-key': '[redacted]' },
      status: 200,
    });
    // The domain wins over the company name, so the company is not sent.
    expect(request!.query).not.toHaveProperty('company');
  });

  it('uses full_name and the company name when that is all it has', async () => {
    const result = await run(
      HUNTER_EMAIL_FINDER,
      { company: 'Analytical Engines', full_name: 'Ada Lovelace' },
      contextFor(hunter),
    );
    expect(expectData(result).email).toBe('ada@engines.test');
    expect(hunter.requests[0]!.query).toEqual({ company: 'Analytical Engines', full_name: 'Ada Lovelace' });
  });

  it('reads a 200 with a null email as not found', async () => {
    const nulls = await startFakeHunter({ apiKey: KEY, people: PEOPLE, notFoundAs: 'null_email' });
    try {
      const result = await run(
        HUNTER_EMAIL_FINDER,
        { domain: 'engines.test', first_name: 'Charles', last_name: 'Babbage' },
        contextFor(nulls),
      );
      expect(result).toEqual({ ok: true, data: null });
      expect(nulls.requests[0]!.status).toBe(200);
    } finally {
      await nulls.close();
    }
  });

  it('uses Retry-After over its one-second default when Hunter sends one', async () => {
    const limited = await startFakeHunter({
      apiKey: KEY,
      people: PEOPLE,
      retryAfterSeconds: 7,
      faults: ['rate_limit'],
    });
    try {
      const error = expectError(
        await run(
          HUNTER_EMAIL_FINDER,
          { domain: 'engines.test', full_name: 'Ada Lovelace' },
          contextFor(limited),
        ),
        'rate_limited',
      );
      expect(error.retryAfterMs).toBe(7_000);
      expect(limited.requests[0]!.status).toBe(403);
    } finally {
      await limited.close();
    }
  });

  it('reports the usage limit (429) as exhausted credits, not as a rate limit', async () => {
    hunter.enqueueFaults('quota');
    const error = expectError(
      await run(
        HUNTER_EMAIL_FINDER,
        { domain: 'engines.test', full_name: 'Ada Lovelace' },
        contextFor(hunter),
      ),
      'auth',
    );
    expect(error.message).toMatch(/usage limit/);
    expect(hunter.requests[0]!.status).toBe(429);
  });

  it('does not mistake a wrong base URL (an unknown route) for a missing email', async () => {
    const context = { ...contextFor(hunter), baseUrl: `${hunter.url}/proxy` };
    const result = await run(
      HUNTER_EMAIL_FINDER,
      { domain: 'engines.test', full_name: 'Ada Lovelace' },
      context,
    );
    expect(expectError(result, 'non_retryable').message).toMatch(/404/);
    expect(hunter.requests[0]!.path).toBe('/proxy/v2/email-finder');
  });

  it('treats an empty key as no key', async () => {
    const result = await run(
      HUNTER_EMAIL_FINDER,
      { domain: 'engines.test', full_name: 'Ada Lovelace' },
      contextFor(hunter, { apiKey: '' }),
    );
    expect(expectError(result, 'auth').message).toMatch(/^No Hunter API key/);
    expect(hunter.stats.requests).toBe(0);
  });

  it('refuses inputs Hunter cannot use before calling it', async () => {
    const noCompany = await run(
      HUNTER_EMAIL_FINDER,
      { first_name: 'Ada', last_name: 'Lovelace' },
      contextFor(hunter),
    );
    expect(expectError(noCompany, 'non_retryable').message).toMatch(/domain or a company/);
    const noName = await run(
      HUNTER_EMAIL_FINDER,
      { domain: 'engines.test', first_name: 'Ada' },
      contextFor(hunter),
    );
    expect(expectError(noName, 'non_retryable').message).toMatch(/first_name and last_name, or full_name/);
    expect(hunter.stats.requests).toBe(0);
  });
});

describe('Hunter Email Verifier', () => {
  it('sends GET /v2/email-verifier?email= and marks a valid address is_valid', async () => {
    const result = await run(HUNTER_EMAIL_VERIFIER, { email: 'ada@engines.test' }, contextFor(hunter));
    expect(expectData(result)).toEqual({
      email: 'ada@engines.test',
      status: 'valid',
      is_valid: true,
      score: 100,
      result: 'deliverable',
      accept_all: false,
      disposable: false,
      webmail: false,
      mx_records: true,
      smtp_check: true,
      block: false,
    });
    expect(result.ok && result.cost).toBe(HUNTER_EMAIL_VERIFIER.price);
    expect(hunter.requests[0]).toMatchObject({
      method: 'GET',
      path: '/v2/email-verifier',
      query: { email: 'ada@engines.test' },
      headers: { 'x-api-key': '[redacted]' },
    });
  });

  it('is not valid for invalid, catch-all or disposable addresses, and free when unknown', async () => {
    const verifier = await startFakeHunter({
      apiKey: KEY,
      verifications: {
        'all@catch.test': 'accept_all',
        'x@temp.test': 'disposable',
        'who@fog.test': 'unknown',
      },
    });
    try {
      const verdicts: Record<string, unknown>[] = [];
      for (const email of ['nobody@engines.test', 'all@catch.test', 'x@temp.test', 'who@fog.test']) {
        const result = await run(HUNTER_EMAIL_VERIFIER, { email }, contextFor(verifier));
        verdicts.push({ ...expectData(result), cost: result.ok ? result.cost : undefined });
      }
      expect(verdicts.map((v) => [v.status, v.is_valid, v.cost])).toEqual([
        ['invalid', false, HUNTER_EMAIL_VERIFIER.price],
        ['accept_all', false, HUNTER_EMAIL_VERIFIER.price],
        ['disposable', false, HUNTER_EMAIL_VERIFIER.price],
        ['unknown', false, 0],
      ]);
    } finally {
      await verifier.close();
    }
  });

  it('retries a verification still in progress (202) and an SMTP failure (222)', async () => {
    hunter.enqueueFaults('in_progress', 'smtp_failed');
    const inProgress = expectError(
      await run(HUNTER_EMAIL_VERIFIER, { email: 'ada@engines.test' }, contextFor(hunter)),
      'retryable',
    );
    expect(inProgress.retryAfterMs).toBe(5_000);
    const smtp = expectError(
      await run(HUNTER_EMAIL_VERIFIER, { email: 'ada@engines.test' }, contextFor(hunter)),
      'retryable',
    );
    expect(smtp.message).toMatch(/222/);
    expect(hunter.requests.map((r) => r.status)).toEqual([202, 222]);
  });

  it('refuses something that is not an email before calling Hunter', async () => {
    expectError(
      await run(HUNTER_EMAIL_VERIFIER, { email: 'not an email' }, contextFor(hunter)),
      'non_retryable',
    );
    expect(hunter.stats.requests).toBe(0);
  });
});

describe('Apollo People Enrichment', () => {
  it('sends POST /api/v1/people/match with the inputs as query parameters and reveals off', async () => {
    const result = await run(
      APOLLO_EMAIL_FINDER,
      { first_name: 'Ada', last_name: 'Lovelace', domain: 'www.engines.test' },
      contextFor(apollo),
    );
    expect(expectData(result)).toMatchObject({
      email: 'ada@engines.test',
      email_status: 'verified',
      first_name: 'Ada',
      last_name: 'Lovelace',
      name: 'Ada Lovelace',
      title: 'Chief Analyst',
      linkedin_url: 'https://www.linkedin.com/in/ada-lovelace',
      company: 'Analytical Engines',
      company_domain: 'engines.test',
    });
    expect(result.ok && result.cost).toBe(APOLLO_EMAIL_FINDER.price);
    expect(apollo.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/people/match',
      query: {
        first_name: 'Ada',
        last_name: 'Lovelace',
        domain: 'engines.test',
        reveal_personal_emails: 'false',
        reveal_phone_number: 'false',
      },
      headers: { 'x-api-key': '[redacted]', 'content-type': 'application/json', 'cache-control': 'no-cache' },
    });
  });

  it('matches on a LinkedIn URL alone', async () => {
    const result = await run(
      APOLLO_EMAIL_FINDER,
      { linkedin_url: 'https://www.linkedin.com/in/ada-lovelace' },
      contextFor(apollo),
    );
    expect(expectData(result).email).toBe('ada@engines.test');
  });

  it('does not take the locked-email placeholder for an email', async () => {
    const result = await run(
      APOLLO_EMAIL_FINDER,
      { full_name: 'Grace Hopper', company: 'Cobol Works' },
      contextFor(apollo),
    );
    expect(result).toEqual({ ok: true, data: null });
    expect(apollo.requests[0]!.query).toMatchObject({
      name: 'Grace Hopper',
      organization_name: 'Cobol Works',
    });
  });

  it('fails with auth when the plan does not open the endpoint to the key (403 API_INACCESSIBLE)', async () => {
    const free = await startFakeApollo({ apiKey: KEY, people: PEOPLE, plan: 'free' });
    try {
      const error = expectError(
        await run(
          APOLLO_EMAIL_FINDER,
          { full_name: 'Ada Lovelace', domain: 'engines.test' },
          contextFor(free),
        ),
        'auth',
      );
      expect(error.message).toMatch(/403/);
      expect(error.message).toMatch(/free plan/);
    } finally {
      await free.close();
    }
  });

  it('waits for Retry-After when sent, and an hour when the daily window is spent', async () => {
    apollo.enqueueFaults('daily_limit');
    const daily = expectError(
      await run(
        APOLLO_EMAIL_FINDER,
        { full_name: 'Ada Lovelace', domain: 'engines.test' },
        contextFor(apollo),
      ),
      'rate_limited',
    );
    expect(daily.retryAfterMs).toBe(3_600_000);
    const limited = await startFakeApollo({ apiKey: KEY, retryAfterSeconds: 12, faults: ['rate_limit'] });
    try {
      const error = expectError(
        await run(
          APOLLO_EMAIL_FINDER,
          { full_name: 'Ada Lovelace', domain: 'engines.test' },
          contextFor(limited),
        ),
        'rate_limited',
      );
      expect(error.retryAfterMs).toBe(12_000);
    } finally {
      await limited.close();
    }
  });

  it('refuses a name without a company before calling Apollo', async () => {
    expectError(
      await run(APOLLO_EMAIL_FINDER, { full_name: 'Ada Lovelace' }, contextFor(apollo)),
      'non_retryable',
    );
    expect(apollo.stats.requests).toBe(0);
  });
});

describe('Apollo Organization Enrichment', () => {
  it('sends GET /api/v1/organizations/enrich?domain= with a bare domain and maps the firmographics', async () => {
    const result = await run(
      APOLLO_COMPANY_ENRICHMENT,
      { domain: 'https://www.engines.test/' },
      contextFor(apollo),
    );
    expect(expectData(result)).toEqual({
      name: 'Analytical Engines',
      domain: 'engines.test',
      website_url: 'http://www.engines.test',
      linkedin_url: 'http://www.linkedin.com/company/analytical-engines',
      twitter_url: null,
      industry: 'computer software',
      employee_count: 42,
      founded_year: 1843,
      annual_revenue: 1_200_000,
      description: 'Mechanical general-purpose computers.',
      phone: '+44 20 7946 0000',
      city: 'London',
      state: 'England',
      country: 'United Kingdom',
    });
    expect(apollo.requests[0]).toMatchObject({
      method: 'GET',
      path: '/api/v1/organizations/enrich',
      query: { domain: 'engines.test' },
      headers: { 'x-api-key': '[redacted]' },
    });
  });

  it('refuses a missing or malformed domain before calling Apollo', async () => {
    expectError(await run(APOLLO_COMPANY_ENRICHMENT, {}, contextFor(apollo)), 'non_retryable');
    expectError(
      await run(APOLLO_COMPANY_ENRICHMENT, { domain: 'not a domain' }, contextFor(apollo)),
      'non_retryable',
    );
    expect(apollo.stats.requests).toBe(0);
  });
});

describe('Prospeo Enrich Person', () => {
  it('finds a verified email with POST /enrich-person, X-KEY and the documented body', async () => {
    const result = await run(
      PROSPEO_EMAIL_FINDER,
      { first_name: 'Ada', last_name: 'Lovelace', domain: 'https://engines.test' },
      contextFor(prospeo),
    );
    expect(expectData(result)).toEqual({
      email: 'ada@engines.test',
      email_status: 'VERIFIED',
      first_name: 'Ada',
      last_name: 'Lovelace',
      full_name: 'Ada Lovelace',
      title: 'Chief Analyst',
      linkedin_url: 'https://www.linkedin.com/in/ada-lovelace',
      company: 'Analytical Engines',
      company_domain: 'engines.test',
    });
    expect(result.ok && result.cost).toBe(PROSPEO_EMAIL_FINDER.price);
    expect(prospeo.requests[0]).toMatchObject({
      method: 'POST',
      path: '/enrich-person',
      headers: { 'x-key': '[redacted]', 'content-type': 'application/json' },
      body: {
        only_verified_email: true,
        enrich_mobile: false,
        only_verified_mobile: false,
        data: { first_name: 'Ada', last_name: 'Lovelace', company_website: 'engines.test' },
      },
    });
  });

  it('charges nothing for a record the account already enriched (free_enrichment)', async () => {
    const params = { full_name: 'Ada Lovelace', company: 'Analytical Engines' };
    const first = await run(PROSPEO_EMAIL_FINDER, params, contextFor(prospeo));
    const again = await run(PROSPEO_EMAIL_FINDER, params, contextFor(prospeo));
    expect(first.ok && first.cost).toBe(PROSPEO_EMAIL_FINDER.price);
    expect(again.ok && again.cost).toBe(0);
    expect(expectData(again).email).toBe('ada@engines.test');
  });

  it('answers not found for an unverified email (Prospeo answers NO_MATCH when only verified ones are asked for)', async () => {
    const result = await run(
      PROSPEO_EMAIL_FINDER,
      { first_name: 'Grace', last_name: 'Hopper', domain: 'cobol.test' },
      contextFor(prospeo),
    );
    expect(result).toEqual({ ok: true, data: null });
    expect(prospeo.requests[0]!.status).toBe(400);
  });

  it('finds a mobile from a LinkedIn URL with enrich_mobile and only_verified_mobile', async () => {
    const result = await run(
      PROSPEO_MOBILE_FINDER,
      { linkedin_url: 'https://www.linkedin.com/in/alan-turing' },
      contextFor(prospeo),
    );
    expect(expectData(result)).toMatchObject({
      phone: '+441632960001',
      phone_status: 'VERIFIED',
      first_name: 'Alan',
      last_name: 'Turing',
      company: 'Bletchley Park',
    });
    expect(result.ok && result.cost).toBe(PROSPEO_MOBILE_FINDER.price);
    expect(prospeo.requests[0]!.body).toEqual({
      only_verified_email: false,
      enrich_mobile: true,
      only_verified_mobile: true,
      data: { linkedin_url: 'https://www.linkedin.com/in/alan-turing' },
    });
  });

  it('finds a mobile from a known work email', async () => {
    const result = await run(PROSPEO_MOBILE_FINDER, { email: 'ada@engines.test' }, contextFor(prospeo));
    expect(expectData(result).phone).toBe('+14155550123');
    expect(prospeo.requests[0]!.body).toMatchObject({ data: { email: 'ada@engines.test' } });
  });

  it('answers not found for a person without a mobile', async () => {
    const result = await run(
      PROSPEO_MOBILE_FINDER,
      { first_name: 'Grace', last_name: 'Hopper', company: 'Cobol Works' },
      contextFor(prospeo),
    );
    expect(result).toEqual({ ok: true, data: null });
  });

  it("retries Prospeo's INTERNAL_ERROR even though it comes as a 400", async () => {
    prospeo.enqueueFaults('internal_error');
    const error = expectError(
      await run(
        PROSPEO_EMAIL_FINDER,
        { full_name: 'Ada Lovelace', domain: 'engines.test' },
        contextFor(prospeo),
      ),
      'retryable',
    );
    expect(error.message).toMatch(/INTERNAL_ERROR/);
  });

  it('waits for the daily window to reset when that is the one spent', async () => {
    const daily = await startFakeProspeo({
      apiKey: KEY,
      people: PEOPLE,
      dailyResetSeconds: 1800,
      faults: ['daily_limit'],
    });
    try {
      const error = expectError(
        await run(
          PROSPEO_EMAIL_FINDER,
          { full_name: 'Ada Lovelace', domain: 'engines.test' },
          contextFor(daily),
        ),
        'rate_limited',
      );
      expect(error.retryAfterMs).toBe(1_800_000);
    } finally {
      await daily.close();
    }
  });

  it('refuses inputs that cannot identify anyone before calling Prospeo', async () => {
    const error = expectError(
      await run(PROSPEO_MOBILE_FINDER, { first_name: 'Ada', last_name: 'Lovelace' }, contextFor(prospeo)),
      'non_retryable',
    );
    expect(error.message).toMatch(/linkedin_url/);
    expect(prospeo.stats.requests).toBe(0);
  });
});

describe('the vendor catalog', () => {
  it('has stable, unique ids in 100–199 and unique slugs', () => {
    const ids = VENDOR_ENRICHMENTS.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id >= 100 && id <= 199).toBe(true);
    expect(new Set(VENDOR_ENRICHMENTS.map((e) => e.slug)).size).toBe(ids.length);
    expect(Object.fromEntries(VENDOR_ENRICHMENTS.map((e) => [e.slug, e.id]))).toEqual({
      hunter_email_finder: 100,
      apollo_email_finder: 101,
      prospeo_email_finder: 102,
      prospeo_mobile_finder: 103,
      hunter_email_verifier: 104,
      apollo_company_enrichment: 105,
      pdl_people_search: 106,
      pdl_person_by_email: 107,
    });
  });

  it('describes every connector completely', () => {
    for (const e of VENDOR_ENRICHMENTS) {
      const provider = VENDOR_PROVIDERS[e.provider];
      expect(provider, e.slug).toBeDefined();
      expect(e.data_source).toBe(provider!.name);
      expect(e.auth_method).toBe('api_key');
      expect(e.cacheable).toBe(true);
      expect(e.price).toBeGreaterThan(0);
      expect(e.baseUrl).toBe(provider!.baseUrl);
      expect(e.baseUrl).toMatch(/^https:\/\/api\./);
      expect(e.params.length).toBeGreaterThan(0);
      expect(e.response_fields.length).toBeGreaterThan(0);
      expect(e.limits?.requestsPerMinute).toBeGreaterThan(0);
      expect(provider!.envVar).toBe(`${e.provider.toUpperCase()}_API_KEY`);
    }
  });

  it('offers three email finders, a phone finder, a verifier with is_valid and a company enrichment', () => {
    const fields = (e: EnrichmentDefinition) => e.response_fields.map((f) => f.name);
    const emailFinders = VENDOR_ENRICHMENTS.filter(
      (e) => e.category.includes('email') && !e.category.includes('verification'),
    );
    expect(emailFinders.map((e) => e.provider).sort()).toEqual(['apollo', 'hunter', 'prospeo']);
    for (const e of emailFinders) expect(fields(e)).toContain('email');
    expect(VENDOR_ENRICHMENTS.filter((e) => e.category.includes('phone')).map(fields)).toEqual([
      expect.arrayContaining(['phone']),
    ]);
    expect(fields(HUNTER_EMAIL_VERIFIER)).toEqual(expect.arrayContaining(['is_valid', 'status']));
    expect(fields(APOLLO_COMPANY_ENRICHMENT)).toEqual(
      expect.arrayContaining(['name', 'industry', 'employee_count', 'linkedin_url']),
    );
  });

  it('scrubs the key from any text a vendor might echo', () => {
    expect(scrub(`bad key ${KEY} (again: ${KEY})`, KEY)).toBe('bad key [redacted] (again: [redacted])');
    expect(scrub('nothing here', undefined)).toBe('nothing here');
  });
});
