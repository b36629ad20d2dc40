import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import { attestationToken, TEST_RELEASE } from '../attestation/attest-fixtures.ts';
import { SKIP_POSTGRES, SKIP_REDIS } from '../db/open-test-database.ts';
import { type SharedNodes, startSharedNodes, waitFor } from '../db/shared-nodes.ts';
import { makeProof, proofKey } from '../oauth/dpop/dpop-fixtures.ts';
import type { OAuthServer } from '../oauth/start-oauth-server.ts';
import { addRoute, registerApp, startUpstream, type Upstream } from './gateway-fixtures.ts';

const PUBLIC_HOST = 'gateway.test';
const APP = 'com.example.catalog';

// Several gateway nodes behind a load balancer share PostgreSQL and Redis: a route added on one
// applies on every node without a restart, and rate limits count across nodes.
describe('gateway: two nodes on PostgreSQL and Redis', { skip: SKIP_POSTGRES || SKIP_REDIS }, () => {
  let shared: SharedNodes | undefined;
  const nodes: OAuthServer[] = [];
  let upstream: Upstream | undefined;
  after(async () => {
    await shared?.close();
    await upstream?.close();
  });

  it('a route added on one node forwards on the other; its rate limit is shared; removal applies everywhere', async () => {
    shared = await startSharedNodes('portcullis_gateway_nodes', 2, { PORTCULLIS_PUBLIC_URL: `http://${PUBLIC_HOST}` });
    nodes.push(...shared.nodes);
    const [a, b] = nodes as [OAuthServer, OAuthServer];
    upstream = await startUpstream();
    const path = `/shared-${randomBytes(4).toString('hex')}`;
    const route = await addRoute(a, {
      match: path,
      upstream: upstream.url,
      auth: 'off',
      attestation: 'off',
      rate_limit: { limit: 3, window_s: 60, per: 'route' },
    });
    await waitFor(async () => (await fetch(`${b.issuer}${path}/x`)).status === 200);
    // One request on b so far; two more fit, on either node; the fourth is refused wherever it lands.
    assert.equal((await fetch(`${a.issuer}${path}/x`)).status, 200);
    assert.equal((await fetch(`${b.issuer}${path}/x`)).status, 200);
    const refused = await fetch(`${a.issuer}${path}/x`);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal((await b.adminRequest('DELETE', `/apis/${route.id}`)).status, 204);
    await waitFor(async () => (await fetch(`${a.issuer}${path}/x`)).status === 404);
  });

  it('a DPoP proof spent on one node is refused on the other (spent proofs shared through Redis)', async () => {
    const [a, b] = nodes as [OAuthServer, OAuthServer];
    await registerApp(a, APP, TEST_RELEASE);
    const route = `/replay-${randomBytes(4).toString('hex')}`;
    await addRoute(a, { match: route, upstream: (upstream as Upstream).url, auth: 'off' });
    const key = await proofKey();
    const attestation = await attestationToken(a, key, { app_id: APP });
    // Both nodes answer for the same public URL, as behind a load balancer.
    const send = (node: OAuthServer, dpop?: string) =>
      hostRequest(node, `${route}/x`, { host: PUBLIC_HOST, 'portcullis-attestation': attestation, ...(dpop ? { dpop } : {}) });
    await waitFor(async () => (await send(b)) === 401);
    const proof = await makeProof(a, key, { htm: 'GET', htu: `http://${PUBLIC_HOST}${route}/x`, nonce: null });
    assert.equal(await send(a, proof), 200);
    assert.equal(await send(b, proof), 401, 'replayed to the other node');
    const fresh = await makeProof(a, key, { htm: 'GET', htu: `http://${PUBLIC_HOST}${route}/x`, nonce: null });
    assert.equal(await send(b, fresh), 200);
  });
});

/** A GET with a chosen Host header (fetch cannot set one); resolves with the status. */
function hostRequest(node: OAuthServer, path: string, headers: Record<string, string>): Promise<number> {
  const url = new URL(node.issuer);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
