// Attacks on the authorization code at the token endpoint: replay, races, and codes used by the
// wrong client, with the wrong redirect URI, or too late (RFC 6749 §4.1.2, §4.1.3, §10.5; RFC 9700 §4.5).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OAuthServer, postForm, startOAuthServer } from '../../start-oauth-server.ts';
import { assertIssued, assertOAuthError, type CreatedClient, clientBody, introspect } from '../oauth-fixtures.ts';
import { exchangeCode, obtainCode, PASSWORD, TestBrowser } from './authorize-flow.ts';

const CB = 'https://app.example.com/cb';
const OTHER_CB = 'https://app.example.com/other';

describe('authorization code attacks', () => {
  let server: OAuthServer;
  /** First-party public app with refresh tokens and two redirect URIs. */
  let app: CreatedClient;
  /** Another public app registered with the very same redirect URIs. */
  let thief: CreatedClient;
  /** Confidential resource server that introspects. */
  let rs: CreatedClient;
  let browser: TestBrowser;

  before(async () => {
    server = await startOAuthServer();
    await server.createUser('alice', PASSWORD);
    const web = { type: 'public', first_party: true, redirect_uris: [CB, OTHER_CB], scopes: ['read'] };
    app = await server.createClient(clientBody({ ...web, grant_types: ['authorization_code', 'refresh_token'] }));
    thief = await server.createClient(clientBody({ ...web, grant_types: ['authorization_code'] }));
    rs = await server.createClient(clientBody({ type: 'confidential', grant_types: ['client_credentials'] }));
    browser = new TestBrowser(server);
  });
  after(() => server.close());

  it('a replayed code is invalid_grant and revokes the access and refresh token of the first exchange', async () => {
    const { code, verifier } = await obtainCode(browser, app, CB);
    const first = assertIssued(await exchangeCode(server, app, { code, redirect_uri: CB, code_verifier: verifier }));
    assert.ok(first.refresh_token, 'the first exchange issued a refresh token');
    assert.equal((await introspect(server, rs, first.access_token)).active, true, 'control: live before the replay');

    const replay = await exchangeCode(server, app, { code, redirect_uri: CB, code_verifier: verifier });
    assertOAuthError(replay, 400, 'invalid_grant');

    assert.deepEqual(await introspect(server, rs, first.access_token), { active: false });
    // Another client never sees a refresh token (introspect.ts); the refresh attempt below is the proof.
    assert.deepEqual(await introspect(server, rs, first.refresh_token), { active: false });
    const refresh = await postForm(`${server.issuer}/oauth/token`, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      client_id: app.client_id,
    });
    assertOAuthError(refresh, 400, 'invalid_grant');
  });

  // RFC 6749 §4.1.2: a second use is refused and revokes what the code produced. When the two
  // exchanges overlap, the replay can land while the first is still issuing: then neither succeeds.
  it('two parallel exchanges of one code: at most one succeeds, the other is invalid_grant', async () => {
    const { code, verifier } = await obtainCode(browser, app, CB);
    const both = await Promise.all([
      exchangeCode(server, app, { code, redirect_uri: CB, code_verifier: verifier }),
      exchangeCode(server, app, { code, redirect_uri: CB, code_verifier: verifier }),
    ]);
    const won = both.filter((r) => r.status === 200);
    const lost = both.filter((r) => r.status !== 200);
    assert.ok(won.length <= 1, both.map((r) => `${r.status} ${r.text}`).join('\n'));
    assert.ok(lost.length >= 1);
    for (const r of won) assertIssued(r);
    for (const r of lost) assertOAuthError(r, 400, 'invalid_grant');
  });

  it("client B exchanging client A's code (with A's verifier and redirect URI) is invalid_grant", async () => {
    const { code, verifier } = await obtainCode(browser, app, CB);
    assertOAuthError(
      await exchangeCode(server, thief, { code, redirect_uri: CB, code_verifier: verifier }),
      400,
      'invalid_grant',
    );
  });

  it('a code exchanged with another registered redirect_uri is invalid_grant', async () => {
    const { code, verifier } = await obtainCode(browser, app, CB);
    assertOAuthError(
      await exchangeCode(server, app, { code, redirect_uri: OTHER_CB, code_verifier: verifier }),
      400,
      'invalid_grant',
    );
  });

  it('a code whose request named a redirect_uri, exchanged without one, is invalid_grant', async () => {
    // RFC 6749 §4.1.3: redirect_uri is REQUIRED at the token endpoint when the request had it.
    const { code, verifier } = await obtainCode(browser, app, CB);
    assertOAuthError(await exchangeCode(server, app, { code, code_verifier: verifier }), 400, 'invalid_grant');
  });

  it('a code whose request omitted redirect_uri (one registered, no openid) is exchanged without it', async () => {
    // RFC 6749 §4.1.3: redirect_uri is required at the token endpoint only "if the redirect_uri
    // parameter was included in the authorization request"; sent anyway, it must still match.
    const single = await server.createClient(
      clientBody({
        type: 'public',
        first_party: true,
        redirect_uris: [CB],
        scopes: ['read'],
        grant_types: ['authorization_code'],
      }),
    );
    const first = await obtainCode(browser, single, CB, { redirect_uri: null, scope: 'read' });
    assertIssued(await exchangeCode(server, single, { code: first.code, code_verifier: first.verifier }));
    const second = await obtainCode(browser, single, CB, { redirect_uri: null, scope: 'read' });
    assertOAuthError(
      await exchangeCode(server, single, { code: second.code, redirect_uri: OTHER_CB, code_verifier: second.verifier }),
      400,
      'invalid_grant',
    );
  });

  // The clock is mocked: the code lives 60 s (codes.ts), and a test must not wait for it.
  it('a code exchanged after its lifetime is invalid_grant; just before, it works', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const fresh = await obtainCode(browser, app, CB);
    t.mock.timers.tick(59_000);
    assertIssued(await exchangeCode(server, app, { code: fresh.code, redirect_uri: CB, code_verifier: fresh.verifier }));

    const stale = await obtainCode(browser, app, CB);
    t.mock.timers.tick(60_001);
    const late = await exchangeCode(server, app, { code: stale.code, redirect_uri: CB, code_verifier: stale.verifier });
    assertOAuthError(late, 400, 'invalid_grant');
  });
});
