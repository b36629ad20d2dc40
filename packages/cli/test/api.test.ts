// The `api` verbs (protected API routes) against a real `portcullis serve`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiRouteView } from '@portcullis/protocol';
import { assertFailure, assertSuccess, assertUsage, parseJson, runCli, useServer } from './cli-process.ts';

describe('portcullis api', () => {
  const { cli } = useServer();

  it('lists no routes at first, and --json is an empty list', async () => {
    const listed = await cli(['api', 'list']);
    assertSuccess(listed);
    assert.equal(listed.stdout, 'no API routes\n');
    assert.deepEqual(parseJson<{ apis: ApiRouteView[] }>(await cli(['api', 'list', '--json'])), { apis: [] });
  });

  it('adds a route with the defaults: attestation required, DPoP binding', async () => {
    const added = await cli(['api', 'add', 'api.example.com/books', '--upstream', 'http://127.0.0.1:9/v1/']);
    assertSuccess(added);
    assert.match(
      added.stdout,
      /^added [\w-]+: api\.example\.com\/books → http:\/\/127\.0\.0\.1:9\/v1 \(attestation required, binding dpop\)\n$/,
    );
    const id = /^added ([\w-]+):/.exec(added.stdout)![1]!;

    const { apis } = parseJson<{ apis: ApiRouteView[] }>(await cli(['api', 'list', '--json']));
    const route = apis.find((r) => r.id === id);
    assert.ok(route, 'listed');
    assert.equal(route.host, 'api.example.com');
    assert.equal(route.path_prefix, '/books');
    assert.equal(route.attestation, 'required');
    assert.equal(route.binding, 'dpop');
    assert.equal(route.auth, 'required');
    assert.deepEqual(route.scopes, []);
    assert.deepEqual(route.inject, []);

    const listed = await cli(['api', 'list']);
    assertSuccess(listed);
    assert.match(listed.stdout, /^ID\s+MATCH\s+UPSTREAM\s+AUTH\s+ATTESTATION\s+BINDING\s+SCOPES\n/);
    assert.match(
      listed.stdout,
      new RegExp(`${id}\\s+api\\.example\\.com/books\\s+http://127\\.0\\.0\\.1:9/v1\\s+required\\s+required\\s+dpop\\s+-`),
    );

    const shown = await cli(['api', 'show', id]);
    assertSuccess(shown);
    assert.match(shown.stdout, new RegExp(`^id:\\s+${id}$`, 'm'));
    assert.match(shown.stdout, /^attestation:\s+required$/m);
    assert.match(shown.stdout, /^methods:\s+any$/m);
    assert.equal(parseJson<ApiRouteView>(await cli(['api', 'show', id, '--json'])).id, id);
  });

  it('adds a route without attestation, with scopes and an injected secret', async () => {
    assertSuccess(await cli(['secrets', 'add', 'books_key', '--value-stdin'], { stdin: 'bk_live_123\n' }));
    const route = parseJson<ApiRouteView>(
      await cli([
        'api',
        'add',
        '/books',
        '--upstream',
        'https://books.internal',
        '--no-attestation',
        '--scope',
        'read',
        '--scope',
        'write',
        '--inject-secret',
        'X-Api-Key=books_key',
        '--json',
      ]),
    );
    assert.equal(route.host, null);
    assert.equal(route.path_prefix, '/books');
    assert.equal(route.upstream, 'https://books.internal');
    assert.equal(route.attestation, 'off');
    assert.equal(route.binding, 'dpop');
    assert.deepEqual(route.scopes, ['read', 'write']);
    assert.deepEqual(route.inject, [{ header: 'X-Api-Key', secret: 'books_key' }]);
    assert.doesNotMatch(JSON.stringify(route), /bk_live/);
  });

  it('maps the other options onto the route', async () => {
    const route = parseJson<ApiRouteView>(
      await cli([
        'api',
        'add',
        'shop.example.com',
        '--upstream',
        'http://shop.internal:8080/api',
        '--no-auth',
        '--attestation',
        'optional',
        '--binding',
        'none',
        '--identity',
        'jwt',
        '--strip-prefix',
        '--method',
        'GET',
        'POST',
        '--audience',
        'https://shop.example.com',
        '--cors-origin',
        'https://app.example.com',
        '--rate-limit',
        '10/1m:ip',
        '--body-limit',
        '2048',
        '--timeout',
        '5000',
        '--case-insensitive',
        '--json',
      ]),
    );
    assert.equal(route.host, 'shop.example.com');
    assert.equal(route.path_prefix, '/');
    assert.equal(route.auth, 'off');
    assert.equal(route.attestation, 'optional');
    assert.equal(route.binding, 'none');
    assert.equal(route.identity, 'jwt');
    assert.equal(route.strip_prefix, true);
    assert.deepEqual(route.methods, ['GET', 'POST']);
    assert.equal(route.audience, 'https://shop.example.com');
    assert.deepEqual(route.cors_origins, ['https://app.example.com']);
    assert.deepEqual(route.rate_limit, { limit: 10, window_s: 60, per: 'ip' });
    assert.equal(route.body_limit, 2048);
    assert.equal(route.timeout_ms, 5000);
    assert.equal(route.case_sensitive, false);

    const shown = await cli(['api', 'show', route.id]);
    assertSuccess(shown);
    assert.match(shown.stdout, /^rate limit:\s+10\/60s per ip$/m);
    assert.match(shown.stdout, /^host:\s+shop\.example\.com$/m);

    const rated = parseJson<ApiRouteView>(
      await cli(['api', 'add', '/rated', '--upstream', 'http://127.0.0.1:9', '--rate-limit', '100/60s:client', '--json']),
    );
    assert.deepEqual(rated.rate_limit, { limit: 100, window_s: 60, per: 'client' });
    const perRoute = parseJson<ApiRouteView>(
      await cli(['api', 'add', '/hourly', '--upstream', 'http://127.0.0.1:9', '--rate-limit', '5/2h', '--json']),
    );
    assert.deepEqual(perRoute.rate_limit, { limit: 5, window_s: 7200, per: 'route' });
  });

  it('refuses to inject a secret that does not exist: exit 1, one line', async () => {
    const result = await cli([
      'api',
      'add',
      '/nope',
      '--upstream',
      'http://127.0.0.1:9',
      '--inject-secret',
      'X-Api-Key=missing_key',
    ]);
    assertFailure(result, /missing_key/);
    assert.match(result.stderr, /invalid_request/);
  });

  it('refuses a duplicate host and path: exit 1', async () => {
    assertSuccess(await cli(['api', 'add', '/dup', '--upstream', 'http://127.0.0.1:9']));
    const dup = await cli(['api', 'add', '/dup', '--upstream', 'http://127.0.0.1:9']);
    assert.equal(dup.code, 1, dup.stderr);
    assert.match(dup.stderr, /^portcullis: [^\n]+\n$/);
  });

  it('bad usage is exit 2 with one line, and nothing is added', async () => {
    const add = ['api', 'add', '/bad', '--upstream', 'http://127.0.0.1:9'];
    for (const bad of ['X-Api-Key', '=books_key', 'X-Api-Key=']) {
      assertUsage(await cli([...add, '--inject-secret', bad]), /--inject-secret takes HEADER=SECRET/);
    }
    assertUsage(await cli([...add, '--binding', 'tls']), /--binding takes one of dpop, mtls, any, none/);
    assertUsage(await cli([...add, '--attestation', 'sometimes']), /--attestation takes one of required, optional, off/);
    assertUsage(await cli([...add, '--identity', 'cookie']), /--identity takes one of headers, jwt, none/);
    for (const bad of ['100', '100/60d', 'x/60s', '100/60s:planet', '0/60s', '10/0s', '100/60s:']) {
      assertUsage(await cli([...add, '--rate-limit', bad]), /--rate-limit/);
    }
    assertUsage(await cli([...add, '--body-limit', '1k']), /--body-limit/);
    assertUsage(await cli([...add, '--timeout', '-5']), /--timeout/);
    assert.equal((await cli(['api', 'add', '/bad'])).code, 2, 'no --upstream');
    assert.equal((await cli(['api', 'add', '--upstream', 'http://127.0.0.1:9'])).code, 2, 'no HOST_OR_PATH');
    assert.equal((await cli(['api', 'remove'])).code, 2, 'no ID');
    const { apis } = parseJson<{ apis: ApiRouteView[] }>(await cli(['api', 'list', '--json']));
    assert.ok(!apis.some((r) => r.path_prefix === '/bad'));
  });

  it('updates a route in place: same id, new upstream and settings; an unknown id is exit 1', async () => {
    const route = parseJson<ApiRouteView>(await cli(['api', 'add', '/moving', '--upstream', 'http://127.0.0.1:9', '--json']));
    const updated = await cli(['api', 'update', route.id, '/moving', '--upstream', 'http://127.0.0.1:10', '--no-attestation']);
    assertSuccess(updated);
    assert.match(
      updated.stdout,
      new RegExp(`^updated ${route.id}: /moving → http://127\\.0\\.0\\.1:10 \\(attestation off, binding dpop\\)\n$`),
    );
    const shown = parseJson<ApiRouteView>(await cli(['api', 'show', route.id, '--json']));
    assert.equal(shown.upstream, 'http://127.0.0.1:10');
    assert.equal(shown.attestation, 'off');
    assertFailure(await cli(['api', 'update', 'no-such-route', '/x', '--upstream', 'http://127.0.0.1:9']), /not_found/);
    assertUsage(await cli(['api', 'update', route.id, '/moving']), /--upstream/);
  });

  it('removes a route; showing or removing it again is exit 1', async () => {
    const route = parseJson<ApiRouteView>(await cli(['api', 'add', '/gone', '--upstream', 'http://127.0.0.1:9', '--json']));
    const removed = await cli(['api', 'remove', route.id]);
    assertSuccess(removed);
    assert.equal(removed.stdout, `removed ${route.id}\n`);
    assertFailure(await cli(['api', 'show', route.id]), /not_found/);
    assertFailure(await cli(['api', 'remove', route.id]), /not_found/);
    assertFailure(await cli(['api', 'remove', 'no-such-route']), /not_found/);
    const again = parseJson<ApiRouteView>(await cli(['api', 'add', '/gone', '--upstream', 'http://127.0.0.1:9', '--json']));
    assert.deepEqual(parseJson<{ id: string; removed: boolean }>(await cli(['api', 'remove', again.id, '--json'])), {
      id: again.id,
      removed: true,
    });
  });
});

describe('portcullis api help', () => {
  it('describes every verb in one line and lists --json', async () => {
    for (const verb of ['add', 'update', 'list', 'show', 'remove']) {
      const result = await runCli(['api', verb, '--help']);
      assert.equal(result.code, 0, verb);
      const lines = result.stdout.split('\n');
      assert.match(lines[0]!, new RegExp(`^Usage: portcullis api ${verb}`));
      assert.match(lines[2]!, /^[a-z].+[^.]$/, `api ${verb} has a one-line description`);
      assert.match(result.stdout, /--json/);
    }
    const add = await runCli(['api', 'add', '--help']);
    for (const option of [
      '--upstream',
      '--scope',
      '--no-attestation',
      '--inject-secret',
      '--binding',
      '--rate-limit',
      '--no-auth',
    ]) {
      assert.ok(add.stdout.includes(option), option);
    }
  });
});
