/**
 * CSV at scale: `enrichbase import` of a 1M-row file into a table on SQLite, then `enrichbase export` of
 * it, each as the CLI runs them (a process of its own on the local store): rows/s and the process's peak RSS.
 *
 *   npm run bench:csv          (ROWS=1000000 by default)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_WORKSPACE } from '../src/engine/api-keys.ts';
import { openStore } from '../src/storage/index.ts';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const BIN = path.resolve(import.meta.dirname, '../bin/enrichbase.js');

/** Company-like rows with quotes, commas and non-Latin text, as real exports have. */
function writeCsv(file: string): number {
  const out = fs.openSync(file, 'w');
  const cities = ['Berlin', 'Αθήνα', 'Москва', 'São Paulo', '東京', 'New York, NY'];
  let chunk = '\uFEFFCompany,Domain,City,Employees,Note\r\n';
  for (let index = 0; index < ROWS; index += 1) {
    const city = cities[index % cities.length]!;
    chunk += `"Company ${index}, Inc.",company${index}.test,${city.includes(',') ? `"${city}"` : city},${index % 5000},"said ""hi"" on day ${index % 365}"\r\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(out, chunk);
      chunk = '';
    }
  }
  fs.writeSync(out, chunk);
  fs.closeSync(out);
  return fs.statSync(file).size;
}

/** Runs the CLI; samples its peak RSS (VmHWM) until it exits. */
async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; peakMb: number; stderr: string }> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let peakKb = 0;
  const sample = setInterval(() => {
    try {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // exited between samples
    }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sample);
  if (code !== 0) throw new Error(`enrichbase ${args.join(' ')} exited with ${code}: ${stderr}`);
  return { seconds: (Date.now() - started) / 1000, peakMb: peakKb / 1024, stderr };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrichbase-bench-csv-'));
  const env = { ...process.env, ENRICHBASE_DATA_DIR: dir, DATABASE_URL: '', LOG_LEVEL: 'silent', ENRICHBASE_URL: '' };
  try {
    const input = path.join(dir, 'in.csv');
    const bytes = writeCsv(input);
    const store = await openStore({ databaseUrl: undefined, dataDir: dir });
    const workspace = await store.createWorkspace({ name: DEFAULT_WORKSPACE, ownerEmail: 'bench@localhost' });
    const { table } = await store.createTable(workspace.id, {
      name: 'Bench',
      description: null,
      tags: null,
      kind: 'generic',
      notify: false,
      settings: { exclude_from_search: false },
      columns: [],
    });
    await store.close();

    // A process start alone (tsx compiling the sources) is part of every CLI run: measured to subtract.
    const idle = await cli(['--version'], env);
    const imported = await cli(['import', table.id, input], env);
    if (!imported.stderr.includes(`imported ${ROWS.toLocaleString('en')} rows`)) {
      throw new Error(`unexpected import report: ${imported.stderr}`);
    }
    const output = path.join(dir, 'out.csv');
    const exported = await cli(['export', table.id, '-o', output], env);
    const exportedLines = fs.readFileSync(output, 'utf8').split('\r\n').length - 2;
    if (exportedLines !== ROWS) throw new Error(`exported ${exportedLines} rows, not ${ROWS}`);

    const rate = (seconds: number) => Math.round(ROWS / Math.max(0.001, seconds - idle.seconds));
    const count = (value: number) => value.toLocaleString('en');
    const importRate = rate(imported.seconds);
    const section = [
      '## CSV',
      '',
      `Command: \`npm run bench:csv\` (bench/csv.ts). Date: ${new Date().toISOString()}.`,
      '',
      `Machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}; SQLite.`,
      '',
      '| metric | value | goal |',
      '| --- | --- | --- |',
      `| \`enrichbase import\`: rows/s (${count(ROWS)} rows, ${(bytes / 2 ** 20).toFixed(0)} MiB) | ${count(importRate)} (${imported.seconds.toFixed(1)} s) | ≥ 50,000: ${importRate >= 50_000 ? 'PASS' : 'MISS'} |`,
      `| \`enrichbase import\`: peak RSS | ${imported.peakMb.toFixed(0)} MB | < 300 MB: ${imported.peakMb < 300 ? 'PASS' : 'MISS'} |`,
      `| \`enrichbase export\`: rows/s | ${count(rate(exported.seconds))} (${exported.seconds.toFixed(1)} s) | |`,
      `| \`enrichbase export\`: peak RSS | ${exported.peakMb.toFixed(0)} MB | |`,
      '',
      `- Each command is a process of its own on the local SQLite store, as a user runs it; rows/s excludes the process start (\`enrichbase --version\`: ${idle.seconds.toFixed(1)} s, ${idle.peakMb.toFixed(0)} MB). Peak RSS is the process's VmHWM.`,
      '- The file: 5 columns (quoted fields with commas and doubled quotes, Greek, Cyrillic and Japanese text), CRLF, BOM. The import creates the 5 input columns from the header; the export reads the table back in keyset pages of 1,000 rows and neutralises formulas.',
    ].join('\n');
    console.log(section);
    const file = path.resolve(import.meta.dirname, '../BENCHMARKS.md');
    const current = fs.readFileSync(file, 'utf8');
    const block = `<!-- bench:csv:start -->\n\n${section}\n\n<!-- bench:csv:end -->`;
    const pattern = /<!-- bench:csv:start -->[\s\S]*<!-- bench:csv:end -->/;
    fs.writeFileSync(file, pattern.test(current) ? current.replace(pattern, block) : `${current.trimEnd()}\n\n${block}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
