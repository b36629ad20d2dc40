import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { toOneLine } from '../output.ts';

interface ServeOptions {
  config?: string;
  readyFile?: string;
}

export function addServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the gateway until SIGTERM or SIGINT')
    .option('--config <file>', 'a JSON or YAML file with the PORTCULLIS_* settings (environment variables win)')
    .option('--ready-file <file>', 'write the listening addresses as JSON to FILE once every listener is bound')
    .action(async (options: ServeOptions) => {
      // Loaded here rather than at the top so that the admin verbs start fast and never load the
      // server's dependencies.
      let server: typeof import('@portcullis/server');
      try {
        server = await import('@portcullis/server');
      } catch (error) {
        throw new CliError(`cannot load the server: ${firstLine(error)}`);
      }
      try {
        await server.serve({ configFile: options.config, readyFile: options.readyFile, env: io.env });
      } catch (error) {
        throw new CliError(firstLine(error));
      }
    });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return toOneLine(message.split('\n', 1)[0] ?? '');
}
