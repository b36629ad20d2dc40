import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, SKIP_BROWSER } from '../browser/launch-browser.ts';
import { type OAuthServer, startOAuthServer } from './start-oauth-server.ts';

/** A loopback redirect target (RFC 8252 §7.3) that records where the browser landed. */
async function startCallback(): Promise<{ server: Server; port: number; hits: URL[] }> {
  const hits: URL[] = [];
  const server = createServer((req, res) => {
    hits.push(new URL(req.url ?? '/', `http://127.0.0.1`));
    res.writeHead(200, { 'content-type': 'text/plain' }).end('done');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

describe('J2 authorization code + PKCE with a real login in Chromium (openid-client)', { skip: SKIP_BROWSER }, () => {
  let server: OAuthServer;
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof startCallback>>;
  before(async () => {
    server = await startOAuthServer();
    browser = await launchBrowser();
    callback = await startCallback();
    await server.createUser('alice', 'correct horse battery');
  });
  after(async () => {
    await browser?.close();
    callback?.server.close();
    await server?.close();
  });

  async function authorize(page: Page, config: client.Configuration, extra: Record<string, string> = {}) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `http://127.0.0.1:${callback.port}/cb`,
      scope: 'openid profile products:read',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    await page.goto(url.href);
    return { verifier, state, nonce };
  }

  test('login, consent, code exchange, ID token, userinfo, refresh — then consent is remembered', async () => {
    const app = await server.createClient({
      name: 'Partner App',
      type: 'public',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['http://127.0.0.1/cb'],
      scopes: ['products:read'],
    });
    const config = await client.discovery(new URL(server.issuer), app.client_id, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    const { verifier, state, nonce } = await authorize(page, config);

    // The login page, as INTERFACES.md names its fields.
    assert.match(await page.title(), /sign in/i);
    const headers = (await page.request.get(page.url())).headers();
    assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    await page.fill('input[name="username"]', 'alice');
    await page.fill('input[name="password"]', 'correct horse battery');
    await Promise.all([page.waitForURL(/\/oauth\/interaction\//), page.click('button[type="submit"]')]);

    // The consent page names the app and what it asks for.
    assert.match(await page.content(), /Partner App/);
    assert.match(await page.content(), /products:read/);
    const cookies = await context.cookies(`${server.issuer}/oauth/`);
    const session = cookies.find((c) => c.name === 'pc_session');
    assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
    assert.equal(session?.sameSite, 'Lax');
    await Promise.all([page.waitForURL(/127\.0\.0\.1:\d+\/cb/), page.click('button[name="decision"][value="allow"]')]);

    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('iss'), server.issuer, 'RFC 9207: iss in the response');
    const tokens = await client.authorizationCodeGrant(config, landed, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const claims = tokens.claims();
    assert.ok(claims, 'an ID token, validated by openid-client');
    assert.equal(claims.preferred_username, 'alice');
    assert.equal(claims.azp, app.client_id);
    assert.ok(typeof claims.sid === 'string');
    assert.ok(tokens.refresh_token);

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(userinfo.preferred_username, 'alice');

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);

    // Second authorization in the same browser: session and consent remembered, straight back.
    const again = await authorize(page, config);
    await page.waitForURL(/127\.0\.0\.1:\d+\/cb/);
    const second = await client.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: again.verifier,
      expectedState: again.state,
      expectedNonce: again.nonce,
    });
    assert.equal(second.claims()?.sub, claims.sub);
    assert.equal(second.claims()?.sid, claims.sid, 'the same browser session');

    // Revoking the consent (admin API) ends the grants it gave and asks again next time.
    const admin = { authorization: `Bearer ${server.adminKey}` };
    const listed = (await (await fetch(`${server.issuer}/admin/v1/users/alice/consents`, { headers: admin })).json()) as {
      consents: { client_id: string; scope: string }[];
    };
    assert.deepEqual(
      listed.consents.map((c) => [c.client_id, c.scope]),
      [[app.client_id, 'openid profile products:read']],
    );
    const revoked = await fetch(`${server.issuer}/admin/v1/users/alice/consents/${app.client_id}`, {
      method: 'DELETE',
      headers: admin,
    });
    assert.equal(revoked.status, 204);
    await assert.rejects(
      client.refreshTokenGrant(config, second.refresh_token!),
      (err: unknown) => (err as { error?: string }).error === 'invalid_grant',
    );
    await authorize(page, config);
    await page.waitForURL(/\/oauth\/interaction\//);
    assert.match(await page.content(), /decision/, 'the consent page again');
    await context.close();
  });

  test('deny sends access_denied back to the app; prompt=none without a session is login_required', async () => {
    const app = await server.createClient({
      name: 'Other App',
      type: 'public',
      grant_types: ['authorization_code'],
      redirect_uris: ['http://127.0.0.1/cb'],
      scopes: ['products:read'],
    });
    const config = await client.discovery(new URL(server.issuer), app.client_id, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const context = await browser.newContext();
    const page = await context.newPage();

    await authorize(page, config, { prompt: 'none' });
    await page.waitForURL(/127\.0\.0\.1:\d+\/cb/);
    assert.equal(new URL(page.url()).searchParams.get('error'), 'login_required');

    await authorize(page, config);
    await page.fill('input[name="username"]', 'alice');
    await page.fill('input[name="password"]', 'wrong password!!');
    await page.click('button[type="submit"]');
    assert.match(await page.content(), /incorrect/);
    assert.equal(await page.inputValue('input[name="username"]'), 'alice', 'the username stays filled in');
    await page.fill('input[name="password"]', 'correct horse battery');
    await Promise.all([page.waitForURL(/\/oauth\/interaction\/[\w-]+$/), page.click('button[type="submit"]')]);
    await Promise.all([page.waitForURL(/127\.0\.0\.1:\d+\/cb/), page.click('button[name="decision"][value="deny"]')]);
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('error'), 'access_denied');
    assert.equal(landed.searchParams.get('iss'), server.issuer);
    await context.close();
  });
});
