import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PRODUCTS } from '../src/product-list.ts';
import { APP_ID } from '../src/provision-demo.ts';
import type { DemoWebConfig } from '../src/serve-web.ts';
import { type Demo, startDemo } from '../src/start-demo.ts';
import { attest, callApi, postEvidence, type SignedIn, signIn } from './attested-client.ts';
import { demoWebDir, placeholderWebDir } from './web-dir.ts';

// The whole demo for real: `portcullis serve` in a child process, provisioned through the CLI,
// and every call made through the gateway as the web app makes it.
describe('the Catalog of Products demo', () => {
  let demo: Demo;
  let web: { webDir: string; remove(): Promise<void> };
  before(async () => {
    web = await demoWebDir();
    demo = await startDemo({ httpPort: 0, webDir: web.webDir });
  });
  after(async () => {
    await demo?.close();
    await web?.remove();
  });

  it('serves the web app through the gateway at /catalog/, with a strict CSP', async () => {
    assert.match(demo.url, /^http:\/\/127\.0\.0\.1:\d+\/catalog\/$/);
    for (const path of ['', 'callback?code=x&state=y']) {
      const res = await fetch(`${demo.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(String(res.headers.get('content-type')), /^text\/html/);
      assert.match(String(res.headers.get('content-security-policy')), /script-src 'self'.*frame-ancestors 'none'/);
      assert.match(await res.text(), /app\.js/);
    }
    const js = await fetch(`${demo.url}app.js`);
    assert.equal(js.status, 200);
    assert.match(String(js.headers.get('content-type')), /^text\/javascript/);
    const css = await fetch(`${demo.url}styles.css`);
    assert.equal(css.status, 200);
  });

  it('hands the web app its config: clients, release, API base, demo login', async () => {
    const res = await fetch(`${demo.url}config.json`);
    assert.equal(res.status, 200);
    const config = (await res.json()) as DemoWebConfig;
    assert.deepEqual(config, demo.webConfig);
    assert.equal(config.appId, APP_ID);
    assert.match(config.release, /^sha256:[0-9a-f]{64}$/);
    assert.equal(config.apiBase, `${demo.issuer}/api`);
    assert.equal(config.redirectUri, `${demo.issuer}/catalog/callback`);
    assert.deepEqual(config.demoUser, demo.login);
    const sdk = JSON.parse(Buffer.from(config.sdkConfig, 'base64url').toString('utf8')) as Record<string, unknown>;
    assert.equal(sdk.server, demo.issuer);
    assert.equal(sdk.client_id, config.catalogClientId);
  });

  it('refuses the API without credentials at the gateway, and directly without the identity token', async () => {
    const res = await fetch(`${demo.issuer}/api/products`);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_token');
    const direct = await fetch(`${demo.productsUrl}/products`);
    assert.equal(direct.status, 401);
    const withKeyGuess = await fetch(`${demo.productsUrl}/products`, {
      headers: { 'x-catalog-key': 'guess', 'x-portcullis-identity': 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' },
    });
    assert.equal(withKeyGuess.status, 401);
  });

  describe('an attested web app with a DPoP-bound token', () => {
    let signedIn: SignedIn;
    before(async () => {
      const instance = await attest(demo.issuer, { app_id: APP_ID, release: demo.webConfig.release });
      signedIn = await signIn(demo.issuer, demo.webConfig.catalogClientId, instance, demo.login, demo.webConfig.scope);
    });

    it('lists the products through the gateway', async () => {
      const res = await callApi(signedIn, 'GET', `${demo.webConfig.apiBase}/products`);
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as { products: unknown }).products, PRODUCTS);
    });

    it('adds a favourite and sees it', async () => {
      const id = PRODUCTS[2]?.id ?? '';
      const put = await callApi(signedIn, 'PUT', `${demo.webConfig.apiBase}/favourites/${id}`);
      assert.equal(put.status, 200);
      const res = await callApi(signedIn, 'GET', `${demo.webConfig.apiBase}/favourites`);
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as { ids: string[] }).ids, [id]);
    });

    it('a key other than the one the products API expects is refused by it (403)', async () => {
      // The operator changes the runtime secret; the gateway injects the new value at once.
      const changed = await demo.cli(['secrets', 'add', 'catalog-api-key', '--value-stdin', '--json'], 'not-the-key');
      assert.equal(changed.code, 0, changed.stderr);
      const res = await callApi(signedIn, 'GET', `${demo.webConfig.apiBase}/products`);
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { error: string }).error, 'forbidden');
    });
  });
});

describe('the demo with no release registered', () => {
  let demo: Demo;
  let web: { webDir: string; remove(): Promise<void> };
  before(async () => {
    web = await placeholderWebDir();
    demo = await startDemo({ httpPort: 0, webDir: web.webDir, unregisteredRelease: true, accessTokenLifetime: 60 });
  });
  after(async () => {
    await demo?.close();
    await web?.remove();
  });

  it('refuses the web app attestation with app_unregistered', async () => {
    const { status, body } = await postEvidence(demo.issuer, { app_id: APP_ID, release: demo.webConfig.release });
    assert.equal(status, 403, JSON.stringify(body));
    assert.equal(body.error, 'attestation_failed');
    assert.ok((body.reasons as string[]).includes('app_unregistered'), JSON.stringify(body));
  });

  it('creates the clients with the chosen access token lifetime', async () => {
    const res = await demo.cli(['clients', 'show', demo.webConfig.catalogClientId, '--json']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((JSON.parse(res.stdout) as { access_token_lifetime: number }).access_token_lifetime, 60);
  });
});
