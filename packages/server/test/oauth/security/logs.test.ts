// Credentials never reach the log: after a run of grants, failures, introspection and revocation,
// no log line holds an issued token, a client secret, a client assertion, a password or the admin key.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { basic, type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import { assertIssued, basicOf, type CreatedClient, clientBody, urls } from './oauth-fixtures.ts';

const PASSWORD = 'Log-Leak-Canary-Passw0rd';
const WRONG_PASSWORD = 'Wrong-Canary-Passw0rd';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('tokens never in logs', () => {
  let server: OAuthServer;
  const secrets: { what: string; value: string }[] = [];
  const keep = (what: string, value: string | undefined) => {
    assert.ok(value, `${what} is missing`);
    secrets.push({ what, value });
  };

  before(async () => {
    server = await startOAuthServer({ PORTCULLIS_LOG_LEVEL: 'trace' });
    const endpoint = urls(server);
    keep('admin key', server.adminKey);
    keep('password', PASSWORD);
    keep('wrong password', WRONG_PASSWORD);
    await server.createUser('alice', PASSWORD);
    const cc = await server.createClient(clientBody({ type: 'confidential', grant_types: ['client_credentials'] }));
    const post = await server.createClient(
      clientBody({ type: 'confidential', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' }),
    );
    const app = await server.createClient(
      clientBody({ type: 'public', first_party: true, grant_types: ['password', 'refresh_token'] }),
    );
    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
    const pkj: CreatedClient = await server.createClient(
      clientBody({
        type: 'confidential',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [jwk] },
      }),
    );
    keep('client secret (basic)', cc.client_secret);
    keep('client secret (post)', post.client_secret);

    const issued = (res: Awaited<ReturnType<typeof postForm>>) => {
      const body = assertIssued(res);
      keep('access token', body.access_token);
      if (body.refresh_token) keep('refresh token', body.refresh_token);
      return body;
    };
    const own = issued(await postForm(endpoint.token, { grant_type: 'client_credentials' }, basicOf(cc)));
    issued(
      await postForm(endpoint.token, {
        grant_type: 'client_credentials',
        client_id: post.client_id,
        client_secret: post.client_secret ?? '',
      }),
    );
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(pkj.client_id)
      .setSubject(pkj.client_id)
      .setAudience(endpoint.token)
      .setExpirationTime('60s')
      .sign(pair.privateKey);
    keep('client assertion', assertion);
    issued(
      await postForm(endpoint.token, {
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER,
        client_assertion: assertion,
      }),
    );
    // The replayed assertion is refused, and refusals are logged: the value must not be.
    assert.equal(
      (
        await postForm(endpoint.token, {
          grant_type: 'client_credentials',
          client_assertion_type: JWT_BEARER,
          client_assertion: assertion,
        })
      ).status,
      401,
    );
    const login = issued(
      await postForm(endpoint.token, { grant_type: 'password', username: 'alice', password: PASSWORD, client_id: app.client_id }),
    );
    const rotated = issued(
      await postForm(endpoint.token, {
        grant_type: 'refresh_token',
        refresh_token: login.refresh_token ?? '',
        client_id: app.client_id,
      }),
    );
    // Failures: wrong password, wrong secret, reuse of a rotated refresh token (which revokes the grant).
    const refused = [
      await postForm(endpoint.token, {
        grant_type: 'password',
        username: 'alice',
        password: WRONG_PASSWORD,
        client_id: app.client_id,
      }),
      await postForm(endpoint.token, { grant_type: 'client_credentials' }, basic(cc.client_id, `${cc.client_secret}-wrong`)),
      await postForm(endpoint.token, {
        grant_type: 'refresh_token',
        refresh_token: login.refresh_token ?? '',
        client_id: app.client_id,
      }),
    ];
    for (const res of refused) assert.ok(res.status === 400 || res.status === 401, res.text);
    assert.equal((await postForm(endpoint.introspect, { token: rotated.access_token }, basicOf(cc))).status, 200);
    assert.equal((await postForm(endpoint.revoke, { token: own.access_token }, basicOf(cc))).status, 200);
    // A secret that travels only in an admin API answer.
    const rotate = await fetch(`${server.issuer}/admin/v1/clients/${cc.client_id}/rotate-secret`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(rotate.status, 200);
    keep('rotated client secret', ((await rotate.json()) as { client_secret?: string }).client_secret);
  });
  after(() => server.close());

  it('wrote log lines to check', () => {
    assert.ok(server.logs.length > 20, `only ${server.logs.length} log lines`);
  });

  it('no log line contains an issued access or refresh token, a client secret, an assertion, a password or the admin key', () => {
    const leaks = secrets.flatMap(({ what, value }) =>
      server.logs.filter((line) => line.includes(value)).map((line) => `${what}: ${line.slice(0, 200)}`),
    );
    assert.deepEqual(leaks, []);
  });

  it('no log line contains anything shaped like a refresh token, a client secret or a JWT', () => {
    assert.deepEqual(
      server.logs.filter((line) => /pcr_|pcs_|pck_|eyJ[\w-]+\.eyJ/.test(line)),
      [],
    );
  });
});
