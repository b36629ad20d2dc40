// Attacks on the token endpoint's request parsing, client authentication, grant dispatch and scope.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import { assertIssued, assertOAuthError, basicOf, type CreatedClient, clientBody, urls } from './oauth-fixtures.ts';

describe('token endpoint attacks', () => {
  let server: OAuthServer;
  let token: string;
  /** Confidential, client_secret_basic, client_credentials, scopes read and write. */
  let cc: CreatedClient;
  /** Confidential, client_secret_post, client_credentials, scope read. */
  let post: CreatedClient;
  /** Confidential, client_credentials, registered for `read` only. */
  let reader: CreatedClient;

  before(async () => {
    server = await startOAuthServer();
    token = urls(server).token;
    const confidential = { type: 'confidential', grant_types: ['client_credentials'] };
    cc = await server.createClient(clientBody({ ...confidential, scopes: ['read', 'write'] }));
    post = await server.createClient(
      clientBody({ ...confidential, scopes: ['read'], token_endpoint_auth_method: 'client_secret_post' }),
    );
    reader = await server.createClient(clientBody({ ...confidential, scopes: ['read'] }));
  });
  after(() => server.close());

  it('control: a well-formed client_credentials request is answered 200', async () => {
    const issued = assertIssued(await postForm(token, { grant_type: 'client_credentials' }, basicOf(cc)));
    assert.equal(issued.scope, 'read write');
  });

  // RFC 6749 §3.2: request and response parameters MUST NOT be included more than once.
  it('scope sent twice is 400 invalid_request', async () => {
    const res = await postForm(token, { grant_type: 'client_credentials', scope: ['read', 'write'] }, basicOf(cc));
    assertOAuthError(res, 400, 'invalid_request');
  });

  it('scope sent twice with the same value is 400 invalid_request', async () => {
    const res = await postForm(token, { grant_type: 'client_credentials', scope: ['read', 'read'] }, basicOf(cc));
    assertOAuthError(res, 400, 'invalid_request');
  });

  it('grant_type sent twice is 400 invalid_request', async () => {
    const res = await postForm(token, { grant_type: ['client_credentials', 'client_credentials'] }, basicOf(cc));
    assertOAuthError(res, 400, 'invalid_request');
  });

  // RFC 6749 §3.2: parameters sent without a value MUST be treated as if they were omitted.
  it('an empty scope is treated as omitted: the registered scopes are granted', async () => {
    const issued = assertIssued(await postForm(token, { grant_type: 'client_credentials', scope: '' }, basicOf(cc)));
    assert.equal(issued.scope, 'read write');
  });

  it('an empty grant_type is treated as omitted: 400 invalid_request', async () => {
    assertOAuthError(await postForm(token, { grant_type: '' }, basicOf(cc)), 400, 'invalid_request');
  });

  it('no grant_type at all is 400 invalid_request', async () => {
    assertOAuthError(await postForm(token, { scope: 'read' }, basicOf(cc)), 400, 'invalid_request');
  });

  // RFC 6749 §2.3: the client MUST NOT use more than one authentication method in each request.
  it('Basic plus client_secret in the body is 400 invalid_request', async () => {
    const res = await postForm(
      token,
      { grant_type: 'client_credentials', client_id: cc.client_id, client_secret: cc.client_secret ?? '' },
      basicOf(cc),
    );
    assertOAuthError(res, 400, 'invalid_request');
  });

  it('Basic for one client and client_id of another in the body is 400 invalid_request', async () => {
    const res = await postForm(token, { grant_type: 'client_credentials', client_id: reader.client_id }, basicOf(cc));
    assertOAuthError(res, 400, 'invalid_request');
  });

  // RFC 6749 §5.2: invalid_client, 401 and a challenge for the scheme the client used.
  it('a wrong secret is 401 invalid_client with a Basic challenge', async () => {
    const res = await postForm(token, { grant_type: 'client_credentials' }, basic(cc.client_id, `${cc.client_secret}x`));
    assertOAuthError(res, 401, 'invalid_client');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="[^"]+"$/);
  });

  it('an unknown client gets the same answer as a wrong secret', async () => {
    const wrong = await postForm(token, { grant_type: 'client_credentials' }, basic(cc.client_id, 'pcs_wrong'));
    const unknown = await postForm(token, { grant_type: 'client_credentials' }, basic('pc_no-such-client', 'pcs_wrong'));
    assertOAuthError(unknown, 401, 'invalid_client');
    assert.equal(unknown.text, wrong.text);
    assert.equal(unknown.headers.get('www-authenticate'), wrong.headers.get('www-authenticate'));
  });

  it('a client_secret_post client presenting Basic (with its right secret) is 401 invalid_client', async () => {
    const res = await postForm(token, { grant_type: 'client_credentials' }, basicOf(post));
    assertOAuthError(res, 401, 'invalid_client');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="[^"]+"$/);
  });

  it('control: the client_secret_post client with its secret in the body is answered 200', async () => {
    const res = await postForm(token, {
      grant_type: 'client_credentials',
      client_id: post.client_id,
      client_secret: post.client_secret ?? '',
    });
    assertIssued(res);
  });

  it('a confidential client sending only its client_id (no secret) is 401 invalid_client', async () => {
    const res = await postForm(token, { grant_type: 'client_credentials', client_id: cc.client_id });
    assertOAuthError(res, 401, 'invalid_client');
  });

  it('malformed Basic credentials are 401 invalid_client', async () => {
    const res = await postForm(token, { grant_type: 'client_credentials' }, { authorization: 'Basic !!!not-base64' });
    assertOAuthError(res, 401, 'invalid_client');
  });

  // RFC 6749 §5.1: Cache-Control: no-store and Pragma: no-cache on every token response.
  it('a token response carries Cache-Control: no-store and Pragma: no-cache', async () => {
    const res = await postForm(token, { grant_type: 'client_credentials' }, basicOf(cc));
    assertIssued(res);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('pragma'), 'no-cache');
  });

  it('token error responses (400 and 401) carry Cache-Control: no-store and Pragma: no-cache', async () => {
    const errors = [
      await postForm(token, { grant_type: 'client_credentials', scope: ['a', 'b'] }, basicOf(cc)),
      await postForm(token, { grant_type: 'client_credentials' }, basic(cc.client_id, 'pcs_wrong')),
      await postForm(token, { grant_type: 'urn:example:nope' }, basicOf(cc)),
    ];
    for (const res of errors) {
      assert.ok(res.status === 400 || res.status === 401, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store', `${res.status} ${res.text}`);
      assert.equal(res.headers.get('pragma'), 'no-cache', `${res.status} ${res.text}`);
    }
  });

  // RFC 6749 §5.2: unsupported_grant_type / unauthorized_client.
  it('an unknown grant_type is 400 unsupported_grant_type', async () => {
    const res = await postForm(token, { grant_type: 'urn:example:made-up' }, basicOf(cc));
    assertOAuthError(res, 400, 'unsupported_grant_type');
  });

  it('a grant the client is not registered for is 400 unauthorized_client', async () => {
    const res = await postForm(token, { grant_type: 'password', username: 'alice', password: 'whatever-123' }, basicOf(cc));
    assertOAuthError(res, 400, 'unauthorized_client');
  });

  it('refresh_token from a client_credentials-only client is 400 unauthorized_client', async () => {
    const res = await postForm(token, { grant_type: 'refresh_token', refresh_token: 'pcr_x' }, basicOf(cc));
    assertOAuthError(res, 400, 'unauthorized_client');
  });

  // RFC 6749 §3.3: the server may not grant more than the client is allowed.
  it('scope widening: a client registered for read asking for "read admin" is 400 invalid_scope', async () => {
    const res = await postForm(token, { grant_type: 'client_credentials', scope: 'read admin' }, basicOf(reader));
    assertOAuthError(res, 400, 'invalid_scope');
  });

  it('scope widening: asking for another registered-looking scope ("write") is 400 invalid_scope', async () => {
    const res = await postForm(token, { grant_type: 'client_credentials', scope: 'write' }, basicOf(reader));
    assertOAuthError(res, 400, 'invalid_scope');
  });

  it('control: narrowing to a registered subset works', async () => {
    const issued = assertIssued(await postForm(token, { grant_type: 'client_credentials', scope: 'read' }, basicOf(cc)));
    assert.equal(issued.scope, 'read');
  });
});
