// Liveness, readiness and Prometheus metrics, through the whole app.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, call, startApp, type TestApp } from '../admin/start-app.ts';

describe('/healthz and /metrics', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  it('/healthz answers 200 {"status":"ok"} as JSON', async () => {
    const res = await call(t, 'GET', '/healthz', { key: null });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ok' });
    assert.match(String(res.headers['content-type']), /^application\/json/);
  });

  it('/readyz answers 200 while the database answers', async () => {
    const res = await call(t, 'GET', '/readyz', { key: null });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ready' });
  });

  it('/metrics has the request histogram labelled by route template, and process metrics', async () => {
    assert.equal((await call(t, 'GET', '/healthz', { key: null })).status, 200);
    // A raw URL must not become a label: unknown paths are one "unmatched" series.
    assert.equal((await call(t, 'GET', '/no/such/thing-12345', { key: null })).status, 404);
    const res = await call(t, 'GET', '/metrics', { key: null });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(res.body, /^# TYPE http_request_duration_seconds histogram$/m);
    const count = /^http_request_duration_seconds_count\{([^}]*)\} (\d+)$/gm;
    const healthz = [...res.body.matchAll(count)].find((m) => m[1]?.includes('route="/healthz"'));
    assert.ok(healthz, `no healthz series in:\n${res.body}`);
    assert.match(healthz[1] ?? '', /method="GET"/);
    assert.match(healthz[1] ?? '', /status_code="200"/);
    assert.ok(Number(healthz[2]) >= 1);
    assert.match(res.body, /route="\/healthz"/);
    assert.ok(!res.body.includes('thing-12345'), 'a raw URL leaked into a metric label');
    assert.match(res.body, /^process_cpu_user_seconds_total \d/m);
    assert.match(res.body, /^nodejs_heap_size_used_bytes \d/m);
  });
});

describe('/readyz with the database gone', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  it('answers 503 service_unavailable, never 500', async () => {
    await t.services.database.close();
    const res = await call(t, 'GET', '/readyz', { key: null });
    assertError(res, 503, 'service_unavailable');
    // Liveness does not depend on the store.
    assert.equal((await call(t, 'GET', '/healthz', { key: null })).status, 200);
    assert.ok(!t.logs.some((l) => l.includes('"level":50')), 'an error was logged');
  });
});
