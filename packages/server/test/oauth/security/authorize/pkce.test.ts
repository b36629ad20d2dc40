// Attacks on PKCE (RFC 7636; RFC 9700 §2.1.1, §4.8): missing or weak challenges at the
// authorization endpoint, wrong or missing verifiers and the downgrade at the token endpoint.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type OAuthServer, startOAuthServer } from '../../start-oauth-server.ts';
import { assertIssued, assertOAuthError, type CreatedClient, clientBody } from '../oauth-fixtures.ts';
import {
  assertErrorRedirect,
  authorizePath,
  exchangeCode,
  obtainCode,
  PASSWORD,
  pkcePair,
  TestBrowser,
} from './authorize-flow.ts';

const CB = 'https://app.example.com/cb';
// RFC 7636 Appendix B: the verifier is the base64url of the 32 octets listed there (116, 24, 223, ...).
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE attacks', () => {
  let server: OAuthServer;
  /** First-party public app: PKCE is mandatory for it. */
  let pub: CreatedClient;
  /** First-party confidential app registered with require_pkce: false. */
  let conf: CreatedClient;
  let browser: TestBrowser;

  const authorize = (params: Record<string, string>) =>
    new TestBrowser(server).get(
      authorizePath({ response_type: 'code', client_id: pub.client_id, redirect_uri: CB, state: 'st-pkce', ...params }),
    );

  before(async () => {
    server = await startOAuthServer();
    await server.createUser('alice', PASSWORD);
    const base = { first_party: true, grant_types: ['authorization_code'], redirect_uris: [CB], scopes: ['read'] };
    pub = await server.createClient(clientBody({ ...base, type: 'public' }));
    conf = await server.createClient(clientBody({ ...base, type: 'confidential', require_pkce: false }));
    browser = new TestBrowser(server);
  });
  after(() => server.close());

  it('a public client without code_challenge gets invalid_request at its redirect URI', async () => {
    assertErrorRedirect(await authorize({}), CB, 'invalid_request', 'st-pkce', server.issuer);
  });

  it('code_challenge_method=plain is invalid_request', async () => {
    const { verifier } = pkcePair();
    const answer = await authorize({ code_challenge: verifier, code_challenge_method: 'plain' });
    assertErrorRedirect(answer, CB, 'invalid_request', 'st-pkce', server.issuer);
  });

  it('a code_challenge without a method (plain by default, RFC 7636 §4.3) is invalid_request', async () => {
    const { challenge } = pkcePair();
    assertErrorRedirect(await authorize({ code_challenge: challenge }), CB, 'invalid_request', 'st-pkce', server.issuer);
  });

  it('a wrong code_verifier is invalid_grant', async () => {
    const { code } = await obtainCode(browser, pub, CB);
    const other = pkcePair().verifier;
    assertOAuthError(await exchangeCode(server, pub, { code, redirect_uri: CB, code_verifier: other }), 400, 'invalid_grant');
  });

  it('a missing code_verifier when the request had a challenge is invalid_grant', async () => {
    const { code } = await obtainCode(browser, pub, CB);
    assertOAuthError(await exchangeCode(server, pub, { code, redirect_uri: CB }), 400, 'invalid_grant');
  });

  it('downgrade: a code_verifier for a code issued without a challenge is invalid_grant (RFC 9700 §4.8)', async () => {
    const noPkce = { code_challenge: null, code_challenge_method: null };
    const control = await obtainCode(browser, conf, CB, noPkce);
    assertIssued(await exchangeCode(server, conf, { code: control.code, redirect_uri: CB }));

    const { code } = await obtainCode(browser, conf, CB, noPkce);
    const verifier = pkcePair().verifier;
    assertOAuthError(await exchangeCode(server, conf, { code, redirect_uri: CB, code_verifier: verifier }), 400, 'invalid_grant');
  });

  it('the RFC 7636 Appendix B vector works end to end', async () => {
    assert.equal(createHash('sha256').update(RFC_VERIFIER).digest('base64url'), RFC_CHALLENGE, 'the vector itself');
    const { code } = await obtainCode(browser, pub, CB, { code_challenge: RFC_CHALLENGE, code_challenge_method: 'S256' });
    assertIssued(await exchangeCode(server, pub, { code, redirect_uri: CB, code_verifier: RFC_VERIFIER }));
  });
});
