import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyOffline } from '../../src/attestation/verify-offline.ts';
import { proofKey } from '../oauth/dpop/dpop-fixtures.ts';
import { encodeClientData, makeAndroidChain, makeIntermediate, makeRoot } from './hardware-evidence-fixtures.ts';

// `portcullis attest verify` on evidence exactly as an app sent it to /attest: no --challenge, the
// client data's hash is what the device must have attested, and the client data is shown.
describe('offline verification of evidence as sent to /attest', () => {
  it('android-key: the attested challenge is checked against the client data; a tampered client data is nonce_mismatch', async () => {
    const root = await makeRoot('Offline Test Root');
    const key = await proofKey();
    const claims = { nonce: 'n-offline', jkt: key.jkt, app_id: 'com.example.catalog' };
    const attested = encodeClientData(claims);
    const chain = await makeAndroidChain(root, {
      intermediate: await makeIntermediate(root, 'Offline Test Intermediate'),
      key,
      challenge: attested.hash,
      packageName: 'com.example.catalog',
      signatureDigest: 'ab'.repeat(32),
    });
    const sent = (clientData: string) => JSON.stringify({ chain, client_data: clientData });
    // The test root is not one of Google's, so the chain fails offline, but nothing else does.
    const genuine = await verifyOffline('android-key', sent(attested.encoded), undefined, { at: new Date() });
    assert.deepEqual(genuine.reasons, ['untrusted_root']);
    assert.deepEqual(genuine.facts.client_data, claims);
    const tampered = encodeClientData({ ...claims, jkt: (await proofKey()).jkt }).encoded;
    const refused = await verifyOffline('android-key', sent(tampered), undefined, { at: new Date() });
    assert.deepEqual(refused.reasons.sort(), ['nonce_mismatch', 'untrusted_root']);
  });

  it('a captured sample without its challenge is refused with what is missing', async () => {
    const result = await verifyOffline(
      'android-key',
      '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n',
      undefined,
      {
        at: new Date(),
      },
    );
    assert.equal(result.verdict, 'fail');
    assert.deepEqual(result.reasons, ['malformed']);
    assert.match(String(result.facts.needs), /challenge/);
  });
});
