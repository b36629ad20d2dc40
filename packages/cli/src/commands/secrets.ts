import type { SecretView } from '@portcullis/protocol';
import type { Command } from 'commander';
import { pathSegment } from '../admin-client.ts';
import { UsageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { formatTable, toOneLine, writeJson, writeLine, writeResult } from '../output.ts';
import { readPasswordFromStdin } from '../read-password.ts';
import { verbContext } from '../verb-context.ts';

export function addSecretsCommands(program: Command, io: CliIo): void {
  const secrets = program
    .command('secrets')
    .description('runtime secrets delivered only to attested app instances (values are never printed back)');

  secrets
    .command('add')
    .description('add a secret, or a new version of it')
    .argument('<name>', 'e.g. stripe-key')
    .option('--value-stdin', 'read the value from standard input (keeps it out of shell history)')
    .option('--value <value>', 'the value on the command line')
    .option('--app <app-id>', 'only this app may read it')
    .action(async (name: string, options: { valueStdin?: true; value?: string; app?: string }, command: Command) => {
      if ((options.valueStdin === undefined) === (options.value === undefined))
        throw new UsageError('give exactly one of --value-stdin or --value');
      const value = options.valueStdin ? await readPasswordFromStdin(io) : (options.value as string);
      const ctx = verbContext(io, command);
      const added = await ctx
        .client()
        .post<SecretView>('/secrets', { name, value, ...(options.app ? { app_id: options.app } : {}) });
      writeResult(
        io,
        ctx.json,
        added,
        `stored ${toOneLine(added.name)} version ${added.version}${added.app_id ? ` for ${toOneLine(added.app_id)}` : ''}`,
      );
    });

  secrets
    .command('list')
    .description('list secrets: names, versions and scope, never values')
    .action(async (_options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const body = await ctx.client().get<{ secrets: SecretView[] }>('/secrets');
      if (ctx.json) return writeJson(io, body);
      if (body.secrets.length === 0) return writeLine(io, 'no secrets');
      io.stdout.write(
        formatTable(
          ['NAME', 'VERSION', 'APP', 'UPDATED'],
          body.secrets.map((s) => [s.name, String(s.version), s.app_id ?? 'any attested app', s.created_at]),
        ),
      );
    });

  secrets
    .command('remove')
    .description('remove a secret and every version of it')
    .argument('<name>', 'the secret')
    .action(async (name: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      await ctx.client().delete(`/secrets/${pathSegment(name)}`);
      writeResult(io, ctx.json, { name, removed: true }, `removed ${toOneLine(name)}`);
    });
}
