import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { answer, type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { addRoute, startUpstream, type Upstream } from './gateway-fixtures.ts';

/** A raw HTTP/1.1 request (fetch would normalise the path and cannot set Host). */
function rawRequest(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('gateway: routes, paths and forwarding', () => {
  let server: OAuthServer;
  let upstream: Upstream;
  let other: Upstream;
  before(async () => {
    server = await startOAuthServer();
    upstream = await startUpstream();
    other = await startUpstream();
    await addRoute(server, { match: '/books', upstream: `${upstream.url}/v1`, auth: 'off', attestation: 'off' });
    await addRoute(server, { match: '/books/admin', upstream: other.url, auth: 'off', attestation: 'off', strip_prefix: true });
    await addRoute(server, { match: 'shop.example.test', upstream: other.url, auth: 'off', attestation: 'off' });
    await addRoute(server, { match: '/Docs', upstream: other.url, auth: 'off', attestation: 'off', case_sensitive: false });
    await addRoute(server, {
      match: '/readonly',
      upstream: upstream.url,
      auth: 'off',
      attestation: 'off',
      methods: ['GET'],
      cors_origins: ['https://app.example.com'],
    });
  });
  after(async () => {
    await server.close();
    await upstream.close();
    await other.close();
  });

  it('forwards to the upstream (base path, query, body) and streams its answer back', async () => {
    const res = await fetch(`${server.issuer}/books/42?lang=en&x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Dune' }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-upstream'), 'books');
    const seen = upstream.last();
    assert.match(String(res.headers.get('x-request-id')), /^[\w.-]{1,64}$/);
    assert.equal(res.headers.get('x-request-id'), seen.headers['x-request-id'], 'the client and the upstream see one request id');
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/v1/books/42?lang=en&x=1');
    assert.equal(seen.body, '{"title":"Dune"}');
    assert.equal(seen.headers['content-type'], 'application/json');
  });

  it('the longest prefix wins, prefix stripping applies, and /booksx is not under /books', async () => {
    assert.equal((await fetch(`${server.issuer}/books/admin/users`)).status, 200);
    assert.equal(other.last().url, '/users');
    assert.equal((await fetch(`${server.issuer}/books/admin`)).status, 200);
    assert.equal(other.last().url, '/');
    const res = await answer(await fetch(`${server.issuer}/booksx`));
    assert.equal(res.status, 404);
    assert.equal(res.json?.error, 'not_found');
  });

  it('a case-insensitive route matches any ASCII case; others match exactly', async () => {
    for (const path of ['/docs/a', '/DOCS/a', '/Docs/a']) {
      assert.equal((await fetch(`${server.issuer}${path}`)).status, 200, path);
      assert.equal(other.last().url, path, 'the path goes upstream as sent');
    }
    assert.equal((await fetch(`${server.issuer}/BOOKS/1`)).status, 404);
  });

  it('a route for a host matches on that Host only, its port ignored', async () => {
    const before = other.seen.length;
    const hit = await rawRequest(server.issuer, '/anything', { host: 'SHOP.example.test:8443' });
    assert.equal(hit.status, 200);
    assert.equal(other.seen.length, before + 1);
    assert.equal(other.last().url, '/anything');
    const miss = await rawRequest(server.issuer, '/anything', { host: 'elsewhere.example.test' });
    assert.equal(miss.status, 404);
  });

  it('normalises the path before matching: dot segments, repeated slashes, encoded unreserved characters', async () => {
    const res = await rawRequest(server.issuer, '/books/./a//b/%7Ec/../d');
    assert.equal(res.status, 200, res.body);
    assert.equal(upstream.last().url, '/v1/books/a/b/d');
    // Climbs out of /books: the canonical path /secret has no route.
    assert.equal((await rawRequest(server.issuer, '/books/../secret')).status, 404);
    // Climbs from /books into /books/admin's upstream, as the canonical path says.
    assert.equal((await rawRequest(server.issuer, '/books/x/../admin/y')).status, 200);
    assert.equal(other.last().url, '/y');
  });

  it('refuses ambiguous paths with 400: encoded slash, double encoding, backslash, ;, climbing above the root', async () => {
    const count = upstream.seen.length;
    for (const path of [
      '/books%2F..%2Fadmin',
      '/books/%252e%252e/x',
      '/books\\..\\x',
      '/books/..;/x',
      '/books/%2e%2e/%2e%2e/..',
      '/books/%00',
    ]) {
      const res = await rawRequest(server.issuer, path);
      assert.equal(res.status, 400, `${path}: ${res.body}`);
      const body = JSON.parse(res.body) as Record<string, unknown>;
      assert.equal(body.error, 'invalid_request');
    }
    assert.equal(upstream.seen.length, count, 'nothing ambiguous reached the upstream');
  });

  it("Portcullis's own paths are never taken by a route, whatever the encoding", async () => {
    const res = await answer(await server.adminRequest('POST', '/apis', { match: '/oauth', upstream: upstream.url }));
    assert.equal(res.status, 400);
    const bad = await answer(await server.adminRequest('POST', '/apis', { match: '/.well-known/x', upstream: upstream.url }));
    assert.equal(bad.status, 400);
    // /books/../oauth/token is the token endpoint's path: it never goes upstream.
    const count = upstream.seen.length;
    const res2 = await rawRequest(server.issuer, '/books/../healthz');
    assert.notEqual(res2.status, 200);
    assert.equal(upstream.seen.length, count);
    assert.equal((await fetch(`${server.issuer}/healthz`)).status, 200);
  });

  it('strips smuggled identity, forwarding, client-certificate and hop-by-hop headers; sets Forwarded', async () => {
    const res = await rawRequest(server.issuer, '/books/1', {
      'x-portcullis-user': 'admin',
      'X-Portcullis-Client': 'evil',
      forwarded: 'for=1.2.3.4',
      'x-forwarded-for': '1.2.3.4',
      'x-forwarded-host': 'evil.example',
      'x-real-ip': '1.2.3.4',
      'x-client-cert': 'MIIB...',
      'client-cert': ':MIIB:',
      'x-ssl-client-verify': 'SUCCESS',
      'portcullis-attestation': 'x.y.z',
      dpop: 'a.b.c',
      connection: 'keep-alive, x-secret-hop',
      'x-secret-hop': 'drop me',
      'x-kept': 'yes',
    });
    assert.equal(res.status, 200);
    const h = upstream.last().headers;
    for (const name of [
      'x-portcullis-user',
      'x-portcullis-client',
      'x-forwarded-for',
      'x-forwarded-host',
      'x-real-ip',
      'x-client-cert',
      'client-cert',
      'x-ssl-client-verify',
      'portcullis-attestation',
      'dpop',
      'x-secret-hop',
    ])
      assert.equal(h[name], undefined, `${name} reached the upstream`);
    assert.equal(h['x-kept'], 'yes');
    assert.match(String(h.forwarded), /^for=127\.0\.0\.1;host="127\.0\.0\.1:\d+";proto=http$/);
    assert.equal(res.headers.connection, 'keep-alive');
  });

  it('requests are counted per route, outcome and status in /metrics', async () => {
    const metrics = await (await fetch(`${server.issuer}/metrics`)).text();
    assert.match(
      metrics,
      /portcullis_gateway_request_duration_seconds_count\{route="api_[\w-]+",outcome="forwarded",status_code="200"\} [1-9]/,
    );
    assert.match(
      metrics,
      /portcullis_gateway_request_duration_seconds_count\{route="none",outcome="refused",status_code="400"\} [1-9]/,
    );
  });

  it("the upstream's connection-specific answer fields stay between it and the gateway (RFC 9110 §7.6.1)", async () => {
    const hops = await startUpstream((_req, res) => {
      res.writeHead(200, {
        connection: 'keep-alive, x-hop-secret',
        'keep-alive': 'timeout=5',
        'x-hop-secret': 'for the gateway only',
        'proxy-authenticate': 'Basic realm="upstream"',
        'x-end-to-end': 'yes',
      });
      res.end('ok');
    });
    try {
      await addRoute(server, { match: '/hops', upstream: hops.url, auth: 'off', attestation: 'off' });
      const res = await rawRequest(server.issuer, '/hops/x', { connection: 'close' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-end-to-end'], 'yes');
      for (const name of ['x-hop-secret', 'keep-alive', 'proxy-authenticate'])
        assert.equal(res.headers[name], undefined, `${name} reached the client`);
    } finally {
      await hops.close();
    }
  });

  it('a method the route does not accept is 405 with Allow', async () => {
    const res = await answer(await fetch(`${server.issuer}/readonly/x`, { method: 'DELETE' }));
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET');
    assert.equal(res.json?.error, 'method_not_allowed');
  });

  it('CORS: a preflight from an allowed origin is answered; another origin is refused; answers carry the origin', async () => {
    const ok = await fetch(`${server.issuer}/readonly/x`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization, dpop',
      },
    });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(ok.headers.get('access-control-allow-methods'), 'GET');
    assert.equal(ok.headers.get('access-control-allow-headers'), 'authorization, dpop');
    assert.ok(ok.headers.get('x-request-id'), 'a preflight answer has a request id too');
    const refused = await fetch(`${server.issuer}/readonly/x`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' },
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
    assert.ok(refused.headers.get('x-request-id'), 'a refusal has a request id too');
    const get = await fetch(`${server.issuer}/readonly/x`, { headers: { origin: 'https://app.example.com' } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(String(get.headers.get('vary')), /Origin/);
    const foreign = await fetch(`${server.issuer}/readonly/x`, { headers: { origin: 'https://evil.example.com' } });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  });
});

describe('gateway: upstream failures', () => {
  let server: OAuthServer;
  let slow: Upstream;
  before(async () => {
    server = await startOAuthServer();
    slow = await startUpstream((req, res) => {
      setTimeout(() => res.end('late'), req.url?.startsWith('/late') ? 400 : 2000).unref();
    });
    const closed = await startUpstream();
    const closedUrl = closed.url;
    await closed.close();
    await addRoute(server, { match: '/slow', upstream: slow.url, auth: 'off', attestation: 'off', timeout_ms: 300 });
    await addRoute(server, { match: '/late', upstream: slow.url, auth: 'off', attestation: 'off' });
    await addRoute(server, { match: '/down', upstream: closedUrl, auth: 'off', attestation: 'off' });
  });
  after(async () => {
    await server.close();
    await slow.close();
  });

  it('an upstream refusing connections is 502, generic, with a request id', async () => {
    const res = await answer(await fetch(`${server.issuer}/down/x`));
    assert.equal(res.status, 502);
    assert.deepEqual(Object.keys(res.json ?? {}).sort(), ['error', 'error_description', 'request_id']);
    assert.equal(res.json?.error, 'bad_gateway');
    assert.equal(res.json?.request_id, res.headers.get('x-request-id'));
    assert.doesNotMatch(res.text, /127\.0\.0\.1|ECONNREFUSED|undici/);
  });

  it('a client that leaves before the upstream answers costs nothing: the gateway keeps serving', async () => {
    const gone = new AbortController();
    const request = fetch(`${server.issuer}/late/x`, { signal: gone.signal });
    setTimeout(() => gone.abort(), 100);
    await assert.rejects(request);
    // The upstream answers after the client left; the answer is dropped.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await fetch(`${server.issuer}/healthz`)).status, 200);
    const res = await answer(await fetch(`${server.issuer}/down/x`));
    assert.equal(res.status, 502);
  });

  it('an upstream slower than the route timeout is 504', async () => {
    const started = Date.now();
    const res = await answer(await fetch(`${server.issuer}/slow/x`));
    assert.equal(res.status, 504);
    assert.equal(res.json?.error, 'gateway_timeout');
    assert.ok(Date.now() - started < 1900, 'the gateway gave up at the route timeout');
  });
});

describe('gateway: behind a trusted proxy', () => {
  let server: OAuthServer;
  let upstream: Upstream;
  before(async () => {
    server = await startOAuthServer({ PORTCULLIS_TRUST_PROXY: '127.0.0.1' });
    upstream = await startUpstream();
    await addRoute(server, {
      match: '/api',
      upstream: upstream.url,
      auth: 'off',
      attestation: 'off',
      rate_limit: { limit: 1, window_s: 60, per: 'ip' },
    });
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  it('the client address comes from X-Forwarded-For through the trusted proxy: Forwarded and per-IP limits use it', async () => {
    const from = (ip: string) => fetch(`${server.issuer}/api/x`, { headers: { 'x-forwarded-for': ip } });
    assert.equal((await from('203.0.113.7')).status, 200);
    assert.match(String(upstream.last().headers.forwarded), /^for=203\.0\.113\.7;/);
    assert.equal(upstream.last().headers['x-forwarded-for'], undefined, 'the gateway says it in Forwarded only');
    assert.equal((await from('203.0.113.7')).status, 429);
    assert.equal((await from('198.51.100.9')).status, 200, 'another client behind the same proxy has its own limit');
    assert.match(String(upstream.last().headers.forwarded), /^for=198\.51\.100\.9;/);
  });
});
