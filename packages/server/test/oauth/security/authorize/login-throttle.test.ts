// Password guessing on the login page: per-account throttling and no account enumeration
// (RFC 6749 §10.10, §10.8; OWASP Authentication Cheat Sheet).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OAuthServer, startOAuthServer } from '../../start-oauth-server.ts';
import { type CreatedClient, clientBody } from '../oauth-fixtures.ts';
import { type Answer, PASSWORD, setCookieOf, startInteraction, TestBrowser } from './authorize-flow.ts';

const CB = 'https://app.example.com/cb';

/** The page with what legitimately differs between two answers taken out: the csrf value and the echoed username. */
function normalized(answer: Answer, csrf: string, username: string): string {
  return answer.text.replaceAll(csrf, 'CSRF').replaceAll(`value="${username}"`, 'value="USERNAME"');
}

describe('login page throttling and enumeration', () => {
  let server: OAuthServer;
  let app: CreatedClient;

  before(async () => {
    server = await startOAuthServer();
    await server.createUser('alice', PASSWORD);
    await server.createUser('carol', PASSWORD);
    app = await server.createClient(
      clientBody({
        type: 'public',
        first_party: true,
        grant_types: ['authorization_code'],
        redirect_uris: [CB],
        scopes: ['read'],
      }),
    );
  });
  after(() => server.close());

  // The clock is frozen so that "right after the fifth failure" cannot drift past the first delay.
  it('5 wrong passwords, then the right one: 429 with Retry-After, the login page again, no session', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const browser = new TestBrowser(server);
    const { path, csrf } = await startInteraction(browser, { client_id: app.client_id, redirect_uri: CB, scope: 'read' });
    for (let i = 1; i <= 5; i++) {
      const wrong = await browser.post(`${path}/login`, { csrf, username: 'carol', password: `guess-number-${i}` });
      assert.equal(wrong.status, 401, `attempt ${i}: ${wrong.text}`);
    }
    const sixth = await browser.post(`${path}/login`, { csrf, username: 'carol', password: PASSWORD });
    assert.equal(sixth.status, 429, sixth.text);
    const retryAfter = Number(sixth.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After: ${sixth.headers.get('retry-after')}`);
    assert.match(sixth.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(sixth.text, /name="password"/, 'the login page again');
    assert.equal(sixth.location, null);
    assert.equal(setCookieOf(sixth, 'pc_session'), undefined, 'no session cookie');
    assert.equal(browser.cookies.has('pc_session'), false);
  });

  it('an unknown username gets the same 401 page as a wrong password', async () => {
    const browser = new TestBrowser(server);
    const { path, csrf } = await startInteraction(browser, { client_id: app.client_id, redirect_uri: CB, scope: 'read' });
    const wrong = await browser.post(`${path}/login`, { csrf, username: 'alice', password: 'not-the-password' });
    const unknown = await browser.post(`${path}/login`, { csrf, username: 'nobody-here', password: 'not-the-password' });
    assert.equal(wrong.status, 401, wrong.text);
    assert.equal(unknown.status, 401, unknown.text);
    assert.equal(unknown.headers.get('content-type'), wrong.headers.get('content-type'));
    assert.equal(unknown.headers.get('retry-after'), wrong.headers.get('retry-after'));
    assert.equal(normalized(unknown, csrf, 'nobody-here'), normalized(wrong, csrf, 'alice'));
    for (const answer of [wrong, unknown]) assert.equal(setCookieOf(answer, 'pc_session'), undefined);
  });
});
