import { ColumnConfigSchema, type AgentType } from '../../domain/columns.ts';
import type { Provider } from '../../engine/ports.ts';
import type { EnrichmentDefinition } from './types.ts';

/**
 * The catalog's LLM and web-research enrichments (ids 20–29): the agent provider behind a prompt
 * param. `{column}` references in the prompt read the row, as in an agent column.
 */
export function aiEnrichments(agent: Provider): EnrichmentDefinition[] {
  const entry = (
    id: number,
    slug: string,
    name: string,
    agentType: AgentType,
    description: string,
  ): EnrichmentDefinition => ({
    id,
    slug,
    name,
    description,
    provider: 'llm',
    data_source: 'Enrichbase (your LLM)',
    category: ['ai'],
    auth_method: 'no_auth',
    price: 0,
    pricing: { type: 'per_request' },
    cacheable: true,
    params: [
      {
        name: 'prompt',
        is_required: true,
        type_field: 'text',
        description: 'The question; {column} references read the row',
      },
    ],
    response_fields: [
      { name: 'answer', display_name: 'Answer', type_field: 'text' },
      { name: 'explanation', display_name: 'Explanation', type_field: 'text' },
      { name: 'sources', display_name: 'Sources', type_field: 'list' },
    ],
    run: async (params, context) => {
      const row = (params.row as Record<string, unknown> | undefined) ?? {};
      const column = {
        id: slug,
        tableId: '',
        createdAt: '',
        updatedAt: '',
        config: ColumnConfigSchema.parse({
          kind: 'agent',
          key: 'answer',
          name,
          value: {
            agent_type: agentType,
            prompt: typeof params.prompt === 'string' ? params.prompt : JSON.stringify(params.prompt),
            output_format: 'text',
          },
        }),
      };
      const prepared = agent.prepare({
        column,
        tableKind: 'generic',
        values: row,
        workspaceId: typeof params.workspace === 'string' ? params.workspace : '',
      });
      if (prepared.kind === 'skip') return { ok: true, data: null };
      if (prepared.kind === 'fail') return { ok: false, error: prepared.error };
      // The model's own limiter (concurrency, requests and tokens per minute) applies as in an agent column.
      const result = await context.limited(prepared.limiterKey, prepared.limits, () =>
        prepared.execute({ signal: context.signal, limited: context.limited }),
      );
      if (!result.ok) return { ok: false, error: result.error };
      return {
        ok: true,
        data: {
          answer: result.value.answer,
          explanation: result.value.explanation ?? null,
          sources: result.value.sources ?? [],
        },
        cost: result.cost ?? 0,
      };
    },
  });
  return [
    entry(20, 'ai_prompt', 'AI prompt', 'llm', 'Asks your LLM a question about the row (one call, no web).'),
    entry(
      21,
      'ai_research',
      'AI web research',
      'research_pro',
      'Researches the web for the row and answers with cited sources.',
    ),
  ];
}
