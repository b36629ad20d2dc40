import { KEY_USES, type KeyUse, SIGNING_ALGORITHMS, type SigningAlgorithm, type SigningKeyView } from '@portcullis/protocol';
import { type Command, Option } from 'commander';
import type { CliIo } from '../cli-io.ts';
import { formatTable, toOneLine, writeJson, writeLine } from '../output.ts';
import { verbContext } from '../verb-context.ts';

interface RotateOptions {
  use?: KeyUse;
  alg?: SigningAlgorithm;
}

export function addKeysCommands(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('manage the signing keys for tokens, attestation results and pin sets');

  keys
    .command('list')
    .description('list signing keys and their state (next, current, retired)')
    .action(async (_options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const body = await ctx.client().get<{ keys: SigningKeyView[] }>('/keys');
      if (ctx.json) return writeJson(io, body);
      if (body.keys.length === 0) return writeLine(io, 'no signing keys');
      io.stdout.write(
        formatTable(
          ['KID', 'USE', 'ALG', 'STATE', 'CREATED', 'ACTIVATED', 'RETIRED', 'PUBLISHED UNTIL'],
          body.keys.map((key) => [
            key.kid,
            key.use,
            key.alg,
            key.state,
            key.created_at,
            key.activated_at,
            key.retired_at,
            key.published_until,
          ]),
        ),
      );
    });

  keys
    .command('rotate')
    .description('promote the next signing key to current and create a new next key')
    .addOption(new Option('--use <use>', 'which keys to rotate (the server chooses when omitted)').choices(KEY_USES))
    .addOption(new Option('--alg <alg>', 'algorithm of the new next key').choices(SIGNING_ALGORITHMS))
    .action(async (options: RotateOptions, command: Command) => {
      const ctx = verbContext(io, command);
      const body = await ctx
        .client()
        .post<{ current: SigningKeyView; next: SigningKeyView }>('/keys/rotate', { use: options.use, alg: options.alg });
      if (ctx.json) return writeJson(io, body);
      writeLine(io, `rotated ${body.current.use} keys`);
      writeLine(io, `current: ${toOneLine(body.current.kid)} (${body.current.alg})`);
      writeLine(io, `next:    ${toOneLine(body.next.kid)} (${body.next.alg})`);
    });
}
