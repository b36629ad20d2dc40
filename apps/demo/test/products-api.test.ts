import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { PRODUCTS } from '../src/product-list.ts';
import { IDENTITY_TYP, type ProductsApi, startProductsApi } from '../src/products-api.ts';

const API_KEY = 'the-catalog-api-key';

// The products API alone, with a stand-in issuer: a JWKS this test signs identity tokens for, as
// the gateway does (packages/server/src/gateway/gateway.ts, #identityToken).
describe('products API', () => {
  let jwksServer: Server;
  let issuer: string;
  let api: ProductsApi;
  let issuerKey: CryptoKey;
  let strangerKey: CryptoKey;

  before(async () => {
    const issuerPair = await generateKeyPair('ES256', { extractable: true });
    issuerKey = issuerPair.privateKey;
    strangerKey = (await generateKeyPair('ES256')).privateKey;
    const jwk = { ...(await exportJWK(issuerPair.publicKey)), kid: 'token-1', alg: 'ES256', use: 'sig' };
    jwksServer = createServer((req, res) => {
      res.writeHead(req.url === '/.well-known/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
    api = await startProductsApi({ issuer, apiKey: API_KEY });
  });
  after(async () => {
    await api.close();
    jwksServer.closeAllConnections();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  /** An identity token as the gateway makes it; `claims` and `header` bend any of it. */
  function identity(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key = issuerKey) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: issuer,
      aud: api.url,
      iat: now,
      exp: now + 60,
      jti: randomUUID(),
      sub: 'user-1',
      client_id: 'pc_catalog',
      scope: 'openid profile catalog',
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: IDENTITY_TYP, kid: 'token-1', ...header })
      .sign(key);
  }

  async function call(path: string, init: { method?: string; jwt?: string | null; key?: string | null } = {}) {
    const headers: Record<string, string> = {};
    const jwt = init.jwt === undefined ? await identity() : init.jwt;
    if (jwt !== null) headers['x-portcullis-identity'] = jwt;
    const key = init.key === undefined ? API_KEY : init.key;
    if (key !== null) headers['x-catalog-key'] = key;
    const res = await fetch(`${api.url}${path}`, { method: init.method ?? 'GET', headers });
    return { res, body: (await res.json()) as Record<string, unknown> };
  }

  it('lists the products and shows one; an unknown id is 404', async () => {
    const list = await call('/products');
    assert.equal(list.res.status, 200);
    assert.equal(list.res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(list.body.products, PRODUCTS);
    assert.ok(PRODUCTS.length >= 8);
    const one = await call(`/products/${PRODUCTS[1]?.id}`);
    assert.equal(one.res.status, 200);
    assert.deepEqual(one.body, PRODUCTS[1]);
    const missing = await call('/products/p-nothing');
    assert.equal(missing.res.status, 404);
    assert.deepEqual(missing.body, { error: 'not_found', error_description: 'there is no product with this id' });
  });

  it('keeps favourites per user', async () => {
    const [first, second] = PRODUCTS;
    assert.ok(first && second);
    assert.deepEqual((await call('/favourites')).body, { ids: [], products: [] });
    const added = await call(`/favourites/${first.id}`, { method: 'PUT' });
    assert.equal(added.res.status, 200);
    assert.deepEqual(added.body, { ids: [first.id], products: [first] });
    await call(`/favourites/${second.id}`, { method: 'PUT' });
    await call(`/favourites/${first.id}`, { method: 'PUT' });
    assert.deepEqual((await call('/favourites')).body.ids, [first.id, second.id]);
    const bob = await identity({ sub: 'user-2' });
    assert.deepEqual((await call('/favourites', { jwt: bob })).body.ids, []);
    const removed = await call(`/favourites/${first.id}`, { method: 'DELETE' });
    assert.deepEqual(removed.body.ids, [second.id]);
    const unknown = await call('/favourites/p-nothing', { method: 'PUT' });
    assert.equal(unknown.res.status, 404);
  });

  it('without a valid identity token from the issuer: 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string | null][] = [
      ['none', null],
      ['not a JWT', 'not-a-jwt'],
      ['signed by another key', await identity({}, {}, strangerKey)],
      ['another typ', await identity({}, { typ: 'at+jwt' })],
      ['another audience', await identity({ aud: 'http://127.0.0.1:1' })],
      ['another issuer', await identity({ iss: 'http://evil.example' })],
      ['expired', await identity({ iat: now - 300, exp: now - 200 })],
      ['older than the gateway makes them', await identity({ iat: now - 600, exp: now + 60 })],
      ['no subject', await identity({ sub: undefined })],
    ];
    for (const [why, jwt] of cases) {
      const { res, body } = await call('/products', { jwt });
      assert.equal(res.status, 401, why);
      assert.equal(body.error, 'invalid_token', why);
      assert.equal(body.products, undefined, why);
    }
  });

  it('without the key the gateway injects: 403, even with a valid identity token', async () => {
    for (const key of [null, '', 'the-catalog-api-kez', `${API_KEY}x`]) {
      const { res, body } = await call('/products', { key });
      assert.equal(res.status, 403, String(key));
      assert.deepEqual(body, {
        error: 'forbidden',
        error_description: 'this API answers only requests that come through the gateway',
      });
    }
  });

  it('a token without the catalog scope is 403 insufficient_scope', async () => {
    const { res, body } = await call('/products', { jwt: await identity({ scope: 'openid profile' }) });
    assert.equal(res.status, 403);
    assert.equal(body.error, 'insufficient_scope');
  });

  it("with the issuer's keys out of reach it fails (500) rather than blaming the caller", async (t) => {
    t.mock.method(console, 'error', () => {});
    const lost = await startProductsApi({ issuer, apiKey: API_KEY, jwksUri: 'http://127.0.0.1:1/jwks.json' });
    try {
      const res = await fetch(`${lost.url}/products`, {
        headers: { 'x-portcullis-identity': await identity({ aud: lost.url }), 'x-catalog-key': API_KEY },
      });
      assert.equal(res.status, 500);
      assert.equal(((await res.json()) as { error: string }).error, 'server_error');
    } finally {
      await lost.close();
    }
  });

  it('unknown paths are 404, other methods 405 with Allow', async () => {
    assert.equal((await call('/')).res.status, 404);
    assert.equal((await call('/products/p-espresso/extra')).res.status, 404);
    const post = await call('/products', { method: 'POST' });
    assert.equal(post.res.status, 405);
    assert.equal(post.res.headers.get('allow'), 'GET');
    assert.equal(post.body.error, 'method_not_allowed');
    const get = await call(`/favourites/${PRODUCTS[0]?.id}`);
    assert.equal(get.res.headers.get('allow'), 'PUT, DELETE');
  });
});
