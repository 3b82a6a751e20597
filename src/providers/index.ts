import type { Column } from '../domain/model.ts';
import type { ChildRowsWriter, Provider, ProviderRegistry } from '../engine/ports.ts';
import { createAgentProvider } from './agent/agent-provider.ts';
import { aiEnrichments } from './catalog/ai-enrichments.ts';
import { builtinEnrichments, systemMxResolver } from './catalog/builtins.ts';
import { createCatalog, type Catalog } from './catalog/catalog.ts';
import {
  createEnrichmentProvider,
  createFieldProvider,
  createFinderProvider,
  createWaterfallProvider,
  type CredentialLookup,
} from './catalog/enrichment-provider.ts';
import { createCompanyProviders } from './company/company-providers.ts';
import { createCompanyFinder } from './company/discovery.ts';
import type { CompanyFinder } from '../engine/discovery.ts';
import { createFormulaProvider } from './formula/formula-provider.ts';
import type { AddressPolicy } from './http/address-guard.ts';
import { createHttpProvider } from './http/http-provider.ts';
import type { EnrichmentDefinition } from './catalog/types.ts';
import { createModelResolver, type LlmSettings } from './llm/models.ts';
import { createBraveClient, createSearxngClient, type SearchClient } from './search/search.ts';

export interface ProvidersConfig {
  /** Which addresses http columns and page fetches may reach. */
  addressPolicy: AddressPolicy;
  /** The enrichment catalog and the vendor keys it runs with (Databar dialect). */
  catalog?: Catalog;
  credentials?: CredentialLookup;
  vendorBaseUrls?: Record<string, string>;
  llm?: LlmSettings & { maxConcurrency?: number; requestsPerMinute?: number; tokensPerMinute?: number };
  search?: { searxngUrl?: string; braveApiKey?: string };
  /** Where company_people_finder columns write the people they find (the store). */
  children?: ChildRowsWriter;
}

/** The providers available on this server, by column kind. */
export function createProviderRegistry(config: ProvidersConfig): ProviderRegistry {
  return createProviders(config).registry;
}

/**
 * The providers and the enrichment catalog they serve. The catalog is the given enrichments (default:
 * the built-ins) plus the LLM and web-research entries, which run on this server's agent provider.
 */
export function createProviders(config: ProvidersConfig & { enrichments?: EnrichmentDefinition[] }): {
  registry: ProviderRegistry;
  catalog: Catalog;
  /** What discovery tasks search and infer criteria with. */
  companyFinder: CompanyFinder;
} {
  const llm = config.llm ?? { models: {} };
  const search = createSearchClient(config);
  const agent = createAgentProvider({
    resolveModel: createModelResolver(llm),
    search,
    pagePolicy: config.addressPolicy,
    limits: {
      maxConcurrency: llm.maxConcurrency ?? 16,
      requestsPerMinute: llm.requestsPerMinute,
      tokensPerMinute: llm.tokensPerMinute,
    },
  });
  const catalog =
    config.catalog ??
    createCatalog([
      ...(config.enrichments ?? builtinEnrichments({ mx: systemMxResolver })),
      ...aiEnrichments(agent),
    ]);
  const catalogDeps = {
    catalog,
    credentials: config.credentials ?? (() => Promise.resolve(undefined)),
    addressPolicy: config.addressPolicy,
    baseUrls: config.vendorBaseUrls,
  };
  const byKind: Partial<Record<Column['config']['kind'], Provider>> = {
    formula: createFormulaProvider(),
    http: createHttpProvider(config.addressPolicy),
    agent,
    criterion_grade: agent,
    enrichment: createEnrichmentProvider(catalogDeps),
    waterfall: createWaterfallProvider(catalogDeps),
    enrichment_field: createFieldProvider(),
    email_finder: createFinderProvider(catalogDeps, 'email_finder'),
    phone_finder: createFinderProvider(catalogDeps, 'phone_finder'),
    ...createCompanyProviders({
      agent,
      search,
      children: config.children,
      peopleData: {
        search: catalog.enrichments.find((definition) => definition.slug === 'pdl_people_search'),
        byEmail: catalog.enrichments.find((definition) => definition.slug === 'pdl_person_by_email'),
        credentials: catalogDeps.credentials,
        addressPolicy: config.addressPolicy,
        baseUrls: config.vendorBaseUrls,
      },
    }),
  };
  return {
    registry: { forColumn: (column) => byKind[column.config.kind] },
    catalog,
    companyFinder: createCompanyFinder({ agent, search }),
  };
}

function createSearchClient(config: ProvidersConfig): SearchClient | undefined {
  if (config.search?.searxngUrl) return createSearxngClient(config.search.searxngUrl, config.addressPolicy);
  if (config.search?.braveApiKey) return createBraveClient(config.search.braveApiKey);
  return undefined;
}

export type { AddressPolicy } from './http/address-guard.ts';
export { builtinEnrichments, systemMxResolver, type MxResolver } from './catalog/builtins.ts';
export { createCatalog, type Catalog } from './catalog/catalog.ts';
export { connectorDefinition, connectorProvider } from './catalog/custom-connector.ts';
export type { CredentialLookup, WaterfallStep } from './catalog/enrichment-provider.ts';
export type { EnrichmentDefinition, WaterfallDefinition } from './catalog/types.ts';
