import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createUiApp } from '../../src/api/ui.ts';
import { useTestApi } from '../fixtures/app.ts';

const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'enrichbase-ui-'));
fs.mkdirSync(path.join(dist, 'assets'));
fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Enrichbase UI</title>');
fs.writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
fs.writeFileSync(path.join(dist, 'assets', 'index-abc123.css'), 'body{}');
fs.writeFileSync(path.join(dist, 'favicon.svg'), '<svg/>');
fs.writeFileSync(path.join(os.tmpdir(), 'enrichbase-ui-secret.txt'), 'secret');
afterAll(() => fs.rmSync(dist, { recursive: true, force: true }));

describe('the UI app', () => {
  const ui = createUiApp({ distDir: dist });

  it('serves index.html at / and for client-side routes, revalidated each time', async () => {
    for (const route of ['/', '/tables/0190aaaa-0000-7000-8000-000000000000', '/anything/else']) {
      const response = await ui.request(route);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(await response.text()).toContain('Enrichbase UI');
    }
  });

  it('serves hashed assets with their content type and a long cache', async () => {
    const js = await ui.request('/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const css = await ui.request('/assets/index-abc123.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const icon = await ui.request('/favicon.svg');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('public, max-age=3600');
  });

  it('answers 404 for missing files and never leaves the build folder', async () => {
    for (const route of [
      '/assets/missing.js',
      '/../enrichbase-ui-secret.txt',
      '/%2e%2e/enrichbase-ui-secret.txt',
    ]) {
      const response = await ui.request(route);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ detail: 'Not Found' });
    }
  });

  it('says how to build the UI when web/dist is missing', async () => {
    const missing = createUiApp({ distDir: path.join(dist, 'nope') });
    const response = await missing.request('/');
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('npm run build:web');
  });
});

describe('the UI next to the API', () => {
  const api = useTestApi('sqlite');

  it('leaves API paths to the API: unknown /v1 paths stay JSON 404s', async () => {
    const unknown = await api().http.request('/v1/no-such-thing');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ detail: 'Not Found' });
    const health = await api().http.request('/v1/healthcheck');
    expect(await health.json()).toEqual({ status: 'ok' });
    const docs = await api().http.request('/docs');
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    const openapi = await api().http.request('/openapi.json');
    expect(openapi.status).toBe(200);
  });

  it('serves the built UI at / (the suite builds web/dist first)', async () => {
    const response = await api().http.request('/');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<div id="root">');
  });
});
