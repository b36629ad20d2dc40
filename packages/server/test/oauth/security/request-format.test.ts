// Requests a certified client would never send: bodies that are not application/x-www-form-urlencoded.
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
  introspect,
} from './oauth-fixtures.ts';

describe('OAuth endpoints take form bodies only', () => {
  let server: OAuthServer;
  let cc: CreatedClient;
  /** Registered for client_secret_post, so a body secret reaches the secret comparison. */
  let post: CreatedClient;

  /** POSTs a JSON body, answered in the shape postForm gives. */
  const postJson = async (path: string, body: unknown, headers: Record<string, string>): Promise<FormResult> => {
    const res = await fetch(`${server.issuer}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    let json: Record<string, unknown> | null = null;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, json, text };
  };

  before(async () => {
    server = await startOAuthServer();
    cc = await server.createClient(clientBody({ type: 'confidential', grant_types: ['client_credentials'], scopes: ['read'] }));
    post = await server.createClient(
      clientBody({ type: 'confidential', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' }),
    );
  });
  after(() => server.close());

  it('control: no body at all is 400 invalid_request with no-store', async () => {
    const res = await fetch(`${server.issuer}/oauth/token`, { method: 'POST', headers: basicOf(cc) });
    const text = await res.text();
    assertOAuthError({ status: res.status, headers: res.headers, json: JSON.parse(text), text }, 400, 'invalid_request');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  // RFC 6749 §4.4.2 (and §4.3.2, §6): token request parameters use application/x-www-form-urlencoded.
  it('a JSON token request is 400 invalid_request and issues nothing', async () => {
    const res = await postJson('/oauth/token', { grant_type: 'client_credentials' }, basicOf(cc));
    assertOAuthError(res, 400, 'invalid_request');
  });

  it('a JSON token request with an object as scope is 400 invalid_request, not a 500', async () => {
    const res = await postJson('/oauth/token', { grant_type: 'client_credentials', scope: { read: true } }, basicOf(cc));
    assertOAuthError(res, 400, 'invalid_request');
  });

  it('a JSON token request with a number as client_secret is 400 invalid_request, not a 500', async () => {
    const res = await postJson(
      '/oauth/token',
      { grant_type: 'client_credentials', client_id: post.client_id, client_secret: 5 },
      {},
    );
    assertOAuthError(res, 400, 'invalid_request');
  });

  // RFC 7662 §2.1: the introspection request is form-encoded.
  it('a JSON introspection request with an object as token is 400 invalid_request, not a 500', async () => {
    const res = await postJson('/oauth/introspect', { token: {} }, basicOf(cc));
    assertOAuthError(res, 400, 'invalid_request');
    assert.equal(res.json?.active, undefined);
  });

  // RFC 7009 §2.1: the revocation request is form-encoded.
  it('a JSON revocation request with a number as token is 400 invalid_request, not a 500', async () => {
    const issued = assertIssued(
      await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, basicOf(cc)),
    );
    const res = await postJson('/oauth/revoke', { token: 7 }, basicOf(cc));
    assertOAuthError(res, 400, 'invalid_request');
    assert.equal((await introspect(server, cc, issued.access_token)).active, true);
  });
});
