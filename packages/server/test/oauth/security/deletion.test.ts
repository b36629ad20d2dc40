// Deleting a user or a client must end every token issued for it, for introspection and for
// resource servers that verify JWTs locally against GET /oauth/revocations.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import {
  assertIssued,
  assertOAuthError,
  type CreatedClient,
  clientBody,
  introspect,
  jtiOf,
  revokedJtis,
  urls,
} from './oauth-fixtures.ts';

const PASSWORD = 'deletion-attacks-pw-1';

describe('deletion ends tokens', () => {
  let server: OAuthServer;
  let token: string;
  let rs: CreatedClient;

  const adminDelete = async (path: string) => {
    const res = await fetch(`${server.issuer}/admin/v1${path}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.adminKey}` },
    });
    assert.equal(res.status, 204, await res.text());
  };
  const newApp = () =>
    server.createClient(clientBody({ type: 'public', first_party: true, grant_types: ['password', 'refresh_token'] }));
  const login = async (app: CreatedClient, username: string) => {
    const res = await postForm(token, { grant_type: 'password', username, password: PASSWORD, client_id: app.client_id });
    return assertIssued(res) as { access_token: string; refresh_token: string };
  };

  before(async () => {
    server = await startOAuthServer();
    token = urls(server).token;
    rs = await server.createClient(clientBody({ type: 'confidential', grant_types: ['client_credentials'] }));
  });
  after(() => server.close());

  it('deleting a user makes their refresh token invalid_grant', async () => {
    await server.createUser('erin', PASSWORD);
    const app = await newApp();
    const tokens = await login(app, 'erin');
    await adminDelete('/users/erin');
    const res = await postForm(token, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: app.client_id,
    });
    assertOAuthError(res, 400, 'invalid_grant');
  });

  // RFC 7662 §2.2: active is false once the token "has been revoked"; a deleted account's grants are gone.
  it('deleting a user makes their access token introspect exactly {"active":false}', async () => {
    await server.createUser('frank', PASSWORD);
    const tokens = await login(await newApp(), 'frank');
    assert.equal((await introspect(server, rs, tokens.access_token)).active, true, 'control: active before the delete');
    await adminDelete('/users/frank');
    assert.deepEqual(await introspect(server, rs, tokens.access_token), { active: false });
  });

  it('deleting a user lists their live access tokens in GET /oauth/revocations', async () => {
    await server.createUser('grace', PASSWORD);
    const tokens = await login(await newApp(), 'grace');
    await adminDelete('/users/grace');
    assert.ok((await revokedJtis(server)).includes(jtiOf(tokens.access_token)), 'the access token is not in the feed');
  });

  it("deleting a client lists the live access tokens of its users' grants in GET /oauth/revocations", async () => {
    await server.createUser('heidi', PASSWORD);
    const app = await newApp();
    const tokens = await login(app, 'heidi');
    await adminDelete(`/clients/${app.client_id}`);
    assert.deepEqual(await introspect(server, rs, tokens.access_token), { active: false });
    assert.ok((await revokedJtis(server)).includes(jtiOf(tokens.access_token)), 'the access token is not in the feed');
  });
});
