import { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { VERSION } from '../version.ts';
import { issueApiKey } from '../engine/api-keys.ts';
import { openStore } from '../storage/index.ts';
import { EnrichbaseApiError } from '../sdk/index.ts';
import { registerCsvCommands } from './csv-commands.ts';
import { registerTableCommands } from './table-commands.ts';
import { registerDiscoverCommand } from './discover-command.ts';
import { registerAdminCommands } from './admin-commands.ts';
import { registerMcpCommand } from './mcp-command.ts';

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`enrichbase: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function serve(): Promise<void> {
  const config = configOrExit();
  // The server's modules (HTTP, providers, LLM clients) load only for the commands that run it.
  const { startApp } = await import('../app.ts');
  const app = await startApp(config);
  const lines = [
    `Enrichbase ${VERSION} is serving on ${app.url}`,
    `  Web UI:    ${app.url}/  (sign in with an API key)`,
    `  API docs:  ${app.url}/docs  (OpenAPI: ${app.url}/openapi.json)`,
    `  MCP:       ${app.url}/mcp  (streamable HTTP, Bearer key)`,
    `  Data:      ${app.store.kind === 'sqlite' ? 'SQLite file ' : 'PostgreSQL '}${app.store.location}`,
  ];
  if (app.firstKey) {
    lines.push(
      '',
      `  Created workspace '${app.firstKey.workspace.name}' with its first API key (shown once, store it now):`,
      `    ${app.firstKey.key}`,
      `  Try: curl -H "Authorization: Bearer ${app.firstKey.key}" ${app.url}/v1/user`,
    );
  } else {
    lines.push('  API keys:  make one with `npm run cli -- keys create --workspace default`');
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const shutdown = (signal: string) => {
    app.logger.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        app.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

async function withStore<T>(work: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
  const config = configOrExit();
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

const program = new Command()
  .name('enrichbase')
  .description('Self-hosted AI enrichment tables (Extruct and Databar table APIs).')
  .version(VERSION);

program.command('serve').description('serve the API (and UI) on the configured store').action(serve);

program
  .command('worker')
  .description(
    'compute cells and send webhooks only (no HTTP); run several against one PostgreSQL store to scale out',
  )
  .action(async () => {
    const config = configOrExit();
    const { buildApp } = await import('../app.ts');
    const app = await buildApp(config);
    app.engine.start();
    app.webhooks.start();
    // Discovery tasks a stopped process left half-way are taken up here too (claimed: one process does).
    void app.discovery
      .resumeInterrupted()
      .catch((error: unknown) => app.logger.warn({ err: error }, 'resuming discovery tasks failed'));
    process.stdout.write(
      `Enrichbase worker ${app.engine.workerId} computing cells of ${app.store.location}\n`,
    );
    const shutdown = () => {
      void app.engine
        .stop()
        .then(() => app.webhooks.stop())
        .then(() => app.discovery.stop())
        .then(() => app.store.close())
        .then(() => process.exit(0));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });

const keys = program.command('keys').description('manage API keys');
keys
  .command('create')
  .description('create an API key (and the workspace, if new); prints the key once')
  .requiredOption('-w, --workspace <name>', 'workspace name')
  .option('-n, --name <name>', 'a label for the key', 'cli')
  .option('--email <email>', 'owner email of a new workspace')
  .action(async (options: { workspace: string; name: string; email?: string }) => {
    const issued = await withStore((store) =>
      issueApiKey(store, {
        workspaceName: options.workspace,
        keyName: options.name,
        createIfMissing: true,
        ownerEmail: options.email,
      }),
    );
    process.stderr.write(
      `API key '${issued.apiKey.name}' for workspace '${issued.workspace.name}' (shown once):\n`,
    );
    process.stdout.write(`${issued.key}\n`);
  });

keys
  .command('list')
  .description("list a workspace's keys (prefixes only; keys are stored hashed)")
  .requiredOption('-w, --workspace <name>', 'workspace name')
  .action(async (options: { workspace: string }) => {
    const rows = await withStore(async (store) => {
      const workspace = await store.findWorkspaceByName(options.workspace);
      if (!workspace) throw new Error(`no workspace named '${options.workspace}'`);
      return store.listApiKeys(workspace.id);
    });
    for (const key of rows) {
      process.stdout.write(
        `${key.id}  ${key.prefix}…  ${key.name}  created ${key.createdAt}${key.revokedAt ? `  revoked ${key.revokedAt}` : ''}\n`,
      );
    }
  });

keys
  .command('revoke')
  .description('revoke a key by id')
  .requiredOption('-w, --workspace <name>', 'workspace name')
  .argument('<key-id>', 'the id shown by `keys list`')
  .action(async (keyId: string, options: { workspace: string }) => {
    await withStore(async (store) => {
      const workspace = await store.findWorkspaceByName(options.workspace);
      if (!workspace) throw new Error(`no workspace named '${options.workspace}'`);
      await store.revokeApiKey(workspace.id, keyId);
    });
    process.stdout.write(`revoked ${keyId}\n`);
  });

registerTableCommands(program);
registerDiscoverCommand(program);
registerAdminCommands(program);
registerCsvCommands(program);
registerMcpCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`enrichbase: ${errorMessage(error)}\n`);
  process.exit(1);
});

/** An API error as the API worded it (its status and detail); anything else by its message. */
function errorMessage(error: unknown): string {
  if (error instanceof EnrichbaseApiError) {
    const detail =
      typeof error.detail === 'string'
        ? error.detail
        : error.detail.map((issue) => `${issue.loc.join('.')}: ${issue.msg}`).join('; ');
    return `${error.status}: ${detail}`;
  }
  return error instanceof Error ? error.message : String(error);
}
