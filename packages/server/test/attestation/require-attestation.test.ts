import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { makeProof, type ProofKey, proofKey } from '../oauth/dpop/dpop-fixtures.ts';
import { type OAuthServer, postForm, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { attestationToken as attest } from './attest-fixtures.ts';

const APP = 'com.example.catalog';
const RELEASE = `sha256:${'ab'.repeat(32)}`;

// A client registered with require_attestation (J2, seed 003): tokens only for a request with an
// attestation token and a DPoP proof made with the key that token is bound to.
describe('require_attestation at the token endpoint', () => {
  let server: OAuthServer;
  let clientId: string;
  before(async () => {
    server = await startOAuthServer();
    await server.createUser('alice', 'correct horse battery');
    const res = await fetch(`${server.issuer}/admin/v1/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: APP, digest: RELEASE }),
    });
    assert.equal(res.status, 201);
    const app = await server.createClient({
      name: 'Catalog',
      type: 'public',
      first_party: true,
      grant_types: ['password'],
      require_attestation: true,
      attestation_app_ids: [APP],
    });
    clientId = app.client_id;
  });
  after(() => server.close());

  const attestationToken = (key: ProofKey) => attest(server, key, { app_id: APP, device_id: 'd1', platform: 'ios' });

  const token = () => `${server.issuer}/oauth/token`;
  const passwordGrant = { grant_type: 'password', username: 'alice', password: 'correct horse battery' };

  it('an attested app with a proof of its key gets a DPoP-bound token', async () => {
    const key = await proofKey();
    const attestation = await attestationToken(key);
    const res = await postForm(
      token(),
      { ...passwordGrant, client_id: clientId },
      { 'portcullis-attestation': attestation, dpop: await makeProof(server, key, { htu: token() }) },
    );
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(decodeJwt(String(res.json?.access_token)).cnf, { jkt: key.jkt });
  });

  it('without attestation, with a stolen attestation token, or without the proof: invalid_client with an explanation', async () => {
    const key = await proofKey();
    const thief = await proofKey();
    const attestation = await attestationToken(key);
    const cases: [string, Record<string, string>][] = [
      ['no attestation', { dpop: await makeProof(server, key, { htu: token() }) }],
      ['garbage attestation', { 'portcullis-attestation': 'x.y.z', dpop: await makeProof(server, key, { htu: token() }) }],
      [
        'token lifted to another device',
        { 'portcullis-attestation': attestation, dpop: await makeProof(server, thief, { htu: token() }) },
      ],
      ['no proof of possession', { 'portcullis-attestation': attestation }],
    ];
    for (const [why, headers] of cases) {
      const res = await postForm(token(), { ...passwordGrant, client_id: clientId }, headers);
      assert.equal(res.status, 401, why);
      assert.equal(res.json?.error, 'invalid_client', why);
      assert.match(String(res.json?.error_description), /requires app attestation/, why);
      assert.equal(res.json?.access_token, undefined, why);
    }
  });

  it('the attestation must be for an app the client accepts; and such a client must name its apps', async () => {
    await fetch(`${server.issuer}/admin/v1/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: 'com.example.other', digest: RELEASE }),
    });
    const key = await proofKey();
    const otherApp = await attest(server, key, { app_id: 'com.example.other', device_id: 'd2', platform: 'ios' });
    const res = await postForm(
      token(),
      { ...passwordGrant, client_id: clientId },
      { 'portcullis-attestation': otherApp, dpop: await makeProof(server, key, { htu: token() }) },
    );
    assert.equal(res.json?.error, 'invalid_client');
    assert.match(String(res.json?.error_description), /com\.example\.other, which this client does not accept/);
    const created = await fetch(`${server.issuer}/admin/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'x',
        type: 'public',
        first_party: true,
        grant_types: ['password'],
        require_attestation: true,
      }),
    });
    assert.equal(created.status, 400, 'require_attestation without attestation_app_ids is refused');
  });
});
