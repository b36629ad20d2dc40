import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch as undiciFetch } from 'undici';
import { listenHttps } from '../../src/http/https-listener.ts';
import { loadTlsIdentity } from '../../src/keys/index.ts';
import { makeCa, makeClientCertificate, type TestCertificate } from '../oauth/client-certificates.ts';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { addRoute, serviceClient, startUpstream, type Upstream } from './gateway-fixtures.ts';

// RFC 8705 §3: a certificate-bound access token is only accepted over a TLS connection that
// presents that very certificate; a route with binding mtls accepts nothing else.
describe('gateway: certificate-bound tokens over the HTTPS listener', () => {
  let server: OAuthServer;
  let https: Server;
  let upstream: Upstream;
  let mtlsUrl: string;
  let serverCa: string;
  let ca: TestCertificate;
  let cert: TestCertificate;
  let token: string;
  const agents: Agent[] = [];
  const over = (presented: TestCertificate | null) => {
    const agent = new Agent({ connect: { ca: serverCa, ...(presented ? { cert: presented.cert, key: presented.key } : {}) } });
    agents.push(agent);
    return agent;
  };

  before(async () => {
    server = await startOAuthServer();
    upstream = await startUpstream();
    const tls = await loadTlsIdentity({ dataDir: mkdtempSync(`${tmpdir()}/portcullis-gw-mtls-`), hostnames: [] });
    serverCa = tls.caCert as string;
    ca = await makeCa('Example Corp client CA');
    https = await listenHttps(server.built.handle, { host: '127.0.0.1', port: 0, tls, clientCas: [ca.cert] });
    mtlsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    server.built.setMtlsUrl(mtlsUrl);
    cert = await makeClientCertificate('CN=reporting,O=Example Corp', ca);
    const client = await server.createClient({
      name: 'reporting',
      type: 'confidential',
      grant_types: ['client_credentials'],
      scopes: ['read'],
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=reporting,O=Example Corp',
    });
    const res = await undiciFetch(`${mtlsUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, scope: 'read' }).toString(),
      dispatcher: over(cert),
    });
    assert.equal(res.status, 200);
    token = String(((await res.json()) as { access_token: string }).access_token);
    await addRoute(server, { match: '/reports', upstream: upstream.url, attestation: 'off', binding: 'mtls' });
  });
  after(async () => {
    for (const agent of agents) await agent.close();
    https?.close();
    await server?.close();
    await upstream?.close();
  });

  it('passes with the certificate the token is bound to', async () => {
    const res = await undiciFetch(`${mtlsUrl}/reports/q1`, {
      headers: { authorization: `Bearer ${token}` },
      dispatcher: over(cert),
    });
    assert.equal(res.status, 200, await res.text());
    assert.equal(upstream.last().url, '/reports/q1');
  });

  it('is refused with another certificate, without one, and over plain HTTP', async () => {
    const other = await makeClientCertificate('CN=reporting,O=Example Corp', ca);
    for (const dispatcher of [over(other), over(null)]) {
      const res = await undiciFetch(`${mtlsUrl}/reports/q1`, { headers: { authorization: `Bearer ${token}` }, dispatcher });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_token');
    }
    const plain = await fetch(`${server.issuer}/reports/q1`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(plain.status, 401);
  });

  it('a route with binding mtls refuses an unbound bearer token, even over mTLS', async () => {
    const service = await serviceClient(server, ['read']);
    const res = await undiciFetch(`${mtlsUrl}/reports/q1`, {
      headers: { authorization: `Bearer ${await service.token()}` },
      dispatcher: over(cert),
    });
    assert.equal(res.status, 401);
    assert.match(String(((await res.json()) as { error_description: string }).error_description), /certificate-bound/);
  });
});
