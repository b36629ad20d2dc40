import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createScratchDatabase, POSTGRES_URL, SKIP_POSTGRES } from '../db/open-test-database.ts';
import { runFailingServer, serverEnv, startServer } from './spawn-server.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-serve-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function adminGet(base: string, key: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}/admin/v1${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.json() };
}

function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpsGet(`${url}/healthz`, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

test('first start: ready file, ready event, bootstrap key printed once; restart keeps users, keys and the key', async () => {
  const dir = tempDir();
  const data = join(dir, 'data');
  const readyFile = join(dir, 'ready.json');
  const first = await startServer(serverEnv(data, { PORTCULLIS_LOG_LEVEL: 'info' }), readyFile);
  after(() => first.child.kill('SIGKILL'));
  const { ready } = first;
  await waitFor(() => first.stdout().includes('"event":"ready"'));
  assert.match(ready.http, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(ready.https ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(ready.issuer, `http://localhost:${new URL(ready.http).port}`);
  assert.equal(ready.admin, `${ready.http}/admin/v1`);
  assert.equal(ready.mqtt, null);
  assert.equal(ready.ca_cert, join(data, 'tls', 'ca.crt'));
  assert.deepEqual(Object.keys(ready).sort(), ['admin', 'ca_cert', 'http', 'https', 'issuer', 'mqtt', 'mqtts']);
  const readyEvent = first
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.event === 'ready');
  assert.equal(readyEvent?.http, ready.http);
  const key = /Bootstrap admin key[^:]*: (pck_[\w-]+)/.exec(first.stdout())?.[1];
  assert.ok(key, 'the bootstrap key is printed on the first start');
  assert.equal((statSync(join(data, 'master.key')).mode & 0o777).toString(8), '600');

  const { readFileSync } = await import('node:fs');
  assert.equal(await httpsStatus(ready.https!, readFileSync(ready.ca_cert!, 'utf8')), 200);
  const created = await fetch(`${ready.admin}/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'correct horse battery' }),
  });
  assert.equal(created.status, 201);
  const jwks1 = await (await fetch(`${ready.http}/.well-known/jwks.json`)).json();
  assert.equal(await first.stop(), 0);

  rmSync(readyFile);
  const second = await startServer(serverEnv(data), readyFile);
  after(() => second.child.kill('SIGKILL'));
  try {
    assert.doesNotMatch(second.stdout(), /Bootstrap admin key/, 'printed only once');
    const users = await adminGet(second.ready.http, key, '/users');
    assert.equal(users.status, 200, 'the bootstrap key survives a restart');
    assert.deepEqual(
      (users.body as { users: { username: string }[] }).users.map((u) => u.username),
      ['alice'],
    );
    const jwks2 = await (await fetch(`${second.ready.http}/.well-known/jwks.json`)).json();
    assert.deepEqual(jwks2, jwks1, 'signing keys survive a restart');
  } finally {
    assert.equal(await second.stop(), 0);
  }
});

test('SIGTERM lets an in-flight request finish, then exits 0', async () => {
  const dir = tempDir();
  const adminKey = randomBytes(32).toString('base64url');
  const server = await startServer(serverEnv(join(dir, 'data'), { PORTCULLIS_ADMIN_KEY: adminKey }), join(dir, 'ready.json'));
  const url = new URL(`${server.ready.admin}/users`);
  const body = JSON.stringify({ username: 'inflight', password: 'correct horse battery' });
  const response = new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${adminKey}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => {
      server.child.kill('SIGTERM');
      setTimeout(() => req.end(body.slice(10)), 300);
    }, 300);
  });
  assert.equal(await response, 201, 'the request that was in flight completes');
  const code = await new Promise((resolve) => server.child.once('exit', resolve));
  assert.equal(code, 0);
});

test('a busy port stops start-up with one line naming the port and its variable', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const result = await runFailingServer(serverEnv(tempDir(), { PORTCULLIS_HTTP_PORT: String(port) }));
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr.trim(),
      `portcullis: port ${port} is already in use (PORTCULLIS_HTTP_PORT); choose another port or stop the process using it`,
    );
  } finally {
    blocker.close();
  }
});

test('a malformed setting stops start-up with one line and no stack trace', async () => {
  const result = await runFailingServer(serverEnv(tempDir(), { PORTCULLIS_HTTPS_PORT: 'eighty' }));
  assert.equal(result.code, 1);
  assert.match(
    result.stderr.trim(),
    /^portcullis: PORTCULLIS_HTTPS_PORT: invalid value \(got "eighty"\); expected a port number/,
  );
  assert.equal(result.stderr.trim().split('\n').length, 1);
});

test('a wrong master key is detected at start-up with a clear error, never used to produce garbage', async () => {
  const dir = tempDir();
  const data = join(dir, 'data');
  const right = randomBytes(32).toString('hex');
  const wrong = randomBytes(32).toString('hex');
  const server = await startServer(serverEnv(data, { PORTCULLIS_MASTER_KEY: right }), join(dir, 'ready.json'));
  assert.equal(await server.stop(), 0);
  const result = await runFailingServer(serverEnv(data, { PORTCULLIS_MASTER_KEY: wrong }));
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^portcullis: the master key from PORTCULLIS_MASTER_KEY is not the one this database's secrets were sealed with/,
  );
  assert.ok(!result.stderr.includes(wrong) && !result.stdout.includes(wrong) && !result.stderr.includes(right));
});

test('an unreachable database is one line naming PORTCULLIS_DATABASE_URL, without the password in it', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  blocker.close();
  const result = await runFailingServer(
    serverEnv(tempDir(), { PORTCULLIS_DATABASE_URL: `postgres://u:hunter2pw@127.0.0.1:${port}/x` }),
  );
  assert.equal(result.code, 1);
  assert.equal(result.stderr.trim(), 'portcullis: cannot connect to the database (PORTCULLIS_DATABASE_URL): ECONNREFUSED');
  assert.ok(!(result.stderr + result.stdout).includes('hunter2pw'));
});

describe('on PostgreSQL', { skip: SKIP_POSTGRES }, () => {
  test('users and keys persist across restarts with PORTCULLIS_DATABASE_URL', async () => {
    const database = await createScratchDatabase(POSTGRES_URL!, 'portcullis_serve');
    const dir = tempDir();
    const adminKey = randomBytes(32).toString('base64url');
    const env = serverEnv(join(dir, 'data'), { PORTCULLIS_DATABASE_URL: database.url, PORTCULLIS_ADMIN_KEY: adminKey });
    try {
      const first = await startServer(env, join(dir, 'r1.json'));
      const created = await fetch(`${first.ready.admin}/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bob', email: 'bob@example.com' }),
      });
      assert.equal(created.status, 201);
      assert.equal((await fetch(`${first.ready.http}/readyz`)).status, 200);
      assert.equal(await first.stop(), 0);
      const second = await startServer(env, join(dir, 'r2.json'));
      const users = await adminGet(second.ready.http, adminKey, '/users');
      assert.deepEqual(
        (users.body as { users: { username: string; email: string }[] }).users.map((u) => [u.username, u.email]),
        [['bob', 'bob@example.com']],
      );
      assert.equal(await second.stop(), 0);
    } finally {
      await database.drop();
    }
  });
});
