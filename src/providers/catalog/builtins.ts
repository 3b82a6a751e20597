import dns from 'node:dns/promises';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { evaluateFormula } from '../../domain/formula.ts';
import { fetchPage } from '../research/pages.ts';
import type { ConnectorResult, EnrichmentDefinition } from './types.ts';

/** Looks up a domain's MX hosts; injected so tests never reach real DNS. */
export type MxResolver = (domain: string) => Promise<string[]>;

export const systemMxResolver: MxResolver = async (domain) =>
  (await dns.resolveMx(domain)).map((record) => record.exchange);

const FREE = {
  price: 0,
  pricing: { type: 'free' as const },
  auth_method: 'no_auth' as const,
  provider: 'enrichbase',
  data_source: 'Enrichbase (built-in)',
};

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}
const found = (data: Record<string, unknown>): ConnectorResult => ({ ok: true, data, cost: 0 });
const nothing: ConnectorResult = { ok: true, data: null };

/** The registered domain part of a host: `www.` dropped, lowercased. */
function cleanHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/^www\d?\./, '')
    .replace(/\.$/, '');
}

const EMAIL_PATTERN = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$/;

/** Built-in enrichments: no key, no cost, ids 1–99. `services` are what the few with I/O need. */
export function builtinEnrichments(services: { mx: MxResolver }): EnrichmentDefinition[] {
  return [
    {
      ...FREE,
      id: 1,
      slug: 'domain_from_email',
      name: 'Domain from email',
      description: 'The domain of an email address (work domains; free webmail domains are flagged).',
      category: ['transformation'],
      params: [{ name: 'email', is_required: true, type_field: 'email', description: 'An email address' }],
      response_fields: [
        { name: 'domain', display_name: 'Domain', type_field: 'text' },
        { name: 'is_free_provider', display_name: 'Free email provider', type_field: 'boolean' },
      ],
      run: (params) => {
        const email = text(params.email);
        const domain = /@([^@\s]+)$/.exec(email)?.[1];
        if (!domain) return Promise.resolve(nothing);
        const host = cleanHost(domain);
        return Promise.resolve(found({ domain: host, is_free_provider: FREE_MAIL.has(host) }));
      },
    },
    {
      ...FREE,
      id: 2,
      slug: 'domain_from_url',
      name: 'Domain from URL',
      description: 'The domain of a website URL, without www.',
      category: ['transformation'],
      params: [{ name: 'url', is_required: true, type_field: 'url', description: 'A URL or bare domain' }],
      response_fields: [{ name: 'domain', display_name: 'Domain', type_field: 'text' }],
      run: (params) => {
        const raw = text(params.url);
        try {
          const url = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `https://${raw}`);
          return Promise.resolve(
            url.hostname.includes('.') ? found({ domain: cleanHost(url.hostname) }) : nothing,
          );
        } catch {
          return Promise.resolve(nothing);
        }
      },
    },
    {
      ...FREE,
      id: 3,
      slug: 'split_name',
      name: 'Split full name',
      description: 'First, middle and last name from a full name (honorifics and suffixes set aside).',
      category: ['transformation'],
      params: [
        { name: 'full_name', is_required: true, type_field: 'text', description: 'A person’s full name' },
      ],
      response_fields: [
        { name: 'first_name', display_name: 'First name', type_field: 'text' },
        { name: 'middle_name', display_name: 'Middle name', type_field: 'text' },
        { name: 'last_name', display_name: 'Last name', type_field: 'text' },
      ],
      run: (params) => Promise.resolve(splitName(text(params.full_name))),
    },
    {
      ...FREE,
      id: 4,
      slug: 'normalize_phone',
      name: 'Normalize phone number',
      description: 'A phone number in E.164 with its country and line type (libphonenumber).',
      category: ['transformation', 'phone'],
      params: [
        {
          name: 'phone',
          is_required: true,
          type_field: 'phone',
          description: 'A phone number in any format',
        },
        {
          name: 'country',
          is_required: false,
          type_field: 'text',
          description: 'ISO country code for numbers without one (e.g. US)',
        },
      ],
      response_fields: [
        { name: 'phone', display_name: 'Phone (E.164)', type_field: 'phone' },
        { name: 'country', display_name: 'Country', type_field: 'text' },
        { name: 'type', display_name: 'Line type', type_field: 'text' },
        { name: 'is_valid', display_name: 'Valid', type_field: 'boolean' },
      ],
      run: (params) => {
        const country = text(params.country).toUpperCase() || undefined;
        const parsed = parsePhoneNumberFromString(text(params.phone), country as CountryCode | undefined);
        if (!parsed) return Promise.resolve(nothing);
        return Promise.resolve(
          found({
            phone: parsed.number,
            country: parsed.country ?? null,
            type: parsed.getType() ?? null,
            is_valid: parsed.isValid(),
          }),
        );
      },
    },
    {
      ...FREE,
      id: 5,
      slug: 'email_check',
      name: 'Email syntax and MX check',
      description: 'Whether an email address is well-formed and its domain accepts mail (has MX records).',
      category: ['email', 'verification'],
      params: [{ name: 'email', is_required: true, type_field: 'email', description: 'An email address' }],
      response_fields: [
        { name: 'email', display_name: 'Email', type_field: 'email' },
        { name: 'is_valid_syntax', display_name: 'Valid syntax', type_field: 'boolean' },
        { name: 'has_mx', display_name: 'Has MX records', type_field: 'boolean' },
        { name: 'is_valid', display_name: 'Valid', type_field: 'boolean' },
      ],
      run: async (params) => {
        const email = text(params.email).toLowerCase();
        const syntax = EMAIL_PATTERN.test(email);
        if (!syntax) return found({ email, is_valid_syntax: false, has_mx: false, is_valid: false });
        let mx: string[] = [];
        try {
          mx = await services.mx(email.split('@')[1]!);
        } catch (error) {
          const code = (error as { code?: string }).code;
          // No such domain or no MX is an answer; a DNS failure is worth another try.
          if (code !== 'ENOTFOUND' && code !== 'ENODATA') {
            return {
              ok: false,
              error: { kind: 'retryable', message: `DNS lookup failed: ${code ?? 'error'}` },
            };
          }
        }
        return found({ email, is_valid_syntax: true, has_mx: mx.length > 0, is_valid: mx.length > 0 });
      },
    },
    {
      ...FREE,
      id: 6,
      slug: 'formula',
      name: 'Formula',
      description: 'A CEL expression over the row (e.g. `first_name + " " + last_name`, `size(tags) > 2`).',
      category: ['transformation'],
      params: [
        {
          name: 'expression',
          is_required: true,
          type_field: 'text',
          description: 'A CEL expression; `row.<key>` reads the row',
        },
      ],
      response_fields: [{ name: 'result', display_name: 'Result', type_field: 'json' }],
      cacheable: false,
      run: (params) => {
        const result = evaluateFormula(
          text(params.expression),
          (params.row as Record<string, unknown>) ?? {},
        );
        return Promise.resolve(
          result.ok
            ? found({ result: result.value })
            : { ok: false, error: { kind: 'non_retryable', message: `Formula error: ${result.message}` } },
        );
      },
    },
    {
      ...FREE,
      id: 7,
      slug: 'web_page',
      name: 'Web page title, description and text',
      description: 'Fetches a page and returns its title, meta description and readable text.',
      category: ['web'],
      cacheable: true,
      limits: { maxConcurrency: 16 },
      params: [
        { name: 'url', is_required: true, type_field: 'url', description: 'The page URL (or a domain)' },
      ],
      response_fields: [
        { name: 'title', display_name: 'Title', type_field: 'text' },
        { name: 'description', display_name: 'Description', type_field: 'text' },
        { name: 'text', display_name: 'Readable text', type_field: 'text' },
        { name: 'url', display_name: 'Final URL', type_field: 'url' },
      ],
      run: async (params, context) => {
        const raw = text(params.url);
        const url = /^https?:\/\//i.test(raw) ? raw : `https://${raw}`;
        const page = await fetchPage(url, context.addressPolicy, context.signal);
        if (!page.ok) {
          const missing = /answered (404|410)/.test(page.reason);
          return missing
            ? nothing
            : {
                ok: false,
                error: {
                  kind: /blocked|internal address/i.test(page.reason) ? 'non_retryable' : 'retryable',
                  message: `${url}: ${page.reason}`,
                },
              };
        }
        return found({
          title: page.page.title,
          description: page.page.description ?? null,
          text: page.page.text,
          url: page.page.url,
        });
      },
    },
  ];
}

const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'prof', 'sir', 'madam']);
const SUFFIXES = new Set(['jr', 'sr', 'ii', 'iii', 'iv', 'phd', 'md', 'esq']);

function splitName(fullName: string): ConnectorResult {
  const words = fullName
    .replace(/,/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .filter((word, index, all) => {
      const bare = word.toLowerCase().replace(/\./g, '');
      return (
        !(index === 0 && HONORIFICS.has(bare)) &&
        !(index === all.length - 1 && all.length > 2 && SUFFIXES.has(bare))
      );
    });
  if (words.length === 0) return nothing;
  if (words.length === 1) return found({ first_name: words[0], middle_name: null, last_name: null });
  return found({
    first_name: words[0],
    middle_name: words.length > 2 ? words.slice(1, -1).join(' ') : null,
    last_name: words.at(-1),
  });
}

const FREE_MAIL = new Set([
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'hotmail.com',
  'outlook.com',
  'live.com',
  'icloud.com',
  'me.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'gmx.com',
  'gmx.de',
  'yandex.ru',
  'mail.ru',
  'zoho.com',
  'qq.com',
  '163.com',
]);
