import { CriterionDefinitionSchema } from '../../domain/columns.ts';
import type { CriterionDefinition } from '../../domain/discovery.ts';
import type { Column } from '../../domain/model.ts';
import type { CompanyFinder, FoundCompany } from '../../engine/discovery.ts';
import { directExecuteContext, type Provider, type ProviderResult } from '../../engine/ports.ts';
import type { SearchClient } from '../search/search.ts';
import { isDirectoryDomain, registeredDomain } from './domains.ts';

/**
 * What discovery tasks need from the outside world: criteria inferred from a query (one LLM call
 * through the agent provider), and candidate companies found by searching the web (each result's
 * registered domain, directory sites and excluded domains left out).
 */
export interface CompanyFinderDeps {
  agent: Provider;
  search: SearchClient | undefined;
}

/** Search phrasings tried in order until enough companies are found. */
const QUERY_VARIANTS = [
  (query: string) => query,
  (query: string) => `${query} companies`,
  (query: string) => `${query} company website`,
  (query: string) => `top ${query}`,
  (query: string) => `${query} startups`,
  (query: string) => `${query} vendors`,
  (query: string) => `list of ${query}`,
  (query: string) => `${query} competitors`,
];

const RESULTS_PER_QUERY = 20;

const CRITERIA_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['criteria'],
  properties: {
    criteria: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'name', 'criterion'],
        properties: {
          key: { type: 'string', description: 'snake_case identifier, e.g. is_ai_company' },
          name: { type: 'string', description: 'Short human-readable name (at most 100 characters)' },
          criterion: {
            type: 'string',
            description: 'The criterion a company is graded against (10 to 500 characters)',
          },
        },
      },
    },
  },
};

export function createCompanyFinder(deps: CompanyFinderDeps): CompanyFinder {
  return {
    async inferCriteria(workspaceId, query, signal) {
      const column: Column = {
        id: 'discovery-criteria',
        tableId: 'discovery',
        createdAt: new Date(0).toISOString(),
        updatedAt: new Date(0).toISOString(),
        config: {
          kind: 'agent',
          name: 'Criteria',
          key: 'criteria',
          value: {
            agent_type: 'llm',
            prompt: `A user searches for companies with this query: "${query.replace(/[{}]/g, '')}". Write 1 to 3 criteria that a matching company must meet, each one checkable from the company's website (what it does, for whom, where).`,
            output_format: 'json',
            labels: null,
            output_schema: CRITERIA_SCHEMA,
            extra_dependencies: null,
          },
        },
      };
      const prepared = deps.agent.prepare({ column, tableKind: 'generic', values: {}, workspaceId });
      if (prepared.kind === 'fail') return { ok: false, message: prepared.error.message };
      if (prepared.kind === 'skip') return { ok: false, message: prepared.message };
      let result: ProviderResult;
      try {
        result = await prepared.execute(directExecuteContext(signal));
      } catch (error) {
        return { ok: false, message: `Inferring criteria failed: ${(error as Error).message}` };
      }
      if (!result.ok) return { ok: false, message: `Inferring criteria failed: ${result.error.message}` };
      const answer = result.value.answer as { criteria?: unknown } | null;
      const criteria: CriterionDefinition[] = [];
      for (const entry of Array.isArray(answer?.criteria) ? answer.criteria : []) {
        const parsed = CriterionDefinitionSchema.safeParse(entry);
        if (parsed.success && !criteria.some((known) => known.key === parsed.data.key))
          criteria.push(parsed.data);
      }
      return criteria.length > 0
        ? { ok: true, criteria: criteria.slice(0, 5) }
        : { ok: false, message: 'The model wrote no usable criterion for this query; give `criteria`' };
    },

    async findCompanies(query, { want, exclude, signal }) {
      const search = deps.search;
      if (!search)
        return {
          ok: false,
          message: 'Discovery needs a search API: set SEARXNG_URL or BRAVE_SEARCH_API_KEY',
        };
      const found = new Map<string, FoundCompany>();
      let answered = 0;
      let lastError: string | undefined;
      for (const variant of QUERY_VARIANTS) {
        if (found.size >= want || signal.aborted) break;
        const outcome = await search.search(variant(query), { signal, limit: RESULTS_PER_QUERY });
        if (!outcome.ok) {
          lastError = outcome.error.message;
          continue;
        }
        answered += 1;
        for (const result of outcome.results) {
          const domain = registeredDomain(result.url);
          if (!domain || isDirectoryDomain(domain) || exclude.has(domain) || found.has(domain)) continue;
          found.set(domain, { domain, url: result.url, title: result.title });
          if (found.size >= want) break;
        }
      }
      if (answered === 0)
        return { ok: false, message: `The search failed for every query: ${lastError ?? 'no answer'}` };
      return { ok: true, companies: [...found.values()], exhausted: found.size < want };
    },
  };
}
