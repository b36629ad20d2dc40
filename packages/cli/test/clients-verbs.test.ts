// The `clients` verbs against a real `portcullis serve` in a child process, including proof that a
// printed secret works at the token endpoint and that a rotated one stops working.
// One server is started for the whole verb family, and the cases share its state (a client
// created in one is rotated and deleted in the next).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { ClientView } from '@portcullis/protocol';
import { run } from '../src/main.ts';
import {
  assertFailure,
  assertSuccess,
  assertUsage,
  type CliResult,
  parseJson,
  type ServerSuite,
  useServer,
} from './cli-process.ts';

let suite: ServerSuite;

function cli(args: readonly string[]): Promise<CliResult> {
  return suite.cli(args);
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

/** `created ... client ...` then, for a confidential client, the secret and the once-only warning. */
const CREATED_WITH_SECRET =
  /^created confidential client "([^"\n]+)" \(client id (\S+)\)\nclient secret: (\S+)\nStore this secret now: it will not be shown again\.\n$/;
const ROTATED =
  /^rotated the secret of client (\S+); the old secret no longer works\nclient secret: (\S+)\nStore this secret now: it will not be shown again\.\n$/;

let discoveredTokenEndpoint: string | undefined;

/** The `token_endpoint` of the discovery document, fetched on first use. */
async function tokenEndpoint(): Promise<string> {
  if (discoveredTokenEndpoint !== undefined) return discoveredTokenEndpoint;
  const discovery = await fetch(`${suite.server.ready.http}/.well-known/openid-configuration`);
  assert.equal(discovery.status, 200, 'the discovery document is served');
  const metadata = (await discovery.json()) as { token_endpoint?: unknown };
  assert.equal(typeof metadata.token_endpoint, 'string', 'the discovery document names a token_endpoint');
  discoveredTokenEndpoint = metadata.token_endpoint as string;
  return discoveredTokenEndpoint;
}

/** A client_credentials request with HTTP Basic (RFC 6749 §2.3.1: form-encode, then base64). */
async function requestToken(clientId: string, secret: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
  const response = await fetch(await tokenEndpoint(), {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { unparsed: text };
  }
  return { status: response.status, body };
}

describe('portcullis clients against a running server', () => {
  suite = useServer();

  let serviceId: string;
  let serviceSecret: string;

  describe('a confidential client-credentials client', () => {
    it('is created, and its secret printed once', async () => {
      const result = await cli([
        'clients',
        'create',
        '--name',
        'billing service',
        '--type',
        'confidential',
        '--grant',
        'client_credentials',
        '--scope',
        'billing:read',
        'billing:write',
      ]);
      assertSuccess(result);
      const match = CREATED_WITH_SECRET.exec(result.stdout);
      assert.ok(match, `unexpected output: ${result.stdout}`);
      assert.equal(match[1], 'billing service');
      serviceId = match[2]!;
      serviceSecret = match[3]!;
      assert.ok(serviceSecret.length >= 32, 'a secret of at least 32 characters');
      assert.equal(occurrences(result.stdout, serviceSecret), 1);
    });

    it('gets an access token with that secret over HTTP Basic', async () => {
      const { status, body } = await requestToken(serviceId, serviceSecret);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(typeof body.access_token, 'string');
      assert.ok((body.access_token as string).length > 0);
    });

    it('is listed, without any secret', async () => {
      const result = await cli(['clients', 'list', '--json']);
      const body = parseJson<{ clients: ClientView[] }>(result);
      const listed = body.clients.find((client) => client.client_id === serviceId);
      assert.ok(listed, 'the client is listed');
      assert.equal(listed.name, 'billing service');
      assert.equal(listed.type, 'confidential');
      assert.deepEqual(listed.grant_types, ['client_credentials']);
      assert.doesNotMatch(result.stdout, /"client_secret"\s*:/, 'no client_secret field');
      assert.ok(!result.stdout.includes(serviceSecret), 'no secret value');
    });

    it('is listed in a table', async () => {
      const result = await cli(['clients', 'list']);
      assertSuccess(result);
      assert.match(result.stdout, /^CLIENT ID\s+NAME\s+TYPE\s+GRANTS\s+FIRST-PARTY\n/);
      const row = result.stdout.split('\n').find((line) => line.startsWith(serviceId));
      assert.ok(row, 'a row for the client');
      assert.match(row, /\s+billing service\s+confidential\s+client_credentials\s+no$/);
      assert.ok(!result.stdout.includes(serviceSecret));
    });

    it('is shown, without any secret', async () => {
      const result = await cli(['clients', 'show', serviceId, '--json']);
      const client = parseJson<ClientView>(result);
      assert.equal(client.client_id, serviceId);
      assert.equal(client.type, 'confidential');
      assert.equal(client.token_endpoint_auth_method, 'client_secret_basic');
      assert.deepEqual([...client.scopes].sort(), ['billing:read', 'billing:write']);
      assert.equal(client.first_party, false);
      assert.equal(client.require_attestation, false);
      assert.doesNotMatch(result.stdout, /"client_secret"\s*:/, 'no client_secret field');
      assert.ok(!result.stdout.includes(serviceSecret), 'no secret value');

      const text = await cli(['clients', 'show', serviceId]);
      assertSuccess(text);
      assert.match(text.stdout, new RegExp(`^client id:\\s+${serviceId}\\n`));
      assert.match(text.stdout, /\nname:\s+billing service\n/);
      assert.match(text.stdout, /\ntype:\s+confidential\n/);
      assert.match(text.stdout, /\ngrant types:\s+client_credentials\n/);
      assert.match(text.stdout, /\ntoken auth method:\s+client_secret_basic\n/);
      assert.ok(!text.stdout.includes(serviceSecret));
    });

    it('rotates its secret: the new one is printed once and works, the old one is invalid_client', async () => {
      const result = await cli(['clients', 'rotate-secret', serviceId]);
      assertSuccess(result);
      const match = ROTATED.exec(result.stdout);
      assert.ok(match, `unexpected output: ${result.stdout}`);
      assert.equal(match[1], serviceId);
      const newSecret = match[2]!;
      assert.notEqual(newSecret, serviceSecret);

      const old = await requestToken(serviceId, serviceSecret);
      assert.equal(old.status, 401, JSON.stringify(old.body));
      assert.equal(old.body.error, 'invalid_client');
      const fresh = await requestToken(serviceId, newSecret);
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
      assert.equal(typeof fresh.body.access_token, 'string');
      serviceSecret = newSecret;
    });

    it('rotates again under --json, answering with the id and the new secret', async () => {
      const rotated = parseJson<{ client_id: string; client_secret: string }>(
        await cli(['clients', 'rotate-secret', serviceId, '--json']),
      );
      assert.equal(rotated.client_id, serviceId);
      assert.equal(typeof rotated.client_secret, 'string');
      assert.notEqual(rotated.client_secret, serviceSecret);
      assert.equal((await requestToken(serviceId, rotated.client_secret)).status, 200);
    });

    it('is deleted, after which it is not found', async () => {
      assert.deepEqual(parseJson(await cli(['clients', 'delete', serviceId, '--json'])), { client_id: serviceId, deleted: true });
      assertFailure(await cli(['clients', 'show', serviceId]), /\(not_found\)\n$/);
      assertFailure(await cli(['clients', 'delete', serviceId]), /\(not_found\)\n$/);
      assertFailure(await cli(['clients', 'rotate-secret', serviceId]), /\(not_found\)\n$/);
    });
  });

  describe('a public authorization-code client', () => {
    let appId: string;

    it('is created without a secret', async () => {
      const result = await cli([
        'clients',
        'create',
        '--name',
        'Example App',
        '--type',
        'public',
        '--grant',
        'authorization_code',
        '--grant',
        'refresh_token',
        '--redirect-uri',
        'com.example.app:/cb',
        '--web-origin',
        'https://app.example.com',
        '--web-origin',
        'capacitor://localhost',
        '--token-auth',
        'none',
        '--first-party',
      ]);
      assertSuccess(result);
      const match = /^created public client "Example App" \(client id (\S+)\)\n$/.exec(result.stdout);
      assert.ok(match, `unexpected output: ${result.stdout}`);
      appId = match[1]!;
    });

    it('is shown with its redirect URI, grants and no authentication', async () => {
      const result = await cli(['clients', 'show', appId, '--json']);
      const client = parseJson<ClientView>(result);
      assert.equal(client.type, 'public');
      assert.equal(client.token_endpoint_auth_method, 'none');
      assert.deepEqual(client.redirect_uris, ['com.example.app:/cb']);
      assert.deepEqual(client.web_origins, ['https://app.example.com', 'capacitor://localhost']);
      assert.deepEqual([...client.grant_types].sort(), ['authorization_code', 'refresh_token']);
      assert.equal(client.first_party, true);
      assert.ok(!('client_secret' in client));

      const text = await cli(['clients', 'show', appId]);
      assertSuccess(text);
      assert.match(text.stdout, /\nredirect uris:\s+com\.example\.app:\/cb\n/);
      assert.match(text.stdout, /\nfirst party:\s+yes\n/);
      assert.match(text.stdout, /\nweb origins:\s+https:\/\/app\.example\.com capacitor:\/\/localhost\n/);
    });

    it('takes --token-auth none by default, and --json shows the created client without a secret', async () => {
      const created = parseJson<ClientView & { client_secret?: string }>(
        await cli([
          'clients',
          'create',
          '--name',
          'Other App',
          '--type',
          'public',
          '--grant',
          'authorization_code',
          '--redirect-uri',
          'com.example.other:/cb',
          '--json',
        ]),
      );
      assert.equal(created.type, 'public');
      assert.equal(created.token_endpoint_auth_method, 'none');
      assert.equal(created.client_secret, undefined);
    });

    it('has no secret to rotate', async () => {
      const result = await cli(['clients', 'rotate-secret', appId]);
      assert.equal(result.code, 1, `exit ${result.code}, stdout: ${result.stdout}, stderr: ${result.stderr}`);
      assert.match(result.stderr, /^portcullis: [^\n]+\n$/);
    });
  });

  describe('failures', () => {
    it('registers certificate and key-based clients from --tls-subject-dn and --jwks-file', async () => {
      const mtls = await cli([
        'clients',
        'create',
        '--name',
        'reports',
        '--type',
        'confidential',
        '--grant',
        'client_credentials',
        '--token-auth',
        'tls_client_auth',
        '--tls-subject-dn',
        'CN=reports,O=Example',
        '--json',
      ]);
      assertSuccess(mtls);
      const created = parseJson<ClientView & { client_secret?: string }>(mtls);
      assert.equal(created.tls_client_auth_subject_dn, 'CN=reports,O=Example');
      assert.equal(created.client_secret, undefined, 'no secret for a certificate-authenticated client');
      const { generateKeyPairSync } = await import('node:crypto');
      const { writeFileSync, mkdtempSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
      const file = `${mkdtempSync(`${tmpdir()}/portcullis-jwks-`)}/jwks.json`;
      writeFileSync(file, JSON.stringify({ keys: [jwk] }));
      const pkjwt = await cli([
        'clients',
        'create',
        '--name',
        'signer',
        '--type',
        'confidential',
        '--grant',
        'client_credentials',
        '--token-auth',
        'private_key_jwt',
        '--jwks-file',
        file,
        '--json',
      ]);
      assertSuccess(pkjwt);
      assert.equal(parseJson<ClientView>(pkjwt).token_endpoint_auth_method, 'private_key_jwt');
      const missing = await cli([
        'clients',
        'create',
        '--name',
        'x',
        '--type',
        'confidential',
        '--grant',
        'client_credentials',
        '--token-auth',
        'private_key_jwt',
        '--jwks-file',
        `${file}.missing`,
      ]);
      assert.equal(missing.code, 2);
    });

    it('refuses a plain-http redirect URI on a foreign host and a web origin with a path, in one line, creating nothing', async () => {
      const cases: [name: string, grant: string, option: string, value: string, reason: RegExp][] = [
        ['evil', 'authorization_code', '--redirect-uri', 'http://evil.example.com/cb', /redirect/i],
        ['pathy', 'client_credentials', '--web-origin', 'https://app.example.com/spa', /web origin/],
      ];
      for (const [name, grant, option, value, reason] of cases) {
        const result = await cli([
          'clients',
          'create',
          '--name',
          name,
          '--type',
          'confidential',
          '--grant',
          grant,
          option,
          value,
        ]);
        assertFailure(result, reason);
        const { clients } = parseJson<{ clients: ClientView[] }>(await cli(['clients', 'list', '--json']));
        assert.ok(!clients.some((client) => client.name === name), `${option}: nothing was created`);
      }
    });

    it('exits 2 on bad usage, sending nothing', async () => {
      const count = async () => parseJson<{ clients: ClientView[] }>(await cli(['clients', 'list', '--json'])).clients.length;
      const before = await count();
      const cases: [string, RegExp][] = [
        ['--type confidential --grant client_credentials', /required option '--name/],
        ['--name x --type weird --grant client_credentials', /weird/],
        ['--name x --type confidential', /required option '--grant/],
        ['--name x --type public --grant device_code', /device_code/],
        ['--name x --type public --grant authorization_code --token-auth client_secret_basic', /--token-auth/],
        ['--name x --type confidential --grant client_credentials --token-auth none', /--token-auth/],
        ['--name x --type confidential --grant client_credentials --token-auth magic', /magic/],
      ];
      for (const [options, reason] of cases) assertUsage(await cli(['clients', 'create', ...options.split(' ')]), reason);
      assertUsage(await cli(['clients', 'show']), /missing required argument/);
      assert.equal(await count(), before);
    });

    it('shows an unknown client as not_found', async () => {
      assertFailure(await cli(['clients', 'show', 'no-such-client']), /\(not_found\)\n$/);
    });
  });
});

describe('clients help', () => {
  it('describes every verb in one line and exits 0', async () => {
    for (const verb of ['create', 'update', 'list', 'show', 'rotate-secret', 'delete']) {
      let stdout = '';
      const code = await run(['clients', verb, '--help'], {
        stdin: Readable.from([]),
        stdout: { write: (chunk: string) => (stdout += chunk) },
        stderr: { write: () => true },
        env: {},
      });
      assert.equal(code, 0, verb);
      const lines = stdout.split('\n');
      assert.match(lines[0]!, new RegExp(`^Usage: portcullis clients ${verb}`));
      assert.equal(lines[1], '');
      assert.match(lines[2]!, /^[a-z].+[^.]$/, `clients ${verb} has a one-line description`);
      assert.equal(lines[3], '');
      assert.match(stdout, /--json/, `clients ${verb} lists --json`);
    }
  });
});
