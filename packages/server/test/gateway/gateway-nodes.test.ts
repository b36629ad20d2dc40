import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import {
  createScratchDatabase,
  POSTGRES_URL,
  REDIS_URL,
  type ScratchDatabase,
  SKIP_POSTGRES,
  SKIP_REDIS,
} from '../db/open-test-database.ts';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { addRoute, startUpstream, type Upstream } from './gateway-fixtures.ts';

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Several gateway nodes behind a load balancer share PostgreSQL and Redis: a route added on one
// applies on every node without a restart, and rate limits count across nodes.
describe('gateway: two nodes on PostgreSQL and Redis', { skip: SKIP_POSTGRES || SKIP_REDIS }, () => {
  let database: ScratchDatabase | undefined;
  const nodes: OAuthServer[] = [];
  let upstream: Upstream | undefined;
  after(async () => {
    for (const node of nodes) await node.close();
    await upstream?.close();
    await database?.drop();
  });

  it('a route added on one node forwards on the other; its rate limit is shared; removal applies everywhere', async () => {
    database = await createScratchDatabase(POSTGRES_URL as string, 'portcullis_gateway_nodes');
    const env = {
      PORTCULLIS_DATABASE_URL: database.url,
      PORTCULLIS_REDIS_URL: REDIS_URL as string,
      PORTCULLIS_MASTER_KEY: randomBytes(32).toString('hex'),
      PORTCULLIS_ADMIN_KEY: randomBytes(32).toString('base64url'),
    };
    const a = await startOAuthServer(env);
    nodes.push(a);
    const b = await startOAuthServer(env);
    nodes.push(b);
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
});
