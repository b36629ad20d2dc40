import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';

/** Writes raw bytes to the server and reads until it closes the connection. */
function raw(server: OAuthServer, bytes: string): Promise<string> {
  const url = new URL(server.issuer);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.end(bytes));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

// Errors Node raises before any route runs (not HTTP, headers too large) still answer
// {error, error_description}, like every other error.
describe('client errors on the socket', () => {
  let server: OAuthServer;
  before(async () => {
    server = await startOAuthServer();
  });
  after(() => server.close());

  it('headers over the limit: 431 with the documented error body', async () => {
    const answer = await raw(server, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 431 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    assert.deepEqual(body, { error: 'invalid_request', error_description: 'the request headers are too large' });
  });

  it('bytes that are not HTTP: 400 with the documented error body; the server keeps serving', async () => {
    const answer = await raw(server, 'HELLO THERE\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /"error":"invalid_request"/);
    assert.equal((await fetch(`${server.issuer}/healthz`)).status, 200);
  });
});
