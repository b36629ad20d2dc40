// Consent (remembered, forced, skipped for first-party apps, denied) and when an existing session
// must not be reused: max_age=0 and an id_token_hint for another user (OIDC Core §3.1.2.1, §3.1.2.6).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OAuthServer, startOAuthServer } from '../../start-oauth-server.ts';
import { assertIssued, type CreatedClient, clientBody } from '../oauth-fixtures.ts';
import {
  type Answer,
  assertErrorRedirect,
  authorizePath,
  authorizeThrough,
  csrfOf,
  exchangeCode,
  obtainCode,
  PASSWORD,
  pkcePair,
  responseParams,
  startInteraction,
  TestBrowser,
} from './authorize-flow.ts';

const CB = 'https://app.example.com/cb';

describe('consent and session reuse', () => {
  let server: OAuthServer;
  let firstParty: CreatedClient;
  const base = { type: 'public', grant_types: ['authorization_code'], redirect_uris: [CB], scopes: ['read'] };
  /** A new third-party client, so that no earlier test's remembered consent applies. */
  const thirdParty = () => server.createClient(clientBody({ ...base, first_party: false }));

  /** GET /oauth/authorize for `client` in `browser`, with a fresh PKCE challenge. */
  const authorize = (browser: TestBrowser, client: CreatedClient, extra: Record<string, string> = {}) =>
    browser.get(
      authorizePath({
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: CB,
        scope: 'read',
        state: 'st-c',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
        ...extra,
      }),
    );
  /** A browser signed in as alice, through a first-party client. */
  const signedIn = async (): Promise<TestBrowser> => {
    const browser = new TestBrowser(server);
    await obtainCode(browser, firstParty, CB);
    assert.ok(browser.cookies.has('pc_session'));
    return browser;
  };
  const assertCode = (answer: Answer) => {
    assert.equal(answer.status, 303, answer.text);
    assert.ok(answer.location?.startsWith(CB), answer.location ?? '');
    assert.ok(responseParams(answer.location ?? '').get('code'), answer.location ?? '');
  };
  /** 303 to an interaction whose page shows `field` (password: login; decision: consent). */
  const assertAsks = async (browser: TestBrowser, answer: Answer, field: 'password' | 'decision') => {
    assert.equal(answer.status, 303, answer.text);
    assert.match(answer.location ?? '', /^\/oauth\/interaction\/[\w-]+$/, answer.location ?? '');
    const page = await browser.get(answer.location ?? '');
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, new RegExp(`name="${field}"`), `the ${field === 'password' ? 'login' : 'consent'} page`);
  };

  before(async () => {
    server = await startOAuthServer();
    await server.createUser('alice', PASSWORD);
    await server.createUser('bob', PASSWORD);
    firstParty = await server.createClient(clientBody({ ...base, first_party: true }));
  });
  after(() => server.close());

  it('a third-party client gets the consent page; after allow, the next authorization goes straight back', async () => {
    const client = await thirdParty();
    const browser = new TestBrowser(server);
    const { path, csrf } = await startInteraction(browser, { client_id: client.client_id, redirect_uri: CB, scope: 'read' });
    const login = await browser.post(`${path}/login`, { csrf, username: 'alice', password: PASSWORD });
    await assertAsks(browser, login, 'decision');
    const page = await browser.get(path);
    assert.ok(page.text.includes(client.name), 'the consent page names the client');
    assertCode(await browser.post(`${path}/consent`, { csrf: csrfOf(page.text), decision: 'allow' }));
    assertCode(await authorize(browser, client));
  });

  it('prompt=consent asks again although consent was given', async () => {
    const client = await thirdParty();
    const browser = await signedIn();
    const answer = await authorizeThrough(browser, {
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: CB,
      scope: 'read',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    assertCode(answer);
    assertCode(await authorize(browser, client));
    await assertAsks(browser, await authorize(browser, client, { prompt: 'consent' }), 'decision');
  });

  it('a first-party client never shows the consent page', async () => {
    const browser = new TestBrowser(server);
    const { path, csrf } = await startInteraction(browser, { client_id: firstParty.client_id, redirect_uri: CB, scope: 'read' });
    assertCode(await browser.post(`${path}/login`, { csrf, username: 'alice', password: PASSWORD }));
    assertCode(await authorize(browser, firstParty));
  });

  it('deny sends access_denied with state and iss back to the client, and no code', async () => {
    const client = await thirdParty();
    const browser = await signedIn();
    const asked = await authorize(browser, client);
    await assertAsks(browser, asked, 'decision');
    const page = await browser.get(asked.location ?? '');
    const denied = await browser.post(`${asked.location}/consent`, { csrf: csrfOf(page.text), decision: 'deny' });
    assertErrorRedirect(denied, CB, 'access_denied', 'st-c', server.issuer);
    // And nothing was remembered: the next request asks again.
    await assertAsks(browser, await authorize(browser, client), 'decision');
  });

  // The clock is frozen: "max_age=0 is equivalent to prompt=login" (OIDC Core §3.1.2.1, errata set 2)
  // must hold even when the request comes in the same millisecond as the login.
  it('max_age=0 with an existing session shows the login page again', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const browser = await signedIn();
    await assertAsks(browser, await authorize(browser, firstParty, { max_age: '0' }), 'password');
  });

  it('prompt=none with a valid id_token_hint for another user is login_required', async () => {
    const openid = { scope: 'openid read', nonce: 'n-1' };
    const idTokenOf = async (browser: TestBrowser, username: string): Promise<string> => {
      const { code, verifier } = await obtainCode(browser, firstParty, CB, openid, username);
      const tokens = assertIssued(await exchangeCode(server, firstParty, { code, redirect_uri: CB, code_verifier: verifier }));
      const idToken = (tokens as { id_token?: string }).id_token;
      assert.ok(idToken, 'an ID token');
      return idToken;
    };
    const bobToken = await idTokenOf(new TestBrowser(server), 'bob');
    const alice = new TestBrowser(server);
    const aliceToken = await idTokenOf(alice, 'alice');
    // Control: alice's own hint is fine without any page.
    assertCode(await authorize(alice, firstParty, { ...openid, prompt: 'none', id_token_hint: aliceToken }));
    const answer = await authorize(alice, firstParty, { ...openid, prompt: 'none', id_token_hint: bobToken });
    assertErrorRedirect(answer, CB, 'login_required', 'st-c', server.issuer);
  });
});
