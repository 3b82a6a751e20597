/**
 * Output formats: what an agent column's answer looks like, how to ask an LLM for it, and how to
 * check and normalise what comes back. Each format is one `FormatSpec` holding its schema, its
 * prompt wording and its checks side by side, so the three cannot drift apart.
 *
 * An LLM's structured output is always `{answer, explanation}`, and `answer` may be null in every
 * format: "not found" is a legitimate answer when the explanation says why. Normalisation is
 * conservative on purpose: it accepts spellings whose meaning is unambiguous ("$1,200",
 * "May 2019", "acme.com") and rejects the rest with an error written for the model, which gets
 * one repair attempt with it.
 */
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { assertNever } from './cell-status.ts';
import type { OutputFormat } from './columns.ts';
import { findSchemaViolations } from './json-schema.ts';

export type JsonSchema = Record<string, unknown>;

/** What a column's config contributes to its format: labels, a JSON Schema, a phone country. */
export interface OutputFormatOptions {
  /** The allowed answers of `select`, `multiselect` and `label`. */
  labels?: readonly string[] | null;
  /** The schema of a `json` answer. */
  outputSchema?: JsonSchema | null;
  /** ISO 3166 alpha-2 country assumed for phone numbers written without a country code. */
  defaultCountry?: string;
}

export type NormalizedAnswer = { ok: true; answer: unknown } | { ok: false; error: string };

interface Failure {
  ok: false;
  error: string;
}
/** A check's outcome inside this module, typed by what it yields. */
type Checked<T> = { ok: true; answer: T } | Failure;

/** A `money` answer. */
export interface Money {
  amount: number;
  /** An ISO 4217 code, upper case. */
  currency: string;
}

/** One entry of a `people` answer. */
export interface Person {
  full_name: string;
  role: string;
  profile_url: string | null;
}

/**
 * The JSON Schema of the structured output an LLM must return for a column of `format`:
 * `{answer, explanation}`, with `answer` typed by the format and nullable. It stays within what
 * OpenAI strict structured outputs and Anthropic tool schemas accept: every object closed with
 * `additionalProperties: false` and all its properties required, no `format` keywords (formats
 * are described in `description`).
 *
 * @example
 * answerJsonSchema('grade').properties.answer
 * // { anyOf: [{ type: 'integer', enum: [1, 2, 3, 4, 5] }, { type: 'null' }], description: '…' }
 */
export function answerJsonSchema(format: OutputFormat, options: OutputFormatOptions = {}): JsonSchema {
  const spec = formatSpec(format);
  return closedObject({
    answer: {
      ...nullable(spec.schema(options)),
      description: `${capitalize(spec.shape(options))}, or null.`,
    },
    explanation: { type: 'string', description: EXPLANATION_DESCRIPTION },
  });
}

/**
 * Checks an LLM's `answer` for a column of `format` and returns it normalised (a canonical label,
 * an E.164 phone number, an ISO date …), or an error to send back to the model. `null` and
 * `undefined` are always a valid answer; so is a blank string, and an empty list in list formats.
 *
 * @example normalizeAnswer('url', 'acme.com', {}) // { ok: true, answer: 'https://acme.com' }
 */
export function normalizeAnswer(
  format: OutputFormat,
  raw: unknown,
  options: OutputFormatOptions = {},
): NormalizedAnswer {
  if (raw === null || raw === undefined) return ok(null);
  const spec = formatSpec(format);
  if (typeof raw === 'string' && spec.nullStrings !== 'none') {
    const text = raw.trim().toLowerCase();
    if (text === '') return ok(null);
    if (spec.nullStrings === 'blank-or-word' && NULL_WORDS.has(text)) return ok(null);
  }
  return spec.normalize(raw, options);
}

/**
 * One paragraph for a prompt telling the model what its reply must look like: the
 * `{answer, explanation}` object, the shape of `answer` with an example, and what to do when
 * nothing is found. Used for models without structured outputs and in the repair message.
 */
export function describeFormat(format: OutputFormat, options: OutputFormatOptions = {}): string {
  const spec = formatSpec(format);
  const details = spec.details?.(options);
  const example = spec.example(options);
  const exampleSentence =
    example === undefined
      ? ''
      : ` For example: ${JSON.stringify({ answer: example, explanation: EXAMPLE_EXPLANATION })}.`;
  return (
    'Reply with a JSON object {"answer": …, "explanation": "…"}. ' +
    `The answer must be ${spec.shape(options)}.${details ? ` ${details}` : ''}${exampleSentence} ` +
    'If the sources do not give the answer, set "answer" to null rather than guessing, ' +
    'and say in "explanation" what you looked for.'
  );
}

// ---------------------------------------------------------------------------------------------
// Format specs

interface FormatSpec {
  /** The JSON Schema of a non-null answer. */
  schema(options: OutputFormatOptions): JsonSchema;
  /** What an answer looks like, as a phrase completing "The answer must be …". */
  shape(options: OutputFormatOptions): string;
  /** An answer to show in prompts; `undefined` when none can be made up (a `json` column). */
  example(options: OutputFormatOptions): unknown;
  /** More for prompts than a schema description needs (the `json` column's schema itself). */
  details?(options: OutputFormatOptions): string | undefined;
  /**
   * Which strings mean "no answer": a blank always does except in `json`, where `""` may be data;
   * typed formats also read "N/A", "unknown" … as null, while in free text and labels such a word
   * may be the answer itself.
   */
  nullStrings: 'none' | 'blank' | 'blank-or-word';
  /** Checks and normalises an answer that is not null (nor a null string). */
  normalize(raw: unknown, options: OutputFormatOptions): NormalizedAnswer;
}

// Exhaustive, so that a new output format breaks the compile until it is specified here.
function formatSpec(format: OutputFormat): FormatSpec {
  switch (format) {
    case 'text':
      return TEXT_FORMAT;
    case 'url':
      return URL_FORMAT;
    case 'email':
      return EMAIL_FORMAT;
    case 'select':
      return SELECT_FORMAT;
    case 'multiselect':
    case 'label':
      return MULTISELECT_FORMAT;
    case 'numeric':
    case 'number':
      return NUMERIC_FORMAT;
    case 'money':
      return MONEY_FORMAT;
    case 'date':
      return DATE_FORMAT;
    case 'phone':
      return PHONE_FORMAT;
    case 'grade':
      return GRADE_FORMAT;
    case 'json':
      return JSON_FORMAT;
    case 'people':
      return PEOPLE_FORMAT;
    default:
      return assertNever(format);
  }
}

const EXPLANATION_DESCRIPTION =
  'Why this is the answer: the evidence and where it was found; when the answer is null, what was looked for.';
const EXAMPLE_EXPLANATION = 'Stated on the company website.';

/** Words a model writes for "no answer" in typed formats, compared lower case. */
const NULL_WORDS: ReadonlySet<string> = new Set([
  'n/a',
  'na',
  'none',
  'null',
  'unknown',
  'not found',
  'not available',
  '-',
  '—',
]);

const TEXT_FORMAT: FormatSpec = {
  schema: () => ({ type: 'string' }),
  shape: () => 'plain text: one concise string',
  example: () => 'Acme makes invoicing software for dental clinics.',
  nullStrings: 'blank',
  normalize: (raw) => {
    if (typeof raw === 'string') return ok(raw.trim());
    if (isFiniteNumber(raw) || typeof raw === 'boolean') return ok(String(raw));
    return fail(`Expected one string of text, got ${describeType(raw)}: ${quote(raw)}`);
  },
};

const URL_FORMAT: FormatSpec = {
  schema: () => ({ type: 'string' }),
  shape: () => 'one absolute web URL starting with https:// or http://',
  example: () => 'https://acme.com',
  nullStrings: 'blank-or-word',
  normalize: (raw) => (typeof raw === 'string' ? normalizeUrl(raw) : expectedString('a URL', raw)),
};

const EMAIL_FORMAT: FormatSpec = {
  schema: () => ({ type: 'string' }),
  shape: () => 'one email address',
  example: () => 'jane.doe@acme.com',
  nullStrings: 'blank-or-word',
  normalize: (raw) =>
    typeof raw === 'string' ? normalizeEmail(raw) : expectedString('an email address', raw),
};

const SELECT_FORMAT: FormatSpec = {
  schema: (options) => labelSchema(options),
  shape: (options) => `exactly one of these labels, spelled as given: ${quoteList(labelsOf(options))}`,
  example: (options) => labelsOf(options)[0],
  nullStrings: 'blank',
  normalize: (raw, options) => normalizeSelect(raw, labelsOf(options)),
};

const MULTISELECT_FORMAT: FormatSpec = {
  schema: (options) => ({ type: 'array', items: labelSchema(options) }),
  shape: (options) =>
    `a list of the labels that apply, each spelled as given, chosen from: ${quoteList(labelsOf(options))}`,
  example: (options) => labelsOf(options).slice(0, 2),
  nullStrings: 'blank',
  normalize: (raw, options) => normalizeMultiselect(raw, labelsOf(options)),
};

const NUMERIC_FORMAT: FormatSpec = {
  schema: () => ({ type: 'number' }),
  shape: () => 'a plain JSON number, without units, currency symbols or thousands separators',
  example: () => 1250,
  nullStrings: 'blank-or-word',
  normalize: (raw) => {
    if (typeof raw === 'number') {
      return Number.isFinite(raw) ? ok(raw) : fail(`${raw} is not a finite number; ${NUMBER_HINT}`);
    }
    if (typeof raw === 'string') return parseNumber(raw);
    return fail(`Expected a number, got ${describeType(raw)}: ${quote(raw)}`);
  },
};

const MONEY_FORMAT: FormatSpec = {
  schema: () =>
    closedObject({
      amount: { type: 'number', description: 'The amount in units of the currency: 1.2 million is 1200000.' },
      currency: { type: 'string', description: 'The ISO 4217 currency code, e.g. USD, EUR, GBP.' },
    }),
  shape: () =>
    'an object {"amount": number, "currency": string}: the amount as a plain number in units of the ' +
    'currency (1.2 million is 1200000) and the currency as its ISO 4217 code, such as USD or EUR',
  example: () => ({ amount: 1200000, currency: 'USD' }),
  nullStrings: 'blank-or-word',
  normalize: (raw) => {
    if (typeof raw === 'string') return parseMoney(raw);
    if (isPlainObject(raw)) return normalizeMoneyObject(raw);
    if (typeof raw === 'number') return fail(`${raw} has no currency; ${MONEY_HINT}`);
    return fail(`Expected an amount of money, got ${describeType(raw)}: ${quote(raw)}; ${MONEY_HINT}`);
  },
};

const DATE_FORMAT: FormatSpec = {
  schema: () => ({ type: 'string' }),
  shape: () =>
    'an ISO 8601 date, as precise as the sources allow: YYYY-MM-DD, or YYYY-MM when only the month ' +
    'is known, or YYYY when only the year is known',
  example: () => '2019-05',
  nullStrings: 'blank-or-word',
  normalize: (raw) => {
    if (typeof raw === 'string') return parseDate(raw);
    if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 1000 && raw <= 9999)
      return ok(String(raw));
    return fail(`Expected a date string, got ${describeType(raw)}: ${quote(raw)}; ${DATE_HINT}`);
  },
};

const PHONE_FORMAT: FormatSpec = {
  schema: () => ({ type: 'string' }),
  shape: () =>
    'one phone number in E.164 form: a + then the country code and number, without spaces ' +
    '(e.g. +14155552671)',
  example: () => '+14155552671',
  nullStrings: 'blank-or-word',
  normalize: (raw, options) =>
    typeof raw === 'string' ? normalizePhone(raw, options) : expectedString('a phone number', raw),
};

const GRADES = [1, 2, 3, 4, 5] as const;
const MAX_GRADE = 5;

const GRADE_FORMAT: FormatSpec = {
  // An enum rather than minimum/maximum: some strict schema dialects drop numeric bounds.
  schema: () => ({ type: 'integer', enum: [...GRADES] }),
  shape: () => 'a whole-number grade from 1 (lowest) to 5 (highest)',
  example: () => 4,
  nullStrings: 'blank-or-word',
  normalize: (raw) => {
    if (typeof raw === 'number') return checkGrade(raw, quote(raw));
    if (typeof raw === 'string') return parseGrade(raw);
    return fail(`Expected a grade from 1 to 5, got ${describeType(raw)}: ${quote(raw)}`);
  },
};

const JSON_FORMAT: FormatSpec = {
  // Strict schemas cannot say "any JSON", so without a schema the model sends JSON inside a string.
  schema: (options) =>
    options.outputSchema
      ? structuredClone(options.outputSchema)
      : { type: 'string', description: 'A JSON document, encoded as a string.' },
  shape: (options) =>
    options.outputSchema
      ? "a JSON value matching the column's JSON Schema"
      : 'a JSON value (an object, array, string, number or boolean)',
  example: () => undefined,
  details: (options) =>
    options.outputSchema ? `The JSON Schema: ${JSON.stringify(options.outputSchema)}.` : undefined,
  nullStrings: 'none',
  normalize: (raw, options) => normalizeJson(raw, options.outputSchema ?? null),
};

const PEOPLE_FORMAT: FormatSpec = {
  schema: () => ({
    type: 'array',
    items: closedObject({
      full_name: { type: 'string', description: "The person's full name." },
      role: { type: 'string', description: 'Their job title or role.' },
      profile_url: {
        type: ['string', 'null'],
        description: 'An absolute https:// URL of their public profile (e.g. LinkedIn), or null.',
      },
    }),
  }),
  shape: () =>
    'a list of people, each {"full_name": string, "role": string, "profile_url": string or null}, ' +
    'where profile_url is an absolute https:// URL of their public profile (e.g. LinkedIn) or null',
  example: () => [{ full_name: 'Jane Doe', role: 'CEO', profile_url: 'https://www.linkedin.com/in/janedoe' }],
  nullStrings: 'blank',
  normalize: (raw) => normalizePeople(raw),
};

// ---------------------------------------------------------------------------------------------
// Schema helpers

/** An object schema as strict modes want it: closed, every property required. */
function closedObject(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', additionalProperties: false, properties, required: Object.keys(properties) };
}

/**
 * A type array for a bare primitive (`{type: 'string'}`); `anyOf` with null for anything else,
 * where a keyword such as `enum`, `const` or `properties` would still refuse the null.
 */
function nullable(schema: JsonSchema): JsonSchema {
  const { type } = schema;
  const isBarePrimitive =
    typeof type === 'string' &&
    type !== 'object' &&
    type !== 'array' &&
    Object.keys(schema).every((keyword) => keyword === 'type' || keyword === 'description');
  if (isBarePrimitive) return { ...schema, type: [type, 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}

// ---------------------------------------------------------------------------------------------
// URLs and emails

// A bare host name (`acme.com`, `www.acme.co.uk/about`) is unambiguous enough to take as https.
const BARE_DOMAIN_URL = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}(?::\d{1,5})?(?:[/?#]\S*)?$/i;
const HTTP_URL_START = /^https?:\/\//i;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
// After WHATWG parsing the host is lower case and internationalised names are punycode.
const TOP_LEVEL_DOMAIN = /^(?:[a-z]{2,63}|xn--[a-z0-9-]+)$/;
const URL_EXAMPLE = 'e.g. https://acme.com';

function normalizeUrl(raw: string): Checked<string> {
  const text = raw.trim();
  if (/\s/.test(text))
    return fail(`${quote(text)} contains spaces; give one URL without spaces, ${URL_EXAMPLE}`);
  const candidate = withHttpScheme(text);
  if (candidate === undefined) {
    const scheme = ANY_SCHEME.exec(text)?.[0];
    return fail(
      scheme
        ? `${quote(text)} uses the ${scheme} scheme, not a web one; give an http:// or https:// URL, ${URL_EXAMPLE}`
        : `${quote(text)} is not an absolute URL; give one starting with https://, ${URL_EXAMPLE}`,
    );
  }
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return fail(`${quote(text)} is not a valid URL; ${URL_EXAMPLE}`);
  }
  const tld = url.hostname.split('.').at(-1) ?? '';
  if (!url.hostname.includes('.') || !TOP_LEVEL_DOMAIN.test(tld)) {
    return fail(`${quote(text)} has no public domain name; give a URL such as https://acme.com`);
  }
  return ok(candidate);
}

/** The URL with an http(s) scheme, adding https:// to a bare domain; undefined for anything else. */
function withHttpScheme(text: string): string | undefined {
  if (HTTP_URL_START.test(text)) return text;
  if (text.startsWith('//')) return `https:${text}`;
  // Checked before any scheme: `acme.com:8080` would otherwise read as the scheme `acme.com:`.
  if (BARE_DOMAIN_URL.test(text)) return `https://${text}`;
  return undefined;
}

const EMAIL_LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/i;
const EMAIL_DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]+)$/i;

function normalizeEmail(raw: string): Checked<string> {
  const text = raw.trim().replace(/^mailto:/i, '');
  const parts = text.split('@');
  if (parts.length === 1)
    return fail(`${quote(text)} has no @; give one email address such as jane@acme.com`);
  if (parts.length > 2) {
    return fail(`${quote(text)} has more than one @; give exactly one email address such as jane@acme.com`);
  }
  const [local = '', domain = ''] = parts;
  if (!EMAIL_LOCAL_PART.test(local)) {
    return fail(`${quote(text)} has an invalid part before the @ (no spaces, no leading or doubled dots)`);
  }
  if (!EMAIL_DOMAIN.test(domain)) {
    return fail(`${quote(text)} has no valid domain after the @; it should look like jane@acme.com`);
  }
  // Domains are case-insensitive; the local part is, strictly, the mailbox owner's business.
  return ok(`${local}@${domain.toLowerCase()}`);
}

// ---------------------------------------------------------------------------------------------
// Labels

function labelsOf(options: OutputFormatOptions): readonly string[] {
  return options.labels ?? [];
}

// Without labels (a config the column rules refuse) an empty `enum` would break strict schemas.
function labelSchema(options: OutputFormatOptions): JsonSchema {
  const labels = labelsOf(options);
  return labels.length > 0 ? { type: 'string', enum: [...labels] } : { type: 'string' };
}

function labelKey(label: string): string {
  return label.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The canonical label `value` names: an exact match, else the single label equal up to case and spacing. */
function matchLabel(value: string, labels: readonly string[]): string | undefined {
  if (labels.includes(value)) return value;
  const key = labelKey(value);
  const matches = labels.filter((label) => labelKey(label) === key);
  // Labels differing only in case ('SaaS', 'SAAS') make a loose match ambiguous: refuse it.
  return matches.length === 1 ? matches[0] : undefined;
}

function labelText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isFiniteNumber(value) || typeof value === 'boolean') return String(value);
  return undefined;
}

function normalizeSelect(raw: unknown, labels: readonly string[]): NormalizedAnswer {
  if (labels.length === 0) return fail('This column defines no labels, so no answer can be chosen');
  // A model sometimes wraps its one choice in a list; that is still one choice.
  const value = Array.isArray(raw) && raw.length === 1 ? (raw[0] as unknown) : raw;
  if (Array.isArray(value)) {
    return fail(`Choose exactly one label, not a list of ${value.length}; one of: ${quoteList(labels)}`);
  }
  const text = labelText(value);
  if (text === undefined) return fail(`Expected one label, got ${describeType(value)}: ${quote(value)}`);
  if (text.trim() === '') return ok(null);
  const label = matchLabel(text, labels);
  return label === undefined
    ? fail(`${quote(text.trim())} is not one of the labels: ${quoteList(labels)}`)
    : ok(label);
}

function normalizeMultiselect(raw: unknown, labels: readonly string[]): NormalizedAnswer {
  if (labels.length === 0) return fail('This column defines no labels, so no answer can be chosen');
  const values: unknown[] = Array.isArray(raw) ? raw : [raw];
  const chosen = new Set<string>();
  const unknown: string[] = [];
  for (const value of values) {
    const text = labelText(value);
    if (text === undefined)
      return fail(`Expected a list of labels, found ${describeType(value)}: ${quote(value)}`);
    if (text.trim() === '') continue;
    const label = matchLabel(text, labels);
    if (label === undefined) unknown.push(text.trim());
    else chosen.add(label);
  }
  if (unknown.length > 0) {
    const verb = unknown.length === 1 ? 'is not one of' : 'are not among';
    return fail(`${quoteList(unknown)} ${verb} the labels: ${quoteList(labels)}`);
  }
  if (chosen.size === 0) return ok(null);
  return ok(labels.filter((label) => chosen.has(label)));
}

// ---------------------------------------------------------------------------------------------
// Numbers

/**
 * A number as written: digits with an optional `.` decimal part, or comma thousands separators in
 * groups of exactly three, or an exponent; then an optional suffix. `1,5` and `1.234,5` do not
 * match: a comma is a decimal mark in much of the world, so those are ambiguous.
 */
const NUMBER_TEXT =
  /^([+-])?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)\s*([A-Za-z%]+)?$/;

/**
 * Suffixes read as powers of ten. `%` keeps the number as written ("12%" is 12, the percentage,
 * not 0.12). Letters are case-sensitive because `m` and `b` are ambiguous (milli-, metres, bits);
 * only `k` is safe in both cases.
 */
const NUMBER_SUFFIX_EXPONENTS: Readonly<Record<string, number>> = {
  '%': 0,
  k: 3,
  K: 3,
  M: 6,
  B: 9,
  T: 12,
};

/** Spelled-out multipliers, compared lower case. */
const NUMBER_WORD_EXPONENTS: Readonly<Record<string, number>> = {
  thousand: 3,
  million: 6,
  mn: 6,
  billion: 9,
  bn: 9,
  trillion: 12,
};

const NUMBER_HINT =
  'answer with a plain number such as 1234.5 (use . for decimals and no thousands separators; ' +
  'a trailing %, k, M, B or T is understood)';

function parseNumber(raw: string): Checked<number> {
  const text = raw.trim();
  const match = NUMBER_TEXT.exec(text);
  if (!match) return fail(`${quote(text)} is not a plain number; ${NUMBER_HINT}`);
  const [, sign = '', digits = '', suffix] = match;
  const exponent = suffix === undefined ? 0 : suffixExponent(suffix);
  if (exponent === undefined) {
    return fail(`${quote(text)} has an unknown unit or multiplier '${suffix}'; ${NUMBER_HINT}`);
  }
  // Scaling through the exponent keeps decimals exact: 1.1 * 1e6 is 1100000.0000000002.
  const plain = `${sign}${digits.replace(/,/g, '')}`;
  const value = exponent === 0 ? Number(plain) : Number(`${plain}e${exponent}`);
  if (!Number.isFinite(value)) return fail(`${quote(text)} is not a finite number; ${NUMBER_HINT}`);
  return ok(value);
}

function suffixExponent(suffix: string): number | undefined {
  return NUMBER_SUFFIX_EXPONENTS[suffix] ?? NUMBER_WORD_EXPONENTS[suffix.toLowerCase()];
}

// ---------------------------------------------------------------------------------------------
// Money

/**
 * Circulating ISO 4217 currencies, plus a few recently withdrawn ones (ANG, CUC, HRK, SLL, ZWL) in
 * which historical amounts are still quoted. Fund, precious-metal and test codes (XAU, XTS, USN …)
 * are left out: no price is given in them.
 */
const ISO_4217_CODES: ReadonlySet<string> = new Set(
  (
    'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP ' +
    'BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP ' +
    'GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES ' +
    'KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR ' +
    'MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB ' +
    'RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY ' +
    'TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL'
  ).split(' '),
);

/**
 * Symbols that name one currency. A bare `$` is read as US dollars, the usual reading in the
 * English sources models quote; other dollars need their prefix (C$, A$ …).
 */
const CURRENCY_SYMBOLS: Readonly<Record<string, string>> = {
  $: 'USD',
  US$: 'USD',
  C$: 'CAD',
  CA$: 'CAD',
  A$: 'AUD',
  AU$: 'AUD',
  NZ$: 'NZD',
  HK$: 'HKD',
  S$: 'SGD',
  MX$: 'MXN',
  R$: 'BRL',
  '€': 'EUR',
  '£': 'GBP',
  'JP¥': 'JPY',
  'CN¥': 'CNY',
  '₹': 'INR',
  '₩': 'KRW',
  '₽': 'RUB',
  '₺': 'TRY',
  '₪': 'ILS',
  '₫': 'VND',
  '฿': 'THB',
  '₱': 'PHP',
  '₴': 'UAH',
  '₦': 'NGN',
};

/** Symbols shared by several currencies: refused with the candidates, so the model picks one. */
const AMBIGUOUS_CURRENCY_SYMBOLS: Readonly<Record<string, string>> = {
  '¥': 'JPY or CNY',
  kr: 'SEK, NOK, DKK or ISK',
};

// Longest first, so that `US$` is tried before `$` and `CN¥` before `¥`.
const CURRENCY_TOKENS = [...Object.keys(CURRENCY_SYMBOLS), ...Object.keys(AMBIGUOUS_CURRENCY_SYMBOLS)].sort(
  (a, b) => b.length - a.length,
);

const MONEY_HINT =
  'answer {"amount": number, "currency": "<ISO 4217 code>"}, e.g. {"amount": 1200000, "currency": "USD"}';

/** A currency named at one end of a money string, and the amount text left over. */
type CurrencySplit = { currency: string; amount: string } | { ambiguous: string } | undefined;

function parseMoney(raw: string): Checked<Money> {
  const text = raw.trim();
  // A sign may precede the currency ("-$5"); it belongs to the amount.
  const sign = /^[+-]/.test(text) ? text[0]! : '';
  const unsigned = text.slice(sign.length).trim();
  const split = splitCurrencyPrefix(unsigned) ?? splitCurrencySuffix(unsigned);
  if (split === undefined) return fail(`${quote(text)} names no known currency; ${MONEY_HINT}`);
  if ('ambiguous' in split) {
    return fail(
      `${quote(text)} is ambiguous: its currency symbol could be ${split.ambiguous}; ${MONEY_HINT}`,
    );
  }
  const amountText = withoutRepeatedCurrency(split.amount, split.currency);
  if (amountText === undefined) return fail(`${quote(text)} names two different currencies; ${MONEY_HINT}`);
  const amount = parseNumber(`${sign}${amountText}`);
  if (!amount.ok) return fail(`${quote(text)} has no readable amount; ${MONEY_HINT}`);
  return ok({ amount: amount.answer, currency: split.currency });
}

/** `$1,200 USD` says the currency twice; that is fine when both agree (undefined when they don't). */
function withoutRepeatedCurrency(amount: string, currency: string): string | undefined {
  const suffix = splitCurrencySuffix(amount);
  if (suffix === undefined || 'ambiguous' in suffix) return amount;
  return suffix.currency === currency ? suffix.amount : undefined;
}

function splitCurrencyPrefix(text: string): CurrencySplit {
  const code = /^([A-Za-z]{3})(?![A-Za-z])\s*(.+)$/.exec(text);
  if (code && ISO_4217_CODES.has(code[1]!.toUpperCase())) {
    return { currency: code[1]!.toUpperCase(), amount: code[2]! };
  }
  const token = CURRENCY_TOKENS.find((candidate) => text.startsWith(candidate));
  if (token === undefined) return undefined;
  const rest = text.slice(token.length).trim();
  // A symbol ending in a letter must end a word: `kronor 5` is not `kr` + `onor 5`.
  if (/[A-Za-z]$/.test(token) && /^[A-Za-z]/.test(rest)) return undefined;
  return currencySplit(token, rest);
}

function splitCurrencySuffix(text: string): CurrencySplit {
  const code = /^(.+?)\s*(?<![A-Za-z])([A-Za-z]{3})$/.exec(text);
  if (code && ISO_4217_CODES.has(code[2]!.toUpperCase())) {
    return { currency: code[2]!.toUpperCase(), amount: code[1]! };
  }
  const token = CURRENCY_TOKENS.find((candidate) => text.endsWith(candidate));
  if (token === undefined) return undefined;
  return currencySplit(token, text.slice(0, -token.length).trim());
}

function currencySplit(token: string, amount: string): CurrencySplit {
  const ambiguous = AMBIGUOUS_CURRENCY_SYMBOLS[token];
  if (ambiguous !== undefined) return { ambiguous };
  const currency = CURRENCY_SYMBOLS[token];
  return currency === undefined ? undefined : { currency, amount };
}

function normalizeMoneyObject(raw: Record<string, unknown>): Checked<Money> {
  const { amount, currency } = raw;
  let value: number;
  if (isFiniteNumber(amount)) value = amount;
  else if (typeof amount === 'string') {
    const parsed = parseNumber(amount);
    if (!parsed.ok) return fail(`amount: ${parsed.error}`);
    value = parsed.answer;
  } else return fail(`amount must be a number, got ${describeType(amount)}; ${MONEY_HINT}`);

  if (typeof currency !== 'string' || currency.trim() === '') {
    return fail(`currency must be an ISO 4217 code such as USD, got ${quote(currency)}`);
  }
  const code = currencyCode(currency.trim());
  if (code === undefined) {
    return fail(
      `${quote(currency.trim())} is not an ISO 4217 currency code; use a code such as USD, EUR or GBP`,
    );
  }
  // Other keys (a `symbol`, say) add nothing the two fields do not already say.
  return ok({ amount: value, currency: code });
}

function currencyCode(text: string): string | undefined {
  const upper = text.toUpperCase();
  if (ISO_4217_CODES.has(upper)) return upper;
  return CURRENCY_SYMBOLS[text];
}

// ---------------------------------------------------------------------------------------------
// Dates

/** `2019`, `2019-05`, `2019-05-17`, also with `/` or `.` and one-digit parts: year first is unambiguous. */
const YEAR_FIRST_DATE = /^(\d{4})(?:([-/.])(\d{1,2})(?:\2(\d{1,2}))?)?$/;
/** An ISO date-time; a date column keeps the date as written, without any timezone shift. */
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;
const MONTH_YEAR = /^([a-z]+)\.?,?[\s-]+(\d{4})$/i;
const DAY_MONTH_YEAR = /^(\d{1,2})(?:st|nd|rd|th)?[\s-]+([a-z]+)\.?,?[\s-]+(\d{4})$/i;
const MONTH_DAY_YEAR = /^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/i;
/** `05/06/2019`: May 6th or June 5th depending on the writer, so it is refused. */
const NUMERIC_DAY_MONTH = /^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$/;

const MONTHS: Readonly<Record<string, number>> = {
  january: 1,
  february: 2,
  march: 3,
  april: 4,
  may: 5,
  june: 6,
  july: 7,
  august: 8,
  september: 9,
  october: 10,
  november: 11,
  december: 12,
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  sept: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

const MONTH_NAMES = Object.keys(MONTHS).slice(0, 12);

const DATE_HINT = 'write YYYY-MM-DD, YYYY-MM or YYYY, e.g. 2019-05-17, 2019-05 or 2019';

function parseDate(raw: string): Checked<string> {
  const text = raw.trim().replace(/\s+/g, ' ');
  const parts = dateParts(text);
  if (parts === undefined) {
    return fail(
      NUMERIC_DAY_MONTH.test(text)
        ? `${quote(text)} is ambiguous: the order of day and month is unclear; ${DATE_HINT}`
        : `${quote(text)} is not an ISO 8601 date; ${DATE_HINT}`,
    );
  }
  return isoDate(text, parts);
}

interface DateParts {
  year: number;
  month?: number;
  day?: number;
}

function dateParts(text: string): DateParts | undefined {
  const dateTime = ISO_DATE_TIME.exec(text);
  const yearFirst = YEAR_FIRST_DATE.exec(dateTime ? dateTime[1]! : text);
  if (yearFirst) {
    const [, year, , month, day] = yearFirst;
    return { year: Number(year), month: optionalNumber(month), day: optionalNumber(day) };
  }
  const monthYear = MONTH_YEAR.exec(text);
  if (monthYear) return namedMonthParts(monthYear[1]!, monthYear[2]!);
  const dayMonthYear = DAY_MONTH_YEAR.exec(text);
  if (dayMonthYear) return namedMonthParts(dayMonthYear[2]!, dayMonthYear[3]!, dayMonthYear[1]);
  const monthDayYear = MONTH_DAY_YEAR.exec(text);
  if (monthDayYear) return namedMonthParts(monthDayYear[1]!, monthDayYear[3]!, monthDayYear[2]);
  return undefined;
}

function namedMonthParts(monthName: string, year: string, day?: string): DateParts | undefined {
  const month = MONTHS[monthName.toLowerCase()];
  if (month === undefined) return undefined;
  return { year: Number(year), month, day: optionalNumber(day) };
}

function optionalNumber(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Number(text);
}

/** The ISO string of `parts`, after checking they make a real calendar date. */
function isoDate(text: string, { year, month, day }: DateParts): Checked<string> {
  if (year === 0) return fail(`${quote(text)} has no year 0000; ${DATE_HINT}`);
  if (month === undefined) return ok(pad(year, 4));
  if (month < 1 || month > 12) return fail(`${quote(text)} has no month ${month}; months run 01 to 12`);
  if (day === undefined) return ok(`${pad(year, 4)}-${pad(month, 2)}`);
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) {
    const monthName = capitalize(MONTH_NAMES[month - 1] ?? String(month));
    return fail(`${quote(text)} is not a real date: ${monthName} ${year} has ${days} days`);
  }
  return ok(`${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`);
}

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one; UTC avoids local DST edges.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

// ---------------------------------------------------------------------------------------------
// Phones and grades

const PHONE_EXAMPLE = 'e.g. +14155552671';

function normalizePhone(raw: string, options: OutputFormatOptions): Checked<string> {
  const text = raw.trim();
  const country = phoneCountry(options.defaultCountry);
  const phone = parsePhoneNumberFromString(text, country);
  const international = text.replace(/^tel:/i, '').startsWith('+');
  if (!international && country === undefined && (!phone || !phone.isValid())) {
    return fail(`${quote(text)} has no country code; write it in E.164 form, ${PHONE_EXAMPLE}`);
  }
  if (!phone || !phone.isValid()) {
    const where = international || country === undefined ? '' : ` for country ${country}`;
    return fail(
      `${quote(text)} is not a valid phone number${where}; write it in E.164 form, ${PHONE_EXAMPLE}`,
    );
  }
  // E.164 has no room for an extension, so one is dropped.
  return ok(phone.number);
}

/** The default country when libphonenumber knows it; an unknown code is ignored, not fatal. */
function phoneCountry(code: string | undefined): CountryCode | undefined {
  const upper = code?.trim().toUpperCase();
  return upper && isSupportedCountry(upper) ? upper : undefined;
}

/** `4`, `4/5`, `4 / 5`, `4 out of 5`; another denominator is another scale and is refused. */
const GRADE_TEXT = /^(\d+(?:\.\d+)?)\s*(?:(?:\/|out of)\s*(\d+))?$/i;

function parseGrade(raw: string): Checked<number> {
  const text = raw.trim();
  const match = GRADE_TEXT.exec(text);
  if (!match) return fail(`${quote(text)} is not a grade; answer a whole number from 1 to 5, e.g. 4`);
  const [, value = '', scale] = match;
  if (scale !== undefined && Number(scale) !== MAX_GRADE) {
    return fail(`${quote(text)} is on a scale of ${scale}; grade on the scale 1 to 5 instead`);
  }
  return checkGrade(Number(value), quote(text));
}

function checkGrade(value: number, shown: string): Checked<number> {
  if (!Number.isInteger(value)) return fail(`${shown} is not a whole number; answer an integer from 1 to 5`);
  if (value < 1 || value > MAX_GRADE) return fail(`${shown} is out of range; answer an integer from 1 to 5`);
  return ok(value);
}

// ---------------------------------------------------------------------------------------------
// JSON

const MAX_LISTED_VIOLATIONS = 10;

function normalizeJson(raw: unknown, schema: JsonSchema | null): NormalizedAnswer {
  if (schema === null) return ok(typeof raw === 'string' ? (parseJsonText(raw) ?? raw) : raw);
  const violations = schemaViolations(schema, raw);
  if (violations.length === 0) return ok(raw);
  // Without structured outputs a model may send the document as a string; read it if it conforms.
  const parsed = typeof raw === 'string' ? parseJsonText(raw) : undefined;
  if (parsed !== undefined) {
    const parsedViolations = schemaViolations(schema, parsed);
    if (parsedViolations.length === 0) return ok(parsed);
    return fail(violationsMessage(parsedViolations));
  }
  return fail(violationsMessage(violations));
}

function schemaViolations(schema: JsonSchema, value: unknown): string[] {
  try {
    return findSchemaViolations(schema, value).map(
      (violation) => `${answerPath(violation.pointer)} ${violation.message}`,
    );
  } catch (error) {
    return [`cannot be checked: the column's output_schema does not compile (${(error as Error).message})`];
  }
}

function violationsMessage(violations: readonly string[]): string {
  const listed = violations.slice(0, MAX_LISTED_VIOLATIONS);
  const more = violations.length - listed.length;
  const tail = more > 0 ? `; and ${more} more` : '';
  return `The answer does not match the column's JSON Schema: ${listed.join('; ')}${tail}`;
}

/** Objects and arrays only: a string that happens to parse as a number is still a string. */
function parseJsonText(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `/people/0/full_name` → `answer.people[0].full_name`, the path as the model wrote it. */
function answerPath(pointer: string): string {
  const steps = pointer === '' ? [] : pointer.slice(1).split('/');
  return steps.reduce((path, step) => {
    const key = step.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) return `${path}[${key}]`;
    if (/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}.${key}`;
    return `${path}[${JSON.stringify(key)}]`;
  }, 'answer');
}

// ---------------------------------------------------------------------------------------------
// People

function normalizePeople(raw: unknown): NormalizedAnswer {
  // One person given bare is still a list of one.
  const entries: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (entries.length === 0) return ok(null);
  const people: Person[] = [];
  const errors: string[] = [];
  entries.forEach((entry, index) => {
    const person = normalizePerson(entry, `answer[${index}]`);
    if ('errors' in person) errors.push(...person.errors);
    else people.push(person);
  });
  if (errors.length > 0) return fail(`Some people are not valid: ${errors.join('; ')}`);
  return ok(dedupePeople(people));
}

function normalizePerson(entry: unknown, path: string): Person | { errors: string[] } {
  if (!isPlainObject(entry)) {
    return {
      errors: [`${path} must be an object {full_name, role, profile_url}, got ${describeType(entry)}`],
    };
  }
  const errors: string[] = [];
  const fullName = nonEmptyString(entry.full_name);
  if (fullName === undefined) errors.push(`${path}.full_name must be a non-empty string`);
  const role = nonEmptyString(entry.role);
  if (role === undefined) errors.push(`${path}.role must be a non-empty string (the job title)`);
  const profileUrl = normalizeProfileUrl(entry.profile_url);
  if (!profileUrl.ok) errors.push(`${path}.profile_url ${profileUrl.error}`);
  if (errors.length > 0 || fullName === undefined || role === undefined || !profileUrl.ok) return { errors };
  return { full_name: fullName, role, profile_url: profileUrl.answer };
}

function normalizeProfileUrl(raw: unknown): Checked<string | null> {
  if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return ok(null);
  if (typeof raw !== 'string') return fail(`must be a URL string or null, got ${describeType(raw)}`);
  const url = normalizeUrl(raw);
  return url.ok ? url : fail(`must be an absolute https:// URL or null: ${url.error}`);
}

/**
 * The same profile URL is the same person; without URLs, the same name is. A person listed
 * without a URL is dropped when someone of that name is listed with one.
 */
function dedupePeople(people: readonly Person[]): Person[] {
  const urlKey = (url: string) => url.toLowerCase().replace(/\/+$/, '');
  const nameKey = (person: Person) => person.full_name.toLowerCase().replace(/\s+/g, ' ');
  const namesWithUrls = new Set(people.filter((person) => person.profile_url).map(nameKey));
  const seen = new Set<string>();
  return people.filter((person) => {
    if (!person.profile_url && namesWithUrls.has(nameKey(person))) return false;
    const key = person.profile_url ? `url:${urlKey(person.profile_url)}` : `name:${nameKey(person)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function ok<T>(answer: T): { ok: true; answer: T } {
  return { ok: true, answer };
}

function fail(error: string): Failure {
  return { ok: false, error };
}

function expectedString(what: string, raw: unknown): Failure {
  return fail(`Expected ${what} as a string, got ${describeType(raw)}: ${quote(raw)}`);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

// Errors quote what the model sent; a long value is cut so the repair message stays readable.
const MAX_QUOTED_LENGTH = 80;

function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const cut = text.length > MAX_QUOTED_LENGTH ? `${text.slice(0, MAX_QUOTED_LENGTH)}…` : text;
  return typeof value === 'string' ? `'${cut}'` : cut;
}

function quoteList(values: readonly string[]): string {
  return values.map((value) => `'${value}'`).join(', ');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
