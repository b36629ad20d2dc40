import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { type ProofKey, proofKey } from '../oauth/dpop/dpop-fixtures.ts';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { newChallenge } from './attest-fixtures.ts';
import {
  type AndroidLeafOptions,
  encodeClientData,
  makeAndroidChain,
  makeIntermediate,
  makeRoot,
  postHardwareEvidence,
  SecurityLevel,
  sha256,
  type TestCa,
  VerifiedBootState,
} from './hardware-evidence-fixtures.ts';

const APP = 'com.example.catalog';
const SIGNING_DIGEST = sha256(Buffer.from('the app signing certificate')).toString('hex');

interface AndroidOptions extends Partial<Omit<AndroidLeafOptions, 'challenge' | 'intermediate'>> {
  clientData?: Record<string, unknown>;
  /** Client data sent instead of the attested one (the chain attests `clientData`). */
  sentClientData?: Record<string, unknown>;
  root?: TestCa;
  /** Who signs the DPoP proof; default the leaf's key, null for none. */
  proofBy?: ProofKey | null;
}

describe('android-key over HTTP', () => {
  let server: OAuthServer;
  let root: TestCa;
  let intermediate: TestCa;
  before(async () => {
    root = await makeRoot('Portcullis Test Attestation Root');
    intermediate = await makeIntermediate(root, 'Test Attestation Key');
    server = await startOAuthServer({}, { attestationRoots: { android: [root.pem] } });
    // Android releases are registered by the SHA-256 of their signing certificate.
    const registered = await admin('POST', '/apps', { app_id: APP, digest: `sha256:${SIGNING_DIGEST}`, version: '1.0' });
    assert.equal(registered.status, 201);
  });
  after(() => server.close());

  const admin = (method: string, path: string, body?: unknown) => server.adminRequest(method, path, body);
  const policy = async (key: string, value: string) => {
    const res = await admin('PUT', `/policy/${key}`, { value });
    assert.equal(res.status, 200, await res.text());
  };

  /** What a genuine app on a genuine, locked phone sends: its key's chain over the client data. */
  async function evidence(o: AndroidOptions = {}) {
    const key = o.key ?? (await proofKey());
    const claims = { nonce: await newChallenge(server), jkt: key.jkt, app_id: APP, ...o.clientData };
    const attested = encodeClientData(claims);
    const chain = await makeAndroidChain(o.root ?? root, {
      intermediate: o.root ? await makeIntermediate(o.root, 'Test Attestation Key') : intermediate,
      key,
      challenge: attested.hash,
      packageName: o.packageName ?? APP,
      signatureDigest: o.signatureDigest ?? SIGNING_DIGEST,
      ...(o.securityLevel === undefined ? {} : { securityLevel: o.securityLevel }),
      ...(o.bootState === undefined ? {} : { bootState: o.bootState }),
      ...(o.patchLevel === undefined ? {} : { patchLevel: o.patchLevel }),
    });
    const sent = o.sentClientData ? encodeClientData({ ...claims, ...o.sentClientData }).encoded : attested.encoded;
    return { key, body: { chain, client_data: sent } };
  }
  const send = (body: Record<string, unknown> | string, proofBy: ProofKey | null) =>
    postHardwareEvidence(server, 'android-key', body, proofBy);
  const attest = async (o: AndroidOptions = {}) => {
    const { key, body } = await evidence(o);
    return send(body, o.proofBy === undefined ? key : o.proofBy);
  };
  const reasonsOf = async (o: AndroidOptions = {}) => {
    const { status, body } = await attest(o);
    assert.equal(status, 403, JSON.stringify(body));
    return body.reasons;
  };
  const claims = async (token: unknown) =>
    (
      await jwtVerify(String(token), createRemoteJWKSet(new URL(`${server.issuer}/.well-known/portcullis/attestation-jwks`)), {
        issuer: server.issuer,
        typ: 'portcullis-attestation+jwt',
      })
    ).payload;

  it('a genuine app passes: a token bound to the attested hardware key, for the release of its signing certificate', async () => {
    const key = await proofKey();
    const { status, body } = await attest({ key });
    assert.equal(status, 200, JSON.stringify(body));
    const payload = await claims(body.attestation_token);
    assert.equal(payload.sub, key.jkt, 'without a device_id the device is known by its key');
    assert.deepEqual(payload.app, { id: APP, release: `sha256:${SIGNING_DIGEST}` });
    assert.deepEqual(payload.cnf, { jkt: key.jkt });
    const named = await attest({ clientData: { device_id: 'pixel-9' } });
    assert.equal(named.status, 200);
    assert.equal((await claims(named.body.attestation_token)).sub, 'pixel-9');
    const { devices } = (await (await admin('GET', '/devices')).json()) as { devices: Record<string, unknown>[] };
    assert.deepEqual(
      devices.filter((d) => d.device_id === key.jkt).map((d) => [d.platform, d.app_id, d.key_thumbprint, d.last_verdict]),
      [['android', APP, key.jkt, 'pass']],
    );
  });

  it('a challenge never issued: nonce_unknown; one used already: nonce_reused', async () => {
    assert.deepEqual(await reasonsOf({ clientData: { nonce: 'never-issued' } }), ['nonce_unknown']);
    const { key, body } = await evidence();
    assert.equal((await send(body, key)).status, 200);
    assert.deepEqual((await send(body, key)).body.reasons, ['nonce_reused']);
  });

  it('client data other than the attested challenge: nonce_mismatch', async () => {
    assert.deepEqual(await reasonsOf({ sentClientData: { device_id: 'swapped' } }), ['nonce_mismatch']);
  });

  it('the instance key must be the attested key and sign the DPoP proof: key_binding_mismatch', async () => {
    const stranger = await proofKey();
    assert.deepEqual(await reasonsOf({ proofBy: stranger }), ['key_binding_mismatch'], 'a proof by another key');
    assert.deepEqual(
      await reasonsOf({ clientData: { jkt: stranger.jkt }, proofBy: stranger }),
      ['key_binding_mismatch'],
      'client data and proof name a key the hardware did not attest',
    );
  });

  it('no DPoP proof: 400 invalid_dpop_proof, and the challenge stays unspent', async () => {
    const { key, body } = await evidence();
    const missing = await send(body, null);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_dpop_proof');
    assert.equal((await send(body, key)).status, 200);
  });

  it('releases match the attested signing-certificate digests', async () => {
    const unknownApp = 'com.example.unknown';
    assert.deepEqual(await reasonsOf({ packageName: unknownApp, clientData: { app_id: unknownApp } }), ['app_unregistered']);
    assert.deepEqual(
      await reasonsOf({ signatureDigest: 'ee'.repeat(32) }),
      ['app_unregistered'],
      'a signing certificate never registered (a repackaged app)',
    );
    const retired = 'cd'.repeat(32);
    await admin('POST', '/apps', { app_id: APP, digest: `sha256:${retired}`, version: '0.9' });
    assert.equal((await attest({ signatureDigest: retired })).status, 200);
    await admin('POST', `/apps/${APP}/revoke`, { version: '0.9' });
    assert.deepEqual(await reasonsOf({ signatureDigest: retired }), ['release_revoked']);
  });

  it('client data naming an app the chain does not attest: app_id_mismatch', async () => {
    assert.deepEqual(await reasonsOf({ packageName: 'com.example.other' }), ['app_id_mismatch']);
  });

  it('verified boot is required unless the policy says off', async () => {
    assert.deepEqual(await reasonsOf({ bootState: VerifiedBootState.unverified }), ['boot_not_verified']);
    await policy('android-verified-boot', 'off');
    try {
      assert.equal((await attest({ bootState: VerifiedBootState.unverified })).status, 200);
    } finally {
      await policy('android-verified-boot', 'required');
    }
  });

  it('an admin’s always-pass waives the device state, not the release', async () => {
    const key = await proofKey();
    const unlocked = { key, clientData: { device_id: 'dev-pixel' }, bootState: VerifiedBootState.selfSigned };
    assert.deepEqual(await reasonsOf(unlocked), ['boot_not_verified']);
    assert.equal((await admin('POST', '/devices/dev-pixel/allow', { expires_in: 3600 })).status, 200);
    assert.equal((await attest(unlocked)).status, 200);
    assert.deepEqual(await reasonsOf({ ...unlocked, signatureDigest: 'ee'.repeat(32) }), ['app_unregistered']);
    assert.equal((await admin('POST', '/devices/dev-pixel/deny')).status, 200);
    assert.deepEqual(await reasonsOf({ ...unlocked, bootState: VerifiedBootState.verified }), ['device_denied']);
  });

  it('StrongBox when the policy requires it', async () => {
    await policy('android-strongbox', 'required');
    try {
      assert.deepEqual(await reasonsOf(), ['security_level_too_low']);
      assert.equal((await attest({ securityLevel: SecurityLevel.strongBox })).status, 200);
    } finally {
      await policy('android-strongbox', 'off');
    }
    assert.deepEqual(await reasonsOf({ securityLevel: SecurityLevel.software }), ['software_only']);
  });

  it('a minimum security patch level when the policy sets one', async () => {
    const refused = await admin('PUT', '/policy/android-min-patch-level', { value: '2024-12' });
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /takes YYYYMM or off/);
    await policy('android-min-patch-level', '202501');
    try {
      assert.deepEqual(await reasonsOf({ patchLevel: 202412 }), ['patch_level_too_old']);
      assert.equal((await attest({ patchLevel: 202501 })).status, 200);
    } finally {
      await policy('android-min-patch-level', 'off');
    }
    assert.equal((await attest({ patchLevel: 201801 })).status, 200, 'off: any patch level');
  });

  it('a chain that does not end in a configured root: untrusted_root', async () => {
    assert.deepEqual(await reasonsOf({ root: await makeRoot('Portcullis Test Attestation Root') }), ['untrusted_root']);
  });

  it('evidence that does not parse is malformed', async () => {
    const { key, body } = await evidence();
    for (const bad of [
      '[]',
      JSON.stringify({ ...body, chain: 'one string' }),
      JSON.stringify({ ...body, client_data: undefined }),
      JSON.stringify({ ...body, chain: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', root.pem] }),
    ]) {
      assert.deepEqual((await send(bad, key)).body.reasons, ['malformed'], bad);
    }
  });
});
