import assert from 'node:assert/strict';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, exportJWK } from 'jose';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { listenHttps } from '../../src/http/https-listener.ts';
import { loadTlsIdentity } from '../../src/keys/index.ts';
import { makeCa, makeClientCertificate, type TestCertificate } from './client-certificates.ts';
import { basic, type OAuthServer, postForm, startOAuthServer } from './start-oauth-server.ts';

describe('mutual TLS client authentication and certificate-bound tokens (RFC 8705)', () => {
  let server: OAuthServer;
  let https: Server;
  let serverCa: string;
  let trustedCa: TestCertificate;
  let mtlsUrl: string;
  before(async () => {
    server = await startOAuthServer();
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const tls = await loadTlsIdentity({ dataDir: mkdtempSync(`${tmpdir()}/portcullis-mtls-`), hostnames: [] });
    serverCa = tls.caCert!;
    trustedCa = await makeCa('Example Corp client CA');
    https = await listenHttps(server.built.handle, { host: '127.0.0.1', port: 0, tls, clientCas: [trustedCa.cert] });
    mtlsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    server.built.setMtlsUrl(mtlsUrl);
  });
  after(async () => {
    https?.close();
    await server?.close();
  });

  /** openid-client over a TLS connection that presents `cert`, using the mTLS endpoint aliases. */
  async function configFor(clientId: string, cert: TestCertificate | null): Promise<client.Configuration> {
    const agent = new Agent({ connect: { ca: serverCa, ...(cert ? { cert: cert.cert, key: cert.key } : {}) } });
    const config = await client.discovery(
      new URL(server.issuer),
      clientId,
      { use_mtls_endpoint_aliases: true },
      client.TlsClientAuth(),
      {
        execute: [client.allowInsecureRequests],
      },
    );
    config[client.customFetch] = (url, options) =>
      undiciFetch(url, { ...(options as object), dispatcher: agent }) as unknown as Promise<Response>;
    return config;
  }

  test('HSTS is sent over HTTPS only (RFC 6797 §7.2)', async () => {
    const agent = new Agent({ connect: { ca: serverCa } });
    const secure = await undiciFetch(`${mtlsUrl}/healthz`, { dispatcher: agent });
    assert.equal(secure.headers.get('strict-transport-security'), 'max-age=31536000');
    const plain = await fetch(`${server.issuer}/healthz`);
    assert.equal(plain.headers.get('strict-transport-security'), null);
    await agent.close();
  });

  test('discovery advertises the methods and the mTLS endpoint aliases', async () => {
    const meta = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(meta.tls_client_certificate_bound_access_tokens, true);
    assert.ok((meta.token_endpoint_auth_methods_supported as string[]).includes('tls_client_auth'));
    assert.equal((meta.mtls_endpoint_aliases as Record<string, string>).token_endpoint, `${mtlsUrl}/oauth/token`);
  });

  test('tls_client_auth: a certificate from the trusted CA with the registered subject gets a token bound to it', async () => {
    const cert = await makeClientCertificate('CN=reporting,O=Example Corp', trustedCa);
    const m2m = await server.createClient({
      name: 'reporting',
      type: 'confidential',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=reporting,O=Example Corp',
    });
    assert.equal(m2m.client_secret, undefined);
    const tokens = await client.clientCredentialsGrant(await configFor(m2m.client_id, cert));
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { 'x5t#S256': cert.thumbprint }, 'RFC 8705 §3.1 confirmation');
    const rs = await server.createClient({ name: 'rs', type: 'confidential', grant_types: ['client_credentials'] });
    const described = await postForm(
      `${server.issuer}/oauth/introspect`,
      { token: tokens.access_token },
      basic(rs.client_id, rs.client_secret!),
    );
    assert.deepEqual(described.json?.cnf, { 'x5t#S256': cert.thumbprint });

    const refusals: [string, TestCertificate | null][] = [
      ['same subject, untrusted CA', await makeClientCertificate('CN=reporting,O=Example Corp', await makeCa('Rogue CA'))],
      ['trusted CA, other subject', await makeClientCertificate('CN=intruder,O=Example Corp', trustedCa)],
      ['no certificate', null],
    ];
    for (const [why, other] of refusals) {
      await assert.rejects(client.clientCredentialsGrant(await configFor(m2m.client_id, other)), (err: unknown) => {
        assert.equal((err as { error?: string }).error, 'invalid_client', why);
        return true;
      });
    }
  });

  test('self_signed_tls_client_auth: the certificate key must be one the client registered', async () => {
    const cert = await makeClientCertificate('CN=kiosk', null);
    const jwk = await exportJWK(cert.keys.publicKey);
    const kiosk = await server.createClient({
      name: 'kiosk',
      type: 'confidential',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: { keys: [jwk] },
    });
    const tokens = await client.clientCredentialsGrant(await configFor(kiosk.client_id, cert));
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { 'x5t#S256': cert.thumbprint });
    const stranger = await makeClientCertificate('CN=kiosk', null);
    await assert.rejects(
      client.clientCredentialsGrant(await configFor(kiosk.client_id, stranger)),
      (err: unknown) => (err as { error?: string }).error === 'invalid_client',
    );
  });

  test('a certificate-bound user token works at userinfo only over a connection with that certificate', async () => {
    await server.createUser('carol', 'correct horse battery');
    const cert = await makeClientCertificate('CN=backend,O=Example Corp', trustedCa);
    const app = await server.createClient({
      name: 'backend',
      type: 'confidential',
      first_party: true,
      grant_types: ['password'],
      scopes: ['openid'],
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=backend,O=Example Corp',
    });
    const config = await configFor(app.client_id, cert);
    const tokens = await client.genericGrantRequest(config, 'password', {
      username: 'carol',
      password: 'correct horse battery',
      scope: 'openid',
    });
    const claims = decodeJwt(tokens.access_token);
    assert.deepEqual(claims.cnf, { 'x5t#S256': cert.thumbprint });
    const info = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub));
    assert.equal(info.sub, claims.sub);
    const plain = await fetch(`${server.issuer}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(plain.status, 401, 'without the certificate the token is useless');
    const other = await configFor(app.client_id, await makeClientCertificate('CN=backend,O=Example Corp', trustedCa));
    await assert.rejects(client.fetchUserInfo(other, tokens.access_token, String(claims.sub)));
  });
});
