// The admin API for protected API routes (portcullis api): defaults, validation, in-place update, roles.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { answer, type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { addRoute, startUpstream, type Upstream } from './gateway-fixtures.ts';

describe('gateway: admin API for routes', () => {
  let server: OAuthServer;
  let upstream: Upstream;
  before(async () => {
    server = await startOAuthServer();
    upstream = await startUpstream();
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  it('adds with secure defaults, lists, shows, and removes at once; a removed route no longer forwards', async () => {
    const route = await addRoute(server, { match: 'API.example.test/orders/', upstream: `${upstream.url}/base/` });
    assert.equal(route.host, 'api.example.test');
    assert.equal(route.path_prefix, '/orders');
    assert.equal(route.upstream, `${upstream.url}/base`);
    assert.equal(route.attestation, 'required');
    assert.equal(route.binding, 'dpop');
    assert.equal(route.auth, 'required');
    assert.equal(route.identity, 'headers');
    const list = await answer(await server.adminRequest('GET', '/apis'));
    assert.deepEqual(
      ((list.json?.apis ?? []) as { id: string }[]).map((a) => a.id),
      [route.id],
    );
    assert.equal((await answer(await server.adminRequest('GET', `/apis/${route.id}`))).json?.id, route.id);
    const open = await addRoute(server, { match: '/open', upstream: upstream.url, auth: 'off', attestation: 'off' });
    assert.equal((await fetch(`${server.issuer}/open/x`)).status, 200);
    assert.equal((await server.adminRequest('DELETE', `/apis/${open.id}`)).status, 204);
    assert.equal((await fetch(`${server.issuer}/open/x`)).status, 404);
    assert.equal((await server.adminRequest('DELETE', `/apis/${open.id}`)).status, 404);
  });

  it('replaces a route in place: same id, the new upstream from the next request, no moment without the route', async () => {
    const other = await startUpstream();
    try {
      const route = await addRoute(server, { match: '/moving', upstream: upstream.url, auth: 'off', attestation: 'off' });
      assert.equal((await fetch(`${server.issuer}/moving/a`)).status, 200);
      const before = upstream.seen.length;
      const res = await answer(
        await server.adminRequest('PUT', `/apis/${route.id}`, {
          match: '/moving',
          upstream: other.url,
          auth: 'off',
          attestation: 'off',
        }),
      );
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json?.id, route.id);
      assert.equal(res.json?.upstream, other.url);
      assert.equal((await fetch(`${server.issuer}/moving/b`)).status, 200);
      assert.equal(other.last().url, '/moving/b');
      assert.equal(upstream.seen.length, before, 'the old upstream gets nothing more');
      // Taking another route's match is a conflict; an unknown id is 404; bad input is 400 and changes nothing.
      await addRoute(server, { match: '/taken', upstream: upstream.url });
      assert.equal((await server.adminRequest('PUT', `/apis/${route.id}`, { match: '/taken', upstream: other.url })).status, 409);
      assert.equal((await server.adminRequest('PUT', '/apis/api_nope', { match: '/x', upstream: other.url })).status, 404);
      assert.equal(
        (await server.adminRequest('PUT', `/apis/${route.id}`, { match: '/moving', upstream: 'ftp://x' })).status,
        400,
      );
      assert.equal((await answer(await server.adminRequest('GET', `/apis/${route.id}`))).json?.upstream, other.url);
    } finally {
      await other.close();
    }
  });

  it('refuses bad routes with a clear 400 and duplicates with 409, writing nothing', async () => {
    const bad: Record<string, unknown>[] = [
      { match: '/x', upstream: 'ftp://files.example.com' },
      { match: '/x', upstream: 'http://user:pass@api.example.com' },
      { match: '/x/../y', upstream: upstream.url },
      { match: 'bad host!/x', upstream: upstream.url },
      { match: '/x', upstream: upstream.url, cors_origins: ['*'] },
      { match: '/x', upstream: upstream.url, inject: [{ header: 'X-Api-Key', secret: 'missing' }] },
      { match: '/x', upstream: upstream.url, inject: [{ header: 'Host', secret: 'missing' }] },
      { match: '/x', upstream: upstream.url, auth: 'off', scopes: ['read'] },
      { match: '/x', upstream: upstream.url, binding: 'sometimes' },
    ];
    for (const body of bad) {
      const res = await answer(await server.adminRequest('POST', '/apis', body));
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.text}`);
      assert.equal(res.json?.error, 'invalid_request');
    }
    await addRoute(server, { match: '/dup', upstream: upstream.url });
    const dup = await answer(await server.adminRequest('POST', '/apis', { match: '/dup', upstream: upstream.url }));
    assert.equal(dup.status, 409);
    const list = await answer(await server.adminRequest('GET', '/apis'));
    assert.equal(
      ((list.json?.apis ?? []) as unknown[]).filter((a) => (a as { path_prefix: string }).path_prefix === '/x').length,
      0,
    );
  });

  it('only admins change routes; developers and auditors may read them', async () => {
    const created = await answer(await server.adminRequest('POST', '/admin-keys', { role: 'developer' }));
    const developer = String(created.json?.key);
    const res = await answer(await server.adminRequest('POST', '/apis', { match: '/dev', upstream: upstream.url }, developer));
    assert.equal(res.status, 403);
    assert.equal((await server.adminRequest('GET', '/apis', undefined, developer)).status, 200);
  });
});
