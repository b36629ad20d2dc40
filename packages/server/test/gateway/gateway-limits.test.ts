import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { IDENTITY_HEADER, IDENTITY_TOKEN_TYP } from '../../src/gateway/index.ts';
import { answer, type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { addRoute, serviceClient, startUpstream, type Upstream } from './gateway-fixtures.ts';

/** A promise and its resolver, to make two servers take turns. */
function signal<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('gateway: bodies, streaming, rate limits, injected secrets and identity', () => {
  let server: OAuthServer;
  let upstream: Upstream;
  let service: Awaited<ReturnType<typeof serviceClient>>;
  // The streaming upstream: reports its first request chunk, and sends its answer in two parts.
  const firstChunkSeen = signal<number>();
  const clientGotFirstPart = signal();
  const uploadDone = signal<number>();
  let streaming: Upstream;

  before(async () => {
    server = await startOAuthServer();
    upstream = await startUpstream();
    service = await serviceClient(server, ['read']);
    streaming = await startUpstream((req, res) => {
      if (req.url === '/stream/download') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(Buffer.alloc(64 * 1024, 1));
        // The rest only once the client holds the first part: a gateway that buffered would deadlock here.
        void clientGotFirstPart.promise.then(() => {
          for (let i = 0; i < 64; i++) res.write(Buffer.alloc(256 * 1024, 2));
          res.end();
        });
        return;
      }
      let total = 0;
      req.on('data', (c: Buffer) => {
        if (total === 0) firstChunkSeen.resolve(c.length);
        total += c.length;
      });
      req.on('end', () => {
        uploadDone.resolve(total);
        res.end(JSON.stringify({ received: total }));
      });
    });
    const open = { auth: 'off', attestation: 'off' };
    await addRoute(server, { ...open, match: '/small', upstream: upstream.url, body_limit: 1000 });
    await addRoute(server, { ...open, match: '/stream', upstream: streaming.url, body_limit: 50_000_000 });
    await addRoute(server, {
      match: '/limited',
      upstream: upstream.url,
      attestation: 'off',
      binding: 'none',
      rate_limit: { limit: 2, window_s: 60, per: 'client' },
    });
    const secret = await server.adminRequest('POST', '/secrets', { name: 'books_key', value: 'sk_live_books_123' });
    assert.equal(secret.status, 201);
    await addRoute(server, {
      match: '/injected',
      upstream: upstream.url,
      attestation: 'off',
      binding: 'none',
      inject: [
        { header: 'X-Api-Key', secret: 'books_key' },
        { header: 'Authorization', secret: 'books_key' },
      ],
    });
    await addRoute(server, { match: '/signed', upstream: upstream.url, attestation: 'off', binding: 'none', identity: 'jwt' });
  });
  after(async () => {
    await server.close();
    await upstream.close();
    await streaming.close();
  });

  it('a body over the route limit is 413, by Content-Length or while streaming, and never reaches the upstream whole', async () => {
    const count = upstream.seen.length;
    const declared = await answer(await fetch(`${server.issuer}/small/x`, { method: 'POST', body: 'x'.repeat(1001) }));
    assert.equal(declared.status, 413);
    assert.equal(declared.json?.error, 'payload_too_large');
    const chunked = await answer(
      await fetch(`${server.issuer}/small/x`, {
        method: 'POST',
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(400));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit),
    );
    assert.equal(chunked.status, 413);
    assert.equal(upstream.seen.length, count, 'the upstream never answered an oversized request');
    const fits = await fetch(`${server.issuer}/small/x`, { method: 'POST', body: 'x'.repeat(1000) });
    assert.equal(fits.status, 200);
  });

  it('streams a large upload: the upstream sees the first chunk before the client has sent the rest', {
    timeout: 20_000,
  }, async () => {
    const url = new URL(`${server.issuer}/stream/upload`);
    const result = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(16 * 1024, 7));
      // The remaining 20 MB are sent only after the upstream got the first chunk.
      void firstChunkSeen.promise.then(() => {
        for (let i = 0; i < 80; i++) req.write(Buffer.alloc(256 * 1024, 8));
        req.end();
      });
    });
    const { status, body } = await result;
    assert.equal(status, 200);
    assert.equal(JSON.parse(body).received, 16 * 1024 + 80 * 256 * 1024);
    assert.equal(await uploadDone.promise, 16 * 1024 + 80 * 256 * 1024);
  });

  it('streams a large download: the client gets the first part before the upstream sends the rest', {
    timeout: 20_000,
  }, async () => {
    const res = await fetch(`${server.issuer}/stream/download`);
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (received === 0) clientGotFirstPart.resolve();
      received += value.length;
    }
    assert.equal(received, 64 * 1024 + 64 * 256 * 1024);
  });

  it('rate limit per client: 429 with Retry-After past the limit; another client has its own count', async () => {
    const token = await service.token();
    const call = async (t: string) =>
      answer(await fetch(`${server.issuer}/limited/x`, { headers: { authorization: `Bearer ${t}` } }));
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(token)).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    const refused = await call(token);
    assert.equal(refused.json?.error, 'rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    const other = await serviceClient(server, ['read']);
    assert.equal((await call(await other.token())).status, 200);
  });

  it('injects the stored secret upstream after the checks, replacing what the client sent; the client never sees it', async () => {
    const count = upstream.seen.length;
    const refused = await answer(await fetch(`${server.issuer}/injected/x`, { headers: { 'x-api-key': 'forged' } }));
    assert.equal(refused.status, 401);
    assert.equal(upstream.seen.length, count, 'a refused request is not forwarded');
    assert.ok(!refused.text.includes('sk_live'));
    const token = await service.token();
    const res = await answer(
      await fetch(`${server.issuer}/injected/x`, { headers: { authorization: `Bearer ${token}`, 'x-api-key': 'forged' } }),
    );
    assert.equal(res.status, 200, res.text);
    assert.ok(!res.text.includes('sk_live'));
    const seen = upstream.last();
    assert.equal(seen.headers['x-api-key'], 'sk_live_books_123');
    assert.equal(seen.headers.authorization, 'sk_live_books_123');
    assert.equal(seen.rawHeaders.filter((h) => h.toLowerCase() === 'x-api-key').length, 1);
    // A new version of the secret is injected from the next request on.
    assert.equal((await server.adminRequest('POST', '/secrets', { name: 'books_key', value: 'sk_live_books_456' })).status, 201);
    assert.equal((await fetch(`${server.issuer}/injected/x`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal(upstream.last().headers['x-api-key'], 'sk_live_books_456');
    assert.ok(!server.logs.join('\n').includes('sk_live'), 'secret values never reach the log');
  });

  it('identity as a signed JWT the upstream can verify against the JWKS, for its own origin', async () => {
    const token = await service.token();
    assert.equal((await fetch(`${server.issuer}/signed/x`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    const jwt = String(upstream.last().headers[IDENTITY_HEADER.toLowerCase()]);
    assert.equal(upstream.last().headers['x-portcullis-client'], undefined);
    const jwks = (await (await fetch(`${server.issuer}/.well-known/jwks.json`)).json()) as { keys: [] };
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(jwks), {
      issuer: server.issuer,
      audience: new URL(upstream.url).origin,
      typ: IDENTITY_TOKEN_TYP,
    });
    assert.equal(protectedHeader.typ, IDENTITY_TOKEN_TYP);
    assert.equal(payload.client_id, service.clientId);
    assert.equal(payload.scope, 'read');
    assert.ok(Number(payload.exp) - Number(payload.iat) <= 60);
  });
});
