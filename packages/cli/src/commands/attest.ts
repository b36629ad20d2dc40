import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { CliError, UsageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { toOneLine, writeJson, writeLine } from '../output.ts';

interface VerifyOptions {
  format: string;
  evidence: string;
  challenge?: string;
  appId?: string;
  at?: string;
  revocationList?: string;
  json?: boolean;
}

export function addAttestCommands(program: Command, io: CliIo): void {
  const attest = program.command('attest').description('work with app attestation evidence');

  attest
    .command('verify')
    .description('verify captured attestation evidence offline and print the verdict and reasons (exit 0 pass, 1 fail)')
    .addOption(
      new Option('--format <format>', 'the evidence format')
        .choices(['apple-app-attest', 'android-key', 'software'])
        .makeOptionMandatory(),
    )
    .requiredOption(
      '--evidence <file>',
      'Apple: JSON with attestation and keyId; Android: PEM chain, leaf first; software: the JWS; or, for Apple and Android, the evidence exactly as the app sent it to /attest (with client_data)',
    )
    .option(
      '--challenge <base64>',
      'the challenge the evidence must answer (Apple: the client data), base64; not needed for evidence as sent to /attest',
    )
    .option('--app-id <team.bundle>', 'the Apple app id, TEAMID.bundle.id (apple-app-attest)')
    .option('--at <iso-time>', 'verify as of this time (captured evidence from devices whose certificates have since expired)')
    .option(
      '--revocation-list <file>',
      "android-key: a revocation status list (JSON, as Google publishes it) to check the chain's serials against",
    )
    .action(async (options: VerifyOptions, command: Command) => {
      let evidence: string;
      try {
        evidence = readFileSync(options.evidence, 'utf8');
      } catch (err) {
        throw new UsageError(
          `--evidence ${options.evidence}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
      const at = options.at === undefined ? new Date() : new Date(options.at);
      if (Number.isNaN(at.getTime())) throw new UsageError('--at takes an ISO 8601 time such as 2024-06-01T00:00:00Z');
      // Loaded only for this verb: the other verbs never pay for the verifiers.
      const { verifyOffline } = await import('@portcullis/server/verify-offline');
      const challenge = options.challenge === undefined ? undefined : Buffer.from(options.challenge, 'base64');
      const revokedSerials = options.revocationList === undefined ? undefined : await readRevocationList(options.revocationList);
      const result = await verifyOffline(options.format, evidence, challenge, {
        ...(options.appId ? { appId: options.appId } : {}),
        ...(revokedSerials ? { revokedSerials } : {}),
        at,
      });
      const json = (command.optsWithGlobals() as { json?: boolean }).json === true;
      if (json) writeJson(io, result);
      else {
        writeLine(io, `verdict: ${result.verdict}`);
        if (result.reasons.length > 0) writeLine(io, `reasons: ${result.reasons.join(', ')}`);
        for (const [name, value] of Object.entries(result.facts))
          writeLine(io, `${name}: ${toOneLine(typeof value === 'string' ? value : JSON.stringify(value))}`);
      }
      if (result.verdict !== 'pass')
        throw new CliError(`the evidence did not pass (${result.reasons.join(', ') || 'no reason given'})`);
    });
}

async function readRevocationList(file: string): Promise<ReadonlySet<string>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--revocation-list ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const { parseRevocationStatusList } = await import('@portcullis/server/verify-offline');
  try {
    return parseRevocationStatusList(JSON.parse(text));
  } catch (err) {
    throw new UsageError(`--revocation-list ${file}: ${err instanceof SyntaxError ? 'not JSON' : (err as Error).message}`);
  }
}
