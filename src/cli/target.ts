import { DEFAULT_WORKSPACE } from '../engine/api-keys.ts';
import type { Store } from '../engine/ports.ts';
import { openStore } from '../storage/index.ts';
import { loadConfig } from '../config.ts';

/**
 * Where a CLI command works: a server by URL and key (`--url`/`ENRICHBASE_URL`, `--key`/`ENRICHBASE_API_KEY`),
 * or, when no URL is given, the configured store opened directly (`--workspace`, default `default`).
 */
export type Target = { kind: 'remote'; url: string; key: string } | { kind: 'local'; workspace: string };

export interface TargetOptions {
  url?: string;
  key?: string;
  workspace?: string;
}

export class CliError extends Error {
  override readonly name = 'CliError';
}

export function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): Target {
  const url = options.url ?? env.ENRICHBASE_URL;
  if (url) {
    const key = options.key ?? env.ENRICHBASE_API_KEY;
    if (!key) throw new CliError('a server needs an API key: pass --key or set ENRICHBASE_API_KEY');
    return { kind: 'remote', url: url.replace(/\/+$/, ''), key };
  }
  return { kind: 'local', workspace: options.workspace ?? DEFAULT_WORKSPACE };
}

/**
 * A one-shot command streams through its table once: a small page cache keeps a 1M-row import
 * under 250 MB at the same speed (bench/csv.ts: 16 MB vs the server's 64 MB).
 */
export const CLI_SQLITE_CACHE_MB = 16;

/** Opens the configured store for one command, in the named workspace. */
export async function withLocalStore<T>(
  workspaceName: string,
  work: (store: Store, workspaceId: string) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    sqliteCacheMb: CLI_SQLITE_CACHE_MB,
  });
  try {
    const workspace = await store.findWorkspaceByName(workspaceName);
    if (!workspace) {
      throw new CliError(
        `no workspace named '${workspaceName}' in ${store.location} (start the server once to make one)`,
      );
    }
    return await work(store, workspace.id);
  } finally {
    await store.close();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A table by id, or by its exact name when that names one table. */
export async function findLocalTable(store: Store, workspaceId: string, reference: string): Promise<string> {
  if (UUID.test(reference)) return reference;
  const { items } = await store.listTables(workspaceId, {
    search: reference,
    sort: 'name',
    offset: 0,
    limit: 100,
  });
  return pickByName(items, reference);
}

export function pickByName(items: { id: string; name: string }[], reference: string): string {
  const named = items.filter((item) => item.name === reference);
  if (named.length === 1) return named[0]!.id;
  if (named.length > 1)
    throw new CliError(`${named.length} tables are named '${reference}': use the table id`);
  throw new CliError(`no table named '${reference}'`);
}

/** A request to the server; a non-2xx answer becomes a CliError with the API's `detail`. */
export async function remoteFetch(
  target: Extract<Target, { kind: 'remote' }>,
  path: string,
  init: RequestInit & { duplex?: 'half' } = {},
): Promise<Response> {
  const response = await fetch(`${target.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${target.key}`, ...(init.headers as Record<string, string>) },
  });
  if (!response.ok) {
    const text = await response.text();
    let detail: unknown = text;
    try {
      detail = (JSON.parse(text) as { detail?: unknown }).detail ?? text;
    } catch {
      // not JSON
    }
    throw new CliError(`${response.status}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
  }
  return response;
}

export async function findRemoteTable(
  target: Extract<Target, { kind: 'remote' }>,
  reference: string,
): Promise<string> {
  if (UUID.test(reference)) return reference;
  const response = await remoteFetch(target, `/v1/tables?search=${encodeURIComponent(reference)}&limit=100`);
  const { items } = (await response.json()) as { items: { id: string; name: string }[] };
  return pickByName(items, reference);
}
