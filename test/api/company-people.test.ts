import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApi } from '../fixtures/app.ts';
import { startFakeOpenAI, type BrainReply, type BrainRequest, type FakeLlm } from '../fixtures/fake-llm.ts';
import { startFakeSearxng, type FakeSearxng, type SearchHit } from '../fixtures/fake-search.ts';
import { startFakeSite, type FakePage, type FakeSite } from '../fixtures/fake-site.ts';
import {
  startFakeApollo,
  startFakeHunter,
  startFakePdl,
  startFakeProspeo,
  type FakeApollo,
  type FakeHunter,
  type FakePerson,
  type FakePdl,
  type FakeProspeo,
} from '../fixtures/fake-vendors/index.ts';
import { seedDocument, seedSchema } from '../fixtures/seeds.ts';
import { STORE_KINDS } from '../fixtures/stores.ts';
import { listen } from '../sdk/listen.ts';

/**
 * Company and people tables end to end (issue 9): domains → company name, website and profile →
 * the people in the roles asked, in a child people table → their emails (a vendor waterfall),
 * phones (E.164) and a reverse email lookup. Every vendor is a fake server on 127.0.0.1: the search
 * engine, the companies' web pages, the LLM (which reads the pages it is given) and the data vendors.
 */

interface FakeEmployee {
  name: string;
  role: string;
  url: string;
  email: string;
  /** As the vendors write it (not E.164). */
  phone: string;
  e164: string;
}

interface FakeCompanySite {
  slug: string;
  domain: string;
  name: string;
  description: string;
  profile: {
    founded: number;
    employees: number;
    city: string;
    state: string;
    country: string;
    address: string;
    products: string[];
  };
  people: FakeEmployee[];
}

const COMPANIES: FakeCompanySite[] = [
  {
    slug: 'acme',
    domain: 'acme.test',
    name: 'Acme Rockets',
    description: 'Acme Rockets builds reusable rockets for research laboratories.',
    profile: {
      founded: 2011,
      employees: 120,
      city: 'Springfield',
      state: 'Illinois',
      country: 'United States',
      address: '1 Launch Way, Springfield, IL 62701, United States',
      products: ['Reusable rockets', 'Launch services'],
    },
    people: [
      {
        name: 'Ada Lovelace',
        role: 'CEO',
        url: 'https://www.linkedin.com/in/ada-lovelace',
        email: 'ada@acme.test',
        phone: '+1 415-555-0101',
        e164: '+14155550101',
      },
      {
        name: 'Charles Babbage',
        role: 'CTO',
        url: 'https://www.linkedin.com/in/charles-babbage',
        email: 'charles@acme.test',
        phone: '+1 (415) 555 0102',
        e164: '+14155550102',
      },
      {
        name: 'Grace Hopper',
        role: 'Engineer',
        url: 'https://www.linkedin.com/in/grace-hopper',
        email: 'grace@acme.test',
        phone: '+1 415 555 0103',
        e164: '+14155550103',
      },
    ],
  },
  {
    slug: 'globex',
    domain: 'globex.test',
    name: 'Globex',
    description: 'Globex sells industrial automation software to factories.',
    profile: {
      founded: 1996,
      employees: 900,
      city: 'Cypress Creek',
      state: 'Oregon',
      country: 'United States',
      address: '100 Volcano Rd, Cypress Creek, OR 97000, United States',
      products: ['Automation suite'],
    },
    people: [
      {
        name: 'Hank Scorpio',
        role: 'CEO',
        url: 'https://www.linkedin.com/in/hank-scorpio',
        email: 'hank@globex.test',
        phone: '+44 20 7946 0018',
        e164: '+442079460018',
      },
    ],
  },
  {
    slug: 'initech',
    domain: 'initech.test',
    name: 'Initech',
    description: 'Initech makes banking software and TPS reports.',
    profile: {
      founded: 1999,
      employees: 350,
      city: 'Austin',
      state: 'Texas',
      country: 'United States',
      address: '4120 Freidrich Ln, Austin, TX 78744, United States',
      products: ['Banking software'],
    },
    people: [
      {
        name: 'Bill Lumbergh',
        role: 'CTO',
        url: 'https://www.linkedin.com/in/bill-lumbergh',
        email: 'bill@initech.test',
        phone: '+1-512-555-0199',
        e164: '+15125550199',
      },
    ],
  },
];

/** Companies a discovery search finds: some build rockets, some sell shoes. */
const DISCOVERABLE = [
  ['shoe-one', 'Shoe One', 'sells running shoes'],
  ['rocket-one', 'Rocket One', 'builds rockets for satellite operators'],
  ['rocket-two', 'Rocket Two', 'builds rockets for research labs'],
  ['shoe-two', 'Shoe Two', 'sells hiking boots'],
  ['rocket-three', 'Rocket Three', 'builds rockets for tourists'],
  ['rocket-four', 'Rocket Four', 'builds rockets and launch pads'],
  ['shoe-three', 'Shoe Three', 'sells sandals'],
  ['rocket-five', 'Rocket Five', 'builds rockets for weather agencies'],
].map(([slug, name, does]) => ({ slug: slug!, domain: `${slug}.test`, name: name!, does: does! }));

const ROCKET_CRITERION = {
  key: 'builds_rockets',
  name: 'Builds rockets',
  criterion: 'The company builds rockets for its customers.',
};

/** What the rows are given: a URL, a bare domain, and a name to look up. */
const INPUTS = ['https://www.acme.test/products?ref=list', 'globex.test', 'Initech'];
const ROLES = ['CEO', 'CTO'];
const wanted = (company: FakeCompanySite) => company.people.filter((person) => ROLES.includes(person.role));

function pagesFor(company: FakeCompanySite): Record<string, FakePage> {
  const p = company.profile;
  return {
    [`/${company.slug}/about`]: {
      title: `About ${company.name}`,
      body: [
        `[[company|${company.name}]]`,
        company.description,
        `[[profile|founded=${p.founded}|employees=${p.employees}|city=${p.city}|state=${p.state}|country=${p.country}|address=${p.address}|products=${p.products.join(';')}]]`,
      ].join('\n\n'),
    },
    [`/${company.slug}/team`]: {
      title: `${company.name} team`,
      body: [
        `The people of ${company.name}.`,
        ...company.people.map(
          (person) => `[[person|${person.name}|${person.role}|${person.url}|${person.email}]]`,
        ),
      ].join('\n\n'),
    },
  };
}

// ── the fake model: it reads the numbered pages it is given, like a research model would ─────

interface PromptPage {
  id: number;
  text: string;
}

function pagesOf(prompt: string): PromptPage[] {
  const headers = [...prompt.matchAll(/^\[(\d+)\] [^\n]*\(https?:[^\n]*\)$/gm)];
  return headers.map((header, index) => ({
    id: Number(header[1]),
    text: prompt.slice(header.index, headers[index + 1]?.index ?? prompt.length),
  }));
}

function markers(pages: PromptPage[], kind: string): { page: number; fields: string[] }[] {
  return pages.flatMap((page) =>
    [...page.text.matchAll(new RegExp(`\\[\\[${kind}\\|([^\\]]+)\\]\\]`, 'g'))].map((match) => ({
      page: page.id,
      fields: match[1]!.split('|'),
    })),
  );
}

function brain(request: BrainRequest): BrainReply {
  const prompt = request.messages.map((message) => message.content).join('\n');
  const properties = (request.schema?.properties ?? {}) as Record<string, unknown>;
  const domain = /\b([a-z0-9-]+\.test)\b/.exec(prompt)?.[1] ?? 'unknown.test';
  if ('queries' in properties) return { json: { queries: [`${domain} about`, `${domain} team`] } };
  const task = /^Task: (.*)$/m.exec(prompt)?.[1] ?? '';
  const pages = pagesOf(prompt);
  const reply = (answer: unknown, cited: number[], explanation: string): BrainReply => ({
    json: { answer, explanation, source_ids: [...new Set(cited)] },
  });

  if (task.startsWith('A user searches for companies')) {
    return { json: { answer: { criteria: [ROCKET_CRITERION] }, explanation: 'From the query.' } };
  }
  if (task.startsWith('Grade ')) {
    // Each criterion is met (5) when the company's pages say what its key says, else not (1).
    const criteria = [...prompt.matchAll(/^- ([a-z_]+) \((.*?)\): (.*)$/gm)].map((match) => match[1]!);
    const text = pages.map((page) => page.text.toLowerCase()).join('\n');
    const answer = Object.fromEntries(
      criteria.map((key) => {
        const met = text.includes(key.replace(/_/g, ' '));
        return [
          key,
          { grade: met ? 5 : 1, explanation: met ? 'Its site says so.' : 'Its site says otherwise.' },
        ];
      }),
    );
    return reply(answer, pages.map((page) => page.id).slice(0, 1), 'Graded from its site.');
  }
  if (task.startsWith('Introduce ')) {
    // Only the name is in the prompt; role and company come from the row facts Enrichbase adds.
    const fact = (key: string) => new RegExp(`^- ${key}: (.*)$`, 'm').exec(prompt)?.[1];
    return {
      json: {
        answer: `${fact('full_name')}, ${fact('role')} at ${fact('company_name')} (${fact('company_website')})`,
        explanation: 'From the row.',
      },
    };
  }
  if (task.startsWith('What is the name of the company')) {
    const found = markers(pages, 'company')[0];
    return found
      ? reply(found.fields[0], [found.page], 'Named on its about page.')
      : reply(null, [], 'No page.');
  }
  if (task.startsWith('Build a profile')) {
    const found = markers(pages, 'profile')[0];
    if (!found) return reply(null, [], 'No page.');
    const field = Object.fromEntries(found.fields.map((entry) => entry.split('=') as [string, string]));
    const about = pages.find((page) => page.id === found.page)!.text;
    const description = /\]\]\s*([^[]+?\.)\s*\[\[/.exec(about)?.[1]?.trim() ?? null;
    return reply(
      {
        short_description: description,
        full_description: description,
        products_services: field.products!.split(';'),
        use_cases: [],
        target_audience: null,
        founding_year: Number(field.founded),
        employee_count: Number(field.employees),
        hq_country: field.country,
        hq_state_province: field.state,
        hq_city: field.city,
        hq_full_address: field.address,
        social_profiles: [],
        sources: [],
      },
      [found.page],
      'From the about page.',
    );
  }
  if (task.startsWith('Find up to')) {
    const max = Number(/Find up to (\d+)/.exec(task)?.[1] ?? 5);
    const roles = (/in these roles: (.*?)\. Look/.exec(task)?.[1] ?? '').split(', ');
    const people = markers(pages, 'person').filter((entry) => roles.includes(entry.fields[1]!));
    return reply(
      people
        .slice(0, max)
        .map(({ fields: [name, role, url] }) => ({ full_name: name, role, profile_url: url })),
      people.map((entry) => entry.page),
      'Listed on the team page.',
    );
  }
  if (task.startsWith('Who is the person with the email address')) {
    const email = /email address (\S+?)(?: |\?)/.exec(task)?.[1];
    const person = markers(pages, 'person').find((entry) => entry.fields[3] === email);
    return person
      ? reply(
          [{ full_name: person.fields[0], role: person.fields[1], profile_url: person.fields[2] }],
          [person.page],
          'The team page lists this address.',
        )
      : reply([], [], 'Nobody with that address.');
  }
  return reply(null, [], `Unexpected task: ${task}`);
}

// ── the test ────────────────────────────────────────────────────────────────────────────────

describe.each(STORE_KINDS)('company and people tables on %s', (kind) => {
  let site: FakeSite;
  let searxng: FakeSearxng;
  let openai: FakeLlm;
  let hunter: FakeHunter;
  let apollo: FakeApollo;
  let prospeo: FakeProspeo;
  let pdl: FakePdl;

  const vendorPerson = (company: FakeCompanySite, person: FakeEmployee): FakePerson => ({
    first_name: person.name.split(' ')[0]!,
    last_name: person.name.split(' ').at(-1)!,
    domain: company.domain,
    company: company.name,
    title: person.role,
    email: person.email,
    phone: person.phone,
    linkedin_url: person.url,
  });

  beforeAll(async () => {
    const discoverablePages = Object.fromEntries(
      DISCOVERABLE.map((company) => [
        `/${company.slug}/about`,
        {
          title: `About ${company.name}`,
          body: `[[company|${company.name}]]\n\n${company.name} ${company.does}.`,
        },
      ]),
    );
    site = await startFakeSite(
      Object.assign({}, discoverablePages, ...COMPANIES.map(pagesFor)) as Record<string, FakePage>,
    );
    searxng = await startFakeSearxng({
      index: (query): SearchHit[] => {
        const text = query.toLowerCase();
        if (text.includes('official website')) {
          const company = COMPANIES.find((candidate) => text.includes(candidate.name.toLowerCase()));
          return company
            ? [
                {
                  url: `https://www.linkedin.com/company/${company.slug}`,
                  title: `${company.name} | LinkedIn`,
                  content: 'A directory page.',
                },
                { url: `https://www.${company.domain}/`, title: company.name, content: 'The home page.' },
              ]
            : [];
        }
        const discovered = DISCOVERABLE.find((candidate) => text.includes(candidate.domain));
        if (discovered)
          return [
            { url: site.urlFor(`/${discovered.slug}/about`), title: `About ${discovered.name}`, content: '' },
          ];
        if (text.includes('rocket makers')) {
          const hits: SearchHit[] = DISCOVERABLE.map((candidate) => ({
            url: `https://www.${candidate.domain}/`,
            title: candidate.name,
            content: `${candidate.name} ${candidate.does}.`,
          }));
          // A directory and an excluded site among them, as real result pages have.
          hits.splice(2, 0, {
            url: 'https://www.crunchbase.com/hub/rocket-companies',
            title: 'Rocket companies',
            content: 'A list.',
          });
          hits.splice(3, 0, {
            url: 'https://blog.excluded.test/top',
            title: 'Top rocket makers',
            content: '',
          });
          return hits;
        }
        const company = COMPANIES.find((candidate) => text.includes(candidate.domain));
        if (!company) return [];
        return [
          { url: site.urlFor(`/${company.slug}/about`), title: `About ${company.name}`, content: '' },
          { url: site.urlFor(`/${company.slug}/team`), title: `${company.name} team`, content: '' },
        ];
      },
    });
    openai = await startFakeOpenAI({ brain });
    // The email waterfall: Hunter knows only Acme's people, Apollo nobody, Prospeo everyone.
    const acme = COMPANIES[0]!;
    hunter = await startFakeHunter({
      apiKey: 'hunter-key',
      people: acme.people.map((person) => vendorPerson(acme, person)),
    });
    apollo = await startFakeApollo({ apiKey: 'apollo-key', people: [] });
    // A people-data vendor that knows two of Acme's leaders (only workspaces with its key ask it).
    pdl = await startFakePdl({
      apiKey: 'pdl-key',
      profiles: [
        {
          full_name: 'Wile E Coyote',
          job_title: 'ceo',
          job_company_website: 'acme.test',
          linkedin_url: 'linkedin.com/in/wile-e-coyote',
          work_email: 'w.coyote@acme.test',
        },
        { full_name: 'Road Runner', job_title: 'cto', job_company_website: 'acme.test' },
      ],
    });
    prospeo = await startFakeProspeo({
      apiKey: 'prospeo-key',
      people: COMPANIES.flatMap((company) => company.people.map((person) => vendorPerson(company, person))),
    });
  });
  afterAll(async () => {
    for (const server of [site, searxng, openai, hunter, apollo, prospeo, pdl]) await server?.close();
  });

  const api = useTestApi(kind, {
    env: () => ({
      OPENAI_API_KEY: openai.apiKey,
      OPENAI_BASE_URL: openai.url,
      SEARXNG_URL: searxng.url,
      HUNTER_API_KEY: 'hunter-key',
      APOLLO_API_KEY: 'apollo-key',
      PROSPEO_API_KEY: 'prospeo-key',
      ENRICHBASE_VENDOR_BASE_URLS: JSON.stringify({
        hunter: hunter.url,
        apollo: apollo.url,
        prospeo: prospeo.url,
        pdl: pdl.url,
      }),
    }),
  });

  async function call(method: string, path: string, body?: unknown, status = 200) {
    const response = await api().request(method, path, body === undefined ? {} : { body });
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    return response.body;
  }

  async function run(tableId: string, body: Record<string, unknown> = {}) {
    await call('POST', `/v1/tables/${tableId}/run`, body);
    await api().engine.drain();
  }

  async function rowsOf(tableId: string): Promise<any[]> {
    return (await call('GET', `/v1/tables/${tableId}/data?limit=100`)).rows;
  }

  /** Seed 003's column config schemas, by kind. */
  function seedConfigSchemas(): Map<string, any> {
    const document = seedDocument('003');
    const schemas = document.components.schemas;
    const refs: string[] = schemas.ColumnOutputSchema.properties.config.anyOf.map((entry: any) => entry.$ref);
    return new Map(
      refs.map((ref) => {
        const schema = schemas[ref.split('/').at(-1)!];
        return [schema.properties.kind.const, schema];
      }),
    );
  }

  /** GET /v1/tables/{id} field for field as seed 003, relationships and column configs included. */
  function expectSeedShape(table: any) {
    const header = seedSchema('003', 'TableHeaderWithStatusOutput');
    expect(Object.keys(table).sort()).toEqual(Object.keys(header.properties).sort());
    expect(seedSchema('003', 'TableKind').enum).toContain(table.kind);
    const relationship = seedSchema('003', 'TableRelationshipOutput');
    const types = seedSchema('003', 'TableRelationshipType').enum;
    for (const link of [...table.child_relationships, ...table.parent_relationships]) {
      expect(Object.keys(link).sort()).toEqual(Object.keys(relationship.properties).sort());
      expect(types).toContain(link.relationship_type);
    }
    const configs = seedConfigSchemas();
    for (const column of table.columns) {
      expect(Object.keys(column).sort()).toEqual(['config', 'created_at', 'id']);
      const schema = configs.get(column.config.kind);
      expect(schema, column.config.kind).toBeDefined();
      expect(Object.keys(column.config).sort()).toEqual(Object.keys(schema.properties).sort());
      for (const required of schema.required ?? []) expect(column.config).toHaveProperty(required);
    }
  }

  it('grows three domains into companies, a linked people table, emails through a waterfall and E.164 phones', async () => {
    // A company table gets its system columns; a people finder gets its child table.
    const created = await call('POST', '/v1/tables', { name: 'Targets', kind: 'company' });
    expect(created.columns.map((column: any) => [column.config.kind, column.config.key])).toEqual([
      ['input', 'input'],
      ['company_name', 'company_name'],
      ['company_website', 'company_website'],
      ['company_profile', 'company_profile'],
    ]);
    const [finder] = await call('POST', `/v1/tables/${created.id}/columns`, {
      column_configs: [
        { kind: 'company_people_finder', name: 'People', key: 'people', value: { roles: ROLES } },
      ],
    });
    const company = await call('GET', `/v1/tables/${created.id}`);
    expect(company.child_relationships).toEqual([
      { table_id: expect.any(String), relationship_type: 'company_people' },
    ]);
    expect(company.parent_relationships).toEqual([]);
    const childId = company.child_relationships[0].table_id;
    const child = await call('GET', `/v1/tables/${childId}`);
    expect(child).toMatchObject({
      kind: 'people',
      child_relationships: [],
      parent_relationships: [{ table_id: created.id, relationship_type: 'company_people' }],
    });
    expect(child.columns.map((column: any) => column.config.key)).toEqual([
      'input',
      'full_name',
      'role',
      'profile_url',
    ]);
    expectSeedShape(company);
    expectSeedShape(child);
    // Child tables are reached through their parent, not listed.
    const listed = await call('GET', '/v1/tables?limit=100');
    expect(listed.items.map((item: any) => item.id)).not.toContain(childId);

    // Domains → name, website, profile → people.
    const inserted = await call('POST', `/v1/tables/${created.id}/rows`, {
      rows: INPUTS.map((input) => ({ data: { input } })),
    });
    await run(created.id);
    const companyRows = await rowsOf(created.id);
    expect(companyRows).toHaveLength(3);
    for (const [index, company] of COMPANIES.entries()) {
      const row = companyRows.find((candidate) => candidate.id === inserted[index].id)!;
      expect(row.data.company_website).toMatchObject({
        status: 'done',
        value: { answer: `https://${company.domain}` },
      });
      expect(row.data.company_name).toMatchObject({ status: 'done', value: { answer: company.name } });
      const profile = row.data.company_profile;
      expect(profile.status).toBe('done');
      expect(profile.value.answer).toMatchObject({
        short_description: company.description,
        products_services: company.profile.products,
        founding_year: company.profile.founded,
        employee_count: company.profile.employees,
        hq_country: company.profile.country,
        hq_state_province: company.profile.state,
        hq_city: company.profile.city,
        hq_full_address: company.profile.address,
        sources: [site.urlFor(`/${company.slug}/about`)],
      });
      expect(Object.keys(profile.value.answer).sort()).toEqual(
        [
          'short_description',
          'full_description',
          'products_services',
          'use_cases',
          'target_audience',
          'founding_year',
          'employee_count',
          'hq_country',
          'hq_state_province',
          'hq_city',
          'hq_full_address',
          'social_profiles',
          'sources',
        ].sort(),
      );
      expect(row.data.people).toMatchObject({
        status: 'done',
        value: {
          answer: wanted(company).map((person) => ({
            full_name: person.name,
            role: person.role,
            profile_url: person.url,
          })),
        },
      });
    }

    // One child row per person, linked to its company row, carrying the company's data.
    const people = await rowsOf(childId);
    expect(people).toHaveLength(COMPANIES.flatMap(wanted).length);
    for (const [index, company] of COMPANIES.entries()) {
      const parentRowId = inserted[index].id;
      const theirs = people.filter((row) => row.parent_row_id === parentRowId);
      expect(theirs.map((row) => row.data.full_name.value.answer).sort()).toEqual(
        wanted(company)
          .map((person) => person.name)
          .sort(),
      );
      for (const row of theirs) {
        expect(row.parent_data).toMatchObject({
          input: INPUTS[index],
          company_name: company.name,
          company_website: `https://${company.domain}`,
        });
        expect(row.data.role.value.answer).toBe(
          company.people.find((person) => person.name === row.data.full_name.value.answer)!.role,
        );
      }
    }

    // Re-running the finder finds the same people again and adds nobody twice.
    await run(created.id, { mode: 'all', columns: [finder.id] });
    expect(await rowsOf(childId)).toHaveLength(people.length);
    const single = await call('GET', `/v1/tables/${childId}/rows/${people[0].id}`);
    expect(single.parent_row_id).toBe(people[0].parent_row_id);

    // Emails (website from the parent row), phones, and the person behind each email.
    await call('POST', `/v1/tables/${childId}/columns`, {
      column_configs: [
        { kind: 'email_finder', name: 'Email', key: 'email' },
        { kind: 'phone_finder', name: 'Phone', key: 'phone' },
        { kind: 'reverse_email_lookup', name: 'Who', key: 'who', email_column_key: 'email' },
        {
          kind: 'agent',
          name: 'Intro',
          key: 'intro',
          value: { agent_type: 'llm', prompt: 'Introduce {full_name} in one line.' },
        },
      ],
    });
    await run(childId);
    for (const row of await rowsOf(childId)) {
      const company = COMPANIES.find(
        (candidate) => candidate.domain === row.parent_data.company_website.slice(8),
      )!;
      const person = company.people.find((candidate) => candidate.name === row.data.full_name.value.answer)!;
      expect(row.data.email).toMatchObject({ status: 'done', value: { answer: { email: person.email } } });
      // Hunter knows only Acme: the others fell through Apollo (nobody) to Prospeo.
      expect(row.data.email.value.explanation).toBe(
        company.slug === 'acme' ? 'Found by hunter' : 'Found by prospeo',
      );
      expect(row.data.phone).toMatchObject({ status: 'done', value: { answer: { phone: person.e164 } } });
      expect(row.data.phone.value.answer.phone).toMatch(/^\+[1-9]\d{7,14}$/);
      expect(row.data.intro).toMatchObject({
        status: 'done',
        value: { answer: `${person.name}, ${person.role} at ${company.name} (https://${company.domain})` },
      });
      expect(row.data.who).toMatchObject({
        status: 'done',
        value: {
          answer: {
            full_name: person.name,
            role: person.role,
            profile_url: person.url,
            email: person.email,
            company_website: `https://${company.domain}`,
          },
        },
      });
    }
    const apolloLookups = apollo.requests.filter((request) => request.path.includes('people/match'));
    expect(apolloLookups.length).toBeGreaterThan(0);

    const finished = await call('GET', `/v1/tables/${childId}`);
    expectSeedShape(finished);
    expect(finished.status).toMatchObject({ run_status: 'idle', num_cells_in_progress: 0 });

    // A company row deleted takes its people with it.
    const globexRowId = inserted[1].id;
    await call('DELETE', `/v1/tables/${created.id}/rows`, { rows: [globexRowId] });
    const remaining = await rowsOf(childId);
    expect(remaining).toHaveLength(people.length - wanted(COMPANIES[1]!).length);
    expect(remaining.some((row) => row.parent_row_id === globexRowId)).toBe(false);
    expect((await call('GET', `/v1/tables/${childId}`)).status.num_rows).toBe(remaining.length);
  });

  it('asks a people-data vendor first when the workspace has its key, and researches only what it lacks', async () => {
    const apiKey = { 'x-apikey': api().key };
    await api().request('PUT', '/v1/connections/pdl', {
      key: null,
      headers: apiKey,
      body: { api_key: 'pdl-key' },
    });
    try {
      const created = await call('POST', '/v1/tables', { name: 'Vendor people', kind: 'company' });
      await call('POST', `/v1/tables/${created.id}/columns`, {
        column_configs: [
          {
            kind: 'company_people_finder',
            name: 'Leaders',
            key: 'leaders',
            value: { roles: ROLES, max_results: 2 },
          },
        ],
      });
      await call('POST', `/v1/tables/${created.id}/rows`, { rows: [{ data: { input: 'acme.test' } }] });
      await run(created.id);
      const [row] = await rowsOf(created.id);
      expect(row.data.leaders).toMatchObject({
        status: 'done',
        value: {
          answer: [
            { full_name: 'Wile E Coyote', role: 'CEO', profile_url: 'https://linkedin.com/in/wile-e-coyote' },
            { full_name: 'Road Runner', role: 'CTO', profile_url: null },
          ],
          explanation: expect.stringContaining('People Data Labs found 2'),
        },
      });
      expect(pdl.requests).toHaveLength(1);
      const detail = await call('GET', `/v1/tables/${created.id}/rows/${row.id}/cells/leaders`);
      expect(detail.cost).toBeCloseTo(0.56);
      const childId = (await call('GET', `/v1/tables/${created.id}`)).child_relationships[0].table_id;
      const people = await rowsOf(childId);
      expect(people.map((person: any) => person.data.full_name.value.answer).sort()).toEqual([
        'Road Runner',
        'Wile E Coyote',
      ]);

      // reverse_email_lookup asks the vendor's Person Enrichment first, too.
      const lookups = await call('POST', '/v1/tables', {
        name: 'Who is it',
        kind: 'people',
        column_configs: [
          { kind: 'input', name: 'Email', key: 'email' },
          { kind: 'reverse_email_lookup', name: 'Who', key: 'who', email_column_key: 'email' },
        ],
      });
      await call('POST', `/v1/tables/${lookups.id}/rows`, {
        rows: [{ data: { email: 'W.Coyote@acme.test' } }],
      });
      await run(lookups.id);
      const [lookup] = await rowsOf(lookups.id);
      expect(lookup.data.who).toMatchObject({
        status: 'done',
        value: {
          answer: {
            full_name: 'Wile E Coyote',
            role: 'CEO',
            profile_url: 'https://linkedin.com/in/wile-e-coyote',
            email: 'w.coyote@acme.test',
            company_website: 'https://acme.test',
          },
          explanation: 'Found by People Data Labs.',
        },
      });
    } finally {
      await api().request('DELETE', '/v1/connections/pdl', { key: null, headers: apiKey });
    }
  });

  it('reuses a company profile researched in another table of the workspace', async () => {
    const first = await call('POST', '/v1/tables', { name: 'First', kind: 'company' });
    await call('POST', `/v1/tables/${first.id}/rows`, { rows: [{ data: { input: 'globex.test' } }] });
    await run(first.id);
    const before = openai.stats.requests;
    const second = await call('POST', '/v1/tables', { name: 'Second', kind: 'company' });
    await call('POST', `/v1/tables/${second.id}/rows`, {
      rows: [{ data: { input: 'https://globex.test/pricing' } }],
    });
    await run(second.id);
    expect(openai.stats.requests).toBe(before);
    const [a] = await rowsOf(first.id);
    const [b] = await rowsOf(second.id);
    expect(b.data.company_profile).toMatchObject({ status: 'done' });
    expect(b.data.company_profile.value).toEqual(a.data.company_profile.value);
    expect(b.data.company_name.value.answer).toBe('Globex');
  });

  it('makes the company columns stale when the input changes, and recomputes them for the new company', async () => {
    const table = await call('POST', '/v1/tables', { name: 'Moving', kind: 'company' });
    const [row] = await call('POST', `/v1/tables/${table.id}/rows`, {
      rows: [{ data: { input: 'acme.test' } }],
    });
    await run(table.id);
    await call('PATCH', `/v1/tables/${table.id}/rows`, {
      rows: [{ id: row.id, data: { input: 'Initech' } }],
    });
    const [stale] = await rowsOf(table.id);
    for (const key of ['company_name', 'company_website', 'company_profile'])
      expect(stale.data[key].status, key).toBe('stale');
    await run(table.id);
    const [fresh] = await rowsOf(table.id);
    expect(fresh.data.company_website.value.answer).toBe('https://initech.test');
    expect(fresh.data.company_name.value.answer).toBe('Initech');
  });

  it('refuses research_pro agents and people finders on people tables with 422', async () => {
    const people = await call('POST', '/v1/tables', {
      name: 'Leads',
      kind: 'people',
      column_configs: [{ kind: 'input', name: 'Name', key: 'full_name' }],
    });
    const response = await api().request('POST', `/v1/tables/${people.id}/columns`, {
      body: {
        column_configs: [
          { kind: 'agent', name: 'Bio', key: 'bio', value: { prompt: 'Who is {full_name}?' } },
          { kind: 'company_people_finder', name: 'People', key: 'people', value: { roles: ['CEO'] } },
        ],
      },
    });
    expect(response.status).toBe(422);
    expect(response.body.detail).toEqual([
      {
        loc: ['body', 'column_configs', 0, 'value', 'agent_type'],
        msg: expect.stringContaining('research_pro'),
        type: expect.any(String),
      },
      {
        loc: ['body', 'column_configs', 1, 'kind'],
        msg: expect.stringContaining('company tables'),
        type: expect.any(String),
      },
    ]);
    // An llm agent is fine there.
    await call('POST', `/v1/tables/${people.id}/columns`, {
      column_configs: [
        {
          kind: 'agent',
          name: 'Bio',
          key: 'bio',
          value: { agent_type: 'llm', prompt: 'Who is {full_name}?' },
        },
      ],
    });
  });

  it('deletes the people table with its finder column or its company table', async () => {
    const table = await call('POST', '/v1/tables', {
      name: 'Parent',
      kind: 'company',
      column_configs: [
        { kind: 'input', name: 'Input', key: 'input' },
        { kind: 'company_people_finder', name: 'Founders', key: 'founders', value: { roles: ['Founder'] } },
        { kind: 'company_people_finder', name: 'Sales', key: 'sales', value: { roles: ['VP Sales'] } },
      ],
    });
    expect(table.columns.map((column: any) => column.config.key)).toEqual([
      'input',
      'founders',
      'sales',
      'company_name',
      'company_website',
      'company_profile',
    ]);
    expect(table.child_relationships).toHaveLength(2);
    const [founders, sales] = table.child_relationships.map((link: any) => link.table_id);
    const salesColumn = table.columns.find((column: any) => column.config.key === 'sales');
    await call('DELETE', `/v1/tables/${table.id}/columns/${salesColumn.id}`);
    await call('GET', `/v1/tables/${sales}`, undefined, 404);
    expect((await call('GET', `/v1/tables/${table.id}`)).child_relationships).toEqual([
      { table_id: founders, relationship_type: 'company_people' },
    ]);
    await call('DELETE', `/v1/tables/${table.id}`);
    await call('GET', `/v1/tables/${founders}`, undefined, 404);
  });

  it('finds, builds and grades the companies a query asks for, most relevant first', async () => {
    const created = await call('POST', '/v1/discovery_tasks', {
      query: 'rocket makers',
      desired_num_results: 5,
      criteria: [ROCKET_CRITERION],
      exclude_domains: ['https://www.excluded.test/'],
    });
    expect(created).toMatchObject({
      status: 'created',
      query: 'rocket makers',
      desired_num_results: 5,
      criteria: [ROCKET_CRITERION],
      exclude_domains: ['excluded.test'],
      table_id: null,
    });
    await api().discovery.settle();
    await api().engine.drain();
    const task = await call('GET', `/v1/discovery_tasks/${created.id}`);
    expect(task).toMatchObject({
      status: 'done',
      num_results: 5,
      num_graded: 5,
      num_in_progress: 0,
      num_failed: 0,
      exhausted: false,
      reason: null,
      table_id: expect.any(String),
    });

    const results = await call('GET', `/v1/discovery_tasks/${created.id}/results?limit=100`);
    expect(results.total).toBe(5);
    // The first five companies the search found (no directory, nothing excluded), rockets first.
    const firstFive = DISCOVERABLE.slice(0, 5);
    expect(results.items.map((item: any) => item.domain).sort()).toEqual(
      firstFive.map((company) => company.domain).sort(),
    );
    const relevances = results.items.map((item: any) => item.relevance);
    expect(relevances).toEqual([...relevances].sort((a, b) => b - a));
    for (const item of results.items) {
      const company = DISCOVERABLE.find((candidate) => candidate.domain === item.domain)!;
      const rockets = company.does.includes('builds rockets');
      expect(item).toMatchObject({
        company_name: company.name,
        company_website: `https://${company.domain}`,
        relevance: rockets ? 5 : 1,
        scores: { builds_rockets: { grade: rockets ? 5 : 1, explanation: expect.any(String) } },
        status: 'done',
      });
    }

    // The candidates are an ordinary company table with a discovery_scores column.
    const table = await call('GET', `/v1/tables/${task.table_id}`);
    expectSeedShape(table);
    expect(table.kind).toBe('company');
    expect(table.columns.find((column: any) => column.config.kind === 'discovery_scores').config).toEqual({
      kind: 'discovery_scores',
      name: 'Discovery Scores',
      key: 'discovery_scores',
      criteria: { builds_rockets: ROCKET_CRITERION },
    });
  });

  it('infers criteria from the query and ends exhausted, with a reason, when the search runs dry', async () => {
    const created = await call('POST', '/v1/discovery_tasks', {
      query: 'rocket makers',
      desired_num_results: 20,
    });
    expect(created).toMatchObject({ status: 'created', desired_num_results: 20, criteria: [] });
    await api().discovery.settle();
    await api().engine.drain();
    const task = await call('GET', `/v1/discovery_tasks/${created.id}`);
    expect(task).toMatchObject({
      status: 'done',
      criteria: [ROCKET_CRITERION],
      // Everything the search knows but the directory site; the excluded blog was not excluded this time.
      num_results: DISCOVERABLE.length + 1,
      num_graded: DISCOVERABLE.length + 1,
      exhausted: true,
      reason: expect.stringContaining(`found ${DISCOVERABLE.length + 1} matching companies of the 20`),
    });
    const results = await call('GET', `/v1/discovery_tasks/${created.id}/results?limit=3&offset=0`);
    expect(results).toMatchObject({ total: DISCOVERABLE.length + 1, offset: 0, limit: 3 });
    expect(results.items.map((item: any) => item.relevance)).toEqual([5, 5, 5]);
  });

  it('takes up a task a stopped process left before its table, once, and leaves fresh ones alone', async () => {
    const workspace = (await api().store.listWorkspaces()).find((item) => item.name === 'default')!;
    // As a process that died mid-search leaves it: in progress, no table, no run.
    const left = await api().store.createDiscoveryTask(workspace.id, {
      query: 'rocket makers',
      desiredNumResults: 3,
      criteria: [ROCKET_CRITERION],
      excludeDomains: [],
    });
    await api().store.updateDiscoveryTask(workspace.id, left.id, { status: 'in_progress' });
    // Untouched for less than the stale time: another process may still be on it.
    expect(await api().discovery.resumeInterrupted(60_000)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const [first, second] = await Promise.all([
      api().discovery.resumeInterrupted(1),
      api().discovery.resumeInterrupted(1),
    ]);
    expect(first + second).toBe(1);
    await api().discovery.settle();
    await api().engine.drain();
    const task = await call('GET', `/v1/discovery_tasks/${left.id}`);
    expect(task).toMatchObject({
      status: 'done',
      num_results: 3,
      num_graded: 3,
      table_id: expect.any(String),
    });
  });

  it(
    'runs a discovery from the command line and lists the graded companies (enrichbase discover --wait)',
    { timeout: 120_000 },
    async () => {
      const server = await listen(api().http);
      api().engine.start();
      try {
        const bin = path.resolve(import.meta.dirname, '../../bin/enrichbase.js');
        const child = spawn(
          process.execPath,
          [
            bin,
            'discover',
            'rocket makers',
            '-n',
            '3',
            '-c',
            `${ROCKET_CRITERION.key}: ${ROCKET_CRITERION.criterion}`,
            '--wait',
            '--json',
          ],
          {
            env: {
              ...process.env,
              LOG_LEVEL: 'silent',
              ENRICHBASE_URL: server.url,
              ENRICHBASE_API_KEY: api().key,
            },
          },
        );
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
        expect(code).toBe(0);
        const results = JSON.parse(stdout) as { task: any; items: any[]; total: number };
        expect(results.task).toMatchObject({ status: 'done', num_results: 3, num_graded: 3 });
        expect(results.total).toBe(3);
        const relevance = results.items.map((item) => item.relevance);
        expect(relevance).toEqual([...relevance].sort((a, b) => b - a));
      } finally {
        await api().engine.stop();
        await server.close();
      }
    },
  );

  it('validates discovery tasks (422) and hides unknown ones (404)', async () => {
    for (const body of [
      { query: 'rockets', desired_num_results: 0 },
      { query: 'rockets', desired_num_results: 251 },
      { query: '' },
      { query: 'rockets', criteria: [{ key: '1bad', name: 'x', criterion: 'too short' }] },
    ]) {
      const response = await api().request('POST', '/v1/discovery_tasks', { body });
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.body.detail[0]).toMatchObject({ loc: expect.arrayContaining(['body']) });
    }
    const created = await call('POST', '/v1/discovery_tasks', {
      query: 'rocket makers',
      desired_num_results: 1,
    });
    const other = await api().request('GET', `/v1/discovery_tasks/${created.id}`, { key: api().otherKey });
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ detail: 'Discovery task not found' });
    await api().discovery.settle();
    await api().engine.drain();
  });
});
