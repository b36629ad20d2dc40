import type { PinSetView } from '@portcullis/protocol';
import type { Command } from 'commander';
import { pathSegment } from '../admin-client.ts';
import { UsageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { formatTable, writeJson, writeLine } from '../output.ts';
import { verbContext } from '../verb-context.ts';

export function addPinsCommands(program: Command, io: CliIo): void {
  const pins = program.command('pins').description('certificate pins the SDK enforces, delivered as a signed, versioned pin set');
  const print = (json: boolean, set: PinSetView) => {
    if (json) return writeJson(io, set);
    writeLine(io, `pin set version ${set.version}, managed trust roots ${set.managed_trust_roots ? 'on' : 'off'}`);
    const rows = Object.entries(set.pins).flatMap(([host, list]) =>
      list.map((pin, i) => [host, i === 0 ? 'primary' : 'backup', pin]),
    );
    if (rows.length > 0) io.stdout.write(formatTable(['HOST', 'ROLE', 'SPKI PIN'], rows));
  };

  pins
    .command('show')
    .description('print the pin set')
    .action(async (_options: object, command: Command) => {
      const ctx = verbContext(io, command);
      print(ctx.json, await ctx.client().get<PinSetView>('/pins'));
    });

  pins
    .command('add')
    .description('pin SPKI hashes for a host (repeat --spki for backups)')
    .argument('<host>', 'e.g. api.example.com')
    .requiredOption(
      '--spki <pin...>',
      'sha256/BASE64 of the SubjectPublicKeyInfo (openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)',
    )
    .action(async (host: string, options: { spki: string[] }, command: Command) => {
      const ctx = verbContext(io, command);
      print(ctx.json, await ctx.client().post<PinSetView>('/pins', { host, spki: options.spki }));
    });

  pins
    .command('remove')
    .description("remove a host's pins")
    .argument('<host>', 'the host')
    .action(async (host: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      print(ctx.json, await ctx.client().delete<PinSetView>(`/pins/${pathSegment(host)}`));
    });

  pins
    .command('managed-trust-roots')
    .description('hand out the public CA roots clients should trust (on), or not (off)')
    .argument('<on|off>', 'on or off')
    .action(async (value: string, _options: object, command: Command) => {
      if (value !== 'on' && value !== 'off') throw new UsageError('managed-trust-roots takes on or off');
      const ctx = verbContext(io, command);
      print(ctx.json, await ctx.client().put<PinSetView>('/pins/managed-trust-roots', { value }));
    });
}

export function addSdkCommands(program: Command, io: CliIo): void {
  program
    .command('sdk')
    .description('SDK helpers')
    .command('config')
    .description('print the SDK config string: server URL, client id, pins keys, attestation JWKS URL')
    .option('--client-id <id>', 'the OAuth client the app uses')
    .action(async (options: { clientId?: string }, command: Command) => {
      const ctx = verbContext(io, command);
      const body = await ctx
        .client()
        .get<{ config: string }>(`/sdk-config${options.clientId ? `?client_id=${encodeURIComponent(options.clientId)}` : ''}`);
      if (ctx.json) return writeJson(io, body);
      writeLine(io, body.config);
    });
}
