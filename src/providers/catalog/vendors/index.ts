import type { EnrichmentDefinition } from '../types.ts';
import { APOLLO, APOLLO_COMPANY_ENRICHMENT, APOLLO_EMAIL_FINDER } from './apollo.ts';
import { HUNTER, HUNTER_EMAIL_FINDER, HUNTER_EMAIL_VERIFIER } from './hunter.ts';
import { PDL, PDL_PEOPLE_SEARCH, PDL_PERSON_BY_EMAIL } from './pdl.ts';
import { PROSPEO, PROSPEO_EMAIL_FINDER, PROSPEO_MOBILE_FINDER } from './prospeo.ts';
import type { VendorInfo } from './shared.ts';

/**
 * The vendor connectors of the enrichment catalog: each speaks one vendor's documented API with
 * the workspace's own key. Ids 100–199 are reserved for them and never reused.
 *
 * @example
 *   const finder = VENDOR_ENRICHMENTS.find((e) => e.slug === 'hunter_email_finder')!;
 *   const result = await finder.run(
 *     { domain: 'stripe.com', first_name: 'Patrick', last_name: 'Collison' },
 *     { apiKey, baseUrl: finder.baseUrl!, addressPolicy: STRICT_POLICY, signal },
 *   );
 */
export const VENDOR_ENRICHMENTS: EnrichmentDefinition[] = [
  HUNTER_EMAIL_FINDER,
  APOLLO_EMAIL_FINDER,
  PROSPEO_EMAIL_FINDER,
  PROSPEO_MOBILE_FINDER,
  HUNTER_EMAIL_VERIFIER,
  APOLLO_COMPANY_ENRICHMENT,
  PDL_PEOPLE_SEARCH,
  PDL_PERSON_BY_EMAIL,
];

/**
 * The providers behind them, by provider name: display name, the environment variable holding a
 * default key (`HUNTER_API_KEY` …) and the real base URL.
 */
export const VENDOR_PROVIDERS: Record<string, VendorInfo> = {
  [HUNTER.provider]: HUNTER,
  [APOLLO.provider]: APOLLO,
  [PROSPEO.provider]: PROSPEO,
  [PDL.provider]: PDL,
};

export {
  APOLLO_COMPANY_ENRICHMENT,
  APOLLO_EMAIL_FINDER,
  HUNTER_EMAIL_FINDER,
  HUNTER_EMAIL_VERIFIER,
  PDL_PEOPLE_SEARCH,
  PDL_PERSON_BY_EMAIL,
  PROSPEO_EMAIL_FINDER,
  PROSPEO_MOBILE_FINDER,
};
export type { VendorInfo };
