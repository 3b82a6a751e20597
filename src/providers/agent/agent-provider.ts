import type { AgentType, OutputFormat, TableKind } from '../../domain/columns.ts';
import type { CellValue } from '../../domain/model.ts';
import { answerJsonSchema, describeFormat, normalizeAnswer } from '../../domain/output-formats.ts';
import { isEmptyValue } from '../../domain/rows.ts';
import { formatTemplateValue, renderTemplate, templateReferences } from '../../domain/templates.ts';
import type {
  PreparedCall,
  Provider,
  ProviderError,
  ProviderLimits,
  ProviderRequest,
  ProviderResult,
  Usage,
} from '../../engine/ports.ts';
import type { AddressPolicy } from '../http/address-guard.ts';
import { callStructured, type TokenUsage } from '../llm/call.ts';
import { priceOf, type ModelResolution, type ResolvedModel } from '../llm/models.ts';
import { fetchPage, type FetchedPage } from '../research/pages.ts';
import type { SearchClient, SearchResult } from '../search/search.ts';

/**
 * Agent and criterion_grade columns: a prompt over the row, answered by an LLM alone (`llm`) or after
 * searching the web and reading the pages it found (`research`, `research_pro`, `research_reasoning`),
 * in the column's output format, with an explanation and sources taken only from fetched pages.
 */
export interface AgentProviderDeps {
  resolveModel: (agentType: Exclude<AgentType, 'linkedin'>, override?: string | null) => ModelResolution;
  search: SearchClient | undefined;
  pagePolicy: AddressPolicy;
  limits: ProviderLimits;
}

interface AgentTask {
  agentType: AgentType;
  instruction: string;
  format: OutputFormat;
  labels: string[] | null;
  outputSchema: Record<string, unknown> | null;
  model: string | null | undefined;
  /** Every value of the row goes to the model (criterion grading judges the whole row). */
  wholeRow: boolean;
}

/** How hard each research type looks. */
const BUDGETS = {
  research: { queries: 1, resultsPerQuery: 5, pages: 3, charsPerPage: 4_000, secondRound: false },
  research_pro: { queries: 3, resultsPerQuery: 5, pages: 5, charsPerPage: 5_000, secondRound: true },
  research_reasoning: { queries: 3, resultsPerQuery: 5, pages: 6, charsPerPage: 5_000, secondRound: true },
} as const;

const MAX_OUTPUT_TOKENS = 2_000;

/** Values injected into every prompt of a table of this kind (when the row has them). */
const CONTEXT_KEYS: Record<TableKind, string[]> = {
  generic: ['input'],
  company: ['input', 'company_name', 'company_website'],
  people: ['input', 'full_name', 'profile_url', 'role'],
};

export function createAgentProvider(deps: AgentProviderDeps): Provider {
  return {
    name: 'agent',
    prepare(request: ProviderRequest): PreparedCall {
      const task = taskOf(request);
      if (!task) return { kind: 'fail', error: { kind: 'non_retryable', message: 'not an agent column' } };
      if (task.agentType === 'linkedin') {
        return {
          kind: 'fail',
          error: {
            kind: 'non_retryable',
            message:
              "agent_type 'linkedin' needs a profile-data provider, and none is configured on this server",
          },
        };
      }
      const agentType = task.agentType;
      const empty = templateReferences(task.instruction).filter((key) => isEmptyValue(request.values[key]));
      if (empty.length > 0) {
        return {
          kind: 'skip',
          reason: 'missing_input',
          message: `No value for ${empty.map((key) => `{${key}}`).join(', ')} in this row`,
        };
      }
      const resolution = deps.resolveModel(agentType, task.model);
      if (!resolution.ok)
        return { kind: 'fail', error: { kind: 'non_retryable', message: resolution.message } };
      const model = resolution.resolved;
      if (agentType !== 'llm' && !deps.search) {
        return {
          kind: 'fail',
          error: {
            kind: 'non_retryable',
            message: `Research agents need a search API: set SEARXNG_URL or BRAVE_SEARCH_API_KEY (or use agent_type 'llm').`,
          },
        };
      }
      const question = renderTemplate(task.instruction, (key) => request.values[key]);
      const context = rowContext(request, task.wholeRow);
      const options = { labels: task.labels, outputSchema: task.outputSchema };
      return {
        kind: 'call',
        limiterKey: `llm:${model.vendor}:${model.modelId}`,
        limits: deps.limits,
        cacheKey: JSON.stringify([
          model.vendor,
          model.modelId,
          agentType,
          question,
          context,
          task.format,
          options,
        ]),
        estimatedTokens:
          Math.ceil((question.length + context.length) / 4) + (agentType === 'llm' ? 500 : 8_000),
        execute: ({ signal }) =>
          runAgent({ deps, model, agentType, question, context, format: task.format, options, signal }),
      };
    },
  };
}

function taskOf(request: ProviderRequest): AgentTask | undefined {
  const config = request.column.config;
  if (config.kind === 'agent') {
    return {
      agentType: config.value.agent_type,
      instruction: config.value.prompt,
      format: config.value.output_format,
      labels: config.value.labels,
      outputSchema: config.value.output_schema,
      model: config.value.model,
      wholeRow: false,
    };
  }
  if (config.kind === 'criterion_grade') {
    return {
      agentType: 'research',
      instruction: `Grade how well this row satisfies the criterion, from 1 (not at all) to 5 (fully): ${config.value.criterion}`,
      format: 'grade',
      labels: null,
      outputSchema: null,
      model: null,
      wholeRow: true,
    };
  }
  return undefined;
}

/** The row facts a model gets besides the prompt: the table kind's standard keys, or the whole row. */
function rowContext(request: ProviderRequest, wholeRow: boolean): string {
  const keys = wholeRow ? Object.keys(request.values) : CONTEXT_KEYS[request.tableKind];
  const lines = keys
    .filter((key) => key !== request.column.config.key && !isEmptyValue(request.values[key]))
    .map((key) => `- ${key}: ${clip(formatTemplateValue(request.values[key]), 2_000)}`);
  // A person found by a people finder works at the parent row's company: say which.
  const parent = request.parentValues;
  if (parent && request.tableKind === 'people') {
    for (const key of PARENT_CONTEXT_KEYS) {
      if (isEmptyValue(request.values[key]) && !isEmptyValue(parent[key]))
        lines.push(`- ${key}: ${clip(formatTemplateValue(parent[key]), 500)}`);
    }
  }
  return lines.join('\n');
}

/** Keys of a people row's parent company row injected into its prompts. */
const PARENT_CONTEXT_KEYS = ['company_name', 'company_website'];

interface RunInput {
  deps: AgentProviderDeps;
  model: ResolvedModel;
  agentType: Exclude<AgentType, 'linkedin'>;
  question: string;
  context: string;
  format: OutputFormat;
  options: { labels: string[] | null; outputSchema: Record<string, unknown> | null };
  signal: AbortSignal;
}

interface Tally {
  tokens: TokenUsage;
  searches: number;
  pagesFetched: number;
  timingsMs: { search: number; fetch: number; llm: number };
}

async function runAgent(input: RunInput): Promise<ProviderResult> {
  const tally: Tally = {
    tokens: { inputTokens: 0, outputTokens: 0 },
    searches: 0,
    pagesFetched: 0,
    timingsMs: { search: 0, fetch: 0, llm: 0 },
  };
  const finish = (
    result: { ok: true; value: CellValue } | { ok: false; error: ProviderError },
  ): ProviderResult => {
    const cost = priceOf(input.model.modelId, tally.tokens.inputTokens, tally.tokens.outputTokens);
    const usage: Usage = {
      inputTokens: tally.tokens.inputTokens,
      outputTokens: tally.tokens.outputTokens,
      searches: tally.searches,
      pagesFetched: tally.pagesFetched,
      timingsMs: tally.timingsMs,
    };
    return result.ok
      ? { ok: true, value: result.value, cost, usage }
      : { ok: false, error: result.error, cost };
  };

  let pages: FetchedPage[] = [];
  if (input.agentType !== 'llm') {
    const research = await gatherPages(input, tally);
    if (!research.ok) return finish(research);
    pages = research.pages;
  }
  return finish(await answer(input, pages, tally));
}

// ── research: queries → search → fetch ─────────────────────────────────────────────────

async function gatherPages(
  input: RunInput,
  tally: Tally,
): Promise<{ ok: true; pages: FetchedPage[] } | { ok: false; error: ProviderError }> {
  const budget = BUDGETS[input.agentType as keyof typeof BUDGETS];
  const search = input.deps.search!;
  const tried = new Set<string>();
  const pages: FetchedPage[] = [];

  const round = async (queries: string[], pageBudget: number): Promise<ProviderError | undefined> => {
    const started = Date.now();
    const outcomes = await Promise.all(
      queries.map((query) => search.search(query, { signal: input.signal, limit: budget.resultsPerQuery })),
    );
    tally.timingsMs.search += Date.now() - started;
    tally.searches += queries.length;
    const failures = outcomes.filter((outcome) => !outcome.ok);
    if (failures.length === outcomes.length && failures[0] && !failures[0].ok) return failures[0].error;
    const candidates: SearchResult[] = [];
    for (const outcome of outcomes) {
      if (!outcome.ok) continue;
      for (const result of outcome.results) {
        if (!tried.has(result.url) && /^https?:\/\//i.test(result.url)) {
          tried.add(result.url);
          candidates.push(result);
        }
      }
    }
    const fetchStarted = Date.now();
    const fetched = await Promise.all(
      candidates
        .slice(0, pageBudget)
        .map((candidate) => fetchPage(candidate.url, input.deps.pagePolicy, input.signal)),
    );
    tally.timingsMs.fetch += Date.now() - fetchStarted;
    for (const outcome of fetched) {
      if (outcome.ok && outcome.page.text.length > 0) {
        tally.pagesFetched += 1;
        pages.push({ ...outcome.page, text: clip(outcome.page.text, budget.charsPerPage) });
      }
    }
    return undefined;
  };

  const firstQueries =
    budget.queries === 1 ? [searchQuery(input)] : await planQueries(input, tally, budget.queries, []);
  const error = await round(firstQueries, budget.pages);
  if (error) return { ok: false, error };
  // A thin first round (fewer than two readable pages) earns a second, with different queries.
  if (budget.secondRound && pages.length < 2) {
    const more = await planQueries(input, tally, 2, firstQueries);
    const again = await round(more, budget.pages - pages.length);
    if (again && pages.length === 0) return { ok: false, error: again };
  }
  return { ok: true, pages };
}

function searchQuery(input: RunInput): string {
  const facts = input.context
    .split('\n')
    .map((line) => line.replace(/^- [a-z_]+: /, ''))
    .join(' ');
  return clip(`${input.question} ${facts}`.replace(/\s+/g, ' '), 300);
}

const QUERIES_SCHEMA = {
  type: 'object',
  properties: { queries: { type: 'array', items: { type: 'string' } } },
  required: ['queries'],
  additionalProperties: false,
};

async function planQueries(input: RunInput, tally: Tally, count: number, avoid: string[]): Promise<string[]> {
  const started = Date.now();
  const result = await callStructured({
    model: input.model,
    system:
      'You write web search queries that find pages answering a research question. Be specific: include names and domains from the row.',
    prompt: [
      `Question: ${input.question}`,
      input.context ? `Row:\n${input.context}` : '',
      `Write ${count} different search queries (at most 12 words each).`,
      avoid.length > 0
        ? `These queries found too little; try other angles: ${avoid.map((query) => JSON.stringify(query)).join(', ')}`
        : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
    schema: QUERIES_SCHEMA,
    maxOutputTokens: 300,
    signal: input.signal,
  });
  tally.timingsMs.llm += Date.now() - started;
  addTokens(tally, result.usage);
  const queries = result.ok ? ((result.object as { queries?: unknown }).queries ?? []) : [];
  const valid = Array.isArray(queries)
    ? queries.filter((query): query is string => typeof query === 'string' && query.trim() !== '')
    : [];
  return valid.length > 0 ? valid.slice(0, count) : [searchQuery(input)];
}

// ── the answer ─────────────────────────────────────────────────────────────────────────

async function answer(
  input: RunInput,
  pages: FetchedPage[],
  tally: Tally,
): Promise<{ ok: true; value: CellValue } | { ok: false; error: ProviderError }> {
  const research = input.agentType !== 'llm';
  const base = answerJsonSchema(input.format, input.options) as {
    properties: Record<string, unknown>;
    required: string[];
  };
  const schema = research
    ? {
        ...base,
        properties: {
          ...base.properties,
          source_ids: {
            type: 'array',
            items: { type: 'integer' },
            description: 'Numbers of the pages the answer relies on',
          },
        },
        required: [...base.required, 'source_ids'],
      }
    : base;
  const system = systemPrompt(input, research);
  const prompt = userPrompt(input, pages);

  let attemptPrompt = prompt;
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    const started = Date.now();
    const result = await callStructured({
      model: input.model,
      system,
      prompt: attemptPrompt,
      schema,
      maxOutputTokens: MAX_OUTPUT_TOKENS,
      signal: input.signal,
    });
    tally.timingsMs.llm += Date.now() - started;
    addTokens(tally, result.usage);
    let problem: string;
    if (result.ok) {
      const output = (result.object ?? {}) as {
        answer?: unknown;
        explanation?: unknown;
        source_ids?: unknown;
      };
      const normalized = normalizeAnswer(input.format, output.answer, input.options);
      if (normalized.ok) {
        const value: CellValue = { answer: normalized.answer };
        if (typeof output.explanation === 'string' && output.explanation.trim() !== '')
          value.explanation = output.explanation.trim();
        if (research) value.sources = citedPages(pages, output.source_ids);
        return { ok: true, value };
      }
      problem = `Your answer ${clip(JSON.stringify(output.answer) ?? 'undefined', 500)} is not valid: ${normalized.error}`;
    } else if (result.rawText !== undefined) {
      problem = `Your reply was not the JSON object asked for: ${clip(result.rawText, 500)}`;
    } else {
      return { ok: false, error: result.error };
    }
    if (attempt === 2)
      return {
        ok: false,
        error: { kind: 'non_retryable', message: `The model's answer failed validation: ${problem}` },
      };
    // One repair: the same question, told what was wrong.
    attemptPrompt = `${prompt}\n\n${problem}\nAnswer again. ${describeFormat(input.format, input.options)}`;
  }
  return { ok: false, error: { kind: 'non_retryable', message: 'unreachable' } };
}

function systemPrompt(input: RunInput, research: boolean): string {
  const role =
    input.agentType === 'research_reasoning'
      ? 'You are a careful analyst filling one cell of a data table. Weigh the evidence, note conflicts between sources, and make a reasoned judgment.'
      : 'You are a precise research assistant filling one cell of a data table.';
  return [
    role,
    research
      ? 'Answer only from the numbered pages provided; cite the numbers of the pages you used in source_ids. If the pages do not contain the answer, answer null and say so in the explanation.'
      : 'Answer from what you know. If you do not know, answer null and say so in the explanation; never invent facts.',
    describeFormat(input.format, input.options),
    'Keep the explanation to one or two sentences.',
  ].join('\n');
}

function userPrompt(input: RunInput, pages: FetchedPage[]): string {
  const parts = [`Task: ${input.question}`];
  if (input.context) parts.push(`Row:\n${input.context}`);
  if (input.agentType !== 'llm') {
    parts.push(
      pages.length === 0
        ? 'No readable page was found for this question.'
        : `Pages:\n${pages.map((page, index) => `[${index + 1}] ${page.title} (${page.url})\n${page.text}`).join('\n\n')}`,
    );
  }
  return parts.join('\n\n');
}

/** Sources are the fetched pages the model cited, by number; nothing else can appear. */
function citedPages(pages: FetchedPage[], ids: unknown): { url: string; title: string }[] {
  if (!Array.isArray(ids)) return [];
  const seen = new Set<number>();
  const sources: { url: string; title: string }[] = [];
  for (const id of ids) {
    const index = Number(id) - 1;
    const page = Number.isInteger(index) ? pages[index] : undefined;
    if (page && !seen.has(index)) {
      seen.add(index);
      sources.push({ url: page.url, title: page.title });
    }
  }
  return sources;
}

function addTokens(tally: Tally, usage: TokenUsage): void {
  tally.tokens.inputTokens += usage.inputTokens;
  tally.tokens.outputTokens += usage.outputTokens;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
