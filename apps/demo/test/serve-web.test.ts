import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DemoWebConfig, startWebServer, type WebServer } from '../src/serve-web.ts';
import { PLACEHOLDER_HTML, placeholderWebDir } from './web-dir.ts';

const CONFIG: DemoWebConfig = {
  sdkConfig: 'eyJ2IjoxfQ',
  appId: 'com.example.catalog.web',
  release: `sha256:${'00'.repeat(32)}`,
  catalogClientId: 'pc_catalog',
  partnerClientId: 'pc_partner',
  redirectUri: 'http://127.0.0.1:8080/catalog/callback',
  scope: 'openid profile catalog',
  apiBase: 'http://127.0.0.1:8080/api',
  demoUser: null,
};

describe('web app server', () => {
  let web: WebServer;
  let dir: { webDir: string; remove(): Promise<void> };
  before(async () => {
    dir = await placeholderWebDir();
    web = await startWebServer({ webDir: dir.webDir });
  });
  after(async () => {
    await web.close();
    await dir.remove();
  });

  it('serves the page at /catalog/ and /catalog/callback with a strict CSP, no caching, nosniff', async () => {
    for (const path of ['/catalog/', '/catalog/callback?code=c&state=s', '/catalog/index.html']) {
      const res = await fetch(`${web.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), PLACEHOLDER_HTML);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(
        res.headers.get('content-security-policy'),
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      );
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    }
    const bare = await fetch(`${web.url}/catalog`, { redirect: 'manual' });
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.get('location'), '/catalog/');
  });

  it('serves the bundled main.ts as app.js, and its digest is the bytes served', async () => {
    const res = await fetch(`${web.url}/catalog/app.js`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.match(bytes.toString('utf8'), /document\.title = title/);
    assert.doesNotMatch(bytes.toString('utf8'), /: string/, 'the TypeScript is compiled away');
    assert.equal(web.bundleDigest, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    const css = await fetch(`${web.url}/catalog/styles.css`);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  });

  it('config.json is 503 until the config is set, then the config', async () => {
    const early = await fetch(`${web.url}/catalog/config.json`);
    assert.equal(early.status, 503);
    assert.equal(((await early.json()) as { error: string }).error, 'service_unavailable');
    web.setConfig(CONFIG);
    const res = await fetch(`${web.url}/catalog/config.json`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), CONFIG);
  });

  it('anything else is 404; methods other than GET and HEAD are 405', async () => {
    for (const path of ['/', '/catalog/main.ts', '/catalog/../package.json', '/catalogx/', '/catalog/app.js/x']) {
      const res = await fetch(`${web.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { error: string }).error, 'not_found');
    }
    const head = await fetch(`${web.url}/catalog/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    const post = await fetch(`${web.url}/catalog/`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  it('does not start when the web app does not bundle', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'portcullis-demo-empty-'));
    try {
      await assert.rejects(startWebServer({ webDir: empty }), /main\.ts/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
