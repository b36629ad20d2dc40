// Browser apps on other origins (CORS): each client's web_origins, preflights, refusals before any
// side effect, public documents readable by any page; and Chromium itself calling the endpoints.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { request } from 'undici';
import { launchBrowser, SKIP_BROWSER } from '../browser/launch-browser.ts';
import { basic, type OAuthServer, postForm, startOAuthServer } from './start-oauth-server.ts';

const SPA = 'https://spa.example';
const ELSEWHERE = 'https://evil.example';
const PASSWORD = 'correct horse battery staple';

/** A confidential client_credentials client and a first-party public password client, both listing `origin`; alice's account. */
async function setUpClients(server: OAuthServer, origin: string) {
  const machine = await server.createClient({
    name: 'spa',
    type: 'confidential',
    grant_types: ['client_credentials'],
    web_origins: [origin],
  });
  const app = await server.createClient({
    name: 'app',
    type: 'public',
    first_party: true,
    grant_types: ['password'],
    scopes: ['openid', 'profile'],
    web_origins: [origin],
  });
  await server.createUser('alice', PASSWORD);
  return { machine, app };
}

describe('CORS on the OAuth endpoints', () => {
  let server: OAuthServer;
  let token: string;
  /** Lists SPA among its web origins. */
  let spa: { client_id: string; client_secret?: string };
  /** Lists none. */
  let plain: { client_id: string; client_secret?: string };
  /** A first-party public client for user tokens, listing SPA. */
  let app: { client_id: string };

  before(async () => {
    server = await startOAuthServer();
    token = `${server.issuer}/oauth/token`;
    plain = await server.createClient({ name: 'plain', type: 'confidential', grant_types: ['client_credentials'] });
    ({ machine: spa, app } = await setUpClients(server, SPA));
  });
  after(async () => {
    await server?.close();
  });

  const preflight = (path: string, origin: string, method: string, headers = 'authorization, dpop') =>
    request(`${server.issuer}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
    }).then(async (res) => ({ status: res.statusCode, headers: res.headers, text: await res.body.text() }));

  it('validates web origins as the browser writes them, and shows them', async () => {
    const refused = [
      'https://spa.example/',
      'https://spa.example/app',
      'https://spa.example?x',
      'http://spa.example',
      'HTTPS://SPA.example',
      'https://spa.example:443',
      '*',
      'https://*.example',
      'null',
      'https://user@spa.example',
      'spa.example',
    ];
    for (const origin of refused) {
      const res = await server.adminRequest('POST', '/clients', {
        name: 'bad',
        type: 'confidential',
        grant_types: ['client_credentials'],
        web_origins: [origin],
      });
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(res.status, 400, `${origin}: ${JSON.stringify(body)}`);
      assert.equal(body.error, 'invalid_client_metadata', origin);
    }
    const accepted = [
      'https://spa.example:8443',
      'http://localhost:3000',
      'http://127.0.0.1:8080',
      'http://[::1]:5173',
      'capacitor://localhost',
    ];
    const created = await server.createClient({
      name: 'good',
      type: 'confidential',
      grant_types: ['client_credentials'],
      web_origins: accepted,
    });
    assert.deepEqual(created.web_origins, accepted);
    const shown = (await (await server.adminRequest('GET', `/clients/${created.client_id}`)).json()) as Record<string, unknown>;
    assert.deepEqual(shown.web_origins, accepted);
    const existing = (await (await server.adminRequest('GET', `/clients/${plain.client_id}`)).json()) as Record<string, unknown>;
    assert.deepEqual(existing.web_origins, []);
  });

  it('answers a preflight for an origin some client lists, and only for the methods the endpoint takes', async () => {
    const ok = await preflight('/oauth/token', SPA, 'POST');
    assert.equal(ok.status, 204);
    assert.equal(ok.headers['access-control-allow-origin'], SPA);
    assert.equal(ok.headers['access-control-allow-methods'], 'POST');
    const allowed = String(ok.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/);
    for (const h of ['authorization', 'content-type', 'dpop', 'portcullis-attestation']) assert.ok(allowed.includes(h), h);
    assert.equal(ok.headers['access-control-max-age'], '600');
    assert.match(String(ok.headers.vary), /origin/i);

    const userinfo = await preflight('/oauth/userinfo', SPA, 'GET');
    assert.equal(userinfo.headers['access-control-allow-origin'], SPA);
    assert.equal(userinfo.headers['access-control-allow-methods'], 'GET, POST');
    assert.equal((await preflight('/oauth/revoke', SPA, 'POST')).headers['access-control-allow-origin'], SPA);

    for (const [path, origin, method] of [
      ['/oauth/token', ELSEWHERE, 'POST'],
      ['/oauth/token', 'null', 'POST'],
      ['/oauth/token', SPA, 'PUT'],
      ['/oauth/revoke', SPA, 'DELETE'],
    ] as const) {
      const res = await preflight(path, origin, method);
      assert.equal(res.status, 204, `${path} ${origin} ${method}`);
      assert.equal(res.headers['access-control-allow-origin'], undefined, `${path} ${origin} ${method}`);
      assert.equal(res.headers['access-control-allow-methods'], undefined, `${path} ${origin} ${method}`);
    }
  });

  it('lets a listed origin read token answers, errors included, and refuses every other origin', async () => {
    const granted = await postForm(
      token,
      { grant_type: 'client_credentials' },
      { ...basic(spa.client_id, spa.client_secret!), origin: SPA },
    );
    assert.equal(granted.status, 200, granted.text);
    assert.equal(granted.headers.get('access-control-allow-origin'), SPA);
    assert.match(String(granted.headers.get('access-control-expose-headers')), /DPoP-Nonce/);
    assert.match(String(granted.headers.get('vary')), /Origin/);
    assert.equal(typeof granted.json?.access_token, 'string');

    // An error after the client is known is readable by the page, so the app can act on it.
    const badScope = await postForm(
      token,
      { grant_type: 'client_credentials', scope: 'not-allowed' },
      { ...basic(spa.client_id, spa.client_secret!), origin: SPA },
    );
    assert.equal(badScope.status, 400, badScope.text);
    assert.equal(badScope.json?.error, 'invalid_scope');
    assert.equal(badScope.headers.get('access-control-allow-origin'), SPA);

    for (const [client, origin] of [
      [spa, ELSEWHERE],
      [plain, SPA],
      [spa, 'null'],
    ] as const) {
      const res = await postForm(
        token,
        { grant_type: 'client_credentials' },
        { ...basic(client.client_id, client.client_secret!), origin },
      );
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json?.error, 'invalid_request');
      assert.equal(res.json?.access_token, undefined);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      assert.doesNotMatch(res.text, /evil|spa\.example/, 'the origin is not echoed in the error');
    }
  });

  it('leaves native apps, servers and same-origin pages alone', async () => {
    const native = await postForm(token, { grant_type: 'client_credentials' }, basic(plain.client_id, plain.client_secret!));
    assert.equal(native.status, 200, native.text);
    assert.equal(native.headers.get('access-control-allow-origin'), null);
    const sameOrigin = await postForm(
      token,
      { grant_type: 'client_credentials' },
      { ...basic(plain.client_id, plain.client_secret!), origin: server.issuer },
    );
    assert.equal(sameOrigin.status, 200, sameOrigin.text);
    assert.equal(sameOrigin.headers.get('access-control-allow-origin'), null);
  });

  it('refuses a revocation from an unlisted origin before revoking anything', async () => {
    const issued = await postForm(
      token,
      { grant_type: 'password', username: 'alice', password: PASSWORD, client_id: app.client_id, scope: 'openid' },
      {},
    );
    assert.equal(issued.status, 200, issued.text);
    const accessToken = String(issued.json?.access_token);
    const revoke = (origin: string) =>
      postForm(`${server.issuer}/oauth/revoke`, { token: accessToken, client_id: app.client_id }, { origin });
    const userinfo = (origin?: string) =>
      request(`${server.issuer}/oauth/userinfo`, {
        headers: { authorization: `Bearer ${accessToken}`, ...(origin ? { origin } : {}) },
      }).then(async (res) => ({ status: res.statusCode, headers: res.headers, text: await res.body.text() }));

    // UserInfo: the token's client decides which pages may read it.
    const read = await userinfo(SPA);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.headers['access-control-allow-origin'], SPA);
    assert.equal(JSON.parse(read.text).sub.length > 0, true);
    const foreign = await userinfo(ELSEWHERE);
    assert.equal(foreign.status, 400, foreign.text);
    assert.equal(JSON.parse(foreign.text).error, 'invalid_request');
    assert.match(String(foreign.headers['www-authenticate']), /^Bearer .*error="invalid_request"/);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);

    const refused = await revoke(ELSEWHERE);
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.json?.error, 'invalid_request');
    assert.equal((await userinfo()).status, 200, 'the token still works');

    const revoked = await revoke(SPA);
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(revoked.headers.get('access-control-allow-origin'), SPA);
    assert.equal((await userinfo()).status, 401, 'now it is revoked');
  });

  it('lets any page read discovery, the JWKS and the revocation feed', async () => {
    for (const path of [
      '/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server',
      '/.well-known/jwks.json',
      '/.well-known/portcullis/attestation-jwks',
      '/oauth/revocations',
    ]) {
      const res = await request(`${server.issuer}${path}`, { headers: { origin: ELSEWHERE } });
      await res.body.text();
      assert.equal(res.statusCode, 200, path);
      assert.equal(res.headers['access-control-allow-origin'], '*', path);
      assert.equal(res.headers['access-control-allow-credentials'], undefined, path);
    }
  });

  it('keeps web_origins through dynamic registration (RFC 7591) and refuses bad ones there too', async () => {
    const iat = await server.adminRequest('POST', '/initial-access-tokens', { max_uses: 2 });
    const initial = String(((await iat.json()) as Record<string, unknown>).token);
    const register = (body: Record<string, unknown>) =>
      fetch(`${server.issuer}/oauth/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${initial}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (res) => ({ status: res.status, json: (await res.json()) as Record<string, unknown> }));
    const ok = await register({ grant_types: ['client_credentials'], web_origins: [SPA] });
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
    assert.deepEqual(ok.json.web_origins, [SPA]);
    const granted = await postForm(
      token,
      { grant_type: 'client_credentials' },
      { ...basic(String(ok.json.client_id), String(ok.json.client_secret)), origin: SPA },
    );
    assert.equal(granted.status, 200, granted.text);
    assert.equal(granted.headers.get('access-control-allow-origin'), SPA);
    const bad = await register({ grant_types: ['client_credentials'], web_origins: ['https://*.example'] });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, 'invalid_client_metadata');
  });
});

/** A page's origin: a loopback server answering every path with an empty HTML page. */
async function startPageOrigin(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>spa</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('CORS in Chromium: a single-page app on another origin', { skip: SKIP_BROWSER }, () => {
  let server: OAuthServer;
  let browser: Browser;
  let listed: Awaited<ReturnType<typeof startPageOrigin>>;
  let unlisted: Awaited<ReturnType<typeof startPageOrigin>>;
  let client: { client_id: string; client_secret?: string };
  let app: { client_id: string };

  before(async () => {
    server = await startOAuthServer();
    browser = await launchBrowser();
    listed = await startPageOrigin();
    unlisted = await startPageOrigin();
    ({ machine: client, app } = await setUpClients(server, listed.origin));
  });
  after(async () => {
    await browser?.close();
    listed?.server.close();
    unlisted?.server.close();
    await server?.close();
  });

  /** In a page from `origin`: a token (Basic auth, so the browser preflights), then UserInfo with a user's token. */
  async function fromPage(origin: string) {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      return await page.evaluate(
        async ({ issuer, id, secret, appId, password }) => {
          type Outcome = { status: number; body: Record<string, unknown> } | { blocked: string };
          const outcome = async (run: () => Promise<Response>): Promise<Outcome> => {
            try {
              const res = await run();
              return { status: res.status, body: (await res.json()) as Record<string, unknown> };
            } catch (err) {
              return { blocked: String(err) };
            }
          };
          const form = (fields: Record<string, string>) => new URLSearchParams(fields);
          const machine = await outcome(() =>
            fetch(`${issuer}/oauth/token`, {
              method: 'POST',
              headers: { authorization: `Basic ${btoa(`${id}:${secret}`)}` },
              body: form({ grant_type: 'client_credentials' }),
            }),
          );
          // A form POST is a "simple" request: no preflight, so only the server can refuse it.
          const user = await outcome(() =>
            fetch(`${issuer}/oauth/token`, {
              method: 'POST',
              body: form({ grant_type: 'password', username: 'alice', password, client_id: appId, scope: 'openid profile' }),
            }),
          );
          const accessToken = 'body' in user ? String(user.body.access_token) : '';
          const userinfo = await outcome(() =>
            fetch(`${issuer}/oauth/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } }),
          );
          const discovery = await outcome(() => fetch(`${issuer}/.well-known/openid-configuration`));
          return { machine, user, userinfo, discovery };
        },
        { issuer: server.issuer, id: client.client_id, secret: client.client_secret!, appId: app.client_id, password: PASSWORD },
      );
    } finally {
      await page.close();
    }
  }

  it('a listed origin gets tokens and UserInfo; an unlisted one is stopped, and the public documents stay readable', async () => {
    const grants = async () =>
      (
        await server.built.services.database.db
          .selectFrom('oauth_grants')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('client_id', '=', app.client_id)
          .executeTakeFirstOrThrow()
      ).n;
    const ok = await fromPage(listed.origin);
    assert.ok('status' in ok.machine && ok.machine.status === 200, JSON.stringify(ok.machine));
    assert.equal(typeof (ok.machine as { body: Record<string, unknown> }).body.access_token, 'string');
    assert.ok('status' in ok.user && ok.user.status === 200, JSON.stringify(ok.user));
    assert.ok('status' in ok.userinfo && ok.userinfo.status === 200, JSON.stringify(ok.userinfo));
    assert.equal(typeof (ok.userinfo as { body: Record<string, unknown> }).body.sub, 'string');
    assert.ok('status' in ok.discovery && ok.discovery.status === 200);
    const granted = Number(await grants());
    assert.equal(granted, 1, "the listed page's password grant was recorded");

    const stopped = await fromPage(unlisted.origin);
    assert.ok('blocked' in stopped.machine, `the preflight stops it: ${JSON.stringify(stopped.machine)}`);
    assert.ok('blocked' in stopped.user, `the page cannot read the answer: ${JSON.stringify(stopped.user)}`);
    assert.ok('status' in stopped.discovery && stopped.discovery.status === 200, 'discovery is public');
    // The form POST reached the server (no preflight), which refused it before granting anything.
    assert.equal(Number(await grants()), granted, 'no grant for the unlisted page');
  });
});
