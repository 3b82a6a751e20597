import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';

/** The built browser UI (`npm run build:web`, run by `npm ci` through `prepare`). */
const DEFAULT_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names these files by their content hash: they never change under the same name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Enrichbase</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
  <h1>The web UI is not built</h1>
  <p>The API works (<a href="/docs">/docs</a>), but <code>web/dist</code> is missing.
  Build the UI with <code>npm run build:web</code> (<code>npm ci</code> does it too) and reload this page.</p>
</body>
</html>`;

/** Paths that belong to the API, never to the UI: unknown ones stay JSON 404s. */
function isApiPath(pathname: string): boolean {
  return (
    pathname === '/v1' ||
    pathname.startsWith('/v1/') ||
    pathname === '/docs' ||
    pathname.startsWith('/docs/') ||
    pathname === '/openapi.json'
  );
}

async function readFileOrUndefined(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * The browser UI, registered after the API: static files of `web/dist`, and `index.html` for `/`
 * and every client-side route (any GET that is not an API path and names no file). Without a
 * build, `/` says how to make one.
 */
export function createUiApp(options: { distDir?: string } = {}): Hono {
  const distDir = path.resolve(options.distDir ?? DEFAULT_DIST_DIR);
  const app = new Hono();

  const serveIndex = async (c: Context) => {
    const index = await readFileOrUndefined(path.join(distDir, 'index.html'));
    if (!index) return c.html(NOT_BUILT, 503, { 'cache-control': 'no-store' });
    // Always revalidated, so a new build's hashed assets are picked up at once.
    return c.body(new Uint8Array(index), 200, {
      'content-type': CONTENT_TYPES['.html']!,
      'cache-control': 'no-cache',
    });
  };

  app.get('*', async (c, next) => {
    const pathname = c.req.path;
    if (isApiPath(pathname)) return next();
    let relative: string;
    try {
      relative = decodeURIComponent(pathname);
    } catch {
      return c.json({ detail: 'Not Found' }, 404);
    }
    const file = path.resolve(distDir, `.${relative}`);
    if (file !== distDir && !file.startsWith(distDir + path.sep)) return c.json({ detail: 'Not Found' }, 404);
    const extension = path.extname(file).toLowerCase();
    if (relative !== '/' && extension !== '' && extension !== '.html') {
      const body = await readFileOrUndefined(file);
      if (!body) return c.json({ detail: 'Not Found' }, 404);
      const hashed = relative.startsWith('/assets/');
      return c.body(new Uint8Array(body), 200, {
        'content-type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
        'cache-control': hashed ? IMMUTABLE : 'public, max-age=3600',
        'x-content-type-options': 'nosniff',
      });
    }
    return serveIndex(c);
  });
  return app;
}
