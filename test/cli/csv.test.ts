import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '../../bin/enrichbase.js');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrichbase-cli-csv-'));
const env = {
  ...process.env,
  ENRICHBASE_DATA_DIR: dataDir,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  DATABASE_URL: '',
  ENRICHBASE_URL: '',
  ENRICHBASE_API_KEY: '',
};

function run(
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin ?? '');
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

// Each command is a process of its own (tsx compiles the sources at start): slow on a loaded machine.
describe('enrichbase import and export', { timeout: 120_000 }, () => {
  let server: ReturnType<typeof spawn>;
  let url = '';
  let key = '';
  let tableId = '';

  beforeAll(async () => {
    server = spawn(process.execPath, [BIN, 'serve'], { env });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      server.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        url = /serving on (http:\/\/\S+)/.exec(output)?.[1] ?? '';
        key = /(eb_[A-Za-z0-9_-]{43})/.exec(output)?.[1] ?? '';
        if (url && key) resolve();
      });
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
    });
    const created = await fetch(`${url}/v1/tables`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Leads',
        column_configs: [
          { kind: 'input', name: 'Company', key: 'company' },
          { kind: 'formula', name: 'Shout', key: 'shout', value: { expression: 'company + "!"' } },
        ],
      }),
    });
    tableId = ((await created.json()) as { id: string }).id;
  });

  async function waitIdle() {
    for (;;) {
      const response = await fetch(`${url}/v1/tables/${tableId}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const { status } = (await response.json()) as {
        status: { run_status: string; num_cells_in_progress: number };
      };
      if (status.run_status === 'idle' && status.num_cells_in_progress === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  afterAll(async () => {
    if (server.exitCode === null) {
      await new Promise((resolve) => {
        server.once('exit', resolve);
        server.kill('SIGTERM');
      });
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('imports through a server from a file, runs, and exports from the local store to a file', async () => {
    const file = path.join(dataDir, 'in.csv');
    fs.writeFileSync(
      file,
      '\uFEFFCompany,Country\r\n"Acme, Inc.",DE\r\n=cmd(),FR\r\nBorei,Россия\r\nbad,line,here\r\n',
    );
    const imported = await run(['import', 'Leads', file, '--url', url, '--key', key, '--run']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain('imported 3 rows');
    expect(imported.stderr).toContain('added input columns: country');
    expect(imported.stderr).toContain('line 5: The line has 3 fields; the header has 2');
    expect(imported.stderr).toMatch(/run \S+ queued/);

    // The server's engine computes the run; the export reads the same SQLite file directly.
    await waitIdle();
    const exported = await run([
      'export',
      tableId,
      '-o',
      path.join(dataDir, 'out.csv'),
      '--include',
      'status',
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    const csv = fs.readFileSync(path.join(dataDir, 'out.csv'), 'utf8');
    expect(csv).toBe(
      [
        '\uFEFFCompany,Shout,Shout (status),Country',
        '"Acme, Inc.","Acme, Inc.!",done,DE',
        "'=cmd(),'=cmd()!,done,FR",
        'Borei,Borei!,done,Россия',
        '',
      ].join('\r\n'),
    );
  });

  it('imports from standard input into the local store and exports to standard output through a server', async () => {
    const imported = await run(['import', 'Leads', '--json'], 'company\nInitech\n');
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ imported: 1, errorCount: 0, runId: null });

    const exported = await run([
      'export',
      'Leads',
      '--url',
      url,
      '--key',
      key,
      '--columns',
      'company',
      '--no-bom',
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.split('\r\n')).toEqual([
      'Company',
      '"Acme, Inc."',
      "'=cmd()",
      'Borei',
      'Initech',
      '',
    ]);
  });

  it('says what is wrong and exits non-zero', async () => {
    const missing = await run(['export', 'Nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no table named 'Nope'");
    const noKey = await run(['export', 'Leads', '--url', url]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('API key');
    const badKey = await run(['export', tableId, '--url', url, '--key', 'eb_wrong']);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toContain('401');
    const badInclude = await run(['export', 'Leads', '--include', 'secrets']);
    expect(badInclude.code).toBe(1);
    expect(badInclude.stderr).toContain('unknown --include field(s): secrets');
  });
});
