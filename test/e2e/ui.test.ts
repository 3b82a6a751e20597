import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { launchBrowser, screenshotPath, type TestBrowser } from '../fixtures/browser.ts';
import { startFakeOpenAI, type BrainReply, type BrainRequest, type FakeLlm } from '../fixtures/fake-llm.ts';
import { startFakeSearxng, type FakeSearxng } from '../fixtures/fake-search.ts';
import { startFakeSite, type FakeSite } from '../fixtures/fake-site.ts';
import { startFakeVendor, type FakeVendor } from '../fixtures/fake-vendor.ts';

/**
 * The web UI in a real Chromium against the real server (SQLite) and fake LLM/search/site
 * servers: sign in, create a table, import a CSV, add columns, run, watch cells turn done live,
 * open a cell, export, and drive the grid with the keyboard.
 */

// A BOM, CRLF line ends, a quoted field with a comma, non-Latin names, and values a spreadsheet
// would run as formulas.
const CSV = [
  'name,city,note',
  '"Acme, Inc.",Berlin,=1+2',
  'Zürich Labs,Zürich,plain',
  'Αθηνά Λαμπς,Αθήνα,-42',
  'Борей,Москва,+1 call',
  'Globex,Springfield,@handle',
  'Initech,Austin,ok',
].join('\r\n');
const NAMES = ['Acme, Inc.', 'Zürich Labs', 'Αθηνά Λαμπς', 'Борей', 'Globex', 'Initech'];
const CITIES = ['Berlin', 'Zürich', 'Αθήνα', 'Москва', 'Springfield', 'Austin'];
/** Summary cells of these rows wait for the test (so the grid can be seen mid-run). */
const HELD = new Set(['Αθηνά Λαμπς', 'Борей']);

/** Columns in grid order; glide numbers them after its row-marker column. */
const COL = { name: 1, city: 2, note: 3, label: 4, summary: 5, founded: 6 } as const;
const UPDATE_DOCS = process.env.UPDATE_DOCS_SCREENSHOTS === '1';
const DOCS_DIR = path.resolve(import.meta.dirname, '../../docs');

describe('web UI in Chromium', () => {
  let app: RunningApp;
  let llm: FakeLlm;
  let searxng: FakeSearxng;
  let site: FakeSite;
  let vendor: FakeVendor;
  let slowVendor: FakeVendor;
  let brokenVendor: FakeVendor;
  let browser: TestBrowser;
  let dataDir: string;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });

  async function brain(request: BrainRequest): Promise<BrainReply> {
    const text = request.messages.map((message) => message.content).join('\n');
    const properties = (request.schema?.properties ?? {}) as Record<string, unknown>;
    if ('queries' in properties) return { json: { queries: ['company founding year'] } };
    const summary = /Summarize \[\[(.+?)\]\] in \[\[(.+?)\]\]/.exec(text);
    if (summary) {
      const [, name, city] = summary;
      if (HELD.has(name!)) await gate;
      return {
        json: {
          answer: `${name} is based in ${city}.`,
          explanation: `The table says ${name} is in ${city}.`,
        },
      };
    }
    const reply: Record<string, unknown> = {
      answer: '2019',
      explanation: 'The about page says the company was founded in 2019.',
    };
    if ('source_ids' in properties) reply.source_ids = text.includes('[1] ') ? [1] : [];
    return { json: reply };
  }

  beforeAll(async () => {
    llm = await startFakeOpenAI({ brain });
    site = await startFakeSite({
      '/about': { title: 'About the company', body: 'The company was founded in 2019 in Springfield.' },
    });
    searxng = await startFakeSearxng({
      index: () => [{ url: site.urlFor('/about'), title: 'About', content: 'Founded in 2019.' }],
    });
    vendor = await startFakeVendor();
    slowVendor = await startFakeVendor({ latencyMs: 20_000 });
    brokenVendor = await startFakeVendor({ status: 404 });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrichbase-e2e-'));
    app = await startApp(
      loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        ENRICHBASE_DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        ENRICHBASE_HTTP_ALLOW_PRIVATE: 'true',
        OPENAI_API_KEY: llm.apiKey,
        OPENAI_BASE_URL: llm.url,
        SEARXNG_URL: searxng.url,
      }),
    );
    browser = await launchBrowser();
    browser.context.setDefaultTimeout(30_000);
  }, 120_000);

  afterAll(async () => {
    release();
    await browser?.close();
    await app?.stop();
    for (const server of [llm, searxng, site, vendor, slowVendor, brokenVendor]) await server?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The text of a grid cell as the accessibility tree exposes it. */
  const cell = (page: Page, col: number, row: number) => page.locator(`#glide-cell-${col}-${row}`);

  /** Clicks a cell of the first data column (row markers are narrower than 60 px). */
  async function clickNameCell(page: Page, row: number) {
    const box = await page.getByTestId('grid').boundingBox();
    if (!box) throw new Error('grid not visible');
    await page.mouse.click(box.x + 120, box.y + 58 + 34 * row + 17);
    await expect.poll(() => cell(page, COL.name, row).getAttribute('aria-selected')).toBe('true');
  }

  async function snap(page: Page, name: string, docsName?: string) {
    await page.screenshot({ path: screenshotPath(`e2e-${name}`) });
    if (docsName && UPDATE_DOCS) await page.screenshot({ path: path.join(DOCS_DIR, docsName) });
  }

  it('runs the whole flow: sign in, import, columns, live run, detail, export, keyboard', async () => {
    const page = await browser.context.newPage();
    try {
      await wholeFlow(page);
    } catch (error) {
      await page.screenshot({ path: screenshotPath('e2e-failure') }).catch(() => undefined);
      throw error;
    }
    await page.close();
  }, 300_000);

  /** Opens the menu of a column header (row markers are 32 px wide below 100 rows). */
  async function openColumnMenu(page: Page, widthsBefore: number[], width: number) {
    const box = await page.getByTestId('grid').boundingBox();
    if (!box) throw new Error('grid not visible');
    const left = box.x + 32 + widthsBefore.reduce((sum, w) => sum + w, 0);
    await page.mouse.click(left + width - 15, box.y + 29);
    await page.getByRole('menu').waitFor();
  }

  async function api(method: string, route: string, body?: unknown) {
    const response = await fetch(`${app.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${app.firstKey!.key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as any;
  }

  it('edits columns, tries 5 rows, runs selected rows, shows failures and cancels a run', async () => {
    const page = await browser.context.newPage();
    await page.addInitScript(
      (key) => (globalThis as any).sessionStorage.setItem('enrichbase.apiKey', key),
      app.firstKey!.key,
    );
    try {
      await columnsAndRuns(page);
    } catch (error) {
      await page.screenshot({ path: screenshotPath('e2e-failure-2') }).catch(() => undefined);
      throw error;
    }
    await page.close();
  }, 300_000);

  async function columnsAndRuns(page: Page) {
    const table = await api('POST', '/v1/tables', {
      name: 'Domains',
      column_configs: [{ name: 'Domain', key: 'domain' }],
    });
    await api('POST', `/v1/tables/${table.id}/rows`, {
      rows: Array.from({ length: 8 }, (_, i) => ({ data: { domain: `d${i}.test` } })),
    });
    await page.goto(`${app.url}/tables/${table.id}`);
    await expect.poll(() => cell(page, 1, 7).textContent()).toBe('d7.test');

    // An http column: a JSON mistake is caught in the browser, a bad URL by the API (422), each
    // shown at its field.
    await page.getByRole('button', { name: '+ Column' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add column' });
    await dialog.getByLabel('Name').fill('Lookup');
    await dialog.getByLabel('Kind').selectOption('http');
    await dialog.getByLabel('URL').fill('ftp://nope/{domain}');
    await dialog.getByLabel('Headers (JSON object)').fill('{oops');
    await dialog.getByRole('button', { name: 'Add column' }).click();
    const fieldError = (label: string) =>
      dialog
        .locator('.field.invalid', { has: page.getByLabel(label, { exact: true }) })
        .locator('.field-error');
    await expect.poll(() => fieldError('Headers (JSON object)').textContent()).toContain('Not valid JSON');
    await dialog.getByLabel('Headers (JSON object)').fill('{"accept": "application/json"}');
    await dialog.getByRole('button', { name: 'Add column' }).click();
    await expect.poll(() => fieldError('URL').textContent()).toContain('http://');
    await snap(page, '11-http-column-error');
    await dialog.getByLabel('URL').fill(`${vendor.url}/enrich?key={domain}`);
    await dialog.getByLabel('Extract (optional)').fill('result');
    await dialog.getByRole('button', { name: 'Add column' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Try on 5 rows, from the column's menu.
    await openColumnMenu(page, [150], 220);
    await snap(page, '12-column-menu');
    await page.getByRole('menuitem', { name: 'Try on 5 rows' }).click();
    let run = page.getByRole('dialog', { name: 'Try Lookup on 5 rows' });
    await expect
      .poll(() => run.getByTestId('run-estimate').textContent())
      .toContain('5 rows × 1 computed column = 5 cells');
    await run.getByRole('button', { name: 'Run 5 cells' }).click();
    for (let row = 0; row < 5; row++) {
      await expect
        .poll(() => cell(page, 2, row).textContent(), { timeout: 30_000 })
        .toBe(`result:d${row}.test`);
    }
    await expect.poll(() => cell(page, 2, 5).textContent()).toBe('not run');

    // A column whose vendor fails: the cell says so, and its detail names the error.
    await api('POST', `/v1/tables/${table.id}/columns`, {
      column_configs: [
        {
          kind: 'http',
          name: 'Broken',
          key: 'broken',
          value: { url: `${brokenVendor.url}/enrich?key={domain}` },
        },
      ],
    });
    await page.locator('th[role=columnheader]', { hasText: 'Broken' }).waitFor({ state: 'attached' });

    // Run the selected rows 5–7 (row markers: click, shift-click).
    const box = (await page.getByTestId('grid').boundingBox())!;
    await page.mouse.click(box.x + 16, box.y + 58 + 34 * 5 + 17);
    await page.keyboard.down('Shift');
    await page.mouse.click(box.x + 16, box.y + 58 + 34 * 7 + 17);
    await page.keyboard.up('Shift');
    await page.getByRole('button', { name: 'Run 3 selected' }).click();
    run = page.getByRole('dialog', { name: 'Run 3 selected rows' });
    await expect
      .poll(() => run.getByTestId('run-estimate').textContent())
      .toContain('3 rows × 2 computed columns = 6 cells');
    await run.getByRole('button', { name: 'Run 6 cells' }).click();
    for (let row = 5; row < 8; row++) {
      await expect
        .poll(() => cell(page, 2, row).textContent(), { timeout: 30_000 })
        .toBe(`result:d${row}.test`);
      await expect.poll(() => cell(page, 3, row).textContent(), { timeout: 30_000 }).toMatch(/^failed: /);
    }
    await expect.poll(() => cell(page, 3, 0).textContent()).toBe('not run');
    await page.mouse.click(box.x + 32 + 150 + 220 + 110, box.y + 58 + 34 * 6 + 17);
    const detail = page.getByTestId('cell-detail');
    await expect.poll(() => detail.locator('.error-box').textContent()).toMatch(/404/);
    await snap(page, '13-failed-cell');
    await detail.getByRole('button', { name: 'Close cell detail' }).click();

    // A slow column, one call at a time: cancel its run from the runs panel.
    await api('POST', `/v1/tables/${table.id}/columns`, {
      column_configs: [
        {
          kind: 'http',
          name: 'Slow',
          key: 'slow',
          value: { url: `${slowVendor.url}/enrich?key={domain}`, max_concurrency: 1 },
        },
      ],
    });
    await page.locator('th[role=columnheader]', { hasText: 'Slow' }).waitFor({ state: 'attached' });
    await openColumnMenu(page, [150, 220, 220], 220);
    await page.getByRole('menuitem', { name: 'Run column (new cells)' }).click();
    await page.getByRole('dialog', { name: 'Run Slow' }).getByRole('button', { name: 'Run 8 cells' }).click();
    const active = page.getByTestId('run').first();
    await expect.poll(() => active.getAttribute('data-status')).toBe('in_progress');
    await expect.poll(() => cell(page, 4, 0).textContent(), { timeout: 30_000 }).toBe('running');
    await snap(page, '14-runs-panel');
    await active.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => active.getAttribute('data-status'), { timeout: 30_000 }).toBe('cancelled');
    await expect.poll(() => cell(page, 4, 7).textContent(), { timeout: 30_000 }).toBe('cancelled');
    await snap(page, '15-cancelled');

    // A company table links to the people table its finder made, and back.
    const company = await api('POST', '/v1/tables', {
      name: 'Targets',
      kind: 'company',
      column_configs: [
        { kind: 'company_people_finder', name: 'Leaders', key: 'leaders', value: { roles: ['CEO'] } },
      ],
    });
    await page.goto(`${app.url}/tables/${company.id}`);
    const related = page.getByTestId('related-tables');
    await related.getByRole('link', { name: 'Targets · Leaders' }).click();
    await expect.poll(() => page.locator('h1.table-name').textContent()).toBe('Targets · Leaders');
    await page.getByTestId('related-tables').getByRole('link', { name: 'Targets' }).click();
    await expect.poll(() => page.locator('h1.table-name').textContent()).toBe('Targets');
  }

  async function wholeFlow(page: Page) {
    const requests: Request[] = [];
    page.on('request', (request) => requests.push(request));
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    // Sign in: a wrong key is refused, the printed one works.
    await page.goto(app.url);
    await page.getByLabel('API key').fill('eb_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    await page.getByLabel('API key').fill(app.firstKey!.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Tables' }).waitFor();
    await snap(page, '01-tables-empty');

    // Create a table.
    await page.getByRole('button', { name: 'New table' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('Leads');
    await page.getByRole('button', { name: 'Create table' }).click();
    await page.getByRole('heading', { name: 'Leads' }).waitFor();
    const tableId = /\/tables\/([0-9a-f-]{36})/.exec(page.url())![1]!;

    // Import the CSV: three new input columns.
    await page.getByRole('button', { name: 'Import CSV' }).first().click();
    await page.locator('input[type=file]').setInputFiles({
      name: 'leads.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`\uFEFF${CSV}\r\n`, 'utf8'),
    });
    await page.getByText('6 rows. Choose where each column goes.').waitFor();
    await snap(page, '02-import-mapping');
    await page.getByRole('button', { name: 'Import 6 rows' }).click();
    const importDialog = page.getByRole('dialog', { name: 'Import CSV' });
    await importDialog.getByText('Imported 6 rows.', { exact: true }).waitFor();
    await importDialog.getByRole('button', { name: 'Close', exact: true }).click();
    for (const [row, name] of NAMES.entries()) {
      await expect.poll(() => cell(page, COL.name, row).textContent()).toBe(name);
    }
    await expect.poll(() => cell(page, COL.city, 2).textContent()).toBe('Αθήνα');
    await snap(page, '03-imported');

    // A formula column.
    await page.getByRole('button', { name: '+ Column' }).click();
    let dialog = page.getByRole('dialog', { name: 'Add column' });
    await dialog.getByLabel('Name').fill('Label');
    await expect.poll(() => dialog.getByLabel('Key').inputValue()).toBe('label');
    await dialog.getByLabel('Kind').selectOption('formula');
    await dialog.getByLabel('Expression (CEL)').fill('name + " (" + city + ")"');
    await dialog.getByRole('button', { name: 'Add column' }).click();
    await dialog.waitFor({ state: 'detached' });

    // An llm agent column: a bad reference is reported at the prompt, then the prompt is typed
    // with the {key} completion.
    await page.getByRole('button', { name: '+ Column' }).click();
    dialog = page.getByRole('dialog', { name: 'Add column' });
    await dialog.getByLabel('Name').fill('Summary');
    await dialog.getByLabel('Kind').selectOption('agent');
    await dialog.getByLabel('Agent type').selectOption('llm');
    const prompt = dialog.getByLabel('Prompt');
    await prompt.fill('Summarize [[{nope}]]');
    await dialog.getByRole('button', { name: 'Add column' }).click();
    const promptError = dialog
      .locator('.field.invalid', { has: page.getByLabel('Prompt') })
      .locator('.field-error');
    await expect.poll(() => promptError.textContent()).toContain('nope');
    await snap(page, '04-column-editor-error');
    await prompt.fill('');
    await prompt.pressSequentially('Summarize [[{');
    await dialog.getByRole('listbox', { name: 'Column keys' }).waitFor();
    await prompt.pressSequentially('na');
    await prompt.press('Enter');
    await prompt.pressSequentially(']] in [[{ci');
    await prompt.press('Enter');
    await prompt.pressSequentially(']]');
    await expect.poll(() => prompt.inputValue()).toBe('Summarize [[{name}]] in [[{city}]]');
    await dialog.getByRole('button', { name: 'Add column' }).click();
    await dialog.waitFor({ state: 'detached' });

    // A research agent column (through the API), waiting on the summary: it cites fetched pages.
    const added = await fetch(`${app.url}/v1/tables/${tableId}/columns`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.firstKey!.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        column_configs: [
          {
            kind: 'agent',
            name: 'Founded',
            key: 'founded',
            value: {
              agent_type: 'research',
              prompt: 'Founding year of [[{name}]] ({summary})',
              output_format: 'text',
            },
          },
        ],
      }),
    });
    expect(added.status).toBe(200);
    await page.locator('th[role=columnheader]', { hasText: 'Founded' }).waitFor({ state: 'attached' });

    // Run the table: the estimate counts rows × computed columns.
    await page.getByRole('button', { name: 'Run table' }).click();
    dialog = page.getByRole('dialog', { name: 'Run table' });
    await expect
      .poll(() => dialog.getByTestId('run-estimate').textContent())
      .toContain('6 rows × 3 computed columns = 18 cells');
    await snap(page, '05-run-estimate');
    await dialog.getByRole('button', { name: 'Run 18 cells' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Live: formula and most summaries finish, two summaries hang at the model (running), and
    // their research cells wait for them (queued). No reload, no polling of the table.
    await expect
      .poll(() => cell(page, COL.summary, 0).textContent(), { timeout: 60_000 })
      .toBe('Acme, Inc. is based in Berlin.');
    await expect.poll(() => cell(page, COL.label, 0).textContent()).toBe('Acme, Inc. (Berlin)');
    await expect.poll(() => cell(page, COL.summary, 2).textContent(), { timeout: 60_000 }).toBe('running');
    await expect.poll(() => cell(page, COL.summary, 3).textContent()).toBe('running');
    await expect.poll(() => cell(page, COL.founded, 2).textContent()).toBe('queued');
    await expect.poll(() => cell(page, COL.founded, 0).textContent(), { timeout: 60_000 }).toBe('2019');
    // The runs panel follows (its counts are re-read on the stream's status events).
    await expect
      .poll(() => page.getByTestId('run').first().textContent(), { timeout: 30_000 })
      .toContain('14/18 cells');
    await snap(page, '06-mid-run', 'grid-mid-run.png');
    release();
    for (const [row, name] of NAMES.entries()) {
      await expect
        .poll(() => cell(page, COL.summary, row).textContent(), { timeout: 60_000 })
        .toBe(`${name} is based in ${CITIES[row]}.`);
      await expect.poll(() => cell(page, COL.founded, row).textContent(), { timeout: 60_000 }).toBe('2019');
    }
    await expect
      .poll(() => page.getByTestId('table-stats').textContent(), { timeout: 30_000 })
      .toContain('18/18 cells done');
    await expect
      .poll(() => page.getByTestId('run').first().getAttribute('data-status'), { timeout: 30_000 })
      .toBe('done');
    await snap(page, '07-run-done');
    // Live updates came from the event stream: the table's rows were read a handful of times.
    const dataReads = requests.filter((request) => request.url().includes(`/v1/tables/${tableId}/data`));
    expect(dataReads.length).toBeLessThan(20);

    // The cell detail, reached with the keyboard: explanation and sources.
    await clickNameCell(page, 0);
    for (let i = 0; i < COL.founded - COL.name; i++) await page.keyboard.press('ArrowRight');
    await expect.poll(() => cell(page, COL.founded, 0).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Enter');
    const detail = page.getByTestId('cell-detail');
    await expect
      .poll(() => detail.getByTestId('cell-explanation').textContent())
      .toContain('founded in 2019');
    const source = detail.getByTestId('cell-sources').getByRole('link');
    await expect.poll(() => source.getAttribute('href')).toBe(site.urlFor('/about'));
    await expect.poll(() => detail.getByTestId('cell-answer').textContent()).toBe('2019');
    // Beyond the cell form: attempts, cost and the research's tokens, searches and pages.
    await expect
      .poll(() => detail.getByTestId('cell-usage').textContent())
      .toMatch(/^1 attempt · \$0\.\d{4} · .*tokens/);
    await snap(page, '08-cell-detail', 'cell-detail.png');
    await detail.getByRole('button', { name: 'Close cell detail' }).click();

    // Export: every column, quoted where needed, formulas neutralised, non-Latin text intact.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    expect(download.suggestedFilename()).toBe('Leads.csv');
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines[0]).toBe('name,city,note,label,summary,founded');
    expect(lines[1]).toBe(
      `"Acme, Inc.",Berlin,'=1+2,"Acme, Inc. (Berlin)","Acme, Inc. is based in Berlin.",2019`,
    );
    expect(lines[3]).toBe(`Αθηνά Λαμπς,Αθήνα,'-42,Αθηνά Λαμπς (Αθήνα),Αθηνά Λαμπς is based in Αθήνα.,2019`);
    expect(lines[4]).toBe(`Борей,Москва,'+1 call,Борей (Москва),Борей is based in Москва.,2019`);
    expect(lines[5]).toBe(
      `Globex,Springfield,'@handle,Globex (Springfield),Globex is based in Springfield.,2019`,
    );
    expect(lines).toHaveLength(8); // header, 6 rows, and the empty string after the last CRLF

    // Keyboard: arrows move, Enter edits, Escape cancels, Enter commits.
    await clickNameCell(page, 0);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => cell(page, COL.name, 1).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => cell(page, COL.city, 1).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => cell(page, COL.name, 0).getAttribute('aria-selected')).toBe('true');
    const patches = () => requests.filter((request) => request.method() === 'PATCH').length;
    const patchesBefore = patches();
    await page.keyboard.press('Enter');
    const editor = page.locator('textarea.gdg-input');
    // The editor takes focus a frame after it appears; keys sent before would go to the grid.
    const editorFocused = () =>
      expect
        .poll(() => editor.evaluate((element) => element === (globalThis as any).document.activeElement))
        .toBe(true);
    await editor.waitFor();
    await editorFocused();
    await expect.poll(() => editor.inputValue()).toBe('Acme, Inc.');
    await page.keyboard.type(' (typo)');
    await page.keyboard.press('Escape');
    await editor.waitFor({ state: 'detached' });
    await expect.poll(() => cell(page, COL.name, 0).textContent()).toBe('Acme, Inc.');
    expect(patches()).toBe(patchesBefore);
    await page.keyboard.press('Enter');
    await editor.waitFor();
    await editorFocused();
    // Glide's overlay leaves a zero-delay timer behind for every key; Chromium runs input before
    // timers, so on a busy page they run after the next keys. Enter must save all the same: here
    // the page's timers run late on purpose while the edit is typed and committed.
    await page.evaluate(() => {
      const w = globalThis as any;
      w.onTimeSetTimeout = w.setTimeout;
      w.setTimeout = (fn: () => void, ms = 0, ...args: unknown[]) =>
        w.onTimeSetTimeout(fn, Math.max(ms, 250), ...args);
    });
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Acme GmbH');
    expect(await editor.inputValue()).toBe('Acme GmbH');
    const patched = page.waitForResponse(
      (response) =>
        response.request().method() === 'PATCH' && response.url().endsWith(`/v1/tables/${tableId}/rows`),
    );
    await page.keyboard.press('Enter');
    expect((await patched).status()).toBe(200);
    await page.evaluate(() => {
      const w = globalThis as any;
      w.setTimeout = w.onTimeSetTimeout;
    });
    await expect.poll(() => cell(page, COL.name, 0).textContent()).toBe('Acme GmbH');
    // The edit makes the computed cells of that row stale, live.
    await expect.poll(() => cell(page, COL.label, 0).textContent()).toBe('stale: Acme, Inc. (Berlin)');
    await snap(page, '09-edited-stale');

    // The tables list: search, rename, delete.
    await page.getByRole('link', { name: '← Tables' }).click();
    await page.getByRole('searchbox', { name: 'Search tables' }).fill('lea');
    await page.getByRole('link', { name: 'Leads' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search tables' }).fill('nothing like it');
    await page.getByText('No table matches that search.').waitFor();
    await page.getByRole('searchbox', { name: 'Search tables' }).fill('');
    await page.getByRole('button', { name: 'Rename Leads' }).click();
    dialog = page.getByRole('dialog', { name: 'Rename table' });
    await dialog.getByLabel('Name').fill('Leads 2026');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('link', { name: 'Leads 2026' }).waitFor();
    await snap(page, '10-tables');
    await page.getByRole('button', { name: 'Delete Leads 2026' }).click();
    await page
      .getByRole('dialog', { name: 'Delete table' })
      .getByRole('button', { name: 'Delete table' })
      .click();
    await page.getByText('No tables yet').waitFor();

    // Sign out: back to the key form, and the key is gone from the tab.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length as number)).toBe(0);
    expect(errors).toEqual([]);
  }
});
