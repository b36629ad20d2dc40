import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { AppReleaseView as AppRelease } from '@portcullis/protocol';
import type { Command } from 'commander';
import { pathSegment } from '../admin-client.ts';
import { UsageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { formatTable, toOneLine, writeJson, writeLine } from '../output.ts';
import { verbContext } from '../verb-context.ts';

/** SHA-256 of a file, streamed: the artifact never leaves this machine, only its digest does. */
async function digestOf(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (err) {
    throw new UsageError(`--file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return `sha256:${hash.digest('hex')}`;
}

export function addAppsCommands(program: Command, io: CliIo): void {
  const apps = program.command('apps').description('manage the genuine app releases that may attest');

  apps
    .command('register')
    .description('register an app release by the SHA-256 of its artifact (hashed locally) or a given digest')
    .argument('<app-id>', 'bundle id or package name, e.g. com.example.catalog (TEAMID.bundle.id for Apple)')
    .option('--file <artifact>', 'the release artifact (APK, AAB, IPA) or signing certificate to hash')
    .option('--digest <sha256:hex>', 'the digest, when the artifact is not at hand')
    .option('--version <version>', 'the release version, for listing and revoking')
    .action(async (appId: string, options: { file?: string; digest?: string; version?: string }, command: Command) => {
      if ((options.file === undefined) === (options.digest === undefined))
        throw new UsageError('give exactly one of --file or --digest');
      const digest = options.file !== undefined ? await digestOf(options.file) : (options.digest as string);
      const ctx = verbContext(io, command);
      const release = await ctx.client().post<AppRelease>('/apps', { app_id: appId, digest, version: options.version });
      if (ctx.json) return writeJson(io, release);
      writeLine(
        io,
        `registered ${toOneLine(release.app_id)}${release.version ? ` ${toOneLine(release.version)}` : ''} (${release.digest})`,
      );
    });

  apps
    .command('list')
    .description('list registered app releases')
    .action(async (_options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const body = await ctx.client().get<{ releases: AppRelease[] }>('/apps');
      if (ctx.json) return writeJson(io, body);
      if (body.releases.length === 0) return writeLine(io, 'no app releases');
      io.stdout.write(
        formatTable(
          ['APP', 'VERSION', 'DIGEST', 'REGISTERED', 'REVOKED'],
          body.releases.map((r) => [r.app_id, r.version, r.digest, r.created_at, r.revoked_at]),
        ),
      );
    });

  apps
    .command('revoke')
    .description("revoke an app's releases (all, or one --version): they fail from the next attestation on")
    .argument('<app-id>', 'the app id')
    .option('--version <version>', 'only this version')
    .action(async (appId: string, options: { version?: string }, command: Command) => {
      const ctx = verbContext(io, command);
      const body = await ctx
        .client()
        .post<{ releases: AppRelease[] }>(
          `/apps/${pathSegment(appId)}/revoke`,
          options.version ? { version: options.version } : {},
        );
      if (ctx.json) return writeJson(io, body);
      writeLine(io, `revoked ${toOneLine(appId)}${options.version ? ` ${toOneLine(options.version)}` : ''}`);
    });
}
