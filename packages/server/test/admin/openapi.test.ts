// The admin OpenAPI document: public, OpenAPI 3.1, generated from the same route schemas.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin, call, startApp, type TestApp } from './start-app.ts';

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { security?: unknown[]; responses?: Record<string, unknown>; requestBody?: unknown }>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
  security?: Record<string, unknown[]>[];
}

describe('GET /admin/v1/openapi.json', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  before(async () => {
    t = await startApp();
    const res = await call(t, 'GET', admin('/openapi.json'), { key: null });
    assert.equal(res.status, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    doc = res.json as OpenApiDocument;
  });
  after(() => t.close());

  it('is served without a key, as OpenAPI 3.1.0', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(typeof doc.info.title, 'string');
  });

  it('has the admin paths, relative to /admin/v1', () => {
    for (const path of [
      '/users',
      '/users/{username}',
      '/users/{username}/password',
      '/admin-keys',
      '/admin-keys/{id}',
      '/keys',
      '/keys/rotate',
      '/audit',
    ]) {
      assert.ok(path in doc.paths, `missing ${path}; has ${Object.keys(doc.paths).join(', ')}`);
    }
    assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/admin/v1')), 'paths repeat the server prefix');
    assert.ok(!Object.keys(doc.paths).some((p) => p.includes(':')), 'a path keeps Fastify ":param" syntax');
    assert.ok(doc.paths['/users']?.post, 'POST /users is not described');
    assert.ok(doc.paths['/users']?.post?.requestBody, 'POST /users has no request body');
    assert.ok(doc.paths['/users/{username}']?.delete);
    assert.ok(doc.paths['/keys/rotate']?.post);
  });

  it('declares a bearer security scheme and applies it', () => {
    const schemes = Object.values(doc.components?.securitySchemes ?? {});
    const bearer = schemes.find((s) => s.type === 'http' && s.scheme?.toLowerCase() === 'bearer');
    assert.ok(bearer, 'no http bearer security scheme');
    const name = Object.entries(doc.components?.securitySchemes ?? {}).find(([, s]) => s === bearer)?.[0] ?? '';
    assert.ok(
      doc.security?.some((requirement) => name in requirement),
      'the bearer scheme is not required by default',
    );
  });

  it('does not claim the public document itself needs a key', () => {
    const self = doc.paths['/openapi.json']?.get;
    if (!self) return;
    assert.deepEqual(self.security, [], '/openapi.json is served without a key but inherits the bearer requirement');
  });

  it('documents the error answers of a route', () => {
    const responses = doc.paths['/users']?.post?.responses ?? {};
    for (const status of ['201', '400', '401', '403', '409']) assert.ok(status in responses, `POST /users has no ${status}`);
  });

  it('is the same document on every call, and leaks no key', async () => {
    const again = await call(t, 'GET', admin('/openapi.json'), { key: null });
    assert.deepEqual(again.json, doc);
    assert.ok(!again.body.includes(t.adminKey));
  });
});
