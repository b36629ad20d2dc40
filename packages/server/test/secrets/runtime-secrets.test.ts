import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compactDecrypt, decodeProtectedHeader, exportJWK, importJWK } from 'jose';
import { attestationToken } from '../attestation/attest-fixtures.ts';
import { makeProof, type ProofKey, proofKey } from '../oauth/dpop/dpop-fixtures.ts';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';

const APP = 'com.example.catalog';
const RELEASE = `sha256:${'ab'.repeat(32)}`;

describe('runtime secrets', () => {
  let server: OAuthServer;
  before(async () => {
    server = await startOAuthServer();
    await admin('POST', '/apps', { app_id: APP, digest: RELEASE });
    await admin('POST', '/apps', { app_id: 'com.example.other', digest: RELEASE });
  });
  after(() => server.close());

  const admin = (method: string, path: string, body?: unknown, key?: string) => server.adminRequest(method, path, body, key);
  const attestAs = (key: ProofKey, appId = APP) =>
    attestationToken(server, key, { app_id: appId, device_id: `d-${key.jkt.slice(0, 8)}` });

  async function fetchSecret(name: string, attestation: string | null, prover: ProofKey | null) {
    const url = `${server.issuer}/secrets/${name}`;
    const headers: Record<string, string> = {};
    if (attestation) headers['portcullis-attestation'] = attestation;
    if (prover)
      headers.dpop = await makeProof(server, prover, {
        htm: 'GET',
        htu: url,
        nonce: null,
        ...(attestation ? { accessToken: attestation } : {}),
      });
    const res = await fetch(url, { headers });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  it('admins add versions; values never come back; only admins may add', async () => {
    const first = await admin('POST', '/secrets', { name: 'stripe-key', value: 'sk_live_one', app_id: APP });
    assert.equal(first.status, 201);
    const body = (await first.json()) as Record<string, unknown>;
    assert.equal(body.version, 1);
    assert.equal(body.value, undefined);
    assert.equal(
      (
        (await (await admin('POST', '/secrets', { name: 'stripe-key', value: 'sk_live_two', app_id: APP })).json()) as {
          version: number;
        }
      ).version,
      2,
    );
    const listed = await (await admin('GET', '/secrets')).text();
    assert.doesNotMatch(listed, /sk_live/);
    assert.match(listed, /"version":2/);
    const { key } = (await (await admin('POST', '/admin-keys', { role: 'developer' })).json()) as { key: string };
    assert.equal((await admin('POST', '/secrets', { name: 'x', value: 'y' }, key)).status, 403);
    assert.ok(!server.logs.some((l) => l.includes('sk_live')), 'never in a log line');
  });

  it('an attested app instance gets the newest value encrypted to its own key', async () => {
    const key = await proofKey();
    const attestation = await attestAs(key);
    const res = await fetchSecret('stripe-key', attestation, key);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const jwe = String(res.body.value_jwe);
    assert.equal(decodeProtectedHeader(jwe).alg, 'ECDH-ES+A256KW');
    // The app-instance key agrees a key (ECDH) as well as signing; WebCrypto keys are single-purpose.
    const ecdh = await importJWK(await exportJWK(key.privateKey), 'ECDH-ES+A256KW');
    const { plaintext } = await compactDecrypt(jwe, ecdh);
    assert.equal(new TextDecoder().decode(plaintext), 'sk_live_two');
    const audit = (await (await admin('GET', '/audit')).json()) as { entries: { action: string; actor: string }[] };
    assert.ok(audit.entries.some((e) => e.action === 'secrets.deliver' && e.actor.startsWith('device:')));
    assert.match(await (await fetch(`${server.issuer}/metrics`)).text(), /portcullis_secrets_delivered_total 1/);
  });

  it('refused without attestation, without the proof, with a lifted token, or for another app', async () => {
    const key = await proofKey();
    const thief = await proofKey();
    const attestation = await attestAs(key);
    assert.equal((await fetchSecret('stripe-key', null, key)).status, 401);
    assert.equal((await fetchSecret('stripe-key', attestation, null)).status, 400, 'a DPoP proof is required');
    assert.equal(
      (await fetchSecret('stripe-key', attestation, thief)).status,
      401,
      'a token lifted to another device is useless',
    );
    const otherApp = await proofKey();
    assert.equal(
      (await fetchSecret('stripe-key', await attestAs(otherApp, 'com.example.other'), otherApp)).status,
      404,
      'scoped to another app',
    );
    assert.equal((await fetchSecret('no-such-secret', attestation, key)).status, 404);
    // Refusals to attested devices are audited (a lifted token, another app's secret); anonymous ones are not.
    const audit = (await (await admin('GET', '/audit')).json()) as {
      entries: { action: string; outcome: string; status: number; target: string }[];
    };
    const refused = audit.entries.filter((e) => e.action === 'secrets.deliver' && e.outcome === 'failure');
    assert.deepEqual(refused.map((e) => e.status).sort(), [400, 401, 404, 404]);
  });

  it('removing a secret removes every version', async () => {
    assert.equal((await admin('DELETE', '/secrets/stripe-key')).status, 204);
    const key = await proofKey();
    assert.equal((await fetchSecret('stripe-key', await attestAs(key), key)).status, 404);
    assert.equal((await admin('DELETE', '/secrets/stripe-key')).status, 404);
  });
});
