import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '../../bin/enrichbase.js');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrichbase-cli-'));
const env = {
  ...process.env,
  ENRICHBASE_DATA_DIR: dataDir,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  DATABASE_URL: '',
};

afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Starts `enrichbase serve` and resolves with what it printed once it is listening. */
function serve(): Promise<{ output: string; url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /serving on (http:\/\/\S+)/.exec(output)?.[1];
      if (url && output.includes('Data:') && (output.includes('eb_') || output.includes('API keys:'))) {
        resolve({
          output,
          url,
          stop: () =>
            new Promise((done) => {
              child.once('exit', (code) => done(code));
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
}

// Each command is a process of its own (tsx compiles the sources at start): slow on a loaded machine.
describe('the enrichbase command', { timeout: 120_000 }, () => {
  it('serves on a fresh data directory, prints where the data lives and the first key once, and stops on SIGTERM', async () => {
    const first = await serve();
    expect(first.output).toContain(path.join(dataDir, 'enrichbase.sqlite'));
    const key = /(eb_[A-Za-z0-9_-]{43})/.exec(first.output)?.[1];
    expect(key).toBeDefined();
    const user = await fetch(`${first.url}/v1/user`, { headers: { authorization: `Bearer ${key}` } });
    expect(user.status).toBe(200);
    expect(await first.stop()).toBe(0);

    const second = await serve();
    expect(second.output).not.toMatch(/eb_[A-Za-z0-9_-]{43}/);
    const again = await fetch(`${second.url}/v1/user`, { headers: { authorization: `Bearer ${key}` } });
    expect(again.status).toBe(200);
    expect(await second.stop()).toBe(0);
  });

  it('creates, lists and revokes keys for a named workspace', () => {
    const created = spawnSync(
      process.execPath,
      [BIN, 'keys', 'create', '--workspace', 'sales', '--name', 'ci'],
      { env, encoding: 'utf8' },
    );
    expect(created.status).toBe(0);
    expect(created.stdout.trim()).toMatch(/^eb_[A-Za-z0-9_-]{43}$/);
    const listed = spawnSync(process.execPath, [BIN, 'keys', 'list', '--workspace', 'sales'], {
      env,
      encoding: 'utf8',
    });
    expect(listed.stdout).toContain(' ci ');
    expect(listed.stdout).not.toContain(created.stdout.trim());
    const keyId = listed.stdout.split(/\s+/)[0]!;
    const revoked = spawnSync(process.execPath, [BIN, 'keys', 'revoke', '--workspace', 'sales', keyId], {
      env,
      encoding: 'utf8',
    });
    expect(revoked.status).toBe(0);
    expect(
      spawnSync(process.execPath, [BIN, 'keys', 'list', '--workspace', 'sales'], { env, encoding: 'utf8' })
        .stdout,
    ).toMatch(/revoked/);
  });

  it('exits with a message naming the variable when configuration is bad', () => {
    const result = spawnSync(process.execPath, [BIN, 'serve'], {
      env: { ...env, PORT: 'eighty' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/PORT="eighty" is not valid.*Example: PORT=3000/);
  });
});
