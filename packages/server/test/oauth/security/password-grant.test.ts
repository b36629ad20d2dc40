// Attacks on the password grant: third-party use, account enumeration, online guessing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import {
  assertIssued,
  assertOAuthError,
  basicOf,
  type CreatedClient,
  clientBody,
  type FormResult,
  urls,
} from './oauth-fixtures.ts';

const PASSWORD = 'correct-horse-battery';

describe('password grant attacks', () => {
  let server: OAuthServer;
  let token: string;
  /** First-party confidential client with the password grant. */
  let app: CreatedClient;
  /** Confidential client without the password grant. */
  let cc: CreatedClient;

  const attempt = (username: string, password: string, client: CreatedClient = app): Promise<FormResult> =>
    postForm(token, { grant_type: 'password', username, password }, basicOf(client));

  before(async () => {
    server = await startOAuthServer();
    token = urls(server).token;
    for (const name of ['alice', 'bob', 'carol', 'dave']) await server.createUser(name, PASSWORD);
    app = await server.createClient(clientBody({ type: 'confidential', first_party: true, grant_types: ['password'] }));
    cc = await server.createClient(clientBody({ type: 'confidential', grant_types: ['client_credentials'] }));
  });
  after(() => server.close());

  it('control: the right password from a first-party client is answered 200', async () => {
    assertIssued(await attempt('alice', PASSWORD));
  });

  // RFC 6749 §5.2: the client is not authorized to use this grant type.
  it('the password grant from a client not registered for it is 400 unauthorized_client', async () => {
    assertOAuthError(await attempt('alice', PASSWORD, cc), 400, 'unauthorized_client');
  });

  // RFC 9700 §2.4: the resource owner password credentials grant MUST NOT be used (by third parties).
  it('the admin API refuses to register a non-first-party client with the password grant', async () => {
    for (const body of [
      { type: 'confidential', grant_types: ['password'] },
      { type: 'confidential', grant_types: ['password'], first_party: false },
      { type: 'public', grant_types: ['password', 'refresh_token'] },
    ]) {
      const res = await fetch(`${server.issuer}/admin/v1/clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(clientBody(body)),
      });
      const json = (await res.json()) as Record<string, unknown>;
      assert.equal(res.status, 400, JSON.stringify(json));
      assert.equal(json.error, 'invalid_client_metadata');
      assert.equal(json.client_id, undefined);
      assert.equal(json.client_secret, undefined);
    }
  });

  // RFC 6749 §10.8 / OWASP: no account enumeration through the answer.
  it('a wrong password and an unknown user get byte-identical answers', async () => {
    const wrong = await attempt('bob', 'not-the-password');
    const unknown = await attempt('nobody-here', 'not-the-password');
    assertOAuthError(wrong, 400, 'invalid_grant');
    assertOAuthError(unknown, 400, 'invalid_grant');
    assert.equal(unknown.text, wrong.text);
    assert.equal(unknown.headers.get('www-authenticate'), wrong.headers.get('www-authenticate'));
    assert.equal(unknown.headers.get('retry-after'), wrong.headers.get('retry-after'));
  });

  it('missing username or password is 400 invalid_request', async () => {
    assertOAuthError(await postForm(token, { grant_type: 'password', username: 'alice' }, basicOf(app)), 400, 'invalid_request');
    assertOAuthError(await postForm(token, { grant_type: 'password', password: PASSWORD }, basicOf(app)), 400, 'invalid_request');
  });

  // The clock is frozen so that "right after the fifth failure" cannot drift past the first delay.
  it('after 5 failures for one username the 6th attempt, even with the right password, is throttled', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    for (let i = 1; i <= 5; i++) assertOAuthError(await attempt('carol', `guess-number-${i}`), 400, 'invalid_grant');
    const sixth = await attempt('carol', PASSWORD);
    assertOAuthError(sixth, 400, 'invalid_grant');
    const retryAfter = Number(sixth.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After: ${sixth.headers.get('retry-after')}`);
    // Another account from the same address is not locked by carol's failures.
    assertIssued(await attempt('dave', PASSWORD));
  });

  it('an unknown username is throttled exactly like a real one (no enumeration)', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const real: FormResult[] = [];
    const ghost: FormResult[] = [];
    for (let i = 1; i <= 5; i++) {
      real.push(await attempt('alice', `guess-number-${i}`));
      ghost.push(await attempt('ghost-user', `guess-number-${i}`));
    }
    for (const [i, res] of real.entries()) assert.equal(ghost[i]?.text, res.text, `failure ${i + 1} differs`);
    const realSixth = await attempt('alice', PASSWORD);
    const ghostSixth = await attempt('ghost-user', PASSWORD);
    assertOAuthError(realSixth, 400, 'invalid_grant');
    assertOAuthError(ghostSixth, 400, 'invalid_grant');
    assert.ok(ghostSixth.headers.get('retry-after'), 'the unknown username is throttled too');
    assert.equal(ghostSixth.headers.get('retry-after'), realSixth.headers.get('retry-after'));
    assert.equal(ghostSixth.text, realSixth.text);
  });
});
