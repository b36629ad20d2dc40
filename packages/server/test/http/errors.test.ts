// Client errors Fastify raises itself (routing, parsing, limits) come out as {error, error_description}, never a 500.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isErrorCode } from '@portcullis/protocol';
import { type Answer, admin, assertError, auditCount, call, startApp, type TestApp, usernames } from '../admin/start-app.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function assertSecurityHeaders(res: Answer): void {
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['x-frame-options'], 'DENY');
  assert.equal(res.headers['referrer-policy'], 'no-referrer');
  assert.match(String(res.headers['content-security-policy']), /(^|;\s*)frame-ancestors 'none'(;|$)/);
  // Plain HTTP (inject): HSTS would be meaningless and is not allowed (RFC 6797 §7.2).
  assert.equal(res.headers['strict-transport-security'], undefined);
}

function assertNoErrorLogged(t: TestApp): void {
  const errors = t.logs.filter((l) => /"level":(50|60)/.test(l));
  assert.deepEqual(errors, [], 'a request was logged as a server failure');
}

describe('HTTP errors', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  it('an unknown path is 404 not_found as JSON', async () => {
    const res = await call(t, 'GET', '/definitely/not/here?x=1', { key: null });
    assertError(res, 404, 'not_found');
    assertSecurityHeaders(res);
    const post = await call(t, 'POST', '/nowhere', { key: null, body: { a: 1 } });
    assertError(post, 404, 'not_found');
    assertNoErrorLogged(t);
  });

  it('malformed JSON is 400 invalid_request and writes nothing', async () => {
    const res = await call(t, 'POST', admin('/users'), { raw: '{"username": "mallory", ', contentType: 'application/json' });
    assertError(res, 400, 'invalid_request');
    assert.deepEqual(await usernames(t), []);
    const empty = await call(t, 'POST', admin('/users'), { raw: '', contentType: 'application/json' });
    assertError(empty, 400, 'invalid_request');
    assertNoErrorLogged(t);
  });

  it('a text/plain body on a JSON route is 415 unsupported_media_type', async () => {
    const res = await call(t, 'POST', admin('/users'), { raw: '{"username":"textplain"}', contentType: 'text/plain' });
    assertError(res, 415, 'unsupported_media_type');
    assert.deepEqual(await usernames(t), []);
    assertNoErrorLogged(t);
  });

  it('a body of a content type no route parses is 415 unsupported_media_type', async () => {
    const res = await call(t, 'POST', admin('/users'), { raw: '<user name="xml"/>', contentType: 'application/xml' });
    assertError(res, 415, 'unsupported_media_type');
    assert.deepEqual(await usernames(t), []);
    assertNoErrorLogged(t);
  });

  it('a malformed percent-encoding in the path is 400 invalid_request, formatted like every error', async () => {
    for (const url of ['/healthz%', admin('/users/%E0%A4%A')]) {
      const res = await call(t, 'GET', url, { key: null });
      assertError(res, 400, 'invalid_request');
      assert.deepEqual(Object.keys(res.json as object).sort(), ['error', 'error_description']);
      assertSecurityHeaders(res);
      assert.match(String(res.headers['x-request-id']), UUID);
    }
  });

  it('an over-long path parameter is a 4xx {error, error_description}, formatted like every error', async () => {
    for (const path of [`/users/${'a'.repeat(300)}`, `/admin-keys/${'a'.repeat(300)}`]) {
      const res = await call(t, path.startsWith('/users') ? 'GET' : 'DELETE', admin(path));
      assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
      const body = res.json as Record<string, unknown>;
      assert.ok(isErrorCode(body.error), `not a Portcullis error code: ${res.body}`);
      assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
      assertSecurityHeaders(res);
      assert.match(String(res.headers['x-request-id']), UUID);
    }
  });

  it('JSON answers, success and error alike, carry the security headers', async () => {
    for (const res of [
      await call(t, 'GET', '/healthz', { key: null }),
      await call(t, 'GET', '/.well-known/jwks.json', { key: null }),
      await call(t, 'GET', admin('/users')),
      await call(t, 'GET', admin('/users'), { key: null }),
    ]) {
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assertSecurityHeaders(res);
    }
  });

  it('a safe x-request-id is echoed back', async () => {
    const res = await call(t, 'GET', '/healthz', { key: null, headers: { 'x-request-id': 'abc-123' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-request-id'], 'abc-123');
    assert.ok(
      t.logs.some((l) => l.includes('"reqId":"abc-123"')),
      'the request id is not in the log',
    );
  });

  it('an unsafe x-request-id is replaced by a fresh id, and never logged', async () => {
    for (const given of ['a b\n', 'x'.repeat(65), 'a"b', '../..%0d']) {
      const res = await call(t, 'GET', '/healthz', { key: null, headers: { 'x-request-id': given } });
      assert.equal(res.status, 200);
      const id = String(res.headers['x-request-id']);
      assert.notEqual(id, given);
      assert.match(id, UUID);
    }
    assert.ok(!t.logs.some((l) => l.includes('a b')), 'the unsafe request id reached the log');
    // Every answer gets an id even when the client sends none.
    assert.match(String((await call(t, 'GET', '/healthz', { key: null })).headers['x-request-id']), UUID);
  });
});

describe('PORTCULLIS_BODY_LIMIT', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp({ PORTCULLIS_BODY_LIMIT: '2048' });
  });
  after(() => t.close());

  it('a body over the limit is 413 payload_too_large and writes nothing', async () => {
    const before = await auditCount(t);
    const res = await call(t, 'POST', admin('/users'), { body: { username: 'big', given_name: 'x'.repeat(3000) } });
    assertError(res, 413, 'payload_too_large');
    assertSecurityHeaders(res);
    assert.deepEqual(await usernames(t), []);
    // The refused attempt is still audited.
    assert.equal(await auditCount(t), before + 1);
    assertNoErrorLogged(t);
  });

  it('a body just under the limit is accepted', async () => {
    const res = await call(t, 'POST', admin('/users'), { body: { username: 'small', given_name: 'x'.repeat(150) } });
    assert.equal(res.status, 201, res.body);
    assert.deepEqual(await usernames(t), ['small']);
  });
});
