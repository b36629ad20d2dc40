import { ADMIN_ROLES, type AdminKeyView, type AdminRole } from '@portcullis/protocol';
import { type Command, Option } from 'commander';
import { pathSegment } from '../admin-client.ts';
import type { CliIo } from '../cli-io.ts';
import { formatTable, quote, toOneLine, writeJson, writeLine, writeResult } from '../output.ts';
import { verbContext } from '../verb-context.ts';

type CreatedAdminKey = AdminKeyView & { key: string };

export function addAdminKeysCommands(program: Command, io: CliIo): void {
  const adminKeys = program.command('admin-keys').description('manage the keys that authorize admin API calls');

  adminKeys
    .command('create')
    .description('create an admin API key and print it once')
    .addOption(new Option('--role <role>', 'what the key may do').choices(ADMIN_ROLES).makeOptionMandatory())
    .option('--label <label>', 'a note saying who or what the key is for')
    .action(async (options: { role: AdminRole; label?: string }, command: Command) => {
      const ctx = verbContext(io, command);
      const created = await ctx.client().post<CreatedAdminKey>('/admin-keys', { role: options.role, label: options.label });
      // The only place the CLI prints a secret: the API returns a new key exactly once.
      if (ctx.json) return writeJson(io, created);
      const label = created.label ? `, label ${quote(created.label)}` : '';
      writeLine(io, `created admin key ${toOneLine(created.id)} (role ${created.role}${label})`);
      writeLine(io, `key: ${created.key}`);
      writeLine(io, 'Store this key now: it will not be shown again.');
    });

  adminKeys
    .command('list')
    .description('list admin API keys (never the keys themselves)')
    .action(async (_options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const body = await ctx.client().get<{ admin_keys: AdminKeyView[] }>('/admin-keys');
      if (ctx.json) return writeJson(io, body);
      if (body.admin_keys.length === 0) return writeLine(io, 'no admin keys');
      io.stdout.write(
        formatTable(
          ['ID', 'ROLE', 'LABEL', 'CREATED', 'LAST USED', 'REVOKED'],
          body.admin_keys.map((key) => [
            key.id,
            key.bootstrap ? `${key.role} (bootstrap)` : key.role,
            key.label,
            key.created_at,
            key.last_used_at,
            key.revoked_at,
          ]),
        ),
      );
    });

  adminKeys
    .command('revoke')
    .description('revoke an admin API key so that it is rejected from now on')
    .argument('<id>', 'the key id shown by admin-keys list')
    .action(async (id: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      await ctx.client().delete(`/admin-keys/${pathSegment(id)}`);
      writeResult(io, ctx.json, { id, revoked: true }, `revoked admin key ${toOneLine(id)}`);
    });
}
