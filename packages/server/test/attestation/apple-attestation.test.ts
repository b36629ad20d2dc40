import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { type ProofKey, proofKey } from '../oauth/dpop/dpop-fixtures.ts';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { newChallenge } from './attest-fixtures.ts';
import {
  AAGUID,
  encodeClientData,
  makeAppleAttestation,
  makeIntermediate,
  makeRoot,
  postHardwareEvidence,
  type TestCa,
} from './hardware-evidence-fixtures.ts';

const APP = 'ABCDE12345.com.example.catalog';
const RETIRED_APP = 'ABCDE12345.com.example.retired';

interface AppleOptions {
  /** The App ID the device attests (rpIdHash); client data names `APP` unless overridden. */
  attestedAppId?: string;
  clientData?: Record<string, unknown>;
  /** Client data sent instead of the attested one (the attestation covers `clientData`). */
  sentClientData?: Record<string, unknown>;
  aaguid?: Uint8Array;
  intermediate?: TestCa;
  /** Who signs the DPoP proof; default the instance key, null for none. */
  proofBy?: ProofKey | null;
}

describe('apple-app-attest over HTTP', () => {
  let server: OAuthServer;
  let intermediate: TestCa;
  let instance: ProofKey;
  before(async () => {
    const root = await makeRoot('Test App Attestation Root CA');
    intermediate = await makeIntermediate(root, 'Test App Attestation CA 1');
    server = await startOAuthServer({}, { attestationRoots: { apple: [root.pem] } });
    instance = await proofKey();
    // App Attest proves the App ID, not a build: any live release of it matches.
    for (const app_id of [APP, RETIRED_APP])
      assert.equal((await admin('POST', '/apps', { app_id, digest: `sha256:${'ab'.repeat(32)}`, version: '1.0' })).status, 201);
    assert.equal((await admin('POST', `/apps/${RETIRED_APP}/revoke`, {})).status, 200);
  });
  after(() => server.close());

  const admin = (method: string, path: string, body?: unknown) => server.adminRequest(method, path, body);

  /** The evidence a genuine app on a genuine iPhone sends, bent by `o`. */
  async function evidence(o: AppleOptions = {}) {
    const claims = { nonce: await newChallenge(server), jkt: instance.jkt, app_id: APP, ...o.clientData };
    const attested = encodeClientData(claims);
    const { keyId, attestation } = await makeAppleAttestation({
      intermediate: o.intermediate ?? intermediate,
      appId: o.attestedAppId ?? claims.app_id,
      clientDataHash: attested.hash,
      ...(o.aaguid ? { aaguid: o.aaguid } : {}),
    });
    const sent = o.sentClientData ? encodeClientData({ ...claims, ...o.sentClientData }).encoded : attested.encoded;
    return {
      keyId,
      body: { key_id: keyId.toString('base64'), attestation: Buffer.from(attestation).toString('base64'), client_data: sent },
    };
  }
  const send = (body: Record<string, unknown> | string, proofBy: ProofKey | null = instance) =>
    postHardwareEvidence(server, 'apple-app-attest', body, proofBy);
  const reasonsOf = async (o: AppleOptions = {}) => {
    const { status, body } = await send((await evidence(o)).body, o.proofBy === undefined ? instance : o.proofBy);
    assert.equal(status, 403, JSON.stringify(body));
    return body.reasons;
  };

  it('a genuine app passes: a token bound to the instance key, for the device known by its key id', async () => {
    const { keyId, body } = await evidence();
    const { status, body: verdict } = await send(body);
    assert.equal(status, 200, JSON.stringify(verdict));
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/.well-known/portcullis/attestation-jwks`));
    const { payload } = await jwtVerify(String(verdict.attestation_token), jwks, {
      issuer: server.issuer,
      typ: 'portcullis-attestation+jwt',
    });
    assert.equal(payload.sub, keyId.toString('base64url'));
    assert.deepEqual(payload.app, { id: APP, release: 'apple-app-attest:production' });
    assert.deepEqual(payload.cnf, { jkt: instance.jkt });
    const { devices } = (await (await admin('GET', '/devices')).json()) as { devices: Record<string, unknown>[] };
    assert.deepEqual(
      devices
        .filter((d) => d.device_id === keyId.toString('base64url'))
        .map((d) => [d.platform, d.app_id, d.key_thumbprint, d.last_verdict]),
      [['ios', APP, instance.jkt, 'pass']],
    );
  });

  it('a challenge never issued: nonce_unknown; one used already: nonce_reused', async () => {
    assert.deepEqual(await reasonsOf({ clientData: { nonce: 'never-issued' } }), ['nonce_unknown']);
    const { body } = await evidence();
    assert.equal((await send(body)).status, 200);
    const again = await send(body);
    assert.equal(again.status, 403);
    assert.deepEqual(again.body.reasons, ['nonce_reused']);
  });

  it('client data other than the attested one: nonce_mismatch', async () => {
    assert.deepEqual(await reasonsOf({ sentClientData: { device_id: 'swapped' } }), ['nonce_mismatch']);
  });

  it('a DPoP proof by another key: key_binding_mismatch, and the challenge is spent', async () => {
    const { body } = await evidence();
    const stranger = await proofKey();
    const refused = await send(body, stranger);
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body.reasons, ['key_binding_mismatch']);
    assert.deepEqual((await send(body)).body.reasons, ['nonce_reused']);
    assert.deepEqual(
      await reasonsOf({ clientData: { jkt: stranger.jkt } }),
      ['key_binding_mismatch'],
      'client data names another key',
    );
  });

  it('no DPoP proof, or a bad one: 400 invalid_dpop_proof, and the challenge stays unspent', async () => {
    const { body } = await evidence();
    const missing = await send(body, null);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_dpop_proof');
    const res = await fetch(`${server.issuer}/attest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', dpop: 'not.a.proof' },
      body: JSON.stringify({ format: 'apple-app-attest', evidence: JSON.stringify(body) }),
    });
    assert.equal(res.status, 400);
    assert.equal((await send(body)).status, 200, 'the app retries with a proof');
  });

  it('an app never registered: app_unregistered; one whose releases are revoked: release_revoked', async () => {
    const other = 'ZZZZZ99999.com.example.unknown';
    assert.deepEqual(await reasonsOf({ clientData: { app_id: other } }), ['app_unregistered']);
    assert.deepEqual(await reasonsOf({ clientData: { app_id: RETIRED_APP } }), ['release_revoked']);
  });

  it('client data naming another app than the one attested: app_id_mismatch', async () => {
    assert.deepEqual(await reasonsOf({ attestedAppId: 'ABCDE12345.com.example.other' }), ['app_id_mismatch']);
    const notAnAppId = await send((await evidence({ clientData: { app_id: 'com.example.catalog' } })).body);
    assert.deepEqual(notAnAppId.body.reasons, ['malformed'], 'an Apple App ID is TEAMID.bundle.id');
  });

  it('the development environment is refused unless the policy allows it', async () => {
    assert.deepEqual(await reasonsOf({ aaguid: AAGUID.development }), ['environment_not_allowed']);
    assert.deepEqual(await reasonsOf({ aaguid: Buffer.from('appattestfuture!') }), ['environment_not_allowed']);
    assert.equal((await admin('PUT', '/policy/apple-development', { value: 'on' })).status, 200);
    try {
      const { status, body } = await send((await evidence({ aaguid: AAGUID.development })).body);
      assert.equal(status, 200, JSON.stringify(body));
      const { payload } = await jwtVerify(
        String(body.attestation_token),
        createRemoteJWKSet(new URL(`${server.issuer}/.well-known/portcullis/attestation-jwks`)),
      );
      assert.deepEqual(payload.app, { id: APP, release: 'apple-app-attest:development' });
    } finally {
      await admin('PUT', '/policy/apple-development', { value: 'off' });
    }
  });

  it('a chain under a root the server does not trust: bad_certificate_chain', async () => {
    const stranger = await makeIntermediate(await makeRoot('Test App Attestation Root CA'), 'Test App Attestation CA 1');
    assert.deepEqual(await reasonsOf({ intermediate: stranger }), ['bad_certificate_chain']);
  });

  it('evidence that does not parse is malformed and spends nothing', async () => {
    const { body } = await evidence();
    for (const bad of [
      'not json',
      JSON.stringify({ ...body, key_id: Buffer.alloc(16).toString('base64') }),
      JSON.stringify({ ...body, client_data: `${body.client_data}=` }),
      JSON.stringify({ ...body, client_data: Buffer.from('{"nonce":1}').toString('base64url') }),
      JSON.stringify({ ...body, attestation: '***' }),
    ]) {
      const { status, body: verdict } = await send(bad);
      assert.equal(status, 403, bad);
      assert.deepEqual(verdict.reasons, ['malformed'], bad);
    }
    assert.equal((await send(body)).status, 200);
  });

  it('switching software evidence off leaves hardware formats on; reasons are counted', async () => {
    await admin('PUT', '/policy/software-evidence', { value: 'off' });
    try {
      assert.equal((await send((await evidence()).body)).status, 200);
    } finally {
      await admin('PUT', '/policy/software-evidence', { value: 'on' });
    }
    const metrics = await (await fetch(`${server.issuer}/metrics`)).text();
    assert.match(metrics, /portcullis_attestations_total\{verdict="fail",reason="environment_not_allowed"\} [1-9]/);
    assert.match(metrics, /portcullis_attestations_total\{verdict="fail",reason="key_binding_mismatch"\} [1-9]/);
  });
});
