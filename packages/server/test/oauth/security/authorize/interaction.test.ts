// Attacks on the login and consent pages: cross-site request forgery, a form posted from another
// browser, replayed interactions (RFC 6749 §10.12), clickjacking (RFC 6749 §10.13) and cookie scope.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OAuthServer, startOAuthServer } from '../../start-oauth-server.ts';
import { type CreatedClient, clientBody } from '../oauth-fixtures.ts';
import {
  type Answer,
  assertErrorPage,
  csrfOf,
  PASSWORD,
  responseParams,
  setCookieOf,
  startInteraction,
  TestBrowser,
} from './authorize-flow.ts';

const CB = 'https://app.example.com/cb';

/** The headers a page that takes a password or a decision must carry. */
function assertPageHeaders(answer: Answer, what: string): void {
  assert.match(answer.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, `${what}: CSP`);
  assert.equal(answer.headers.get('x-frame-options'), 'DENY', `${what}: X-Frame-Options`);
  assert.equal(answer.headers.get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
  assert.equal(answer.headers.get('cache-control'), 'no-store', `${what}: Cache-Control`);
}

/** HttpOnly, SameSite=Lax, and a Path narrower than the whole origin. */
function assertScopedCookie(line: string | undefined, name: string): void {
  assert.ok(line, `${name} was set`);
  const attributes = line.split(';').map((a) => a.trim().toLowerCase());
  assert.ok(attributes.includes('httponly'), `${name} HttpOnly: ${line}`);
  assert.ok(attributes.includes('samesite=lax'), `${name} SameSite=Lax: ${line}`);
  const path = attributes.find((a) => a.startsWith('path='));
  assert.ok(path && path !== 'path=/' && path.startsWith('path=/'), `${name} Path-scoped: ${line}`);
}

function assertNoSession(answer: Answer): void {
  assert.equal(setCookieOf(answer, 'pc_session'), undefined, `no session cookie: ${answer.setCookies.join(' | ')}`);
}

describe('login and consent page attacks', () => {
  let server: OAuthServer;
  let firstParty: CreatedClient;
  const base = { type: 'public', grant_types: ['authorization_code'], redirect_uris: [CB], scopes: ['read'] };
  /** A new third-party client, so that no earlier test's remembered consent skips its consent page. */
  const thirdParty = () => server.createClient(clientBody({ ...base, first_party: false }));

  before(async () => {
    server = await startOAuthServer();
    await server.createUser('alice', PASSWORD);
    firstParty = await server.createClient(clientBody({ ...base, first_party: true }));
  });
  after(() => server.close());

  const begin = (browser: TestBrowser, client: CreatedClient) =>
    startInteraction(browser, { client_id: client.client_id, redirect_uri: CB, scope: 'read' });
  const credentials = { username: 'alice', password: PASSWORD };

  it('a login POST with a wrong or missing csrf is 403 and starts no session', async () => {
    const browser = new TestBrowser(server);
    const { path, csrf } = await begin(browser, firstParty);
    const flipped = csrf.endsWith('A') ? 'B' : 'A';
    const wrong = await browser.post(`${path}/login`, { ...credentials, csrf: `${csrf.slice(0, -1)}${flipped}` });
    assertErrorPage(wrong, 403);
    assertNoSession(wrong);
    const missing = await browser.post(`${path}/login`, credentials);
    assertErrorPage(missing, 403);
    assertNoSession(missing);
    assert.equal(browser.cookies.has('pc_session'), false);
    // Control: the same interaction with the right token signs in.
    const right = await browser.post(`${path}/login`, { ...credentials, csrf });
    assert.equal(right.status, 303, right.text);
    assert.ok(setCookieOf(right, 'pc_session'));
  });

  it('a login POST from another browser (no pc_interaction cookie) is 400 and starts no session', async () => {
    const victim = new TestBrowser(server);
    const { path, csrf } = await begin(victim, firstParty);
    const attacker = new TestBrowser(server);
    const answer = await attacker.post(`${path}/login`, { ...credentials, csrf });
    assertErrorPage(answer, 400);
    assertNoSession(answer);
    assert.equal(attacker.cookies.size, 0);
  });

  it('a replayed consent POST gets the error page and no second code', async () => {
    const browser = new TestBrowser(server);
    const { path, csrf } = await begin(browser, await thirdParty());
    const login = await browser.post(`${path}/login`, { ...credentials, csrf });
    assert.equal(login.status, 303, login.text);
    assert.equal(login.location, path, 'on to the consent page');
    const consentPage = await browser.get(path);
    const form = { csrf: csrfOf(consentPage.text), decision: 'allow' };
    const first = await browser.post(`${path}/consent`, form);
    assert.equal(first.status, 303, first.text);
    assert.ok(responseParams(first.location ?? '').get('code'), 'control: the first POST returns a code');
    assertErrorPage(await browser.post(`${path}/consent`, form));
  });

  it('a replayed login POST (first-party) gets the error page and no second code', async () => {
    const browser = new TestBrowser(server);
    const { path, csrf } = await begin(browser, firstParty);
    const first = await browser.post(`${path}/login`, { ...credentials, csrf });
    assert.ok(responseParams(first.location ?? '').get('code'), 'control: the first POST returns a code');
    const again = await browser.post(`${path}/login`, { ...credentials, csrf });
    assertErrorPage(again);
    assertNoSession(again);
  });

  it('login and consent pages forbid framing, referrers and caching', async () => {
    const browser = new TestBrowser(server);
    const { path, csrf, page } = await begin(browser, await thirdParty());
    assertPageHeaders(page, 'login page');
    const failed = await browser.post(`${path}/login`, { username: 'alice', password: 'not-the-password', csrf });
    assert.equal(failed.status, 401, failed.text);
    assertPageHeaders(failed, 'login page after a failure');
    await browser.post(`${path}/login`, { ...credentials, csrf });
    const consent = await browser.get(path);
    assert.match(consent.text, /name="decision"/, 'the consent page');
    assertPageHeaders(consent, 'consent page');
  });

  it('cookies are HttpOnly, SameSite=Lax and Path-scoped; every successful POST answers 303', async () => {
    const browser = new TestBrowser(server);
    const { path, csrf, started } = await begin(browser, await thirdParty());
    assertScopedCookie(setCookieOf(started, 'pc_interaction'), 'pc_interaction');
    const login = await browser.post(`${path}/login`, { ...credentials, csrf });
    assert.equal(login.status, 303, 'login POST → 303 to the consent page');
    assertScopedCookie(setCookieOf(login, 'pc_session'), 'pc_session');
    const consent = await browser.post(`${path}/consent`, { csrf: csrfOf((await browser.get(path)).text), decision: 'allow' });
    assert.equal(consent.status, 303, 'consent POST → 303 to the client');

    const other = new TestBrowser(server);
    const fp = await begin(other, firstParty);
    const direct = await other.post(`${fp.path}/login`, { ...credentials, csrf: fp.csrf });
    assert.equal(direct.status, 303, 'first-party login POST → 303 to the client');
    assert.ok(direct.location?.startsWith(CB), direct.location ?? '');
  });
});
