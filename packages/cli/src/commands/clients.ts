import { readFileSync } from 'node:fs';
import {
  CLIENT_TYPES,
  type ClientType,
  type ClientView,
  GRANT_TYPES,
  type GrantType,
  TOKEN_AUTH_METHODS,
  type TokenAuthMethod,
} from '@portcullis/protocol';
import { type Command, Option } from 'commander';
import { pathSegment } from '../admin-client.ts';
import { UsageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { formatFields, formatTable, quote, toOneLine, writeJson, writeLine, writeResult } from '../output.ts';
import { verbContext } from '../verb-context.ts';

/**
 * `client_secret` is present only for secret-based auth methods, and only in this one answer. The
 * server may add fields to a client; `--json` passes them through.
 */
type CreatedClient = ClientView & { client_secret?: string };

interface RotatedSecret {
  client_id: string;
  client_secret: string;
}

interface CreateOptions {
  name: string;
  type: ClientType;
  grant: GrantType[];
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  scope?: string[];
  firstParty?: true;
  requireAttestation?: true;
  /** `--no-require-pkce` alone makes commander default this to true; only `false` is sent. */
  requirePkce: boolean;
  tokenAuth?: TokenAuthMethod;
  jwksFile?: string;
  tlsSubjectDn?: string;
  attestationApp?: string[];
  webOrigin?: string[];
}

interface UpdateOptions {
  name?: string;
  grant?: GrantType[];
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  scope?: string[];
  webOrigin?: string[];
  firstParty?: boolean;
  requireAttestation?: boolean;
  requireDpop?: boolean;
  requirePkce?: boolean;
  jwksFile?: string;
  attestationApp?: string[];
  tlsSubjectDn?: string;
  tokenAuth?: TokenAuthMethod;
}

const SECRET_WARNING = 'Store this secret now: it will not be shown again.';

export function addClientsCommands(program: Command, io: CliIo): void {
  const clients = program.command('clients').description('manage the OAuth clients (apps and services) that may ask for tokens');

  clients
    .command('create')
    .description("register an OAuth client; a confidential client's secret is printed once")
    .requiredOption('--name <name>', 'a display name, shown on the consent page')
    .addOption(
      new Option('--type <type>', 'confidential (has a secret) or public (a mobile app)')
        .choices(CLIENT_TYPES)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--grant <grant...>', 'a grant type the client may use (repeatable)').choices(GRANT_TYPES).makeOptionMandatory(),
    )
    .option('--redirect-uri <uri...>', 'an allowed redirect URI (repeatable)')
    .option('--post-logout-redirect-uri <uri...>', 'an allowed post-logout redirect URI (repeatable)')
    .option('--scope <scope...>', 'a scope the client may ask for (repeatable)')
    .option(
      '--web-origin <origin...>',
      'a web origin (https://app.example.com) whose pages may call the token, revocation and UserInfo endpoints (repeatable)',
    )
    .option('--first-party', 'a first-party client: no consent page')
    .option('--require-attestation', 'require a valid app attestation on every token request')
    .option('--no-require-pkce', 'do not require PKCE on the authorization code grant')
    .option('--jwks-file <file>', "a JSON Web Key Set of the client's public keys (private_key_jwt, self_signed_tls_client_auth)")
    .option('--attestation-app <app-id...>', 'an app whose attested instances may use this client (with --require-attestation)')
    .option('--tls-subject-dn <dn>', 'the subject DN of the client certificate, e.g. "CN=reports,O=Example" (tls_client_auth)')
    .addOption(
      new Option(
        '--token-auth <method>',
        'how the client authenticates at the token endpoint (default: client_secret_basic when confidential, none when public)',
      ).choices(TOKEN_AUTH_METHODS),
    )
    .action(async (options: CreateOptions, command: Command) => {
      const ctx = verbContext(io, command);
      const created = await ctx.client().post<CreatedClient>('/clients', {
        name: options.name,
        type: options.type,
        grant_types: [...new Set(options.grant)],
        redirect_uris: options.redirectUri,
        post_logout_redirect_uris: options.postLogoutRedirectUri,
        scopes: options.scope,
        first_party: options.firstParty,
        require_pkce: options.requirePkce === false ? false : undefined,
        require_attestation: options.requireAttestation,
        token_endpoint_auth_method: tokenAuthMethod(options.type, options.tokenAuth),
        jwks: options.jwksFile ? readJwks(options.jwksFile) : undefined,
        tls_client_auth_subject_dn: options.tlsSubjectDn,
        attestation_app_ids: options.attestationApp,
        web_origins: options.webOrigin,
      });
      // With an unsaved secret, --json is the one place the secret is in the output: keep it.
      if (ctx.json) return writeJson(io, created);
      writeLine(io, `created ${created.type} client ${quote(created.name)} (client id ${toOneLine(created.client_id)})`);
      if (typeof created.client_secret === 'string') writeSecret(io, created.client_secret);
    });

  clients
    .command('update')
    .description('change the settings named; a list given replaces the list')
    .argument('<id>', 'the client id')
    .option('--name <name>', 'a display name, shown on the consent page')
    .addOption(new Option('--grant <grant...>', 'the grant types the client may use').choices(GRANT_TYPES))
    .option('--redirect-uri <uri...>', 'the allowed redirect URIs')
    .option('--post-logout-redirect-uri <uri...>', 'the allowed post-logout redirect URIs')
    .option('--scope <scope...>', 'the scopes the client may ask for')
    .option('--web-origin <origin...>', 'the web origins whose pages may call the token, revocation and UserInfo endpoints')
    .option('--first-party', 'make it a first-party client: no consent page')
    .option('--no-first-party', 'make it a third-party client: users consent')
    .option('--require-attestation', 'require a valid app attestation on every token request')
    .option('--no-require-attestation', 'stop requiring app attestation')
    .option('--require-dpop', 'require DPoP-bound tokens')
    .option('--no-require-dpop', 'stop requiring DPoP')
    .option('--require-pkce', 'require PKCE on the authorization code grant')
    .option('--no-require-pkce', 'do not require PKCE on the authorization code grant')
    .option('--jwks-file <file>', "a JSON Web Key Set of the client's public keys (private_key_jwt, self_signed_tls_client_auth)")
    .option('--attestation-app <app-id...>', 'the apps whose attested instances may use this client')
    .option('--tls-subject-dn <dn>', 'the subject DN of the client certificate (tls_client_auth)')
    .addOption(
      new Option('--token-auth <method>', 'how the client authenticates at the token endpoint').choices(TOKEN_AUTH_METHODS),
    )
    .action(async (id: string, options: UpdateOptions, command: Command) => {
      const ctx = verbContext(io, command);
      // Only what was named on the command line is sent: commander defaults the --no- pairs to true.
      const given = (name: string) => command.getOptionValueSource(name) === 'cli';
      const changes = {
        name: options.name,
        grant_types: options.grant ? [...new Set(options.grant)] : undefined,
        redirect_uris: options.redirectUri,
        post_logout_redirect_uris: options.postLogoutRedirectUri,
        scopes: options.scope,
        web_origins: options.webOrigin,
        first_party: given('firstParty') ? options.firstParty : undefined,
        require_attestation: given('requireAttestation') ? options.requireAttestation : undefined,
        require_dpop: given('requireDpop') ? options.requireDpop : undefined,
        require_pkce: given('requirePkce') ? options.requirePkce : undefined,
        jwks: options.jwksFile ? readJwks(options.jwksFile) : undefined,
        attestation_app_ids: options.attestationApp,
        tls_client_auth_subject_dn: options.tlsSubjectDn,
        token_endpoint_auth_method: options.tokenAuth,
      };
      if (Object.values(changes).every((value) => value === undefined))
        throw new UsageError('name at least one setting to change (see portcullis clients update --help)');
      const updated = await ctx.client().patch<CreatedClient>(`/clients/${pathSegment(id)}`, changes);
      if (ctx.json) return writeJson(io, updated);
      writeLine(io, `updated client ${quote(updated.name)} (client id ${toOneLine(updated.client_id)})`);
      if (typeof updated.client_secret === 'string') writeSecret(io, updated.client_secret);
    });

  clients
    .command('list')
    .description('list OAuth clients (never their secrets)')
    .action(async (_options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const body = await ctx.client().get<{ clients: ClientView[] }>('/clients');
      if (ctx.json) return writeJson(io, body);
      if (body.clients.length === 0) return writeLine(io, 'no clients');
      io.stdout.write(
        formatTable(
          ['CLIENT ID', 'NAME', 'TYPE', 'GRANTS', 'FIRST-PARTY'],
          body.clients.map((client) => [
            client.client_id,
            client.name,
            client.type,
            joinList(client.grant_types, ','),
            yesNo(client.first_party),
          ]),
        ),
      );
    });

  clients
    .command('show')
    .description("show one OAuth client's settings")
    .argument('<id>', 'the client id')
    .action(async (id: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const client = await ctx.client().get<ClientView>(`/clients/${pathSegment(id)}`);
      if (ctx.json) return writeJson(io, client);
      io.stdout.write(formatClient(client));
    });

  clients
    .command('rotate-secret')
    .description("replace a confidential client's secret and print the new one once")
    .argument('<id>', 'the client id')
    .action(async (id: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const rotated = await ctx.client().post<RotatedSecret>(`/clients/${pathSegment(id)}/rotate-secret`, {});
      if (ctx.json) return writeJson(io, rotated);
      writeLine(io, `rotated the secret of client ${toOneLine(rotated.client_id)}; the old secret no longer works`);
      writeSecret(io, rotated.client_secret);
    });

  clients
    .command('delete')
    .description('delete an OAuth client')
    .argument('<id>', 'the client id')
    .action(async (id: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      await ctx.client().delete(`/clients/${pathSegment(id)}`);
      writeResult(io, ctx.json, { client_id: id, deleted: true }, `deleted client ${toOneLine(id)}`);
    });
}

/** The documented default per type, sent explicitly; a method that contradicts the type is bad usage. */
function tokenAuthMethod(type: ClientType, chosen: TokenAuthMethod | undefined): TokenAuthMethod {
  if (type === 'public') {
    if (chosen !== undefined && chosen !== 'none') {
      throw new UsageError(`a public client has no credentials: --token-auth must be none, got ${chosen}`);
    }
    return 'none';
  }
  if (chosen === 'none')
    throw new UsageError('a confidential client must authenticate: --token-auth none is only for public clients');
  return chosen ?? 'client_secret_basic';
}

function writeSecret(io: CliIo, secret: string): void {
  writeLine(io, `client secret: ${toOneLine(secret)}`);
  writeLine(io, SECRET_WARNING);
}

function formatClient(client: ClientView): string {
  return formatFields([
    ['client id', client.client_id],
    ['name', client.name],
    ['type', client.type],
    ['first party', yesNo(client.first_party)],
    ['grant types', joinList(client.grant_types)],
    ['response types', joinList(client.response_types)],
    ['redirect uris', joinList(client.redirect_uris)],
    ['post-logout redirect uris', joinList(client.post_logout_redirect_uris)],
    ['web origins', joinList(client.web_origins)],
    ['scopes', joinList(client.scopes)],
    ['token auth method', client.token_endpoint_auth_method],
    ['require pkce', yesNo(client.require_pkce)],
    ['require dpop', yesNo(client.require_dpop)],
    ['require attestation', yesNo(client.require_attestation)],
    ['access token lifetime', seconds(client.access_token_lifetime)],
    ['refresh token lifetime', seconds(client.refresh_token_lifetime)],
    ['refresh token idle lifetime', seconds(client.refresh_token_idle_lifetime)],
    ['created', client.created_at],
    ['updated', client.updated_at],
  ]);
}

/** Tolerates a field the server left out, so an older or newer server still shows. */
function joinList(values: readonly string[] | undefined, separator = ' '): string | undefined {
  return Array.isArray(values) ? values.join(separator) : undefined;
}

function yesNo(value: boolean | undefined): string | undefined {
  return value === undefined ? undefined : value ? 'yes' : 'no';
}

function seconds(value: number | undefined): string | undefined {
  return typeof value === 'number' ? `${value}s` : undefined;
}

function readJwks(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--jwks-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`--jwks-file ${file}: not valid JSON`);
  }
}
