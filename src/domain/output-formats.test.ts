import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { OUTPUT_FORMATS, type OutputFormat } from './columns.ts';
import { explainInvalidJsonSchema } from './json-schema.ts';
import {
  answerJsonSchema,
  describeFormat,
  normalizeAnswer,
  type OutputFormatOptions,
} from './output-formats.ts';

const LABELS = ['SaaS', 'Marketplace', 'Hardware'];
const COMPANY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    employees: { type: ['integer', 'null'] },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['name', 'employees', 'tags'],
};
const OPTIONS: OutputFormatOptions = { labels: LABELS, outputSchema: COMPANY_SCHEMA };

/** One answer per format that must survive normalisation and then conform to the format's schema. */
const GOOD_ANSWERS: Record<OutputFormat, unknown> = {
  text: '  Acme makes invoicing software. ',
  url: 'acme.com/about',
  number: '1,234.5',
  email: 'Jane@ACME.com',
  label: ['hardware', 'SaaS'],
  json: { name: 'Acme', employees: 40, tags: ['b2b'] },
  grade: '4/5',
  people: [{ full_name: 'Jane Doe', role: 'CEO', profile_url: 'linkedin.com/in/janedoe' }],
  numeric: '12%',
  money: '€3.5M',
  date: '17 May 2019',
  phone: '+1 (415) 555-2671',
  select: ' saas ',
  multiselect: 'Marketplace',
};

function answerOf(format: OutputFormat, raw: unknown, options: OutputFormatOptions = OPTIONS): unknown {
  const result = normalizeAnswer(format, raw, options);
  if (!result.ok) throw new Error(`${format} refused ${JSON.stringify(raw)}: ${result.error}`);
  return result.answer;
}

function errorOf(format: OutputFormat, raw: unknown, options: OutputFormatOptions = OPTIONS): string {
  const result = normalizeAnswer(format, raw, options);
  if (result.ok)
    throw new Error(`${format} accepted ${JSON.stringify(raw)} as ${JSON.stringify(result.answer)}`);
  return result.error;
}

/**
 * What OpenAI strict mode and Anthropic strict tools refuse: objects that are open or that leave
 * a property out of `required`, and `format` keywords. Returns one line per problem.
 */
function strictModeProblems(schema: unknown, path = '$'): string[] {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return [];
  const node = schema as Record<string, any>;
  const problems: string[] = [];
  if ('format' in node) problems.push(`${path} uses the format keyword`);
  const isObject = [node.type].flat().includes('object') || 'properties' in node;
  if (isObject) {
    if (node.additionalProperties !== false) problems.push(`${path} lacks additionalProperties: false`);
    const properties = Object.keys(node.properties ?? {}).sort();
    const required = [...(node.required ?? [])].sort();
    if (JSON.stringify(properties) !== JSON.stringify(required)) {
      problems.push(`${path} requires ${JSON.stringify(required)} of ${JSON.stringify(properties)}`);
    }
  }
  for (const keyword of ['properties', '$defs', 'definitions']) {
    for (const [name, child] of Object.entries(node[keyword] ?? {})) {
      problems.push(...strictModeProblems(child, `${path}.${keyword}.${name}`));
    }
  }
  if (node.items) problems.push(...strictModeProblems(node.items, `${path}.items`));
  for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
    (node[keyword] ?? []).forEach((child: unknown, index: number) => {
      problems.push(...strictModeProblems(child, `${path}.${keyword}[${index}]`));
    });
  }
  return problems;
}

describe('answerJsonSchema', () => {
  // Strict ajv catches unknown keywords and misplaced ones that the lenient shared instance lets by.
  const strictAjv = new Ajv({ strict: true, allowUnionTypes: true });

  it('finds the problems strict modes refuse, so its silence below means something', () => {
    const open = { type: 'object', properties: { a: { type: 'string', format: 'uri' } }, required: [] };
    expect(strictModeProblems({ anyOf: [open, { type: 'null' }] })).toEqual([
      '$.anyOf[0] lacks additionalProperties: false',
      '$.anyOf[0] requires [] of ["a"]',
      '$.anyOf[0].properties.a uses the format keyword',
    ]);
  });

  it.each(OUTPUT_FORMATS)('gives %s a valid JSON Schema shaped for strict structured outputs', (format) => {
    const schema = answerJsonSchema(format, OPTIONS);
    expect(strictAjv.validateSchema(schema)).toBe(true);
    expect(explainInvalidJsonSchema(schema)).toBeUndefined();
    expect(strictModeProblems(schema)).toEqual([]);
    expect(schema).toMatchObject({ type: 'object', required: ['answer', 'explanation'] });
  });

  it.each(OUTPUT_FORMATS)('lets a %s answer be null, explained', (format) => {
    const validate = strictAjv.compile(answerJsonSchema(format, OPTIONS));
    expect(validate({ answer: null, explanation: 'No source gives it.' })).toBe(true);
    expect(validate({ answer: null })).toBe(false);
  });

  it.each(OUTPUT_FORMATS)('accepts the normalised form of a good %s answer', (format) => {
    const validate = strictAjv.compile(answerJsonSchema(format, OPTIONS));
    const answer = answerOf(format, GOOD_ANSWERS[format]);
    expect(validate({ answer, explanation: 'Found it.' }), JSON.stringify(validate.errors)).toBe(true);
  });

  it('restricts select answers to the labels and multiselect answers to lists of them', () => {
    const select = strictAjv.compile(answerJsonSchema('select', OPTIONS));
    expect(select({ answer: 'SaaS', explanation: '' })).toBe(true);
    expect(select({ answer: 'Acme Corp', explanation: '' })).toBe(false);
    const multiselect = strictAjv.compile(answerJsonSchema('multiselect', OPTIONS));
    expect(multiselect({ answer: ['SaaS', 'Hardware'], explanation: '' })).toBe(true);
    expect(multiselect({ answer: ['SaaS', 'Acme'], explanation: '' })).toBe(false);
  });

  it('types grades as the integers 1 to 5 and money as an amount with a currency', () => {
    const grade = strictAjv.compile(answerJsonSchema('grade', OPTIONS));
    expect([1, 5, 0, 6, 4.5].map((answer) => grade({ answer, explanation: '' }))).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    const money = strictAjv.compile(answerJsonSchema('money', OPTIONS));
    expect(money({ answer: { amount: 5, currency: 'USD' }, explanation: '' })).toBe(true);
    expect(money({ answer: { amount: 5 }, explanation: '' })).toBe(false);
  });

  it("embeds a json column's output_schema as given, made nullable, and as a copy", () => {
    const schema = answerJsonSchema('json', OPTIONS) as any;
    expect(schema.properties.answer.anyOf).toEqual([COMPANY_SCHEMA, { type: 'null' }]);
    expect(schema.properties.answer.anyOf[0]).not.toBe(COMPANY_SCHEMA);
  });

  it('asks for JSON encoded in a string when a json column has no output_schema', () => {
    const schema = answerJsonSchema('json', {}) as any;
    expect(schema.properties.answer.type).toEqual(['string', 'null']);
    expect(answerOf('json', '{"any": [1, 2]}', {})).toEqual({ any: [1, 2] });
  });

  it('describes formats in words rather than with format keywords', () => {
    const url = answerJsonSchema('url', OPTIONS) as any;
    expect(url.properties.answer).toMatchObject({ type: ['string', 'null'] });
    expect(url.properties.answer.description).toMatch(/https:\/\//);
    const date = answerJsonSchema('date', OPTIONS) as any;
    expect(date.properties.answer.description).toMatch(/YYYY-MM-DD/);
  });

  it('treats number as numeric and label as multiselect', () => {
    expect(answerJsonSchema('number', OPTIONS)).toEqual(answerJsonSchema('numeric', OPTIONS));
    expect(answerJsonSchema('label', OPTIONS)).toEqual(answerJsonSchema('multiselect', OPTIONS));
    expect(answerOf('number', '3k')).toBe(answerOf('numeric', '3k'));
    expect(answerOf('label', ['saas'])).toEqual(answerOf('multiselect', ['saas']));
  });
});

describe('normalizeAnswer: nulls', () => {
  it.each(OUTPUT_FORMATS)('accepts null and undefined as a %s answer meaning "not found"', (format) => {
    expect(normalizeAnswer(format, null, OPTIONS)).toEqual({ ok: true, answer: null });
    expect(normalizeAnswer(format, undefined, OPTIONS)).toEqual({ ok: true, answer: null });
  });

  it.each(OUTPUT_FORMATS.filter((format) => format !== 'json'))(
    'reads a blank string as null in %s',
    (format) => {
      expect(answerOf(format, '   ')).toBeNull();
    },
  );

  it('reads an empty list as null in list formats', () => {
    for (const format of ['multiselect', 'label', 'people'] as const) expect(answerOf(format, [])).toBeNull();
  });

  it('reads "N/A" and "unknown" as null in typed formats, but keeps them as text and labels', () => {
    for (const format of ['url', 'email', 'numeric', 'money', 'date', 'phone', 'grade'] as const) {
      expect(answerOf(format, 'N/A')).toBeNull();
      expect(answerOf(format, 'Unknown')).toBeNull();
    }
    expect(answerOf('text', 'N/A')).toBe('N/A');
    expect(answerOf('select', 'unknown', { labels: ['Known', 'Unknown'] })).toBe('Unknown');
  });

  it('keeps a json answer that is an empty string, which a schema may allow', () => {
    expect(answerOf('json', '', { outputSchema: { type: 'string' } })).toBe('');
  });
});

describe('normalizeAnswer: text', () => {
  it('trims text and turns numbers and booleans into strings', () => {
    expect(answerOf('text', '  Acme builds invoicing software.\n')).toBe('Acme builds invoicing software.');
    expect(answerOf('text', 42)).toBe('42');
    expect(answerOf('text', false)).toBe('false');
  });

  it('refuses lists and objects, naming what it got', () => {
    expect(errorOf('text', ['a', 'b'])).toBe('Expected one string of text, got a list: ["a","b"]');
    expect(errorOf('text', { summary: 'x' })).toBe(
      'Expected one string of text, got an object: {"summary":"x"}',
    );
  });
});

describe('normalizeAnswer: url', () => {
  it('keeps absolute http and https URLs as written', () => {
    expect(answerOf('url', 'https://acme.com/about?ref=1')).toBe('https://acme.com/about?ref=1');
    expect(answerOf('url', ' http://www.acme.co.uk ')).toBe('http://www.acme.co.uk');
  });

  it('adds https:// to a bare domain, with or without a path or port', () => {
    expect(answerOf('url', 'acme.com')).toBe('https://acme.com');
    expect(answerOf('url', 'www.acme.com/pricing')).toBe('https://www.acme.com/pricing');
    expect(answerOf('url', 'acme.com:8080/x')).toBe('https://acme.com:8080/x');
    expect(answerOf('url', '//cdn.acme.com/logo.png')).toBe('https://cdn.acme.com/logo.png');
  });

  it('refuses other schemes, hosts without a domain and non-URLs with a fix', () => {
    expect(errorOf('url', 'mailto:jane@acme.com')).toBe(
      "'mailto:jane@acme.com' uses the mailto: scheme, not a web one; give an http:// or https:// URL, e.g. https://acme.com",
    );
    expect(errorOf('url', 'ftp://files.acme.com')).toMatch(/uses the ftp: scheme/);
    expect(errorOf('url', 'http://localhost:3000')).toMatch(/has no public domain name/);
    expect(errorOf('url', 'Acme Corp website')).toMatch(/contains spaces/);
    expect(errorOf('url', 'acme')).toBe(
      "'acme' is not an absolute URL; give one starting with https://, e.g. https://acme.com",
    );
    expect(errorOf('url', 42)).toBe('Expected a URL as a string, got a number: 42');
  });
});

describe('normalizeAnswer: email', () => {
  it('accepts an address, lower-casing only the domain', () => {
    expect(answerOf('email', 'Jane.Doe@ACME.Com')).toBe('Jane.Doe@acme.com');
    expect(answerOf('email', 'first+tag@mail.acme.co.uk')).toBe('first+tag@mail.acme.co.uk');
    expect(answerOf('email', 'mailto:jane@acme.com')).toBe('jane@acme.com');
  });

  it('refuses addresses without exactly one @ or without a dotted domain', () => {
    expect(errorOf('email', 'jane.acme.com')).toBe(
      "'jane.acme.com' has no @; give one email address such as jane@acme.com",
    );
    expect(errorOf('email', 'jane@doe@acme.com')).toMatch(/has more than one @/);
    expect(errorOf('email', 'jane@acme')).toBe(
      "'jane@acme' has no valid domain after the @; it should look like jane@acme.com",
    );
    expect(errorOf('email', 'jane doe@acme.com')).toMatch(/invalid part before the @/);
    expect(errorOf('email', '.jane@acme.com')).toMatch(/invalid part before the @/);
  });
});

describe('normalizeAnswer: select', () => {
  it('returns the canonical label for an exact or case- and space-insensitive match', () => {
    expect(answerOf('select', 'SaaS')).toBe('SaaS');
    expect(answerOf('select', '  saas ')).toBe('SaaS');
    expect(answerOf('select', 'MARKETPLACE')).toBe('Marketplace');
    expect(answerOf('select', ['Hardware'])).toBe('Hardware');
    expect(answerOf('select', 'b2b  saas', { labels: ['B2B SaaS', 'B2C'] })).toBe('B2B SaaS');
  });

  it('refuses an answer outside the labels, listing them', () => {
    expect(errorOf('select', 'Acme Corp', { labels: ['SaaS', 'Marketplace'] })).toBe(
      "'Acme Corp' is not one of the labels: 'SaaS', 'Marketplace'",
    );
  });

  it('refuses several labels at once', () => {
    expect(errorOf('select', ['SaaS', 'Hardware'])).toBe(
      "Choose exactly one label, not a list of 2; one of: 'SaaS', 'Marketplace', 'Hardware'",
    );
  });

  it('refuses a loose match when labels differ only in case', () => {
    expect(answerOf('select', 'SAAS', { labels: ['SaaS', 'SAAS'] })).toBe('SAAS');
    expect(errorOf('select', 'saas', { labels: ['SaaS', 'SAAS'] })).toMatch(/is not one of the labels/);
  });
});

describe('normalizeAnswer: multiselect and label', () => {
  it('returns matching labels de-duplicated and in the order of the labels', () => {
    expect(answerOf('multiselect', ['hardware', 'SaaS', ' saas'])).toEqual(['SaaS', 'Hardware']);
    expect(answerOf('label', ['Marketplace'])).toEqual(['Marketplace']);
  });

  it('makes a single string a one-element list', () => {
    expect(answerOf('multiselect', 'marketplace')).toEqual(['Marketplace']);
    expect(answerOf('label', 'Hardware')).toEqual(['Hardware']);
  });

  it('refuses unknown labels, naming each of them', () => {
    expect(errorOf('multiselect', ['SaaS', 'Fintech', 'AI'])).toBe(
      "'Fintech', 'AI' are not among the labels: 'SaaS', 'Marketplace', 'Hardware'",
    );
    expect(errorOf('label', 'Fintech')).toBe(
      "'Fintech' is not one of the labels: 'SaaS', 'Marketplace', 'Hardware'",
    );
    expect(errorOf('multiselect', [{ label: 'SaaS' }])).toBe(
      'Expected a list of labels, found an object: {"label":"SaaS"}',
    );
  });

  it('refuses any answer when the column has no labels', () => {
    expect(errorOf('multiselect', ['SaaS'], {})).toMatch(/defines no labels/);
    expect(errorOf('select', 'SaaS', { labels: null })).toMatch(/defines no labels/);
  });
});

describe('normalizeAnswer: numeric and number', () => {
  it('accepts finite numbers and plain numeric strings', () => {
    expect(answerOf('numeric', 42)).toBe(42);
    expect(answerOf('numeric', -3.5)).toBe(-3.5);
    expect(answerOf('number', ' 1234.5 ')).toBe(1234.5);
    expect(answerOf('numeric', '.5')).toBe(0.5);
    expect(answerOf('numeric', '+7')).toBe(7);
    expect(answerOf('numeric', '1.2e3')).toBe(1200);
  });

  it('reads thousands separators only in groups of three', () => {
    expect(answerOf('numeric', '1,234.5')).toBe(1234.5);
    expect(answerOf('numeric', '12,000,000')).toBe(12000000);
    expect(errorOf('numeric', '1,5')).toMatch(/^'1,5' is not a plain number; answer with a plain number/);
    expect(errorOf('numeric', '1.234,5')).toMatch(/use \. for decimals/);
    expect(errorOf('numeric', '12,00')).toMatch(/is not a plain number/);
  });

  it('keeps a percentage as written and scales k, M, B, T and spelled-out multipliers exactly', () => {
    expect(answerOf('numeric', '12%')).toBe(12);
    expect(answerOf('numeric', '12.5 %')).toBe(12.5);
    expect(answerOf('numeric', '3k')).toBe(3000);
    expect(answerOf('numeric', '1.1M')).toBe(1100000);
    expect(answerOf('numeric', '2.5B')).toBe(2500000000);
    expect(answerOf('numeric', '4 billion')).toBe(4000000000);
    expect(answerOf('numeric', '1.2bn')).toBe(1200000000);
    expect(answerOf('numeric', '-2T')).toBe(-2000000000000);
  });

  it('refuses ambiguous suffixes, units and currency', () => {
    expect(errorOf('numeric', '5m')).toMatch(/^'5m' has an unknown unit or multiplier 'm'/);
    expect(errorOf('numeric', '5b')).toMatch(/unknown unit or multiplier 'b'/);
    expect(errorOf('numeric', '12 employees')).toMatch(/unknown unit or multiplier 'employees'/);
    expect(errorOf('numeric', '$5')).toMatch(/is not a plain number/);
    expect(errorOf('numeric', 'about 40')).toMatch(/is not a plain number/);
  });

  it('refuses non-finite numbers and other types', () => {
    expect(errorOf('numeric', Number.NaN)).toMatch(/^NaN is not a finite number/);
    expect(errorOf('numeric', Infinity)).toMatch(/^Infinity is not a finite number/);
    expect(errorOf('numeric', true)).toBe('Expected a number, got a boolean: true');
  });
});

describe('normalizeAnswer: money', () => {
  it('accepts {amount, currency}, upper-casing the code and reading numeric amounts', () => {
    expect(answerOf('money', { amount: 1200, currency: 'USD' })).toEqual({ amount: 1200, currency: 'USD' });
    expect(answerOf('money', { amount: '1.2M', currency: 'eur' })).toEqual({
      amount: 1200000,
      currency: 'EUR',
    });
    expect(answerOf('money', { amount: -5, currency: '£', symbol: '£' })).toEqual({
      amount: -5,
      currency: 'GBP',
    });
  });

  it('reads strings with a symbol or code before or after the amount', () => {
    expect(answerOf('money', '$1,200')).toEqual({ amount: 1200, currency: 'USD' });
    expect(answerOf('money', '€3.5M')).toEqual({ amount: 3500000, currency: 'EUR' });
    expect(answerOf('money', 'USD 500')).toEqual({ amount: 500, currency: 'USD' });
    expect(answerOf('money', '500 chf')).toEqual({ amount: 500, currency: 'CHF' });
    expect(answerOf('money', '1.5 million GBP')).toEqual({ amount: 1500000, currency: 'GBP' });
    expect(answerOf('money', 'C$20k')).toEqual({ amount: 20000, currency: 'CAD' });
    expect(answerOf('money', '-$5')).toEqual({ amount: -5, currency: 'USD' });
    expect(answerOf('money', '$1,200 USD')).toEqual({ amount: 1200, currency: 'USD' });
  });

  it('refuses unknown and ambiguous currencies', () => {
    expect(errorOf('money', { amount: 5, currency: 'XYZ' })).toBe(
      "'XYZ' is not an ISO 4217 currency code; use a code such as USD, EUR or GBP",
    );
    expect(errorOf('money', '¥500')).toMatch(/^'¥500' is ambiguous: its currency symbol could be JPY or CNY/);
    expect(errorOf('money', '500 kr')).toMatch(/could be SEK, NOK, DKK or ISK/);
    expect(errorOf('money', '500 bitcoins')).toMatch(/names no known currency/);
    expect(errorOf('money', '$5 EUR')).toMatch(/names two different currencies/);
  });

  it('refuses amounts without a currency or with an unreadable number', () => {
    expect(errorOf('money', 1200)).toBe(
      '1200 has no currency; answer {"amount": number, "currency": "<ISO 4217 code>"}, e.g. {"amount": 1200000, "currency": "USD"}',
    );
    expect(errorOf('money', '1,200')).toMatch(/names no known currency/);
    expect(errorOf('money', '$lots')).toMatch(/has no readable amount/);
    expect(errorOf('money', { amount: 'lots', currency: 'USD' })).toMatch(
      /^amount: 'lots' is not a plain number/,
    );
    expect(errorOf('money', { amount: 5 })).toMatch(/^currency must be an ISO 4217 code such as USD/);
  });
});

describe('normalizeAnswer: date', () => {
  it('accepts full and partial ISO 8601 dates', () => {
    expect(answerOf('date', '2019')).toBe('2019');
    expect(answerOf('date', '2019-05')).toBe('2019-05');
    expect(answerOf('date', '2019-05-17')).toBe('2019-05-17');
    expect(answerOf('date', 2019)).toBe('2019');
  });

  it('normalises year-first variants and keeps the date of a date-time as written', () => {
    expect(answerOf('date', '2019/5/7')).toBe('2019-05-07');
    expect(answerOf('date', '2019.05')).toBe('2019-05');
    expect(answerOf('date', '2019-05-17T23:30:00-08:00')).toBe('2019-05-17');
  });

  it('reads English month names in day-month-year, month-day-year and month-year orders', () => {
    expect(answerOf('date', 'May 2019')).toBe('2019-05');
    expect(answerOf('date', 'Sept. 2019')).toBe('2019-09');
    expect(answerOf('date', '17 May 2019')).toBe('2019-05-17');
    expect(answerOf('date', '1st March, 2020')).toBe('2020-03-01');
    expect(answerOf('date', 'May 17, 2019')).toBe('2019-05-17');
    expect(answerOf('date', 'december 3rd 2021')).toBe('2021-12-03');
  });

  it('refuses dates that do not exist', () => {
    expect(errorOf('date', '2019-02-29')).toBe("'2019-02-29' is not a real date: February 2019 has 28 days");
    expect(answerOf('date', '2020-02-29')).toBe('2020-02-29');
    expect(errorOf('date', '2019-13')).toBe("'2019-13' has no month 13; months run 01 to 12");
    expect(errorOf('date', '31 April 2019')).toMatch(/April 2019 has 30 days/);
  });

  it('refuses numeric day/month orders as ambiguous and other forms as not ISO', () => {
    expect(errorOf('date', '05/06/2019')).toBe(
      "'05/06/2019' is ambiguous: the order of day and month is unclear; write YYYY-MM-DD, YYYY-MM or YYYY, e.g. 2019-05-17, 2019-05 or 2019",
    );
    expect(errorOf('date', 'Q2 2019')).toMatch(/^'Q2 2019' is not an ISO 8601 date; write YYYY-MM-DD/);
    expect(errorOf('date', 'Smarch 2019')).toMatch(/is not an ISO 8601 date/);
    expect(errorOf('date', 19)).toMatch(/^Expected a date string, got a number: 19/);
  });
});

describe('normalizeAnswer: phone', () => {
  it('returns E.164 for numbers written with a country code', () => {
    expect(answerOf('phone', '+1 (415) 555-2671')).toBe('+14155552671');
    expect(answerOf('phone', '+44 20 7946 0958', { defaultCountry: 'US' })).toBe('+442079460958');
    expect(answerOf('phone', 'tel:+14155552671')).toBe('+14155552671');
  });

  it('uses the default country for national numbers', () => {
    expect(answerOf('phone', '(415) 555-2671', { defaultCountry: 'US' })).toBe('+14155552671');
    expect(answerOf('phone', '020 7946 0958', { defaultCountry: 'gb' })).toBe('+442079460958');
  });

  it('drops an extension, which E.164 cannot hold', () => {
    expect(answerOf('phone', '+1 650 253 0000 ext. 12')).toBe('+16502530000');
  });

  it('refuses national numbers without a (known) default country, and invalid numbers', () => {
    expect(errorOf('phone', '(415) 555-2671')).toBe(
      "'(415) 555-2671' has no country code; write it in E.164 form, e.g. +14155552671",
    );
    expect(errorOf('phone', '(415) 555-2671', { defaultCountry: 'XX' })).toMatch(/has no country code/);
    expect(errorOf('phone', '555-1234', { defaultCountry: 'US' })).toBe(
      "'555-1234' is not a valid phone number for country US; write it in E.164 form, e.g. +14155552671",
    );
    expect(errorOf('phone', '+1 555')).toMatch(/^'\+1 555' is not a valid phone number; write it in E.164/);
    expect(errorOf('phone', 14155552671)).toBe(
      'Expected a phone number as a string, got a number: 14155552671',
    );
  });
});

describe('normalizeAnswer: grade', () => {
  it('accepts whole numbers 1 to 5, as numbers or as "n", "n/5" and "n out of 5"', () => {
    expect(answerOf('grade', 1)).toBe(1);
    expect(answerOf('grade', 5.0)).toBe(5);
    expect(answerOf('grade', '4')).toBe(4);
    expect(answerOf('grade', '4/5')).toBe(4);
    expect(answerOf('grade', '3 / 5')).toBe(3);
    expect(answerOf('grade', '2 out of 5')).toBe(2);
  });

  it('refuses fractions, grades out of range and other scales', () => {
    expect(errorOf('grade', 4.5)).toBe('4.5 is not a whole number; answer an integer from 1 to 5');
    expect(errorOf('grade', 0)).toBe('0 is out of range; answer an integer from 1 to 5');
    expect(errorOf('grade', '6')).toBe("'6' is out of range; answer an integer from 1 to 5");
    expect(errorOf('grade', '8/10')).toBe("'8/10' is on a scale of 10; grade on the scale 1 to 5 instead");
    expect(errorOf('grade', 'good')).toBe("'good' is not a grade; answer a whole number from 1 to 5, e.g. 4");
  });
});

describe('normalizeAnswer: json', () => {
  it('accepts a value matching the output_schema as it is', () => {
    const company = { name: 'Acme', employees: null, tags: [] };
    expect(answerOf('json', company)).toEqual(company);
  });

  it('reads a JSON document sent as a string when it matches', () => {
    expect(answerOf('json', '{"name":"Acme","employees":3,"tags":["b2b"]}')).toEqual({
      name: 'Acme',
      employees: 3,
      tags: ['b2b'],
    });
  });

  it('lists every schema violation with the path into the answer', () => {
    expect(errorOf('json', { name: 'Acme', employees: 'many', tags: [1], founded: 2019 })).toBe(
      "The answer does not match the column's JSON Schema: answer must not have the property 'founded'; " +
        'answer.employees must be integer,null; answer.tags[0] must be string',
    );
    expect(errorOf('json', '{"name":"Acme"}')).toBe(
      "The answer does not match the column's JSON Schema: answer must have required property 'employees'; " +
        "answer must have required property 'tags'",
    );
    expect(errorOf('json', 'not json')).toBe(
      "The answer does not match the column's JSON Schema: answer must be object",
    );
  });

  it('names the allowed values of an enum', () => {
    const schema = { type: 'object', properties: { tier: { enum: ['a', 'b'] } } };
    expect(errorOf('json', { tier: 'c' }, { outputSchema: schema })).toBe(
      'The answer does not match the column\'s JSON Schema: answer.tier must be one of ["a","b"]',
    );
  });

  it('accepts any JSON value when the column has no output_schema', () => {
    expect(answerOf('json', { free: ['form'] }, {})).toEqual({ free: ['form'] });
    expect(answerOf('json', 'plain words', {})).toBe('plain words');
  });
});

describe('normalizeAnswer: people', () => {
  it('accepts people, trimming names and giving a bare profile domain https://', () => {
    expect(
      answerOf('people', [
        { full_name: ' Jane Doe ', role: 'CEO', profile_url: 'linkedin.com/in/janedoe' },
        { full_name: 'Bob Roe', role: 'CTO', profile_url: null },
        { full_name: 'Ann Poe', role: 'CFO' },
      ]),
    ).toEqual([
      { full_name: 'Jane Doe', role: 'CEO', profile_url: 'https://linkedin.com/in/janedoe' },
      { full_name: 'Bob Roe', role: 'CTO', profile_url: null },
      { full_name: 'Ann Poe', role: 'CFO', profile_url: null },
    ]);
  });

  it('makes one person given bare a list of one', () => {
    expect(answerOf('people', { full_name: 'Jane Doe', role: 'CEO', profile_url: '' })).toEqual([
      { full_name: 'Jane Doe', role: 'CEO', profile_url: null },
    ]);
  });

  it('de-duplicates by profile URL, else by name, preferring the entry with a URL', () => {
    expect(
      answerOf('people', [
        { full_name: 'Jane Doe', role: 'CEO', profile_url: 'https://linkedin.com/in/janedoe' },
        { full_name: 'J. Doe', role: 'Chief Executive', profile_url: 'https://LinkedIn.com/in/janedoe/' },
        { full_name: 'jane  doe', role: 'CEO', profile_url: null },
        { full_name: 'Bob Roe', role: 'CTO', profile_url: null },
        { full_name: 'BOB ROE', role: 'CTO', profile_url: null },
        { full_name: 'Bob Roe', role: 'Advisor', profile_url: 'https://linkedin.com/in/bob-roe-2' },
      ]),
    ).toEqual([
      { full_name: 'Jane Doe', role: 'CEO', profile_url: 'https://linkedin.com/in/janedoe' },
      { full_name: 'Bob Roe', role: 'Advisor', profile_url: 'https://linkedin.com/in/bob-roe-2' },
    ]);
  });

  it('refuses entries without a name or role or with a bad profile URL, naming each by path', () => {
    expect(
      errorOf('people', [
        { full_name: 'Jane Doe', role: 'CEO', profile_url: null },
        { full_name: '', role: 'CTO', profile_url: 'ftp://x.com' },
        'Bob Roe',
      ]),
    ).toBe(
      'Some people are not valid: answer[1].full_name must be a non-empty string; ' +
        'answer[1].profile_url must be an absolute https:// URL or null: ' +
        "'ftp://x.com' uses the ftp: scheme, not a web one; give an http:// or https:// URL, e.g. https://acme.com; " +
        'answer[2] must be an object {full_name, role, profile_url}, got a string',
    );
    expect(errorOf('people', [{ full_name: 'Jane Doe', profile_url: null }])).toBe(
      'Some people are not valid: answer[0].role must be a non-empty string (the job title)',
    );
  });
});

describe('describeFormat', () => {
  it.each(OUTPUT_FORMATS)('tells the model the reply shape and that %s answers may be null', (format) => {
    const text = describeFormat(format, OPTIONS);
    expect(text).toMatch(
      /^Reply with a JSON object \{"answer": …, "explanation": "…"\}\. The answer must be /,
    );
    expect(text).toContain('set "answer" to null rather than guessing');
    expect(text).not.toContain('\n');
  });

  it('lists the labels of select and multiselect columns with an example', () => {
    expect(describeFormat('select', OPTIONS)).toContain(
      "exactly one of these labels, spelled as given: 'SaaS', 'Marketplace', 'Hardware'. " +
        'For example: {"answer":"SaaS",',
    );
    expect(describeFormat('multiselect', OPTIONS)).toContain(
      'For example: {"answer":["SaaS","Marketplace"],',
    );
  });

  it("includes a json column's schema", () => {
    expect(describeFormat('json', OPTIONS)).toContain(`The JSON Schema: ${JSON.stringify(COMPANY_SCHEMA)}.`);
  });

  it('gives examples that normalise to themselves', () => {
    for (const format of OUTPUT_FORMATS.filter((candidate) => candidate !== 'json')) {
      const example = /For example: (\{.*\})\./.exec(describeFormat(format, OPTIONS))?.[1];
      expect(example, format).toBeDefined();
      const { answer } = JSON.parse(example!);
      expect(answerOf(format, answer), format).toEqual(answer);
    }
  });
});
