import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { SKIP_POSTGRES, SKIP_REDIS } from '../db/open-test-database.ts';
import { type SharedNodes, startSharedNodes, waitFor } from '../db/shared-nodes.ts';
import type { OAuthServer } from '../oauth/start-oauth-server.ts';
import { type DeviceKey, postAttest, signEvidence, TEST_RELEASE } from './attest-fixtures.ts';

const APP = 'com.example.catalog';

// Each node answers an app's releases from memory (every attestation asks for them); a release
// registered or revoked on one node must take effect on the others at once, not when their copy
// expires, because a revoked release fails "from the next attestation on".
describe('attestation across two nodes on PostgreSQL and Redis', { skip: SKIP_POSTGRES || SKIP_REDIS }, () => {
  let shared: SharedNodes | undefined;
  after(async () => {
    await shared?.close();
  });

  it('a release registered, then revoked, on one node is accepted, then refused, on the other within a second', async () => {
    shared = await startSharedNodes('portcullis_attestation_nodes', 2);
    const [a, b] = shared.nodes as [OAuthServer, OAuthServer];
    const pair = await generateKeyPair('ES256', { extractable: true });
    const key: DeviceKey = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
    const attestOnB = async () => postAttest(b, await signEvidence(a, key));

    // B looks the app up first, and keeps "no releases" in memory.
    assert.deepEqual((await attestOnB()).body.reasons, ['app_unregistered']);
    assert.equal((await a.adminRequest('POST', '/apps', { app_id: APP, digest: TEST_RELEASE })).status, 201);
    await waitFor(async () => (await attestOnB()).status === 200, 1000);

    assert.equal((await a.adminRequest('POST', `/apps/${APP}/revoke`, {})).status, 200);
    await waitFor(async () => {
      const { status, body } = await attestOnB();
      return status === 403 && JSON.stringify(body.reasons) === '["release_revoked"]';
    }, 1000);
  });

  it("an admin's device decisions on one node hold on the other within a second", async () => {
    const [a, b] = (shared as SharedNodes).nodes as [OAuthServer, OAuthServer];
    assert.equal((await a.adminRequest('POST', '/apps', { app_id: 'com.example.devices', digest: TEST_RELEASE })).status, 201);
    const pair = await generateKeyPair('ES256', { extractable: true });
    const key: DeviceKey = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
    const onB = async (device_id: string) =>
      postAttest(b, await signEvidence(a, key, { app_id: 'com.example.devices', device_id, signals: { emulator: true } }));
    const reasons = async (device_id: string) => JSON.stringify((await onB(device_id)).body.reasons ?? null);
    assert.equal(await reasons('dev-ci'), '["emulator"]');
    // Sightings are written up to 50 ms later; the admin API on A waits for B's through the database.
    await waitFor(async () => (await a.adminRequest('POST', '/devices/dev-ci/allow', { expires_in: 600 })).status === 200, 2000);
    await waitFor(async () => (await onB('dev-ci')).status === 200, 1000);
    assert.equal((await a.adminRequest('POST', '/devices/dev-ci/deny', {})).status, 200);
    await waitFor(async () => (await reasons('dev-ci')) === '["device_denied"]', 1000);
    // The denial names the key, so the same key under another id is refused on B as well.
    assert.equal(await reasons('dev-ci-renamed'), '["device_denied"]');
    assert.equal((await a.adminRequest('DELETE', '/devices/dev-ci')).status, 204);
    await waitFor(async () => (await reasons('dev-ci')) === '["emulator"]', 1000);
  });

  it('a challenge issued by one node is accepted once, by whichever node spends it first, even spent on both at once', async () => {
    const [a, b] = (shared as SharedNodes).nodes as [OAuthServer, OAuthServer];
    assert.equal((await a.adminRequest('POST', '/apps', { app_id: 'com.example.race', digest: TEST_RELEASE })).status, 201);
    const pair = await generateKeyPair('ES256', { extractable: true });
    const key: DeviceKey = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
    for (let round = 0; round < 10; round++) {
      const evidence = await signEvidence(a, key, { app_id: 'com.example.race', device_id: `race-${round}` });
      const answers = await Promise.all([postAttest(a, evidence), postAttest(b, evidence), postAttest(b, evidence)]);
      assert.deepEqual(answers.map((r) => r.status).sort(), [200, 403, 403]);
      for (const refused of answers.filter((r) => r.status === 403)) assert.deepEqual(refused.body.reasons, ['nonce_reused']);
    }
  });
});
