import type { CliResult } from '@portcullis/cli/spawn';
import { WEB_PREFIX } from './serve-web.ts';

export const APP_ID = 'com.example.catalog.web';
export const SCOPE = 'openid profile catalog';
export const API_KEY_SECRET = 'catalog-api-key';
export const API_PREFIX = '/api';

export interface ProvisionInput {
  issuer: string;
  adminKey: string;
  /** Runs `portcullis ARGS` against the demo server (server and admin key already set). */
  cli: (args: string[], stdin?: string) => Promise<CliResult>;
  login: { username: string; password: string };
  webUrl: string;
  productsUrl: string;
  /** The products API's key, stored as the runtime secret the gateway injects. */
  apiKey: string;
  /** `sha256:HEX` of the web bundle, registered as the app's release; null registers nothing. */
  release: string | null;
  /** Seconds; the CLI has no flag for it, so clients are then created through the admin API. */
  accessTokenLifetime: number | undefined;
  log: (line: string) => void;
}

export interface Provisioned {
  catalogClientId: string;
  partnerClientId: string;
  redirectUri: string;
  /** `portcullis sdk config --client-id CATALOG`. */
  sdkConfig: string;
}

/** One CLI verb with `--json`; a failure stops the demo with the CLI's own one-line reason. */
async function json(input: ProvisionInput, args: string[], stdin?: string): Promise<Record<string, unknown>> {
  const result = await input.cli([...args, '--json'], stdin);
  if (result.code !== 0) throw new Error(`portcullis ${args.slice(0, 2).join(' ')} failed: ${result.stderr.trim()}`);
  input.log(`  portcullis ${args.map(quote).join(' ')}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** One OAuth client, as `clients create` options and as the admin API's body (POST /admin/v1/clients). */
interface ClientSpec {
  name: string;
  grants: string[];
  scopes: string[];
  firstParty?: boolean;
  attestationApp?: string;
  redirectUri?: string;
  postLogoutRedirectUri?: string;
}

function clientArgs(c: ClientSpec): string[] {
  const args = ['--name', c.name, '--type', 'public', '--grant', ...c.grants, '--scope', ...c.scopes];
  if (c.firstParty) args.push('--first-party');
  if (c.attestationApp) args.push('--require-attestation', '--attestation-app', c.attestationApp);
  if (c.redirectUri) args.push('--redirect-uri', c.redirectUri);
  if (c.postLogoutRedirectUri) args.push('--post-logout-redirect-uri', c.postLogoutRedirectUri);
  return args;
}

function clientBody(c: ClientSpec, accessTokenLifetime: number): Record<string, unknown> {
  return {
    name: c.name,
    type: 'public',
    grant_types: c.grants,
    scopes: c.scopes,
    first_party: c.firstParty ?? false,
    require_attestation: c.attestationApp !== undefined,
    attestation_app_ids: c.attestationApp ? [c.attestationApp] : [],
    redirect_uris: c.redirectUri ? [c.redirectUri] : [],
    post_logout_redirect_uris: c.postLogoutRedirectUri ? [c.postLogoutRedirectUri] : [],
    access_token_lifetime: accessTokenLifetime,
  };
}

async function createClient(input: ProvisionInput, spec: ClientSpec): Promise<string> {
  const lifetime = input.accessTokenLifetime;
  if (lifetime === undefined) return String((await json(input, ['clients', 'create', ...clientArgs(spec)])).client_id);
  const res = await fetch(`${input.issuer}/admin/v1/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${input.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(clientBody(spec, lifetime)),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 201) throw new Error(`POST /admin/v1/clients failed: ${res.status} ${JSON.stringify(body)}`);
  input.log(`  POST /admin/v1/clients (${spec.name}, access_token_lifetime ${lifetime})`);
  return String(body.client_id);
}

/**
 * Everything the demo needs, set up as an operator would with the `portcullis` CLI: the user, the
 * web app's release, the first-party catalog client (password grant, attestation required), a
 * third-party partner client (authorization code with the consent page), the products API's key
 * as a runtime secret, and the two gateway routes.
 */
export async function provisionDemo(input: ProvisionInput): Promise<Provisioned> {
  const scopes = SCOPE.split(' ');
  const redirectUri = `${input.issuer}${WEB_PREFIX}/callback`;
  const postLogoutUri = `${input.issuer}${WEB_PREFIX}/`;
  const user = input.login.username;
  // Independent steps run side by side; the /api route names the secret, so it waits for it.
  const [catalogClientId, partnerClientId] = await Promise.all([
    createClient(input, {
      name: 'Catalog',
      grants: ['password', 'refresh_token'],
      scopes,
      firstParty: true,
      attestationApp: APP_ID,
    }),
    createClient(input, {
      name: 'Partner Shop',
      grants: ['authorization_code', 'refresh_token'],
      scopes,
      redirectUri,
      postLogoutRedirectUri: postLogoutUri,
    }),
    json(
      input,
      ['users', 'create', user, '--password-stdin', '--email', `${user}@example.com`, '--given-name', 'Alice'],
      input.login.password,
    ),
    input.release === null ? null : json(input, ['apps', 'register', APP_ID, '--digest', input.release, '--version', 'demo']),
    json(input, ['secrets', 'add', API_KEY_SECRET, '--value-stdin'], input.apiKey),
    json(input, ['api', 'add', WEB_PREFIX, '--upstream', input.webUrl, '--no-auth', '--attestation', 'off', '--binding', 'none']),
  ]);
  await json(input, [
    'api',
    'add',
    API_PREFIX,
    '--upstream',
    input.productsUrl,
    '--strip-prefix',
    '--scope',
    'catalog',
    '--identity',
    'jwt',
    '--inject-secret',
    `X-Catalog-Key=${API_KEY_SECRET}`,
  ]);
  const sdk = await json(input, ['sdk', 'config', '--client-id', catalogClientId]);
  return { catalogClientId, partnerClientId, redirectUri, sdkConfig: String(sdk.config) };
}
