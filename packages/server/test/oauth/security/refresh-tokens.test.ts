// Attacks on refresh tokens: scope widening, client mix-up, reuse after rotation, racing refreshes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TokenContext } from '../../../src/oauth/token/grant-handler.ts';
import { dispatchGrant } from '../../../src/oauth/token/token-endpoint.ts';
import { type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import {
  assertIssued,
  assertOAuthError,
  basicOf,
  type CreatedClient,
  clientBody,
  introspect,
  jtiOf,
  revokedJtis,
  urls,
} from './oauth-fixtures.ts';

const PASSWORD = 'refresh-attacks-pw-1';

describe('refresh token attacks', () => {
  let server: OAuthServer;
  let token: string;
  /** Public first-party app: password + refresh_token, auth none, rotation on every use. */
  let app: CreatedClient;
  /** A second public first-party app, the would-be thief. */
  let other: CreatedClient;
  /** Confidential first-party app (no rotation), for the mix-up in the other direction. */
  let confidential: CreatedClient;
  /** A confidential resource server that introspects. */
  let rs: CreatedClient;

  const firstParty = { first_party: true, grant_types: ['password', 'refresh_token'], scopes: ['read', 'write'] };
  /** A fresh grant for alice through the password grant. */
  const login = async (client: CreatedClient, scope?: string) => {
    const form = { grant_type: 'password', username: 'alice', password: PASSWORD, ...(scope ? { scope } : {}) };
    const res =
      client.type === 'public'
        ? await postForm(token, { ...form, client_id: client.client_id })
        : await postForm(token, form, basicOf(client));
    const issued = assertIssued(res);
    assert.equal(typeof issued.refresh_token, 'string', res.text);
    return issued as { access_token: string; refresh_token: string; scope?: string };
  };
  const refresh = (client: CreatedClient, refreshToken: string, extra: Record<string, string> = {}) =>
    client.type === 'public'
      ? postForm(token, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client.client_id, ...extra })
      : postForm(token, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, basicOf(client));

  before(async () => {
    server = await startOAuthServer();
    token = urls(server).token;
    await server.createUser('alice', PASSWORD);
    app = await server.createClient(clientBody({ type: 'public', ...firstParty }));
    other = await server.createClient(clientBody({ type: 'public', ...firstParty }));
    confidential = await server.createClient(clientBody({ type: 'confidential', ...firstParty }));
    rs = await server.createClient(clientBody({ type: 'confidential', grant_types: ['client_credentials'] }));
  });
  after(() => server.close());

  // RFC 6749 §6: the requested scope MUST NOT include any scope not originally granted.
  it('refresh asking for a scope not originally granted is 400 invalid_scope, and the token survives', async () => {
    const first = await login(app, 'read');
    assertOAuthError(await refresh(app, first.refresh_token, { scope: 'read write' }), 400, 'invalid_scope');
    assertIssued(await refresh(app, first.refresh_token));
  });

  it('refresh asking for a scope the client was never registered for is 400 invalid_scope', async () => {
    const first = await login(app, 'read');
    assertOAuthError(await refresh(app, first.refresh_token, { scope: 'admin' }), 400, 'invalid_scope');
  });

  it('control: refresh narrowing to a granted subset works and the token says so', async () => {
    const first = await login(app, 'read write');
    const issued = assertIssued(await refresh(app, first.refresh_token, { scope: 'read' }));
    assert.equal(issued.scope, 'read');
    assert.equal((await introspect(server, rs, issued.access_token)).scope, 'read');
  });

  // RFC 6749 §6 / §10.4: a refresh token is bound to the client it was issued to.
  it("client mix-up: client B presenting client A's refresh token is 400 invalid_grant; A's token still works", async () => {
    const first = await login(app);
    assertOAuthError(await refresh(other, first.refresh_token), 400, 'invalid_grant');
    assertOAuthError(await refresh(confidential, first.refresh_token), 400, 'invalid_grant');
    const after = assertIssued(await refresh(app, first.refresh_token));
    assert.equal((await introspect(server, rs, first.access_token)).active, true, 'A’s grant was not revoked');
    assert.equal((await introspect(server, rs, after.access_token)).active, true);
  });

  it("client mix-up: a public client presenting a confidential client's refresh token is 400 invalid_grant", async () => {
    const first = await login(confidential);
    assertOAuthError(await refresh(app, first.refresh_token), 400, 'invalid_grant');
    assertIssued(await refresh(confidential, first.refresh_token));
  });

  it("client mix-up: B presenting A's already-used refresh token cannot revoke A's grant", async () => {
    const first = await login(app);
    const second = assertIssued(await refresh(app, first.refresh_token));
    assertOAuthError(await refresh(other, first.refresh_token), 400, 'invalid_grant');
    assert.equal(typeof second.refresh_token, 'string');
    assertIssued(await refresh(app, second.refresh_token ?? ''));
  });

  // RFC 9700 §4.14.2: reuse of a rotated refresh token revokes the grant.
  it('refresh reuse: presenting R1 after it was rotated revokes R2 and every access token of the grant', async () => {
    const first = await login(app);
    const second = assertIssued(await refresh(app, first.refresh_token));
    const r2 = second.refresh_token ?? '';
    assert.ok(r2.startsWith('pcr_') && r2 !== first.refresh_token, 'a public client gets a new refresh token');
    assert.equal((await introspect(server, rs, second.access_token)).active, true, 'control: active before the reuse');

    assertOAuthError(await refresh(app, first.refresh_token), 400, 'invalid_grant');
    assertOAuthError(await refresh(app, r2), 400, 'invalid_grant');
    for (const at of [first.access_token, second.access_token]) {
      assert.deepEqual(await introspect(server, rs, at), { active: false });
    }
    const revoked = await revokedJtis(server);
    assert.ok(revoked.includes(jtiOf(first.access_token)), 'the first access token is in the revocation feed');
    assert.ok(revoked.includes(jtiOf(second.access_token)), 'the second access token is in the revocation feed');
  });

  it('refresh reuse: a third party replaying R1 also kills the legitimate holder of R2', async () => {
    const first = await login(app);
    const second = assertIssued(await refresh(app, first.refresh_token));
    assertOAuthError(await refresh(app, first.refresh_token), 400, 'invalid_grant');
    assertOAuthError(await refresh(app, second.refresh_token ?? ''), 400, 'invalid_grant');
    // Still dead on a later try: the grant does not come back.
    assertOAuthError(await refresh(app, second.refresh_token ?? ''), 400, 'invalid_grant');
  });

  it('concurrent refresh race: the same refresh token twice in parallel gives at most one 200 and ends the grant', async () => {
    const first = await login(app);
    const results = await Promise.all([refresh(app, first.refresh_token), refresh(app, first.refresh_token)]);
    const winners = results.filter((r) => r.status === 200);
    assert.ok(winners.length <= 1, `${winners.length} parallel refreshes succeeded`);
    for (const loser of results.filter((r) => r.status !== 200)) assertOAuthError(loser, 400, 'invalid_grant');

    assertOAuthError(await refresh(app, first.refresh_token), 400, 'invalid_grant');
    const winner = winners[0]?.json as { access_token: string; refresh_token: string } | undefined;
    if (winner) assertOAuthError(await refresh(app, winner.refresh_token), 400, 'invalid_grant');
    assert.deepEqual(await introspect(server, rs, first.access_token), { active: false });
  });

  // Grants.refresh promises to revoke "the whole grant with every token it produced". Over HTTP on
  // in-process SQLite the two requests rarely interleave, so the grant handlers run side by side
  // here exactly as two nodes (or two Postgres connections) would run them.
  it("concurrent refresh race (interleaved handlers): the winner's access token is revoked with the grant", async () => {
    const first = await login(app);
    const { services } = server.built;
    const client = services.oauth.clients.find(app.client_id);
    assert.ok(client);
    const context = (): TokenContext => ({
      client,
      form: { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: app.client_id },
      ip: '127.0.0.1',
      issuer: server.issuer,
      signingKeys: services.signingKeys,
      grants: services.oauth.grants,
      users: services.users,
      throttle: services.loginThrottle,
      oauth: services.oauth,
    });
    const results = await Promise.allSettled([
      dispatchGrant('refresh_token', context()),
      dispatchGrant('refresh_token', context()),
    ]);
    const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    assert.ok(winners.length <= 1, `${winners.length} parallel refreshes succeeded`);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code?: unknown }).code, 'invalid_grant');
    for (const winner of winners) {
      assertOAuthError(await refresh(app, winner.refresh_token ?? ''), 400, 'invalid_grant');
      assert.deepEqual(
        await introspect(server, rs, winner.access_token),
        { active: false },
        "the race winner's access token outlived its revoked grant",
      );
      assert.ok((await revokedJtis(server)).includes(jtiOf(winner.access_token)), 'and it is in the revocation feed');
    }
  });
});
