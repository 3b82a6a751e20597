import { parse } from 'tldts';

/**
 * What a company row's `input` names: a registered domain (from a domain, a URL or an email
 * address, public-suffix aware: `https://www.acme.co.uk/about` → `acme.co.uk`), or else a name to
 * search for. Private suffixes count (`acme.myshopify.com` is Acme's own, not Shopify's).
 *
 * @example companyInputOf('https://www.acme.co.uk/about') // { domain: 'acme.co.uk' }
 * @example companyInputOf('Acme Corp') // { name: 'Acme Corp' }
 */
export type CompanyInput = { domain: string } | { name: string };

export function companyInputOf(raw: unknown): CompanyInput | undefined {
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  const domain = registeredDomain(text);
  return domain ? { domain } : { name: text.replace(/\s+/g, ' ') };
}

/** The registered domain of a domain, URL or email address; undefined for names and IP addresses. */
export function registeredDomain(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || (/\s/.test(trimmed) && !/^https?:\/\//i.test(trimmed))) return undefined;
  const parsed = parse(trimmed, { allowPrivateDomains: true });
  if (parsed.isIp || !parsed.domain) return undefined;
  return parsed.domain.toLowerCase();
}

/** The canonical website of a domain, as the `company_website` column answers it. */
export function websiteOf(domain: string): string {
  return `https://${domain}`;
}

/**
 * Sites that list companies rather than being one: a search for a company's name often ranks them
 * first, and their domain is never the company's website.
 */
const DIRECTORY_DOMAINS: ReadonlySet<string> = new Set([
  'linkedin.com',
  'wikipedia.org',
  'crunchbase.com',
  'facebook.com',
  'twitter.com',
  'x.com',
  'instagram.com',
  'youtube.com',
  'glassdoor.com',
  'indeed.com',
  'bloomberg.com',
  'zoominfo.com',
  'pitchbook.com',
  'dnb.com',
  'g2.com',
  'capterra.com',
  'yelp.com',
  'google.com',
  'apple.com',
  'github.com',
  'medium.com',
  'reddit.com',
  'owler.com',
  'craft.co',
  'tracxn.com',
  'cbinsights.com',
  'angel.co',
  'wellfound.com',
  'producthunt.com',
  'trustpilot.com',
]);

export function isDirectoryDomain(domain: string): boolean {
  return DIRECTORY_DOMAINS.has(domain);
}
