import type { Command } from 'commander';
import { withTargetOptions } from './csv-commands.ts';
import { withSession } from './session.ts';
import { print, printJson, type JsonOption } from './output.ts';
import type { TargetOptions } from './target.ts';

/**
 * `connections list|set|delete` (the workspace's vendor keys) and `webhooks list|create|delete`:
 * thin commands over the SDK, against a server or the local store like the others.
 */

export function registerAdminCommands(program: Command): void {
  const connections = program
    .command('connections')
    .description("the workspace's vendor keys (stored encrypted, shown by their last characters)");

  withTargetOptions(connections.command('list').description('which vendors have a key'))
    .option('--json', 'print JSON')
    .action(async (options: JsonOption) => {
      await withSession(options, async ({ client }) => {
        const list = await client.connections.list();
        if (options.json) return printJson(list);
        if (list.length === 0) return print('no vendor keys');
        for (const item of list)
          print(`${item.provider.padEnd(12)} ${item.hint}  updated ${item.updated_at}`);
      });
    });

  withTargetOptions(
    connections
      .command('set')
      .description("store the workspace's key for a vendor (read from --api-key or standard input)")
      .argument('<provider>', 'hunter, apollo, prospeo, pdl, …'),
  )
    .option(
      '--api-key <key>',
      'the key (default: the first line of standard input, so it stays out of the shell history)',
    )
    .action(async (provider: string, options: TargetOptions & { apiKey?: string }) => {
      const apiKey = (options.apiKey ?? (await firstLine(process.stdin))).trim();
      await withSession(options, async ({ client }) => {
        const saved = await client.connections.set(provider, { api_key: apiKey });
        print(`${saved.provider}: key ${saved.hint} saved`);
      });
    });

  withTargetOptions(
    connections.command('delete').description("remove a vendor's key").argument('<provider>'),
  ).action(async (provider: string, options: TargetOptions) => {
    await withSession(options, async ({ client }) => {
      await client.connections.delete(provider);
      print(`${provider}: key removed`);
    });
  });

  const webhooks = program
    .command('webhooks')
    .description('endpoints told when runs end (signed deliveries)');

  withTargetOptions(webhooks.command('list').description("the workspace's webhooks"))
    .option('--json', 'print JSON')
    .action(async (options: JsonOption) => {
      await withSession(options, async ({ client }) => {
        const list = await client.webhooks.list();
        if (options.json) return printJson(list);
        if (list.length === 0) return print('no webhooks');
        for (const hook of list)
          print(
            `${hook.id}  ${hook.url}  ${hook.events.join(',')}${hook.table_id ? `  table ${hook.table_id}` : ''}${hook.enabled ? '' : '  (disabled)'}`,
          );
      });
    });

  withTargetOptions(
    webhooks
      .command('create')
      .description('register an endpoint; prints its signing secret once')
      .argument('<url>', 'where deliveries are POSTed'),
  )
    .option('--table <id>', 'only this table (default: every table of the workspace)')
    .option('--events <events>', 'run.finished and/or cell.failed, comma-separated', 'run.finished')
    .option('--json', 'print JSON')
    .action(async (url: string, options: JsonOption & { table?: string; events: string }) => {
      await withSession(options, async ({ client }) => {
        const created = await client.webhooks.create({
          url,
          table_id: options.table ?? null,
          events: options.events.split(',').map((event) => event.trim()) as (
            'run.finished' | 'cell.failed'
          )[],
        });
        if (options.json) return printJson(created);
        process.stderr.write(`webhook ${created.id}; its signing secret (shown once):\n`);
        print(created.secret);
      });
    });

  withTargetOptions(
    webhooks.command('delete').description('delete a webhook and its delivery log').argument('<id>'),
  ).action(async (id: string, options: TargetOptions) => {
    await withSession(options, async ({ client }) => {
      await client.webhooks.delete(id);
      print(`deleted ${id}`);
    });
  });
}

async function firstLine(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0] ?? '';
}
