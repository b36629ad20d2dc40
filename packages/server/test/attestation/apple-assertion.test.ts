import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { createScratchDatabase, POSTGRES_URL, type ScratchDatabase, SKIP_POSTGRES } from '../db/open-test-database.ts';
import { type ProofKey, proofKey } from '../oauth/dpop/dpop-fixtures.ts';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { newChallenge } from './attest-fixtures.ts';
import {
  AAGUID,
  encodeClientData,
  makeAppleAssertion,
  makeAppleAttestation,
  makeIntermediate,
  makeRoot,
  postHardwareEvidence,
  type TestCa,
} from './hardware-evidence-fixtures.ts';

const APP = 'ABCDE12345.com.example.catalog';
const OTHER_APP = 'ABCDE12345.com.example.other';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** An iPhone whose App Attest key passed attestation: the key, its id, and the app-instance key bound to it. */
interface AttestedDevice {
  keyId: Buffer;
  privateKey: KeyObject;
  instance: ProofKey;
  appId: string;
  token: string;
}

interface AssertOptions {
  counter: number;
  /** Client data members to change (the assertion signs these). */
  clientData?: Record<string, unknown>;
  /** Client data sent instead of the signed one. */
  sentClientData?: Record<string, unknown>;
  /** The App ID in authenticatorData (rpIdHash); default the device's. */
  rpAppId?: string;
  /** Signs with this key instead of the attested one. */
  signWith?: KeyObject;
  keyId?: Buffer;
}

/** The test PKI, a server trusting it, and what a test app does against it. */
async function startAppleServer(env: Record<string, string> = {}) {
  const root = await makeRoot('Test App Attestation Root CA');
  const intermediate: TestCa = await makeIntermediate(root, 'Test App Attestation CA 1');
  const server = await startOAuthServer(env, { attestationRoots: { apple: [root.pem] } });
  for (const app_id of [APP, OTHER_APP]) {
    const res = await server.adminRequest('POST', '/apps', { app_id, digest: DIGEST, version: '1.0' });
    assert.equal(res.status, 201);
  }

  /** `apple-app-attest` with a fresh App Attest key, bound to `instance`; must pass. */
  async function attestDevice(o: { appId?: string; aaguid?: Uint8Array } = {}): Promise<AttestedDevice> {
    const instance = await proofKey();
    const appId = o.appId ?? APP;
    const clientData = encodeClientData({ nonce: await newChallenge(server), jkt: instance.jkt, app_id: appId });
    const made = await makeAppleAttestation({
      intermediate,
      appId,
      clientDataHash: clientData.hash,
      ...(o.aaguid ? { aaguid: o.aaguid } : {}),
    });
    const body = {
      key_id: made.keyId.toString('base64'),
      attestation: Buffer.from(made.attestation).toString('base64'),
      client_data: clientData.encoded,
    };
    const { status, body: verdict } = await postHardwareEvidence(server, 'apple-app-attest', body, instance);
    assert.equal(status, 200, JSON.stringify(verdict));
    return { keyId: made.keyId, privateKey: made.privateKey, instance, appId, token: String(verdict.attestation_token) };
  }

  /** `apple-app-assert` evidence as the app makes it for a fresh challenge, bent by `o`. */
  async function assertionEvidence(device: AttestedDevice, o: AssertOptions): Promise<Record<string, string>> {
    const claims = { nonce: await newChallenge(server), jkt: device.instance.jkt, app_id: device.appId, ...o.clientData };
    const signed = encodeClientData(claims);
    const assertion = makeAppleAssertion({
      key: o.signWith ?? device.privateKey,
      appId: o.rpAppId ?? device.appId,
      counter: o.counter,
      clientDataHash: signed.hash,
    });
    return {
      key_id: (o.keyId ?? device.keyId).toString('base64'),
      assertion: Buffer.from(assertion).toString('base64'),
      client_data: o.sentClientData ? encodeClientData({ ...claims, ...o.sentClientData }).encoded : signed.encoded,
    };
  }

  const send = (body: Record<string, unknown> | string, proofBy: ProofKey | null) =>
    postHardwareEvidence(server, 'apple-app-assert', body, proofBy);

  /** An assertion by `device`, its DPoP proof by `proofBy` (default the device's instance key). */
  async function renew(device: AttestedDevice, o: AssertOptions, proofBy: ProofKey | null = device.instance) {
    return send(await assertionEvidence(device, o), proofBy);
  }

  /** The stored row of an attested key. */
  const storedKey = (device: AttestedDevice) =>
    server.built.services.database.db
      .selectFrom('apple_keys')
      .selectAll()
      .where('key_id', '=', device.keyId.toString('base64url'))
      .executeTakeFirst();

  return { server, intermediate, attestDevice, assertionEvidence, send, renew, storedKey };
}

type AppleServer = Awaited<ReturnType<typeof startAppleServer>>;

/** Two assertions by one key with the same counter, each for its own challenge, sent at once. */
async function raceSameCounter(t: AppleServer): Promise<void> {
  const device = await t.attestDevice();
  for (let counter = 1; counter <= 5; counter++) {
    const bodies = await Promise.all([t.assertionEvidence(device, { counter }), t.assertionEvidence(device, { counter })]);
    const answers = await Promise.all(bodies.map((body) => t.send(body, device.instance)));
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 403], `counter ${counter}: ${JSON.stringify(answers)}`);
    const refused = answers.find((a) => a.status === 403);
    assert.deepEqual(refused?.body.reasons, ['counter_not_increasing']);
    assert.equal((await t.storedKey(device))?.sign_count, counter);
  }
}

describe('apple-app-assert over HTTP', () => {
  let t: AppleServer;
  let server: OAuthServer;
  before(async () => {
    t = await startAppleServer();
    server = t.server;
  });
  after(() => server.close());

  const verifyToken = async (token: string): Promise<JWTPayload> => {
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/.well-known/portcullis/attestation-jwks`));
    return (await jwtVerify(token, jwks, { issuer: server.issuer, typ: 'portcullis-attestation+jwt' })).payload;
  };
  const reasonsOf = async (answer: Promise<{ status: number; body: Record<string, unknown> }>) => {
    const { status, body } = await answer;
    assert.equal(status, 403, JSON.stringify(body));
    return body.reasons;
  };

  it('attest once, then renew twice with assertions: the same device and instance key, counters 1 then 2', async () => {
    const device = await t.attestDevice();
    const attested = await verifyToken(device.token);
    const stored = await t.storedKey(device);
    assert.ok(stored);
    assert.deepEqual(
      { app_id: stored.app_id, sign_count: stored.sign_count, environment: stored.environment, jkt: stored.jkt },
      { app_id: APP, sign_count: 0, environment: 'production', jkt: device.instance.jkt },
    );
    assert.deepEqual(Object.keys(JSON.parse(stored.public_key)).sort(), ['crv', 'kty', 'x', 'y']);

    for (const counter of [1, 2]) {
      const { status, body } = await t.renew(device, { counter });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.expires_in, 300);
      const renewed = await verifyToken(String(body.attestation_token));
      assert.equal(renewed.sub, device.keyId.toString('base64url'));
      assert.equal(renewed.sub, attested.sub);
      assert.deepEqual(renewed.app, { id: APP, release: 'apple-app-attest:production' });
      assert.deepEqual(renewed.cnf, { jkt: device.instance.jkt });
      assert.notEqual(renewed.jti, attested.jti);
      const row = await t.storedKey(device);
      assert.equal(row?.sign_count, counter);
      assert.ok((row?.last_used_at ?? 0) >= stored.created_at);
    }
    const { devices } = (await (await server.adminRequest('GET', '/devices')).json()) as { devices: Record<string, unknown>[] };
    assert.deepEqual(
      devices
        .filter((d) => d.device_id === device.keyId.toString('base64url'))
        .map((d) => [d.platform, d.app_id, d.key_thumbprint, d.last_verdict]),
      [['ios', APP, device.instance.jkt, 'pass']],
    );
  });

  it('a counter not above the stored one (a replayed or lower counter): counter_not_increasing', async () => {
    const device = await t.attestDevice();
    assert.equal((await t.renew(device, { counter: 5 })).status, 200);
    assert.deepEqual(await reasonsOf(t.renew(device, { counter: 5 })), ['counter_not_increasing'], 'same counter');
    assert.deepEqual(await reasonsOf(t.renew(device, { counter: 3 })), ['counter_not_increasing'], 'lower counter');
    assert.deepEqual(await reasonsOf(t.renew(device, { counter: 0 })), ['counter_not_increasing'], 'zero');
    assert.equal((await t.storedKey(device))?.sign_count, 5, 'refused assertions leave the counter');
    assert.equal((await t.renew(device, { counter: 6 })).status, 200);
  });

  it('an assertion by another key: bad_signature, and the counter stays', async () => {
    const device = await t.attestDevice();
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    assert.deepEqual(await reasonsOf(t.renew(device, { counter: 1, signWith: other })), ['bad_signature']);
    assert.equal((await t.storedKey(device))?.sign_count, 0);
    assert.equal((await t.renew(device, { counter: 1 })).status, 200);
  });

  it('client data altered after signing: bad_signature', async () => {
    const device = await t.attestDevice();
    assert.deepEqual(await reasonsOf(t.renew(device, { counter: 1, sentClientData: { device_id: 'swapped' } })), [
      'bad_signature',
    ]);
    const swappedApp = t.renew(device, { counter: 2, sentClientData: { app_id: OTHER_APP } });
    assert.deepEqual(await reasonsOf(swappedApp), ['bad_signature', 'app_id_mismatch']);
  });

  it('a key id never attested, or whose attestation failed: key_unknown, and the challenge is spent', async () => {
    const device = await t.attestDevice();
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const body = await t.assertionEvidence(device, { counter: 1, keyId: Buffer.alloc(32, 7), signWith: stranger });
    assert.deepEqual(await reasonsOf(t.send(body, device.instance)), ['key_unknown']);
    assert.deepEqual(await reasonsOf(t.send(body, device.instance)), ['nonce_reused']);

    // A development key while the policy refuses them: the attestation fails, so nothing is stored.
    const instance = await proofKey();
    const clientData = encodeClientData({ nonce: await newChallenge(server), jkt: instance.jkt, app_id: APP });
    const refused = await makeAppleAttestation({
      intermediate: t.intermediate,
      appId: APP,
      clientDataHash: clientData.hash,
      aaguid: AAGUID.development,
    });
    const attestation = {
      key_id: refused.keyId.toString('base64'),
      attestation: Buffer.from(refused.attestation).toString('base64'),
      client_data: clientData.encoded,
    };
    assert.deepEqual(await reasonsOf(postHardwareEvidence(server, 'apple-app-attest', attestation, instance)), [
      'environment_not_allowed',
    ]);
    const unstored = { keyId: refused.keyId, privateKey: refused.privateKey, instance, appId: APP, token: '' };
    assert.deepEqual(await reasonsOf(t.renew(unstored, { counter: 1 })), ['key_unknown']);
  });

  it('an assertion for another app than the key was attested for: app_id_mismatch', async () => {
    const device = await t.attestDevice();
    assert.deepEqual(await reasonsOf(t.renew(device, { counter: 1, clientData: { app_id: OTHER_APP } })), ['app_id_mismatch']);
    assert.deepEqual(await reasonsOf(t.renew(device, { counter: 2, rpAppId: OTHER_APP })), ['app_id_mismatch']);
    const both = t.renew(device, { counter: 3, clientData: { app_id: OTHER_APP }, rpAppId: OTHER_APP });
    assert.deepEqual(await reasonsOf(both), ['app_id_mismatch']);
    assert.equal((await t.renew(device, { counter: 4 })).status, 200);
  });

  it('a DPoP proof by another key, or client data naming another instance key: key_binding_mismatch', async () => {
    const device = await t.attestDevice();
    const stranger = await proofKey();
    assert.deepEqual(await reasonsOf(t.renew(device, { counter: 1 }, stranger)), ['key_binding_mismatch']);
    // The instance key was fixed at attestation: even a genuine assertion cannot move the token to another one.
    const rebound = t.renew(device, { counter: 2, clientData: { jkt: stranger.jkt } }, stranger);
    assert.deepEqual(await reasonsOf(rebound), ['key_binding_mismatch']);
    const body = await t.assertionEvidence(device, { counter: 3 });
    const missing = await t.send(body, null);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_dpop_proof');
    assert.equal((await t.send(body, device.instance)).status, 200, 'the app retries with a proof');
  });

  it('a challenge used already: nonce_reused; one never issued: nonce_unknown', async () => {
    const device = await t.attestDevice();
    const body = await t.assertionEvidence(device, { counter: 1 });
    assert.equal((await t.send(body, device.instance)).status, 200);
    assert.deepEqual(await reasonsOf(t.send(body, device.instance)), ['nonce_reused']);
    const never = await t.assertionEvidence(device, { counter: 2, clientData: { nonce: 'never-issued' } });
    assert.deepEqual(await reasonsOf(t.send(never, device.instance)), ['nonce_unknown']);
  });

  it('a release revoked or a device denied after attestation: its assertions fail', async () => {
    const LATER_REVOKED = 'ABCDE12345.com.example.sunset';
    assert.equal((await server.adminRequest('POST', '/apps', { app_id: LATER_REVOKED, digest: DIGEST })).status, 201);
    const device = await t.attestDevice({ appId: LATER_REVOKED });
    assert.equal((await t.renew(device, { counter: 1 })).status, 200);
    assert.equal((await server.adminRequest('POST', `/apps/${LATER_REVOKED}/revoke`, {})).status, 200);
    assert.deepEqual(await reasonsOf(t.renew(device, { counter: 2 })), ['release_revoked']);

    const denied = await t.attestDevice();
    assert.equal((await t.renew(denied, { counter: 1 })).status, 200);
    const deny = await server.adminRequest('POST', `/devices/${denied.keyId.toString('base64url')}/deny`, {});
    assert.equal(deny.status, 200);
    assert.deepEqual(await reasonsOf(t.renew(denied, { counter: 2 })), ['device_denied']);
  });

  it('a removed device (lost phone): its stored key goes too, so its assertions are key_unknown until it attests again', async () => {
    const device = await t.attestDevice();
    assert.equal((await t.renew(device, { counter: 1 })).status, 200);
    const id = device.keyId.toString('base64url');
    assert.equal((await server.adminRequest('DELETE', `/devices/${id}`)).status, 204);
    assert.equal(await t.storedKey(device), undefined);
    assert.deepEqual(await reasonsOf(t.renew(device, { counter: 2 })), ['key_unknown']);
  });

  it('a key attested in development: its assertions pass only while apple-development is on', async () => {
    assert.equal((await server.adminRequest('PUT', '/policy/apple-development', { value: 'on' })).status, 200);
    let device: AttestedDevice;
    try {
      device = await t.attestDevice({ aaguid: AAGUID.development });
      const { status, body } = await t.renew(device, { counter: 1 });
      assert.equal(status, 200, JSON.stringify(body));
      assert.deepEqual((await verifyToken(String(body.attestation_token))).app, {
        id: APP,
        release: 'apple-app-attest:development',
      });
    } finally {
      await server.adminRequest('PUT', '/policy/apple-development', { value: 'off' });
    }
    assert.deepEqual(await reasonsOf(t.renew(device, { counter: 2 })), ['environment_not_allowed']);
  });

  it('evidence that does not parse is malformed', async () => {
    const device = await t.attestDevice();
    const body = await t.assertionEvidence(device, { counter: 1 });
    const { assertion, ...withoutAssertion } = body;
    for (const bad of [
      'not json',
      JSON.stringify(withoutAssertion),
      JSON.stringify({ ...withoutAssertion, attestation: assertion }),
      JSON.stringify({ ...body, key_id: Buffer.alloc(16).toString('base64') }),
      JSON.stringify({ ...body, assertion: '***' }),
      JSON.stringify({ ...body, client_data: `${body.client_data}=` }),
    ]) {
      assert.deepEqual(await reasonsOf(t.send(bad, device.instance)), ['malformed'], bad);
    }
    // Well-formed JSON around a CBOR object that is not an assertion: the challenge is spent on it.
    const junk = { ...(await t.assertionEvidence(device, { counter: 1 })), assertion: Buffer.from('junk').toString('base64') };
    assert.deepEqual(await reasonsOf(t.send(junk, device.instance)), ['malformed']);
    assert.equal((await t.send(body, device.instance)).status, 200, 'the unspent challenge still works');
  });

  it('failures are counted; reasons are hidden from clients when the policy says so', async () => {
    const device = await t.attestDevice();
    assert.equal((await t.renew(device, { counter: 1 })).status, 200);
    await server.adminRequest('PUT', '/policy/rejection-reasons', { value: 'off' });
    try {
      const { status, body } = await t.renew(device, { counter: 1 });
      assert.equal(status, 403);
      assert.equal(body.error, 'attestation_failed');
      assert.equal(body.reasons, undefined);
    } finally {
      await server.adminRequest('PUT', '/policy/rejection-reasons', { value: 'on' });
    }
    const metrics = await (await fetch(`${server.issuer}/metrics`)).text();
    assert.match(metrics, /portcullis_attestations_total\{verdict="fail",reason="counter_not_increasing"\} [1-9]/);
    assert.match(metrics, /portcullis_attestations_total\{verdict="fail",reason="key_unknown"\} [1-9]/);
  });

  it('two assertions with the same counter sent at once: exactly one passes', () => raceSameCounter(t));
});

// The conditional UPDATE on the PostgreSQL the scale-out deployment uses, where the two requests
// run on two pooled connections at once.
describe('apple-app-assert on PostgreSQL', { skip: SKIP_POSTGRES }, () => {
  let database: ScratchDatabase;
  let t: AppleServer;
  before(async () => {
    database = await createScratchDatabase(POSTGRES_URL as string, 'portcullis_apple_keys');
    t = await startAppleServer({ PORTCULLIS_DATABASE_URL: database.url });
  });
  after(async () => {
    await t?.server.close();
    await database?.drop();
  });

  it('attest, renew, and two assertions with the same counter at once: exactly one passes', async () => {
    const device = await t.attestDevice();
    assert.equal((await t.storedKey(device))?.sign_count, 0);
    const renewed = await t.renew(device, { counter: 0xffffffff });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal((await t.storedKey(device))?.sign_count, 0xffffffff, 'a 32-bit counter round-trips as a number');
    await raceSameCounter(t);
  });
});
