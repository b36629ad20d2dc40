// What reaches the log: request lines with their id, never a password, an admin key or a header value.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin, call, startApp, type TestApp } from '../admin/start-app.ts';

const PASSWORD = 'Tr0ub4dor&3-unique';

interface LogLine {
  level: number;
  msg?: string;
  reqId?: string;
  req?: { id?: string; url?: string };
}

describe('log lines', () => {
  let t: TestApp;
  let createdKey = '';
  before(async () => {
    t = await startApp({ PORTCULLIS_LOG_LEVEL: 'trace' });
    const user = await call(t, 'POST', admin('/users'), {
      body: { username: 'logged', password: PASSWORD },
      headers: { 'x-request-id': 'log-create-user' },
    });
    assert.equal(user.status, 201, user.body);
    assert.equal((await call(t, 'PUT', admin('/users/logged/password'), { body: { password: `${PASSWORD}-2` } })).status, 204);
    // A refused password still travels in the body.
    assert.equal((await call(t, 'POST', admin('/users'), { body: { username: 'logged', password: PASSWORD } })).status, 409);
    assert.equal((await call(t, 'POST', admin('/users'), { body: { username: 'x y', password: PASSWORD } })).status, 400);
    const key = await call(t, 'POST', admin('/admin-keys'), { body: { role: 'developer' } });
    assert.equal(key.status, 201);
    createdKey = (key.json as { key: string }).key;
    assert.equal((await call(t, 'GET', admin('/users'), { key: createdKey })).status, 200);
    // Credentials in places a careless logger would print: a wrong key, a query string, a cookie.
    assert.equal((await call(t, 'GET', admin('/users'), { key: `pck_${'w'.repeat(43)}` })).status, 401);
    await call(t, 'GET', `/healthz?access_token=${PASSWORD}&api_key=${createdKey}`, { key: null });
    await call(t, 'GET', '/healthz', { key: null, headers: { cookie: `session=${PASSWORD}` } });
    await call(t, 'GET', '/nowhere', { key: t.adminKey });
  });
  after(() => t.close());

  it('wrote something to check', () => {
    assert.ok(t.logs.length > 10, `only ${t.logs.length} log lines`);
  });

  it('no line contains the password', () => {
    const leaks = t.logs.filter((l) => l.includes(PASSWORD) || l.includes('Tr0ub4dor'));
    assert.deepEqual(leaks, []);
  });

  it('no line contains the admin key or any pck_ key', () => {
    const leaks = t.logs.filter((l) => l.includes(t.adminKey) || l.includes(createdKey) || l.includes('pck_'));
    assert.deepEqual(leaks, []);
  });

  it('no line carries request headers', () => {
    assert.deepEqual(
      t.logs.filter((l) => /"(headers|authorization|cookie)"/i.test(l)),
      [],
    );
  });

  it('every line is one JSON object', () => {
    for (const line of t.logs) {
      assert.ok(line.endsWith('\n'));
      assert.equal(line.trimEnd().includes('\n'), false, `a line spans several lines: ${line}`);
      JSON.parse(line);
    }
  });

  it('request lines carry the request id', () => {
    const lines = t.logs.map((l) => JSON.parse(l) as LogLine).filter((l) => l.reqId === 'log-create-user');
    const messages = lines.map((l) => l.msg);
    assert.ok(messages.includes('incoming request'), `messages: ${messages.join(', ')}`);
    assert.ok(messages.includes('request completed'), `messages: ${messages.join(', ')}`);
    const incoming = lines.find((l) => l.msg === 'incoming request');
    assert.equal(incoming?.req?.id, 'log-create-user');
    assert.equal(incoming?.req?.url, '/admin/v1/users');
  });

  it('every request line has a request id', () => {
    const requestLines = t.logs
      .map((l) => JSON.parse(l) as LogLine)
      .filter((l) => l.msg === 'incoming request' || l.msg === 'request completed');
    assert.ok(requestLines.length >= 2);
    for (const line of requestLines) assert.ok(typeof line.reqId === 'string' && line.reqId.length > 0);
  });
});
