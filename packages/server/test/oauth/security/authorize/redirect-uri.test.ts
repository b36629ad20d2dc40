// Attacks on the redirect URI at the authorization endpoint (RFC 6749 §3.1.2.3, §4.1.2.1;
// RFC 9700 §4.1; RFC 8252 §7.3) and where errors go once it is validated (RFC 9207 §2).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OAuthServer, startOAuthServer } from '../../start-oauth-server.ts';
import { assertIssued, type CreatedClient, clientBody } from '../oauth-fixtures.ts';
import {
  type Answer,
  assertErrorPage,
  assertErrorRedirect,
  authorizePath,
  exchangeCode,
  obtainCode,
  PASSWORD,
  pkcePair,
  responseParams,
  TestBrowser,
} from './authorize-flow.ts';

const CB = 'https://app.example.com/cb';
const LOOPBACK = 'http://127.0.0.1/cb';

/** Near misses of CB an attacker could register or hope a prefix check lets through. */
const WEB_VARIANTS: Record<string, string> = {
  'trailing slash': 'https://app.example.com/cb/',
  'case change in the path': 'https://app.example.com/CB',
  '.. segment': 'https://app.example.com/x/../cb',
  'encoded slash': 'https://app.example.com/cb%2F..%2Fevil',
  'userinfo (evil@)': 'https://evil@app.example.com/cb',
  'other port': 'https://app.example.com:8443/cb',
  subdomain: 'https://evil.app.example.com/cb',
  'suffix domain': 'https://app.example.com.evil.example/cb',
  fragment: 'https://app.example.com/cb#frag',
  'unregistered URI': 'https://evil.example/cb',
  'added query': 'https://app.example.com/cb?next=evil',
};

/** Loopback near misses: only the port may vary (RFC 8252 §7.3). */
const LOOPBACK_VARIANTS: Record<string, string> = {
  'loopback via localhost': 'http://localhost:54321/cb',
  'loopback IPv6 for an IPv4 registration': 'http://[::1]:54321/cb',
  'loopback with a trailing slash': 'http://127.0.0.1:54321/cb/',
  'loopback with userinfo': 'http://evil@127.0.0.1:54321/cb',
  'loopback over https': 'https://127.0.0.1:54321/cb',
};

describe('redirect URI attacks at the authorization endpoint', () => {
  let server: OAuthServer;
  /** First-party public web app with exactly one redirect URI. */
  let web: CreatedClient;
  /** First-party public native app on a loopback redirect. */
  let native: CreatedClient;
  let browser: TestBrowser;

  const request = (client: CreatedClient, extra: Record<string, string>) => {
    const { challenge } = pkcePair();
    return new TestBrowser(server).get(
      authorizePath({
        response_type: 'code',
        client_id: client.client_id,
        scope: 'read',
        state: 'st-1',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        ...extra,
      }),
    );
  };

  before(async () => {
    server = await startOAuthServer();
    await server.createUser('alice', PASSWORD);
    const base = { type: 'public', first_party: true, grant_types: ['authorization_code'], scopes: ['read'] };
    web = await server.createClient(clientBody({ ...base, redirect_uris: [CB] }));
    native = await server.createClient(clientBody({ ...base, redirect_uris: [LOOPBACK] }));
    browser = new TestBrowser(server);
  });
  after(() => server.close());

  it('control: the registered URI itself goes on to the login page', async () => {
    const answer = await request(web, { redirect_uri: CB });
    assert.equal(answer.status, 303, answer.text);
    assert.match(answer.location ?? '', /^\/oauth\/interaction\/[\w-]+$/);
  });

  for (const [name, uri] of Object.entries(WEB_VARIANTS)) {
    it(`redirect_uri with ${name} gets our 400 error page, no redirect`, async () => {
      assertErrorPage(await request(web, { redirect_uri: uri }));
    });
  }

  for (const [name, uri] of Object.entries(LOOPBACK_VARIANTS)) {
    it(`${name} gets our 400 error page, no redirect`, async () => {
      assertErrorPage(await request(native, { redirect_uri: uri }));
    });
  }

  it('a missing redirect_uri with scope openid gets the error page (OIDC Core §3.1.2.1)', async () => {
    assertErrorPage(await request(web, { scope: 'openid read' }));
  });

  it('an unknown client_id gets the error page', async () => {
    const answer = await new TestBrowser(server).get(
      authorizePath({ response_type: 'code', client_id: 'no-such-client', redirect_uri: CB, state: 'st-1' }),
    );
    assertErrorPage(answer);
  });

  it('a missing client_id gets the error page', async () => {
    assertErrorPage(await new TestBrowser(server).get(authorizePath({ response_type: 'code', redirect_uri: CB })));
  });

  it('a loopback redirect on another port is accepted and the code works there (RFC 8252 §7.3)', async () => {
    const port = 'http://127.0.0.1:54321/cb';
    const { code, verifier } = await obtainCode(browser, native, port);
    assertIssued(await exchangeCode(server, native, { code, redirect_uri: port, code_verifier: verifier }));
  });

  it('an unsupported response_type goes back to the client with error, state and iss', async () => {
    const answer = await request(web, { redirect_uri: CB, response_type: 'code_or_something' });
    assertErrorRedirect(answer, CB, 'unsupported_response_type', 'st-1', server.issuer);
  });

  it('an unregistered scope goes back to the client as invalid_scope with state and iss', async () => {
    const answer = await request(web, { redirect_uri: CB, scope: 'read admin' });
    assertErrorRedirect(answer, CB, 'invalid_scope', 'st-1', server.issuer);
  });

  it('prompt=none without a session goes back as login_required with state and iss', async () => {
    const answer = await request(web, { redirect_uri: CB, prompt: 'none' });
    assertErrorRedirect(answer, CB, 'login_required', 'st-1', server.issuer);
  });

  it('response_type=token (implicit, not registered) is refused and returns no access token', async () => {
    const answer: Answer = await request(web, { redirect_uri: CB, response_type: 'token' });
    assert.equal(answer.status, 303, answer.text);
    const location = answer.location ?? '';
    assert.ok(location.startsWith(CB), location);
    const url = new URL(location);
    for (const part of [url.searchParams, new URLSearchParams(url.hash.slice(1))])
      for (const name of ['access_token', 'code', 'id_token']) assert.equal(part.get(name), null, location);
    // Either code is right: unsupported_response_type if the server has no implicit flow at all,
    // unauthorized_client if it has one but this client is not registered for it (RFC 6749 §4.2.2.1).
    const error = responseParams(location).get('error') ?? '';
    assert.ok(['unauthorized_client', 'unsupported_response_type'].includes(error), location);
    assertErrorRedirect(answer, CB, error, 'st-1', server.issuer);
  });
});
