import type { Command } from 'commander';
import type { TargetOptions } from './target.ts';
import { withTargetOptions } from './csv-commands.ts';

/**
 * `enrichbase mcp`: the MCP server on stdin/stdout, for agent clients that start it as a subprocess.
 * It talks to a server (`--url`/`--key`) or opens the local store and computes runs in this process.
 * stdout carries the protocol and nothing else: messages go to stderr.
 */
export function registerMcpCommand(program: Command): void {
  withTargetOptions(
    program
      .command('mcp')
      .description(
        'serve the MCP protocol on stdio (tools to create, fill, run and read tables); the HTTP server also serves it at /mcp',
      ),
  ).action(async (options: TargetOptions) => {
    // Loaded here: the MCP SDK and the session's app are only needed by this command.
    const [{ StdioServerTransport }, { createMcpServer }, { openSession }] = await Promise.all([
      import('@modelcontextprotocol/sdk/server/stdio.js'),
      import('../mcp/index.ts'),
      import('./session.ts'),
    ]);
    const session = await openSession(options);
    // Local: runs started by the agent are computed here, while the client keeps this process.
    session.compute();
    const server = createMcpServer(session.client);
    let closing: Promise<void> | undefined;
    const shutdown = () => {
      closing ??= server
        .close()
        .then(() => session.close())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(
              `enrichbase mcp: ${error instanceof Error ? error.message : String(error)}\n`,
            );
            process.exit(1);
          },
        );
    };
    // The client ends the session by closing our stdin (or by a signal).
    process.stdin.once('end', shutdown);
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    await server.connect(new StdioServerTransport());
    const where =
      session.target.kind === 'remote'
        ? session.target.url
        : `the local store (workspace '${session.target.workspace}')`;
    process.stderr.write(`Enrichbase MCP server on stdio, working on ${where}\n`);
  });
}
