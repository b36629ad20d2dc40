import type { Command } from 'commander';
import { pathSegment } from '../admin-client.ts';
import type { CliIo } from '../cli-io.ts';
import { formatFields, writeJson } from '../output.ts';
import { verbContext } from '../verb-context.ts';

export function addPolicyCommands(program: Command, io: CliIo): void {
  const policy = program.command('policy').description('show and change the attestation policy');

  const print = (ctx: { json: boolean }, settings: Record<string, string>) => {
    if (ctx.json) return writeJson(io, settings);
    io.stdout.write(formatFields(Object.entries(settings)));
  };

  policy
    .command('show')
    .description('print every policy setting')
    .action(async (_options: object, command: Command) => {
      const ctx = verbContext(io, command);
      print(ctx, await ctx.client().get<Record<string, string>>('/policy'));
    });

  policy
    .command('set')
    .description('change one setting, e.g. policy set rejection-reasons off (admin role)')
    .argument(
      '<key>',
      'rejection-reasons, software-evidence, apple-development, android-verified-boot, android-strongbox, android-min-patch-level or challenge-rate-limit',
    )
    .argument('<value>', 'on, off, required, YYYYMM (android-min-patch-level) or a number per minute (challenge-rate-limit)')
    .action(async (key: string, value: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      print(ctx, await ctx.client().put<Record<string, string>>(`/policy/${pathSegment(key)}`, { value }));
    });
}
