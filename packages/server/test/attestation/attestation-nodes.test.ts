import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import {
  createScratchDatabase,
  POSTGRES_URL,
  REDIS_URL,
  type ScratchDatabase,
  SKIP_POSTGRES,
  SKIP_REDIS,
} from '../db/open-test-database.ts';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { type DeviceKey, postAttest, signEvidence, TEST_RELEASE } from './attest-fixtures.ts';

const APP = 'com.example.catalog';

async function within(ms: number, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Each node answers an app's releases from memory (every attestation asks for them); a release
// registered or revoked on one node must take effect on the others at once, not when their copy
// expires, because a revoked release fails "from the next attestation on".
describe('attestation: releases across two nodes on PostgreSQL and Redis', { skip: SKIP_POSTGRES || SKIP_REDIS }, () => {
  let database: ScratchDatabase | undefined;
  const nodes: OAuthServer[] = [];
  after(async () => {
    for (const node of nodes) await node.close();
    await database?.drop();
  });

  it('a release registered, then revoked, on one node is accepted, then refused, on the other within a second', async () => {
    database = await createScratchDatabase(POSTGRES_URL as string, 'portcullis_attestation_nodes');
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
    const pair = await generateKeyPair('ES256', { extractable: true });
    const key: DeviceKey = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
    const attestOnB = async () => postAttest(b, await signEvidence(a, key));

    // B looks the app up first, and keeps "no releases" in memory.
    assert.deepEqual((await attestOnB()).body.reasons, ['app_unregistered']);
    assert.equal((await a.adminRequest('POST', '/apps', { app_id: APP, digest: TEST_RELEASE })).status, 201);
    await within(1000, async () => (await attestOnB()).status === 200);

    assert.equal((await a.adminRequest('POST', `/apps/${APP}/revoke`, {})).status, 200);
    await within(1000, async () => {
      const { status, body } = await attestOnB();
      return status === 403 && JSON.stringify(body.reasons) === '["release_revoked"]';
    });
  });
});
