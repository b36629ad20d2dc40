import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { basic, type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import { authorizeThrough, exchangeCode, obtainCode, PASSWORD, TestBrowser } from './authorize/authorize-flow.ts';

// Findings of the security review, each pinned by the test that would have caught it.
describe('hardening from the security review', () => {
  let server: OAuthServer;
  const CB = 'https://app.example.com/cb';
  before(async () => {
    server = await startOAuthServer();
    await server.createUser('alice', PASSWORD);
    await server.createUser('mallory', PASSWORD);
  });
  after(() => server.close());
  const admin = (key: string, method: string, path: string, body?: unknown) => server.adminRequest(method, path, body, key);

  it('a form with thousands of repeated parameters is refused at once, not parsed quadratically', async () => {
    const started = Date.now();
    const res = await fetch(`${server.issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=&'.repeat(20_000),
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
    assert.ok(Date.now() - started < 2000, 'answered quickly');
    const proto = await postForm(`${server.issuer}/oauth/token`, { __proto__: 'x', grant_type: 'client_credentials' } as Record<
      string,
      string
    >);
    assert.equal(proto.status, 401, 'a __proto__ parameter is just a parameter');
  });

  it('non-string parameters in a JSON body are 400, never 500', async () => {
    for (const body of [{ response_type: 5, client_id: 'x' }, { client_id: 7 }, { scope: 5, client_id: 'x' }]) {
      const res = await fetch(`${server.issuer}/oauth/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.ok(res.status === 400, `${JSON.stringify(body)} → ${res.status}`);
    }
  });

  it('another client holding an intercepted code cannot spend it', async () => {
    const app = await server.createClient({
      name: 'a',
      type: 'public',
      first_party: true,
      grant_types: ['authorization_code'],
      redirect_uris: [CB],
    });
    const thief = await server.createClient({
      name: 't',
      type: 'public',
      grant_types: ['authorization_code'],
      redirect_uris: [CB],
    });
    const { code, verifier } = await obtainCode(new TestBrowser(server), app, CB);
    const stolen = await exchangeCode(server, thief, { code, redirect_uri: CB, code_verifier: verifier });
    assert.equal(stolen.json?.error, 'invalid_grant');
    const rightful = await exchangeCode(server, app, { code, redirect_uri: CB, code_verifier: verifier });
    assert.equal(rightful.status, 200, 'the rightful client still redeems it');
  });

  it("logout with someone else's id_token_hint asks the user instead of signing them out", async () => {
    const app = await server.createClient({
      name: 'oidc',
      type: 'public',
      first_party: true,
      grant_types: ['authorization_code'],
      redirect_uris: [CB],
      post_logout_redirect_uris: ['https://app.example.com/bye'],
    });
    const mallory = await obtainCode(new TestBrowser(server), app, CB, { scope: 'openid', nonce: 'n' }, 'mallory');
    const malloryTokens = await exchangeCode(server, app, {
      code: mallory.code,
      redirect_uri: CB,
      code_verifier: mallory.verifier,
    });
    const victim = new TestBrowser(server);
    await obtainCode(victim, app, CB, {}, 'alice');
    const q = new URLSearchParams({
      id_token_hint: String(malloryTokens.json?.id_token),
      post_logout_redirect_uri: 'https://app.example.com/bye',
      state: '$`$&',
    });
    const page = await victim.get(`/oauth/logout?${q}`);
    assert.equal(page.status, 200, 'a confirmation page, not a redirect');
    assert.equal(page.location, null);
    assert.match(page.text, /name="state" value="\$`\$&amp;"/, 'values are inserted literally');
    const still = await victim.get(
      `/oauth/authorize?${new URLSearchParams({ client_id: app.client_id, response_type: 'code', redirect_uri: CB, prompt: 'none', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`,
    );
    assert.match(still.location ?? '', /[?&]code=/, 'the victim is still signed in');
    const accessAsHint = await victim.get(`/oauth/logout?id_token_hint=${String(malloryTokens.json?.access_token)}`);
    assert.equal(accessAsHint.status, 400, 'an access token is not an ID token');
  });

  it('parallel password guesses cannot exceed the free attempts', async () => {
    const app = await server.createClient({ name: 'fp', type: 'public', first_party: true, grant_types: ['password'] });
    const username = `victim-${randomBytes(3).toString('hex')}`;
    await server.createUser(username, PASSWORD);
    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postForm(`${server.issuer}/oauth/token`, {
          grant_type: 'password',
          client_id: app.client_id,
          username,
          password: `guess-${i}-xx`,
        }),
      ),
    );
    const checked = guesses.filter((g) => g.json?.error_description === 'the username or password is incorrect').length;
    assert.ok(checked <= 5, `${checked} guesses were checked`);
    assert.ok(guesses.every((g) => g.json?.error === 'invalid_grant'));
  });

  it('the developer role cannot take over accounts or create consent-skipping clients', async () => {
    const created = (await (await admin(server.adminKey, 'POST', '/admin-keys', { role: 'developer' })).json()) as {
      key: string;
    };
    assert.equal((await admin(created.key, 'PUT', '/users/alice/password', { password: 'new password 123' })).status, 403);
    for (const body of [
      { name: 'x', type: 'public', first_party: true, grant_types: ['authorization_code'], redirect_uris: [CB] },
      { name: 'x', type: 'public', grant_types: ['authorization_code'], redirect_uris: [CB], require_pkce: false },
      { name: 'x', type: 'public', grant_types: ['implicit'], redirect_uris: [CB] },
    ]) {
      assert.equal((await admin(created.key, 'POST', '/clients', body)).status, 403, JSON.stringify(body));
    }
    assert.equal(
      (await admin(created.key, 'POST', '/clients', { name: 'ok', type: 'confidential', grant_types: ['client_credentials'] }))
        .status,
      201,
    );
  });

  it('an implicit-flow access token is revoked with its user like any other', async () => {
    await server.createUser('dave', PASSWORD);
    const spa = await server.createClient({
      name: 'spa',
      type: 'public',
      first_party: true,
      grant_types: ['implicit'],
      redirect_uris: [CB],
    });
    const answer = await authorizeThrough(
      new TestBrowser(server),
      { response_type: 'token', client_id: spa.client_id, redirect_uri: CB, state: 's' },
      'dave',
    );
    const token = new URLSearchParams(new URL(answer.location ?? '').hash.slice(1)).get('access_token');
    assert.ok(token, answer.location ?? answer.text);
    const rs = await server.createClient({ name: 'rs', type: 'confidential', grant_types: ['client_credentials'] });
    const introspect = () => postForm(`${server.issuer}/oauth/introspect`, { token }, basic(rs.client_id, rs.client_secret!));
    assert.equal((await introspect()).json?.active, true);
    assert.equal((await admin(server.adminKey, 'DELETE', '/users/dave')).status, 204);
    assert.deepEqual((await introspect()).json, { active: false });
  });

  it('a client may only ask for the resources it is registered for (RFC 8707 invalid_target)', async () => {
    const m2m = await server.createClient({ name: 'm', type: 'confidential', grant_types: ['client_credentials'] });
    const res = await postForm(
      `${server.issuer}/oauth/token`,
      { grant_type: 'client_credentials', resource: 'https://bank.example/api' },
      basic(m2m.client_id, m2m.client_secret!),
    );
    assert.equal(res.json?.error, 'invalid_target');
    assert.equal(res.json?.access_token, undefined);
  });
});
