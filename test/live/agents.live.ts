import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { OUTPUT_FORMATS, type ColumnConfigInput } from '../../src/domain/columns.ts';
import { findSchemaViolations } from '../../src/domain/json-schema.ts';
import { Engine } from '../../src/engine/engine.ts';
import { createProviderRegistry } from '../../src/providers/index.ts';
import { createTable, SILENT, tableCells } from '../fixtures/engine.ts';
import { openTestStore } from '../fixtures/stores.ts';

/**
 * Opt-in: `npm run test:live` with OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible
 * server) set; research columns join when SEARXNG_URL or BRAVE_SEARCH_API_KEY is set too. Real calls, real
 * money (a few cents). Never part of `npm test`.
 */
const config = loadConfig();
const LABELS = ['Software', 'Hardware', 'Services'];
const SCHEMA = {
  type: 'object',
  properties: { founded: { type: ['integer', 'null'] } },
  required: ['founded'],
  additionalProperties: false,
};

describe('agent columns against a real LLM endpoint', () => {
  it('answers every output format with the right type', async () => {
    if (!config.llm.openai && !config.llm.anthropic)
      throw new Error('Set OPENAI_API_KEY or ANTHROPIC_API_KEY to run the live tests');
    const { store, dispose } = await openTestStore('sqlite');
    try {
      const ws = (await store.createWorkspace({ name: 'live', ownerEmail: 'live@localhost' })).id;
      const research = Boolean(config.search.searxngUrl ?? config.search.braveApiKey);
      const columns: ColumnConfigInput[] = [
        { key: 'company', name: 'Company' },
        ...OUTPUT_FORMATS.map((format): ColumnConfigInput => ({
          kind: 'agent',
          key: `f_${format}`,
          name: format,
          value: {
            agent_type: 'llm',
            prompt: `Answer about the company {company} (${format}): its best-known fact of this kind.`,
            output_format: format,
            labels: ['select', 'multiselect', 'label'].includes(format) ? LABELS : null,
            output_schema: format === 'json' ? SCHEMA : null,
          },
        })),
        ...(research
          ? (['research', 'research_pro', 'research_reasoning'] as const).map(
              (agentType): ColumnConfigInput => ({
                kind: 'agent',
                key: agentType,
                name: agentType,
                value: {
                  agent_type: agentType,
                  prompt: 'In which year was {company} founded?',
                  output_format: 'date',
                },
              }),
            )
          : []),
      ];
      const t = await createTable(store, ws, columns, [{ company: 'Mozilla Foundation' }]);
      const engine = new Engine({
        store,
        providers: createProviderRegistry({
          addressPolicy: { allowPrivate: false, allowedHosts: [] },
          llm: config.llm,
          search: config.search,
        }),
        clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
        logger: SILENT,
      });
      await engine.startRun(ws, t.tableId, { mode: 'new', rowIds: null, columnIds: null });
      await engine.drain();
      const cells = Object.fromEntries(
        (await tableCells(store, ws, t.tableId)).map((cell) => [cell.key, cell]),
      );
      for (const [key, cell] of Object.entries(cells))
        expect(cell.status, `${key}: ${JSON.stringify(cell.error)}`).toBe('done');
      const answer = (format: string) => cells[`f_${format}`]!.answer;
      if (answer('select') !== null) expect(LABELS).toContain(answer('select'));
      if (answer('json') !== null) expect(findSchemaViolations(SCHEMA, answer('json'))).toEqual([]);
      if (answer('grade') !== null) expect([1, 2, 3, 4, 5]).toContain(answer('grade'));
      if (answer('numeric') !== null) expect(typeof answer('numeric')).toBe('number');
    } finally {
      await dispose();
    }
  }, 300_000);
});
