import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import {
  authorizeThrough,
  exchangeCode,
  obtainCode,
  PASSWORD,
  responseParams,
  TestBrowser,
} from '../security/authorize/authorize-flow.ts';
import { type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import { makeProof, proofKey } from './dpop-fixtures.ts';

// RFC 9449 §10: dpop_jkt binds the authorization code itself to the client's DPoP key.
describe('authorization codes bound with dpop_jkt', () => {
  let server: OAuthServer;
  const CB = 'https://app.example.com/cb';
  before(async () => {
    server = await startOAuthServer();
    await server.createUser('alice', PASSWORD);
  });
  after(() => server.close());

  async function app() {
    return server.createClient({
      name: 'native',
      type: 'public',
      first_party: true,
      grant_types: ['authorization_code'],
      redirect_uris: [CB],
    });
  }

  it('is redeemed only with a proof of that key, and the token is bound to it', async () => {
    const client = await app();
    const key = await proofKey();
    const other = await proofKey();
    const token = `${server.issuer}/oauth/token`;

    const first = await obtainCode(new TestBrowser(server), client, CB, { dpop_jkt: key.jkt });
    const bare = await exchangeCode(server, client, { code: first.code, redirect_uri: CB, code_verifier: first.verifier });
    assert.equal(bare.json?.error, 'invalid_grant', 'no proof');

    const second = await obtainCode(new TestBrowser(server), client, CB, { dpop_jkt: key.jkt });
    const wrongKey = await postForm(
      token,
      {
        grant_type: 'authorization_code',
        client_id: client.client_id,
        code: second.code,
        redirect_uri: CB,
        code_verifier: second.verifier,
      },
      { dpop: await makeProof(server, other, { htu: token }) },
    );
    assert.equal(wrongKey.json?.error, 'invalid_grant', 'a proof of another key');

    const third = await obtainCode(new TestBrowser(server), client, CB, { dpop_jkt: key.jkt });
    const bound = await postForm(
      token,
      {
        grant_type: 'authorization_code',
        client_id: client.client_id,
        code: third.code,
        redirect_uri: CB,
        code_verifier: third.verifier,
      },
      { dpop: await makeProof(server, key, { htu: token }) },
    );
    assert.equal(bound.status, 200, bound.text);
    assert.equal(bound.json?.token_type, 'DPoP');
    assert.deepEqual(decodeJwt(String(bound.json?.access_token)).cnf, { jkt: key.jkt });
  });

  it('a malformed dpop_jkt is an invalid_request sent back to the client', async () => {
    const client = await app();
    const answer = await authorizeThrough(new TestBrowser(server), {
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: CB,
      state: 's',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      dpop_jkt: 'not-a-thumbprint',
    });
    assert.equal(responseParams(answer.location ?? '').get('error'), 'invalid_request');
  });
});
