import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { AgentType } from '../../domain/columns.ts';

/** LLM access as configured (the keys stay inside the SDK clients built here). */
export interface LlmSettings {
  openai?: { apiKey: string; baseUrl: string; structuredOutputs: boolean };
  anthropic?: { apiKey: string; baseUrl: string };
  models: Partial<Record<Exclude<AgentType, 'linkedin'>, string>>;
}

export type LlmVendor = 'openai' | 'anthropic';

export interface ResolvedModel {
  vendor: LlmVendor;
  modelId: string;
  model: LanguageModel;
}

/** Documented defaults, per vendor and agent type: a fast model for plain calls, a strong one for pro research. */
export const DEFAULT_MODELS: Record<LlmVendor, Record<Exclude<AgentType, 'linkedin'>, string>> = {
  openai: {
    llm: 'gpt-4.1-mini',
    research: 'gpt-4.1-mini',
    research_pro: 'gpt-4.1',
    research_reasoning: 'o4-mini',
  },
  anthropic: {
    llm: 'claude-haiku-4-5',
    research: 'claude-haiku-4-5',
    research_pro: 'claude-sonnet-4-5',
    research_reasoning: 'claude-sonnet-4-5',
  },
};

export const NO_LLM_CONFIGURED =
  'No LLM is configured: set OPENAI_API_KEY (plus OPENAI_BASE_URL for OpenRouter, Groq, Together, vLLM, Ollama or llama.cpp) or ANTHROPIC_API_KEY, then run the column again.';

export type ModelResolution = { ok: true; resolved: ResolvedModel } | { ok: false; message: string };

/**
 * Picks the model of a column: its override, else the configured model of its agent type, else the
 * vendor default. `anthropic:` / `openai:` prefixes choose the vendor; unprefixed names go to the
 * OpenAI-compatible endpoint when one is configured.
 */
export function createModelResolver(
  settings: LlmSettings,
): (agentType: Exclude<AgentType, 'linkedin'>, override?: string | null) => ModelResolution {
  const openai = settings.openai
    ? createOpenAICompatible({
        name: 'openai',
        baseURL: settings.openai.baseUrl,
        apiKey: settings.openai.apiKey,
        supportsStructuredOutputs: settings.openai.structuredOutputs,
        includeUsage: true,
      })
    : undefined;
  const anthropic = settings.anthropic
    ? createAnthropic({ baseURL: settings.anthropic.baseUrl, apiKey: settings.anthropic.apiKey })
    : undefined;
  const fallbackVendor: LlmVendor | undefined = openai ? 'openai' : anthropic ? 'anthropic' : undefined;

  return (agentType, override) => {
    const name = override ?? settings.models[agentType];
    const prefixed = name ? /^(openai|anthropic):(.+)$/.exec(name) : null;
    const vendor = (prefixed?.[1] as LlmVendor | undefined) ?? fallbackVendor;
    if (!vendor) return { ok: false, message: NO_LLM_CONFIGURED };
    const modelId = prefixed?.[2] ?? name ?? DEFAULT_MODELS[vendor][agentType];
    if (vendor === 'openai') {
      if (!openai)
        return {
          ok: false,
          message: `Model '${name}' needs OPENAI_API_KEY (and OPENAI_BASE_URL), which is not set.`,
        };
      return { ok: true, resolved: { vendor, modelId, model: openai.chatModel(modelId) } };
    }
    if (!anthropic)
      return { ok: false, message: `Model '${name}' needs ANTHROPIC_API_KEY, which is not set.` };
    return { ok: true, resolved: { vendor, modelId, model: anthropic(modelId) } };
  };
}

/** USD per million tokens (input, output) of well-known models; others are free as far as we know. */
const PRICES_PER_MTOK: Record<string, [number, number]> = {
  'gpt-4.1': [2, 8],
  'gpt-4.1-mini': [0.4, 1.6],
  'gpt-4.1-nano': [0.1, 0.4],
  'gpt-4o': [2.5, 10],
  'gpt-4o-mini': [0.15, 0.6],
  'o4-mini': [1.1, 4.4],
  o3: [2, 8],
  'gpt-5': [1.25, 10],
  'gpt-5-mini': [0.25, 2],
  'claude-sonnet-4-5': [3, 15],
  'claude-haiku-4-5': [1, 5],
  'claude-opus-4-1': [15, 75],
};

/** Cost in USD of a call, from the price table; unknown models cost 0 (their usage is still recorded). */
export function priceOf(modelId: string, inputTokens: number, outputTokens: number): number {
  const price =
    PRICES_PER_MTOK[modelId] ?? PRICES_PER_MTOK[modelId.replace(/-\d{4}-\d{2}-\d{2}$|-\d{8}$/, '')];
  if (!price) return 0;
  return (inputTokens * price[0] + outputTokens * price[1]) / 1_000_000;
}
