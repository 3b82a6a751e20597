/**
 * Agent columns against the fake LLM, search and site servers: per output format, how many cells
 * succeed when the model answers the way real models do (mostly clean, sometimes loose, sometimes
 * wrong until told), how many tokens a cell takes, and where a research cell's wall time goes.
 *
 *   npm run bench:agents            (ROWS=40 by default)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OUTPUT_FORMATS, type ColumnConfigInput, type OutputFormat } from '../src/domain/columns.ts';
import { Engine } from '../src/engine/engine.ts';
import { createProviderRegistry } from '../src/providers/index.ts';
import { createTable, SILENT } from '../test/fixtures/engine.ts';
import { startFakeOpenAI, type BrainRequest, type BrainReply } from '../test/fixtures/fake-llm.ts';
import { startFakeSearxng } from '../test/fixtures/fake-search.ts';
import { startFakeSite } from '../test/fixtures/fake-site.ts';
import { openTestStore } from '../test/fixtures/stores.ts';

const ROWS = Number(process.env.ROWS ?? 40);
const LABELS = ['SaaS', 'Marketplace', 'Hardware'];
const SCHEMA = {
  type: 'object',
  properties: { employees: { type: 'integer' } },
  required: ['employees'],
  additionalProperties: false,
};

/** Clean answers, loose ones a normalizer should fix, and wrong ones only a repair fixes. */
const CLEAN: Record<OutputFormat, unknown> = {
  text: 'Acme builds rockets.',
  url: 'https://acme.test',
  email: 'info@acme.test',
  select: 'SaaS',
  multiselect: ['SaaS'],
  label: ['Hardware'],
  numeric: 1200,
  number: 42,
  money: { amount: 1200, currency: 'USD' },
  date: '2019-05',
  phone: '+14155552671',
  grade: 4,
  json: { employees: 120 },
  people: [{ full_name: 'Ada Lovelace', role: 'CEO', profile_url: null }],
};
const LOOSE: Record<OutputFormat, unknown> = {
  text: '  Acme builds rockets.  ',
  url: 'acme.test',
  email: 'Info@ACME.test',
  select: 'saas',
  multiselect: 'SaaS',
  label: ['hardware'],
  numeric: '1,200',
  number: '42',
  money: '$1,200',
  date: 'May 2019',
  phone: '(415) 555-2671',
  grade: '4/5',
  json: '{"employees": 120}',
  people: { full_name: 'Ada Lovelace', role: 'CEO' },
};
const WRONG: Record<OutputFormat, unknown> = {
  text: 12,
  url: 'not a url',
  email: 'nobody',
  select: 'Fintech',
  multiselect: ['Fintech'],
  label: ['Fintech'],
  numeric: 'lots',
  number: 'many',
  money: 'expensive',
  date: 'someday',
  phone: '12',
  grade: 9,
  json: { employees: 'many' },
  people: [{ role: 'CEO' }],
};

/** Deterministic per (row, format): 80% clean, 12% loose, 8% wrong; after a repair message, clean. */
function brain(request: BrainRequest): BrainReply {
  const text = request.messages.map((message) => message.content).join('\n');
  const properties = (request.schema?.properties ?? {}) as Record<string, unknown>;
  if ('queries' in properties) return { json: { queries: ['acme founding', 'acme history'] } };
  const format = /\[fmt:([a-z]+)\]/.exec(text)?.[1] as OutputFormat;
  const row = Number(/\[row:(\d+)\]/.exec(text)?.[1] ?? 0);
  const roll = (row * 37 + OUTPUT_FORMATS.indexOf(format) * 11) % 100;
  const repairing = text.includes('is not valid:');
  // Told what was wrong, the model answers properly (as real models mostly do).
  const answer = repairing || roll < 80 ? CLEAN[format] : roll < 92 ? LOOSE[format] : WRONG[format];
  const reply: Record<string, unknown> = { answer, explanation: 'From what is known about the company.' };
  if ('source_ids' in properties) reply.source_ids = [1];
  return { json: reply };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const openai = await startFakeOpenAI({ brain, latencyMs: 150 });
  const site = await startFakeSite({
    '/about': {
      title: 'About Acme',
      body: 'Acme Corporation was founded in May 2019.\n\nIt builds rockets.',
      delayMs: 80,
    },
    '/history': {
      title: 'Acme history',
      body: 'A short history of Acme, founded 2019 in Springfield.',
      delayMs: 80,
    },
  });
  const searxng = await startFakeSearxng({
    latencyMs: 120,
    index: () => [
      { url: site.urlFor('/about'), title: 'About Acme', content: 'Acme was founded…' },
      { url: site.urlFor('/history'), title: 'Acme history', content: 'history' },
    ],
  });
  const { store, dispose } = await openTestStore('sqlite');
  try {
    const ws = (await store.createWorkspace({ name: 'bench', ownerEmail: 'b@b.b' })).id;
    const engine = new Engine({
      store,
      providers: createProviderRegistry({
        addressPolicy: { allowPrivate: false, allowedHosts: [new URL(site.url).host] },
        llm: {
          openai: { apiKey: openai.apiKey, baseUrl: openai.url, structuredOutputs: true },
          models: {},
          maxConcurrency: 32,
        },
        search: { searxngUrl: searxng.url },
      }),
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
      logger: SILENT,
      options: { flushIntervalMs: 5 },
    });

    // Per format: one llm column per format over ROWS rows.
    const columns: ColumnConfigInput[] = [
      { key: 'company', name: 'Company' },
      ...OUTPUT_FORMATS.map((format): ColumnConfigInput => ({
        kind: 'agent',
        key: `f_${format}`,
        name: format,
        value: {
          agent_type: 'llm',
          prompt: `About {company} [fmt:${format}]`,
          output_format: format,
          labels: ['select', 'multiselect', 'label'].includes(format) ? LABELS : null,
          output_schema: format === 'json' ? SCHEMA : null,
        },
      })),
    ];
    const formats = await createTable(
      store,
      ws,
      columns,
      Array.from({ length: ROWS }, (_, row) => ({ company: `Acme ${row} [row:${row}]` })),
    );
    const started = Date.now();
    await engine.startRun(ws, formats.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await engine.drain();
    const formatSeconds = (Date.now() - started) / 1000;
    const perFormat = new Map<string, { done: number; total: number; tokens: number; repaired: number }>();
    for (let offset = 0; offset < ROWS; offset += 100) {
      const page = await store.getTableData(ws, formats.tableId, { offset, limit: 100 });
      const keyOf = new Map(page.columns.map((column) => [column.id, column.config.key]));
      for (const { cells } of page.rows) {
        for (const cell of cells) {
          const format = keyOf.get(cell.columnId)!.slice(2);
          const entry = perFormat.get(format) ?? { done: 0, total: 0, tokens: 0, repaired: 0 };
          entry.total += 1;
          if (cell.status === 'done') entry.done += 1;
          entry.tokens += (cell.usage?.inputTokens ?? 0) + (cell.usage?.outputTokens ?? 0);
          perFormat.set(format, entry);
        }
      }
    }

    // Research: where a cell's wall time goes.
    const research = await createTable(
      store,
      ws,
      [
        { key: 'company', name: 'Company' },
        ...(['research', 'research_pro'] as const).map((agentType): ColumnConfigInput => ({
          kind: 'agent',
          key: agentType,
          name: agentType,
          value: {
            agent_type: agentType,
            prompt: 'When was {company} founded? [fmt:date]',
            output_format: 'date',
          },
        })),
      ],
      Array.from({ length: 10 }, (_, row) => ({ company: `Acme ${row} [row:${row}]` })),
    );
    await engine.startRun(ws, research.tableId, { mode: 'new', rowIds: null, columnIds: null });
    await engine.drain();
    const timings: Record<
      string,
      { search: number[]; fetch: number[]; llm: number[]; done: number; total: number }
    > = {};
    const page = await store.getTableData(ws, research.tableId, { offset: 0, limit: 100 });
    const keyOf = new Map(page.columns.map((column) => [column.id, column.config.key]));
    for (const { cells } of page.rows) {
      for (const cell of cells) {
        const type = keyOf.get(cell.columnId)!;
        const entry = (timings[type] ??= { search: [], fetch: [], llm: [], done: 0, total: 0 });
        entry.total += 1;
        if (cell.status === 'done') entry.done += 1;
        entry.search.push(cell.usage?.timingsMs?.search ?? 0);
        entry.fetch.push(cell.usage?.timingsMs?.fetch ?? 0);
        entry.llm.push(cell.usage?.timingsMs?.llm ?? 0);
      }
    }

    const formatRows = OUTPUT_FORMATS.map((format) => {
      const entry = perFormat.get(format)!;
      return `| ${format} | ${((entry.done / entry.total) * 100).toFixed(1)}% (${entry.done}/${entry.total}) | ${Math.round(entry.tokens / entry.total)} |`;
    });
    const researchRows = Object.entries(timings).map(
      ([type, entry]) =>
        `| ${type} | ${entry.done}/${entry.total} | ${percentile(entry.search, 50)} ms | ${percentile(entry.fetch, 50)} ms | ${percentile(entry.llm, 50)} ms | ${percentile(
          entry.search.map((search, i) => search + entry.fetch[i]! + entry.llm[i]!),
          50,
        )} ms |`,
    );
    const section = [
      '## Agent columns',
      '',
      `Command: \`npm run bench:agents\` (bench/agents.ts). Date: ${new Date().toISOString()}.`,
      '',
      `Machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}; SQLite.`,
      '',
      `Per output format, ${ROWS} rows of one \`llm\` column each against the fake OpenAI server (150 ms per call). The fake model answers 80% clean, 12% loosely (\`"1,200"\`, \`"May 2019"\`, \`"$1,200"\`, \`"saas"\`: the normalizers must fix these) and 8% wrong; a loose answer the normalizer cannot fix (a phone without its country code) or a wrong one gets one repair message, after which the fake answers properly. ${OUTPUT_FORMATS.length * ROWS} cells in ${formatSeconds.toFixed(1)} s.`,
      '',
      '| format | success | tokens per cell (in + out) |',
      '| --- | --- | --- |',
      ...formatRows,
      '',
      "A research cell's wall time, p50 over 10 rows (search 120 ms per query, page fetches 80 ms, LLM 150 ms per call; `research` runs 1 query and reads up to 3 pages, `research_pro` plans 3 queries with the LLM first and reads up to 5):",
      '',
      '| agent type | done | search | fetch | LLM | total |',
      '| --- | --- | --- | --- | --- | --- |',
      ...researchRows,
      '',
      "- Success is `done` ÷ cells; tokens are the usage the fake server reports (characters ÷ 4), repair calls included. The figures measure Enrichbase's handling of answers (normalisation, one repair), not a model's quality: against a real model, run `npm run test:live`.",
    ].join('\n');
    console.log(section);
    const file = path.resolve(import.meta.dirname, '../BENCHMARKS.md');
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
    const block = `<!-- bench:agents:start -->\n\n${section}\n\n<!-- bench:agents:end -->`;
    const next = /<!-- bench:agents:start -->[\s\S]*<!-- bench:agents:end -->/.test(current)
      ? current.replace(/<!-- bench:agents:start -->[\s\S]*<!-- bench:agents:end -->/, block)
      : `${current.trimEnd()}\n\n${block}\n`;
    fs.writeFileSync(file, next);
  } finally {
    await dispose();
    await openai.close();
    await searxng.close();
    await site.close();
  }
}

await main();
