import type { Command } from 'commander';
import type { DiscoveryResults, DiscoveryTask } from '../sdk/index.ts';
import { withTargetOptions } from './csv-commands.ts';
import { withSession } from './session.ts';
import { print, printJson, type JsonOption } from './output.ts';
import { CliError } from './target.ts';

interface DiscoverOptions extends JsonOption {
  results: string;
  criterion?: string[];
  exclude?: string;
  wait?: boolean;
  timeout?: string;
}

const POLL_MS = 1000;
const FINISHED = new Set(['done', 'failed']);

/** `key: what it means` → a criterion; the name is the key, spaced. */
function criterionOf(text: string, index: number): { key: string; name: string; criterion: string } {
  const match = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*:\s*(.+)$/.exec(text);
  if (!match) {
    throw new CliError(
      `--criterion ${index + 1}: write it as key: what a good company does (e.g. "b2b: sells to businesses")`,
    );
  }
  return { key: match[1]!, name: match[1]!.replace(/_/g, ' '), criterion: match[2]!.trim() };
}

/**
 * `enrichbase discover <query>`: a discovery task (companies matching the query, in a company
 * table, graded 1–5 per criterion). `--wait` follows it to the end and lists the companies, most
 * relevant first; a local `--wait` computes the grades in this process.
 */
export function registerDiscoverCommand(program: Command): void {
  withTargetOptions(
    program
      .command('discover')
      .description('find companies matching a query, in a company table graded 1–5 per criterion')
      .argument('<query>', 'what companies to find, in plain words'),
  )
    .option('-n, --results <n>', 'how many companies (1–250)', '25')
    .option(
      '-c, --criterion <key: text...>',
      'a criterion to grade on (repeatable); inferred from the query when none is given',
    )
    .option('--exclude <domains>', 'domains to leave out, comma-separated')
    .option('--wait', 'wait for the grades and list the companies, most relevant first')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long (the task goes on)')
    .option('--json', 'print JSON')
    .action(async (query: string, options: DiscoverOptions) => {
      await withSession(options, async (session) => {
        const criteria = (options.criterion ?? []).map(criterionOf);
        const task = await session.client.discovery.create({
          query,
          desired_num_results: Number(options.results),
          criteria: criteria.length > 0 ? criteria : null,
          exclude_domains:
            options.exclude
              ?.split(',')
              .map((domain) => domain.trim())
              .filter(Boolean) ?? [],
        });
        if (!options.wait) {
          if (options.json) printJson(task);
          else print(`discovery task ${task.id}: ${task.status}`);
          return;
        }
        session.compute();
        const deadline =
          options.timeout === undefined ? Infinity : Date.now() + Number(options.timeout) * 1000;
        let current: DiscoveryTask = task;
        while (!FINISHED.has(current.status)) {
          if (Date.now() > deadline)
            throw new CliError(`discovery task ${task.id} is still ${current.status} (it goes on)`);
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
          current = await session.client.discovery.get(task.id);
          if (process.stderr.isTTY)
            process.stderr.write(
              `\r${current.status}: ${current.num_results} found · ${current.num_graded} graded · ${current.num_in_progress} in progress`,
            );
        }
        if (process.stderr.isTTY) process.stderr.write('\n');
        const results = await session.client.discovery.results(task.id, { limit: 100 });
        if (options.json) printJson(results);
        else printResults(results);
        process.exitCode = current.status === 'done' ? 0 : 1;
      });
    });
}

function printResults(results: DiscoveryResults): void {
  const { task } = results;
  const lines = [
    `discovery task ${task.id} ${task.status}: ${task.num_results} companies, ${task.num_graded} graded${task.reason ? ` (${task.reason})` : ''}`,
    ...(task.table_id ? [`table ${task.table_id}`] : []),
    '',
    ...results.items.map(
      (item) =>
        `${item.relevance.toFixed(1).padStart(4)}  ${(item.domain ?? '').padEnd(32)} ${item.company_name ?? ''}`,
    ),
  ];
  print(lines.join('\n'));
}
