import type { EnrichmentDefinition, EnrichmentParam, ResponseField, WaterfallDefinition } from './types.ts';

/** The catalog a server offers: enrichments by id, waterfalls by identifier. */
export interface Catalog {
  readonly enrichments: readonly EnrichmentDefinition[];
  readonly waterfalls: readonly WaterfallDefinition[];
  enrichment(id: number): EnrichmentDefinition | undefined;
  waterfall(identifier: string): WaterfallDefinition | undefined;
}

const PERSON_PARAMS: EnrichmentParam[] = [
  { name: 'first_name', is_required: false, type_field: 'text', description: 'First name' },
  { name: 'last_name', is_required: false, type_field: 'text', description: 'Last name' },
  {
    name: 'full_name',
    is_required: false,
    type_field: 'text',
    description: 'Full name (when first/last are not split)',
  },
  { name: 'domain', is_required: false, type_field: 'text', description: 'Company domain, e.g. acme.com' },
  { name: 'company', is_required: false, type_field: 'text', description: 'Company name' },
  { name: 'linkedin_url', is_required: false, type_field: 'url', description: 'LinkedIn profile URL' },
];

/** Waterfalls: which output makes a step's result valid, and which enrichments can be steps. */
const WATERFALL_SHAPES: Omit<WaterfallDefinition, 'available_enrichments'>[] = [
  {
    identifier: 'email_finder',
    name: 'Email finder waterfall',
    description:
      'Tries email finders in order and stops at the first that finds an email (verified, when a verifier is set).',
    input_params: PERSON_PARAMS,
    output_fields: [{ name: 'email', display_name: 'Email', type_field: 'email' }],
    key_field: 'email',
  },
  {
    identifier: 'phone_finder',
    name: 'Phone finder waterfall',
    description: 'Tries phone finders in order and stops at the first that finds a phone number.',
    input_params: [
      ...PERSON_PARAMS,
      { name: 'email', is_required: false, type_field: 'email', description: 'Work email' },
    ],
    output_fields: [{ name: 'phone', display_name: 'Phone', type_field: 'phone' }],
    key_field: 'phone',
  },
];

/** Can this enrichment be a step of a waterfall producing `field`? (It must produce it, and not need it.) */
function canProduce(definition: EnrichmentDefinition, field: string): boolean {
  return (
    definition.response_fields.some((response: ResponseField) => response.name === field) &&
    !definition.params.some((param) => param.is_required && param.name === field) &&
    definition.auth_method === 'api_key'
  );
}

export function createCatalog(enrichments: EnrichmentDefinition[]): Catalog {
  const byId = new Map(enrichments.map((definition) => [definition.id, definition]));
  if (byId.size !== enrichments.length) throw new Error('catalog enrichment ids must be unique');
  const waterfalls = WATERFALL_SHAPES.map((shape) => ({
    ...shape,
    available_enrichments: enrichments
      .filter((definition) => canProduce(definition, shape.key_field))
      .map((definition) => definition.id),
  }));
  const byIdentifier = new Map(waterfalls.map((waterfall) => [waterfall.identifier, waterfall]));
  return {
    enrichments,
    waterfalls,
    enrichment: (id) => byId.get(id),
    waterfall: (identifier) => byIdentifier.get(identifier),
  };
}
