import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, SKIP_BROWSER } from '../browser/launch-browser.ts';
import { type OAuthServer, startOAuthServer } from './start-oauth-server.ts';

const insecure = { execute: [client.allowInsecureRequests] };

describe('PAR, implicit and hybrid responses, RP-initiated logout (openid-client in Chromium)', { skip: SKIP_BROWSER }, () => {
  let server: OAuthServer;
  let browser: Browser;
  let callback: Server;
  let redirectUri: string;
  before(async () => {
    server = await startOAuthServer();
    browser = await launchBrowser();
    callback = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('done'));
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/cb`;
    await server.createUser('bob', 'correct horse battery');
  });
  after(async () => {
    await browser?.close();
    callback?.close();
    await server?.close();
  });

  const landed = /127\.0\.0\.1:\d+\/cb/;

  async function logIn(page: Page): Promise<void> {
    await page.fill('input[name="username"]', 'bob');
    await page.fill('input[name="password"]', 'correct horse battery');
    await Promise.all([page.waitForURL(landed), page.click('button[type="submit"]')]);
  }

  async function firstParty(extra: Record<string, unknown>) {
    return server.createClient({
      name: 'First Party',
      type: 'public',
      first_party: true,
      redirect_uris: ['http://127.0.0.1/cb'],
      ...extra,
    });
  }

  test('a pushed authorization request (RFC 9126) drives the flow; its request_uri works once', async () => {
    const app = await firstParty({ grant_types: ['authorization_code'] });
    const config = await client.discovery(new URL(server.issuer), app.client_id, undefined, client.None(), insecure);
    const verifier = client.randomPKCECodeVerifier();
    const url = await client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'par-state',
    });
    assert.ok(url.searchParams.get('request_uri')?.startsWith('urn:ietf:params:oauth:request_uri:'));
    assert.equal(url.searchParams.get('scope'), null, 'only client_id and request_uri travel through the browser');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url.href);
    await logIn(page);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: 'par-state',
    });
    assert.ok(tokens.access_token);
    const again = await page.goto(url.href);
    assert.equal(again?.status(), 400, 'a request_uri is used once');
    await context.close();
  });

  test('implicit is only for clients an admin enabled it for: id_token (OIDC Core §3.2)', async () => {
    const app = await firstParty({ grant_types: ['implicit'] });
    const config = await client.discovery(new URL(server.issuer), app.client_id, undefined, client.None(), insecure);
    client.useIdTokenResponseType(config);
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid profile', nonce, state: 'imp' });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url.href);
    await logIn(page);
    const claims = await client.implicitAuthentication(config, new URL(page.url()), nonce, { expectedState: 'imp' });
    assert.equal(claims.preferred_username, 'bob', 'profile claims ride in the ID token when no access token comes with it');
    assert.equal(new URL(page.url()).search, '', 'nothing in the query string');
    await context.close();
  });

  test('hybrid code id_token: c_hash checked by openid-client, then the code exchange', async () => {
    const app = await firstParty({ grant_types: ['authorization_code', 'implicit'] });
    const config = await client.discovery(new URL(server.issuer), app.client_id, undefined, client.None(), insecure);
    client.useCodeIdTokenResponseType(config);
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      nonce,
      state: 'hyb',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url.href);
    await logIn(page);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: 'hyb',
    });
    assert.ok(tokens.claims()?.sub);
    await context.close();
  });

  test('a client without the implicit grant cannot get tokens from the authorization endpoint', async () => {
    const app = await firstParty({ grant_types: ['authorization_code'] });
    const res = await fetch(
      `${server.issuer}/oauth/authorize?client_id=${app.client_id}&response_type=token&redirect_uri=${encodeURIComponent(redirectUri)}&state=s`,
      { redirect: 'manual' },
    );
    const location = new URL(res.headers.get('location') ?? '');
    const fragment = new URLSearchParams(location.hash.slice(1));
    assert.equal(fragment.get('error'), 'unauthorized_client');
    assert.equal(fragment.get('access_token'), null);
  });

  test('RP-initiated logout ends the session and returns to the registered post-logout URI with state', async () => {
    const app = await firstParty({ grant_types: ['authorization_code'], post_logout_redirect_uris: ['http://127.0.0.1/bye'] });
    const config = await client.discovery(new URL(server.issuer), app.client_id, undefined, client.None(), insecure);
    const context: BrowserContext = await browser.newContext();
    const page = await context.newPage();
    const sign = async () => {
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      await page.goto(url.href);
      return verifier;
    };
    const verifier = await sign();
    await logIn(page);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier });
    const byePort = new URL(redirectUri).port;
    const end = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: `http://127.0.0.1/bye`,
      state: 'bye-state',
    });
    const unregistered = await fetch(
      client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: `http://127.0.0.1:${byePort}/evil`,
      }),
      {
        redirect: 'manual',
      },
    );
    assert.equal(unregistered.status, 400, 'only a registered post_logout_redirect_uri');
    const response = await page.request.get(end.href, { maxRedirects: 0 });
    assert.equal(response.status(), 303);
    assert.equal(response.headers().location, 'http://127.0.0.1/bye?state=bye-state');
    await sign();
    assert.match(await page.title(), /sign in/i, 'the session is gone: the login page again');
    await context.close();
  });
});
