import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_FORMATS, type ColumnConfigInput, type OutputFormat } from '../../src/domain/columns.ts';
import { findSchemaViolations } from '../../src/domain/json-schema.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { Store } from '../../src/engine/ports.ts';
import { createProviderRegistry, type ProvidersConfig } from '../../src/providers/index.ts';
import { createTable, SILENT, tableCells } from '../fixtures/engine.ts';
import {
  startFakeAnthropic,
  startFakeOpenAI,
  type BrainRequest,
  type BrainReply,
  type FakeLlm,
} from '../fixtures/fake-llm.ts';
import { startFakeSearxng, type FakeSearxng } from '../fixtures/fake-search.ts';
import { startFakeSite, type FakeSite } from '../fixtures/fake-site.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../fixtures/stores.ts';

const LABELS = ['SaaS', 'Marketplace', 'Hardware'];
const JSON_SCHEMA = {
  type: 'object',
  properties: { employees: { type: 'integer' }, public: { type: 'boolean' } },
  required: ['employees', 'public'],
  additionalProperties: false,
};

/** What a well-behaved model answers for each format (some in forms the normalizers must clean up). */
const ANSWERS: Record<OutputFormat, unknown> = {
  text: 'Acme builds rockets.',
  url: 'acme.test',
  email: 'Info@ACME.test',
  select: 'saas',
  multiselect: ['Hardware', 'SaaS'],
  label: ['Marketplace'],
  numeric: 1234.5,
  number: '1,200',
  money: { amount: 1200, currency: 'usd' },
  date: 'May 2019',
  phone: '+1 415 555 2671',
  grade: 4,
  json: { employees: 120, public: false },
  people: [{ full_name: 'Ada Lovelace', role: 'CEO', profile_url: null }],
};

/** The fake model's mind: reads `[fmt:x]` (and `[mode:x]`) markers from the task, cites page 1 when it has pages. */
function brain(request: BrainRequest): BrainReply {
  const text = request.messages.map((message) => message.content).join('\n');
  const properties = (request.schema?.properties ?? {}) as Record<string, unknown>;
  if ('queries' in properties) return { json: { queries: ['acme founding year', 'acme history'] } };
  const format = /\[fmt:([a-z]+)\]/.exec(text)?.[1] as OutputFormat | undefined;
  const mode = /\[mode:([a-z_]+)\]/.exec(text)?.[1];
  if (mode === 'truncate') return { text: '{"answer": "this goes on and on', finish: 'length' };
  if (mode === 'refuse') return { refusal: 'I cannot help with that.' };
  const repairing = text.includes('is not valid:');
  if (mode === 'bad_label') return { json: { answer: repairing ? 'SaaS' : 'Fintech', explanation: 'guess' } };
  if (mode === 'always_bad') return { json: { answer: 'Fintech', explanation: 'guess' } };
  const answer = format ? ANSWERS[format] : 'plain';
  const reply: Record<string, unknown> = {
    answer,
    explanation: `Because of the evidence (${format ?? 'none'}).`,
  };
  if ('source_ids' in properties) reply.source_ids = text.includes('[1] ') ? [1, 7] : [];
  return { json: reply };
}

describe.each(STORE_KINDS)('agent columns on %s', (kind) => {
  let opened: TestStore;
  let store: Store;
  let ws: string;
  let openai: FakeLlm;
  let anthropic: FakeLlm;
  let searxng: FakeSearxng;
  let site: FakeSite;
  let forbidden: FakeSite;

  beforeAll(async () => {
    opened = await openTestStore(kind);
    store = opened.store;
    ws = (await store.createWorkspace({ name: 'agents', ownerEmail: 'a@a.a' })).id;
    openai = await startFakeOpenAI({ brain });
    anthropic = await startFakeAnthropic({ brain });
    site = await startFakeSite({
      '/about': {
        title: 'About Acme',
        body: 'Acme Corporation was founded in May 2019 in Springfield.\n\nIt builds rockets and sells them to space agencies around the world.',
      },
    });
    forbidden = await startFakeSite({ '/secret': { title: 'Internal wiki', body: 'Do not fetch me.' } });
    searxng = await startFakeSearxng({
      index: () => [
        { url: forbidden.urlFor('/secret'), title: 'Internal', content: 'an internal page' },
        { url: site.urlFor('/about'), title: 'About Acme', content: 'Acme was founded…' },
      ],
    });
  });
  afterAll(async () => {
    for (const server of [openai, anthropic, searxng, site, forbidden]) await server?.close();
    await opened.dispose();
  });

  function engine(config: Partial<ProvidersConfig> = {}) {
    return new Engine({
      store,
      providers: createProviderRegistry({
        // The fake site may be reached; every other private address (the "internal" site) may not.
        addressPolicy: { allowPrivate: false, allowedHosts: [new URL(site.url).host] },
        llm: {
          openai: { apiKey: openai.apiKey, baseUrl: openai.url, structuredOutputs: true },
          anthropic: { apiKey: anthropic.apiKey, baseUrl: anthropic.url },
          models: {},
        },
        search: { searxngUrl: searxng.url },
        ...config,
      }),
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
      logger: SILENT,
      options: { flushIntervalMs: 1, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } },
    });
  }

  const agent = (key: string, prompt: string, value: Record<string, unknown> = {}): ColumnConfigInput => ({
    kind: 'agent',
    key,
    name: key,
    value: { agent_type: 'llm', prompt, ...value },
  });

  it('answers every output format with a value of the right type', async () => {
    const columns: ColumnConfigInput[] = [
      { key: 'company', name: 'Company' },
      ...OUTPUT_FORMATS.map((format) =>
        agent(`f_${format}`, `About {company} [fmt:${format}]`, {
          output_format: format,
          labels: ['select', 'multiselect', 'label'].includes(format) ? LABELS : null,
          output_schema: format === 'json' ? JSON_SCHEMA : null,
        }),
      ),
    ];
    const t = await createTable(store, ws, columns, [{ company: 'Acme' }]);
    const run = engine();
    await run.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await run.drain();
    const cells = Object.fromEntries(
      (await tableCells(store, ws, t.tableId)).map((cell) => [cell.key, cell]),
    );
    for (const format of OUTPUT_FORMATS) expect(cells[`f_${format}`]?.status, format).toBe('done');
    const answers = Object.fromEntries(
      OUTPUT_FORMATS.map((format) => [format, cells[`f_${format}`]!.answer]),
    );
    expect(answers).toEqual({
      text: 'Acme builds rockets.',
      url: 'https://acme.test',
      email: 'Info@acme.test',
      select: 'SaaS',
      multiselect: ['SaaS', 'Hardware'],
      label: ['Marketplace'],
      numeric: 1234.5,
      number: 1200,
      money: { amount: 1200, currency: 'USD' },
      date: '2019-05',
      phone: '+14155552671',
      grade: 4,
      json: { employees: 120, public: false },
      people: [{ full_name: 'Ada Lovelace', role: 'CEO', profile_url: null }],
    });
    expect(LABELS).toContain(answers.select);
    expect(findSchemaViolations(JSON_SCHEMA, answers.json)).toEqual([]);
    const page = await store.getTableData(ws, t.tableId, { offset: 0, limit: 1 });
    const textCell = page.rows[0]!.cells.find((cell) => cell.columnId === t.columnId.f_text)!;
    expect(textCell.value).toMatchObject({ explanation: expect.stringContaining('evidence') });
    expect(textCell.usage).toMatchObject({
      inputTokens: expect.any(Number),
      outputTokens: expect.any(Number),
    });
    expect(textCell.usage!.inputTokens!).toBeGreaterThan(0);
    // gpt-4.1-mini is in the price table: cost = tokens × price.
    expect(textCell.cost).toBeGreaterThan(0);
    const body = openai.requests.at(-1)!.body;
    expect(body?.response_format.type).toBe('json_schema');
    expect(JSON.stringify(openai.requests)).not.toContain(openai.apiKey);
  });

  it('researches the web and cites only pages it fetched, never a private address', async () => {
    const t = await createTable(
      store,
      ws,
      [
        { key: 'company', name: 'Company' },
        agent('founded', 'When was {company} founded? [fmt:date]', {
          agent_type: 'research',
          output_format: 'date',
        }),
        agent('founded_pro', 'When was {company} founded? [fmt:date]', {
          agent_type: 'research_pro',
          output_format: 'date',
        }),
        agent('founded_deep', 'When was {company} founded? [fmt:date]', {
          agent_type: 'research_reasoning',
          output_format: 'date',
        }),
        {
          kind: 'criterion_grade',
          key: 'fit',
          name: 'Fit',
          value: { criterion: 'Builds hardware [fmt:grade]' },
        },
      ],
      [{ company: 'Acme' }],
    );
    const run = engine();
    await run.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await run.drain();
    const page = await store.getTableData(ws, t.tableId, { offset: 0, limit: 1 });
    for (const key of ['founded', 'founded_pro', 'founded_deep', 'fit']) {
      const cell = page.rows[0]!.cells.find((candidate) => candidate.columnId === t.columnId[key])!;
      expect(cell.status, key).toBe('done');
      // The model cited pages 1 and 7; only page 1 exists (the fetched About page).
      expect(cell.value!.sources).toEqual([{ url: site.urlFor('/about'), title: 'About Acme' }]);
      expect(cell.usage).toMatchObject({ searches: expect.any(Number), pagesFetched: 1 });
    }
    const founded = page.rows[0]!.cells.find((cell) => cell.columnId === t.columnId.founded)!;
    expect(founded.value!.answer).toBe('2019-05');
    expect(forbidden.stats.requests).toBe(0);
    const llmPrompt = JSON.stringify(openai.requests.at(-1)!.body);
    expect(llmPrompt).toContain('founded in May 2019');
    expect(llmPrompt).not.toContain('Do not fetch me');
  });

  it('repairs an invalid answer once, then fails with the validation error', async () => {
    const t = await createTable(
      store,
      ws,
      [
        { key: 'company', name: 'Company' },
        agent('fixed', 'Sector of {company} [mode:bad_label]', { output_format: 'select', labels: LABELS }),
        agent('broken', 'Sector of {company} [mode:always_bad]', { output_format: 'select', labels: LABELS }),
        agent('cut', 'Essay on {company} [mode:truncate]'),
        agent('refused', 'Secrets of {company} [mode:refuse]'),
      ],
      [{ company: 'Acme' }],
    );
    const run = engine();
    await run.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await run.drain();
    const cells = Object.fromEntries(
      (await tableCells(store, ws, t.tableId)).map((cell) => [cell.key, cell]),
    );
    expect(cells.fixed).toMatchObject({ status: 'done', answer: 'SaaS' });
    expect(cells.broken).toMatchObject({
      status: 'failed',
      error: { message: expect.stringMatching(/'Fintech' is not one of the labels/) },
    });
    expect(cells.cut).toMatchObject({
      status: 'failed',
      error: { message: expect.stringMatching(/cut off at the token limit/) },
    });
    expect(cells.refused).toMatchObject({ status: 'failed' });
  });

  it('stops a run at its max_cost: the cells not yet claimed end cancelled, and cost adds up per run and table', async () => {
    const t = await createTable(
      store,
      ws,
      [{ key: 'company', name: 'Company' }, agent('bio', 'Budget bio of {company} [fmt:text]')],
      ['A', 'B', 'C', 'D', 'E'].map((company) => ({ company })),
    );
    const run = new Engine({
      store,
      providers: createProviderRegistry({
        addressPolicy: { allowPrivate: false, allowedHosts: [] },
        llm: { openai: { apiKey: openai.apiKey, baseUrl: openai.url, structuredOutputs: true }, models: {} },
      }),
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
      logger: SILENT,
      options: { flushIntervalMs: 1, claimBatch: 1, maxInFlight: 1, flushBatch: 1 },
    });
    const started = await run.startRun(ws, t.tableId, {
      mode: 'new',
      rowIds: null,
      columnIds: null,
      maxCost: 1e-9,
    });
    await run.drain();
    const finished = await store.getRun(ws, t.tableId, started.id);
    expect(finished.counts).toMatchObject({ done: 1, cancelled: 4, queued: 0 });
    const cells = await tableCells(store, ws, t.tableId);
    expect(cells.filter((cell) => cell.reason === 'budget_exhausted')).toHaveLength(4);
    const { table } = await store.getTable(ws, t.tableId);
    expect(table.cost).toBeCloseTo(finished.cost, 12);
    expect(finished.cost).toBeGreaterThan(0);
  });

  it('skips a cell whose prompt references an empty value, and calls nobody for it', async () => {
    const before = openai.stats.requests;
    const t = await createTable(
      store,
      ws,
      [{ key: 'company', name: 'Company' }, agent('bio', 'About {company} [fmt:text]')],
      [{ company: '' }],
    );
    const run = engine();
    await run.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await run.drain();
    const [cell] = await tableCells(store, ws, t.tableId);
    expect(cell).toMatchObject({ status: 'skipped', reason: 'missing_input' });
    expect(openai.stats.requests).toBe(before);
  });

  it('answers through Anthropic when the model says so', async () => {
    const t = await createTable(
      store,
      ws,
      [
        { key: 'company', name: 'Company' },
        agent('bio', 'About {company} [fmt:grade]', {
          output_format: 'grade',
          model: 'anthropic:claude-haiku-4-5',
        }),
      ],
      [{ company: 'Acme' }],
    );
    const run = engine();
    await run.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await run.drain();
    const [cell] = await tableCells(store, ws, t.tableId);
    expect(cell).toMatchObject({ status: 'done', answer: 4 });
    expect(anthropic.requests.at(-1)!.body?.model).toBe('claude-haiku-4-5');
  });

  it('fails agent cells fast with the variable to set when no LLM is configured', async () => {
    const t = await createTable(
      store,
      ws,
      [{ key: 'company', name: 'Company' }, agent('bio', 'About {company}')],
      [{ company: 'Acme' }],
    );
    const run = engine({ llm: { models: {} } });
    await run.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await run.drain();
    const [cell] = await tableCells(store, ws, t.tableId);
    expect(cell).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { message: expect.stringContaining('OPENAI_API_KEY') },
    });
  });

  it('fails research cells with the variable to set when no search API is configured', async () => {
    const t = await createTable(
      store,
      ws,
      [{ key: 'company', name: 'Company' }, agent('deep', 'About {company}', { agent_type: 'research_pro' })],
      [{ company: 'Acme' }],
    );
    const run = engine({ search: {} });
    await run.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await run.drain();
    const [cell] = await tableCells(store, ws, t.tableId);
    expect(cell).toMatchObject({
      status: 'failed',
      error: { message: expect.stringContaining('SEARXNG_URL') },
    });
  });

  it('fails fast on a refused API key without leaking it', async () => {
    const t = await createTable(
      store,
      ws,
      [{ key: 'company', name: 'Company' }, agent('bio', 'About {company} [fmt:text]')],
      [{ company: 'Initech' }, { company: 'Umbrella' }],
    );
    const wrongKey = 'sk-wrong-key-0123456789abcdef';
    const run = engine({
      llm: {
        openai: { apiKey: wrongKey, baseUrl: openai.url, structuredOutputs: true },
        models: {},
        maxConcurrency: 1,
      },
    });
    await run.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await run.drain();
    const cells = await tableCells(store, ws, t.tableId);
    expect(cells.map((cell) => cell.status)).toEqual(['failed', 'failed']);
    expect(cells.every((cell) => (cell.error as { type: string }).type === 'auth')).toBe(true);
    expect(JSON.stringify(cells)).not.toContain(wrongKey);
    expect(JSON.stringify(cells)).not.toContain('0123456789abcdef');
  });
});
