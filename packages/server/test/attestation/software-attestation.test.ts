import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, createRemoteJWKSet, exportJWK, generateKeyPair, type JWK, jwtVerify } from 'jose';
import { waitFor } from '../db/shared-nodes.ts';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { postAttest, signEvidence } from './attest-fixtures.ts';

const APP = 'com.example.catalog';
const RELEASE = `sha256:${'ab'.repeat(32)}`;

describe('software attestation over HTTP', () => {
  let server: OAuthServer;
  let key: { privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']; jwk: JWK };
  before(async () => {
    server = await startOAuthServer();
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
    await admin('POST', '/apps', { app_id: APP, digest: RELEASE, version: '1.0' });
  });
  after(() => server.close());

  const admin = (method: string, path: string, body?: unknown) => server.adminRequest(method, path, body);
  const evidence = (overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    signEvidence(
      server,
      key,
      {
        os_version: '15',
        signals: { rooted: false, emulator: false, debugger: false, hooking: false, signature_mismatch: false },
        ...overrides,
      },
      header,
    );
  const attest = (jws: string, format = 'software') => postAttest(server, jws, format);

  it('a genuine release passes and gets a short-lived token bound to its key, signed by the attestation key', async () => {
    const { status, body } = await attest(await evidence());
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.verdict, 'pass');
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/.well-known/portcullis/attestation-jwks`));
    const { payload, protectedHeader } = await jwtVerify(String(body.attestation_token), jwks, {
      issuer: server.issuer,
      typ: 'portcullis-attestation+jwt',
    });
    assert.equal(payload.sub, 'device-1');
    assert.deepEqual(payload.app, { id: APP, release: RELEASE });
    assert.deepEqual(payload.cnf, { jkt: await calculateJwkThumbprint(key.jwk) });
    assert.ok((payload.exp ?? 0) - (payload.iat ?? 0) <= 300);
    const tokenKeys = createRemoteJWKSet(new URL(`${server.issuer}/.well-known/jwks.json`));
    await assert.rejects(jwtVerify(String(body.attestation_token), tokenKeys), 'not verifiable with the access-token keys');
    assert.ok(protectedHeader.kid);
  });

  it('the same evidence twice: the challenge is spent', async () => {
    const jws = await evidence();
    assert.equal((await attest(jws)).status, 200);
    const again = await attest(jws);
    assert.equal(again.status, 403);
    assert.deepEqual(again.body.reasons, ['nonce_reused']);
  });

  it('each failure names its reasons', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ signals: { rooted: true, hooking: true } }, ['rooted', 'hooking']],
      [{ app_id: 'com.example.repackaged' }, ['app_unregistered']],
      [{ release: `sha256:${'ee'.repeat(32)}` }, ['app_unregistered']],
      [{ nonce: 'never-issued' }, ['nonce_unknown']],
      [{ iat: Math.floor(Date.now() / 1000) - 3600 }, ['stale_evidence']],
      [{ platform: 'windows-phone' }, ['malformed']],
    ];
    for (const [overrides, reasons] of cases) {
      const { status, body } = await attest(await evidence(overrides));
      assert.equal(status, 403, JSON.stringify(overrides));
      assert.equal(body.error, 'attestation_failed');
      assert.deepEqual(body.reasons, reasons, JSON.stringify(overrides));
      assert.equal(body.attestation_token, undefined);
    }
  });

  it('tampering, another key or alg none is refused', async () => {
    const jws = await evidence();
    const [h, p, s] = jws.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), device_id: 'other' })).toString('base64url')}.${s}`;
    assert.deepEqual((await attest(tampered)).body.reasons, ['bad_signature']);
    const other = await generateKeyPair('ES256');
    const foreign = await evidence({}, { jwk: await exportJWK(other.publicKey) });
    assert.deepEqual((await attest(foreign)).body.reasons, ['bad_signature']);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'portcullis-evidence+jwt', jwk: key.jwk })).toString('base64url')}.${p}.`;
    assert.deepEqual((await attest(none)).body.reasons, ['malformed']);
    assert.equal((await attest('x'.repeat(70_000))).status, 400);
    assert.equal((await attest(jws, 'palm-os')).status, 400);
  });

  it('a revoked release fails from the next attestation on', async () => {
    const digest = `sha256:${'cd'.repeat(32)}`;
    await admin('POST', '/apps', { app_id: APP, digest, version: '0.9' });
    assert.equal((await attest(await evidence({ release: digest }))).status, 200);
    await admin('POST', `/apps/${APP}/revoke`, { version: '0.9' });
    assert.deepEqual((await attest(await evidence({ release: digest }))).body.reasons, ['release_revoked']);
  });

  it('policy: rejection reasons can be hidden from clients (not from logs); software evidence can be switched off', async () => {
    assert.equal((await admin('PUT', '/policy/rejection-reasons', { value: 'off' })).status, 200);
    const hidden = await attest(await evidence({ signals: { emulator: true } }));
    assert.equal(hidden.status, 403);
    assert.equal(hidden.body.reasons, undefined);
    assert.ok(
      server.logs.some((l) => l.includes('attestation_failed') && l.includes('emulator')),
      'operators still see why',
    );
    await admin('PUT', '/policy/rejection-reasons', { value: 'on' });
    await admin('PUT', '/policy/software-evidence', { value: 'off' });
    assert.deepEqual((await attest(await evidence())).body.reasons, ['format_disabled']);
    await admin('PUT', '/policy/software-evidence', { value: 'on' });
    assert.equal((await admin('PUT', '/policy/rejection-reasons', { value: 'maybe' })).status, 400);
    assert.equal((await admin('PUT', '/policy/bogus', { value: 'on' })).status, 400);
    assert.deepEqual(await (await admin('GET', '/policy')).json(), {
      'rejection-reasons': 'on',
      'software-evidence': 'on',
      'apple-development': 'off',
      'android-verified-boot': 'required',
      'android-strongbox': 'off',
      'android-min-patch-level': 'off',
      'challenge-rate-limit': '600',
    });
  });

  it('device sightings: written together within a moment, the last verdict and the first sighting kept', async () => {
    const { db } = server.built.services.database;
    const row = () => db.selectFrom('devices').selectAll().where('device_id', '=', 'dev-batch').executeTakeFirst();
    const firstEvidence = await evidence({ device_id: 'dev-batch', signals: { emulator: true } });
    const before = Date.now();
    assert.equal((await attest(firstEvidence)).status, 403);
    const secondEvidence = await evidence({ device_id: 'dev-batch' });
    const between = Date.now();
    assert.equal((await attest(secondEvidence)).status, 200);
    // No admin read asks for them: the wait alone writes them.
    await waitFor(async () => (await row())?.last_verdict === 'pass', 1000);
    const written = await row();
    assert.ok(Number(written?.first_seen) >= before && Number(written?.first_seen) <= between, 'the first sighting');
    assert.ok(Number(written?.last_seen) >= between, 'the last sighting');
  });

  it('devices: a denied device fails whatever it reports; always-pass is time-limited and holds only for the allowed key', async () => {
    const rooted = { device_id: 'dev-phone', signals: { rooted: true, debugger: true } };
    assert.deepEqual((await attest(await evidence(rooted))).body.reasons, ['rooted', 'debugger']);
    const listed = (await (await admin('GET', '/devices')).json()) as { devices: { device_id: string; last_verdict: string }[] };
    assert.match(listed.devices.find((d) => d.device_id === 'dev-phone')?.last_verdict ?? '', /^fail: rooted debugger/);
    const allowed = await admin('POST', '/devices/dev-phone/allow', {
      policy: 'always-pass',
      expires_in: 3600,
      key_thumbprint: await calculateJwkThumbprint(key.jwk),
    });
    assert.equal(allowed.status, 200);
    assert.equal((await attest(await evidence(rooted))).status, 200, 'passes whatever its signals');
    assert.deepEqual(
      (await attest(await evidence({ ...rooted, release: `sha256:${'99'.repeat(32)}` }))).body.reasons,
      ['app_unregistered'],
      'but only as a registered, live release',
    );
    const other = await generateKeyPair('ES256', { extractable: true });
    const otherKey = { privateKey: other.privateKey, jwk: await exportJWK(other.publicKey) };
    const saved = key;
    key = otherKey;
    try {
      assert.deepEqual(
        (await attest(await evidence(rooted))).body.reasons,
        ['rooted', 'debugger'],
        'another key claiming the device id gains nothing',
      );
    } finally {
      key = saved;
    }
    // The last key seen for dev-phone is the impostor's: the admin names the key to deny.
    assert.equal(
      (await admin('POST', '/devices/dev-phone/deny', { key_thumbprint: await calculateJwkThumbprint(key.jwk) })).status,
      200,
    );
    assert.deepEqual((await attest(await evidence({ device_id: 'dev-phone' }))).body.reasons, ['device_denied']);
    assert.deepEqual(
      (await attest(await evidence({ device_id: 'dev-phone-renamed' }))).body.reasons,
      ['device_denied'],
      'the denied key under a new device id',
    );
    assert.equal((await admin('DELETE', '/devices/dev-phone')).status, 204);
    assert.equal((await attest(await evidence({ device_id: 'dev-phone' }))).status, 200, 'forgotten: judged afresh');
    assert.equal((await admin('POST', '/devices/never-seen/deny')).status, 404);
    assert.equal((await admin('POST', '/devices/dev-phone/allow', { expires_in: 10 })).status, 400);
  });

  it('metrics count attestations by verdict and reason', async () => {
    const metrics = await (await fetch(`${server.issuer}/metrics`)).text();
    assert.match(metrics, /portcullis_attestations_total\{verdict="pass",reason="none"\} [1-9]/);
    assert.match(metrics, /portcullis_attestations_total\{verdict="fail",reason="rooted"\} [1-9]/);
    assert.match(metrics, /portcullis_attestations_total\{verdict="fail",reason="device_denied"\} [1-9]/);
  });
});

describe('device sightings at shutdown', () => {
  it('a server stopped right after an attestation has written its sighting', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-sightings-'));
    try {
      const server = await startOAuthServer({ PORTCULLIS_DATA_DIR: dataDir });
      assert.equal((await server.adminRequest('POST', '/apps', { app_id: APP, digest: RELEASE })).status, 201);
      const pair = await generateKeyPair('ES256', { extractable: true });
      const device = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
      const jws = await signEvidence(server, device, { device_id: 'dev-last-words' });
      assert.equal((await postAttest(server, jws)).status, 200);
      await server.close();
      const db = new DatabaseSync(join(dataDir, 'portcullis.db'));
      try {
        const row = db.prepare('SELECT last_verdict FROM devices WHERE device_id = ?').get('dev-last-words');
        assert.equal(row?.last_verdict, 'pass');
      } finally {
        db.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('device decisions across a restart', () => {
  it('a server reopened on its data still refuses a denied device and passes an allowed one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-decisions-'));
    try {
      const pair = await generateKeyPair('ES256', { extractable: true });
      const device = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
      const rooted = { signals: { rooted: true } };
      const first = await startOAuthServer({ PORTCULLIS_DATA_DIR: dataDir });
      try {
        assert.equal((await first.adminRequest('POST', '/apps', { app_id: APP, digest: RELEASE })).status, 201);
        for (const id of ['dev-kept-out', 'dev-let-in'])
          assert.equal((await postAttest(first, await signEvidence(first, device, { ...rooted, device_id: id }))).status, 403);
        const thumbprint = await calculateJwkThumbprint(device.jwk);
        assert.equal((await first.adminRequest('POST', '/devices/dev-let-in/allow', { expires_in: 600 })).status, 200);
        // Denying the key too would catch dev-let-in, which attests with the same key: deny another.
        const otherKey = await calculateJwkThumbprint((await exportJWK((await generateKeyPair('ES256')).publicKey)) as JWK);
        assert.equal((await first.adminRequest('POST', '/devices/dev-kept-out/deny', { key_thumbprint: otherKey })).status, 200);
        assert.notEqual(otherKey, thumbprint);
      } finally {
        await first.close();
      }
      const second = await startOAuthServer({ PORTCULLIS_DATA_DIR: dataDir });
      try {
        const again = async (id: string) => postAttest(second, await signEvidence(second, device, { ...rooted, device_id: id }));
        assert.deepEqual((await again('dev-kept-out')).body.reasons, ['device_denied']);
        assert.equal((await again('dev-let-in')).status, 200);
        assert.deepEqual((await again('dev-stranger')).body.reasons, ['rooted']);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
