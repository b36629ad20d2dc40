import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadGoogleRoots, readGoogleRootPems, verifyAndroidKeyAttestation } from './index.ts';

// Real device chains from google/android-key-attestation; see shared/fixtures/attestation/README.md.
const FIXTURES = new URL('../../../../../../shared/fixtures/attestation/android/', import.meta.url);
const AT = new Date('2024-06-01T00:00:00Z');
const CHALLENGE = new TextEncoder().encode('abc');

function readChain(name: string): string[] {
  return [0, 1, 2, 3].map((index) => readFileSync(new URL(`${name}/cert${index}.pem`, FIXTURES), 'utf8'));
}

const TEE = ['algorithm_EC_SecurityLevel_TEE', 'algorithm_RSA_SecurityLevel_TEE'] as const;
const STRONGBOX = ['algorithm_EC_SecurityLevel_StrongBox', 'algorithm_RSA_SecurityLevel_StrongBox'] as const;

describe('Android Key Attestation: real TEE chains', () => {
  for (const name of TEE) {
    it(`${name} verifies against the shipped Google roots`, async () => {
      const result = await verifyAndroidKeyAttestation({ chain: readChain(name), challenge: CHALLENGE, now: AT });
      assert.ok(result.ok, JSON.stringify(result));
      const { facts } = result;
      assert.equal(facts.attestationSecurityLevel, 'TrustedEnvironment');
      assert.equal(facts.keymasterSecurityLevel, 'TrustedEnvironment');
      assert.equal(facts.attestationVersion, 3);
      assert.ok(facts.packageNames.includes('android'));
      assert.ok(facts.packageNames.includes('com.android.settings'));
      assert.deepEqual(facts.signatureDigests, ['301aa3cb081134501c45f1422abc66c24224fd5ded5fdc8f17e697176fd866aa']);
      assert.equal(facts.verifiedBootState, 'Unverified');
      assert.equal(facts.deviceLocked, false);
      assert.equal(facts.osVersion, 0);
      assert.equal(facts.osPatchLevel, 201907);
      assert.equal(facts.publicKeyJwk.kty, name.includes('_EC_') ? 'EC' : 'RSA');
    });
  }

  const chain = readChain(TEE[0]);

  it('a different challenge is nonce_mismatch', async () => {
    const result = await verifyAndroidKeyAttestation({ chain, challenge: new TextEncoder().encode('abd'), now: AT });
    assert.deepEqual(result, { ok: false, reasons: ['nonce_mismatch'] });
    const longer = await verifyAndroidKeyAttestation({ chain, challenge: new TextEncoder().encode('abcd'), now: AT });
    assert.deepEqual(longer, { ok: false, reasons: ['nonce_mismatch'] });
  });

  it("today's clock is bad_certificate_chain: the 2016 root expired on 2026-05-24", async () => {
    const result = await verifyAndroidKeyAttestation({ chain, challenge: CHALLENGE });
    assert.deepEqual(result, { ok: false, reasons: ['bad_certificate_chain'] });
  });

  it('a chain ending in another self-signed root is untrusted_root', async () => {
    const otherRoot = readChain(STRONGBOX[0])[3] ?? '';
    const result = await verifyAndroidKeyAttestation({ chain: [...chain.slice(0, 3), otherRoot], challenge: CHALLENGE, now: AT });
    // The intermediate is not signed by that root either.
    assert.deepEqual(result, { ok: false, reasons: ['bad_certificate_chain', 'untrusted_root'] });
  });

  it('given roots replace the shipped ones', async () => {
    const result = await verifyAndroidKeyAttestation({
      chain,
      challenge: CHALLENGE,
      now: AT,
      roots: [readChain(STRONGBOX[0])[3] ?? ''],
    });
    assert.deepEqual(result, { ok: false, reasons: ['untrusted_root'] });
  });

  for (const index of [0, 1, 2, 3]) {
    it(`a revoked serial (certificate ${index}) is revoked_certificate, however it is written`, async () => {
      const serial = new X509Certificate(chain[index] ?? '').serialNumber;
      for (const written of [serial.toLowerCase(), serial.toLowerCase().replace(/^0+/, '')]) {
        const result = await verifyAndroidKeyAttestation({
          chain,
          challenge: CHALLENGE,
          now: AT,
          revokedSerials: new Set([written]),
        });
        assert.deepEqual(result, { ok: false, reasons: ['revoked_certificate'] });
      }
    });
  }
});

describe('Android Key Attestation: real StrongBox chains', () => {
  // Their root (subject serialNumber=e35d38c6897d47e8) is not among the roots Google publishes on
  // developer.android.com and at https://android.googleapis.com/attestation/root.
  for (const name of STRONGBOX) {
    it(`${name} is untrusted_root by default`, async () => {
      const result = await verifyAndroidKeyAttestation({ chain: readChain(name), challenge: CHALLENGE, now: AT });
      assert.deepEqual(result, { ok: false, reasons: ['untrusted_root'] });
    });

    it(`${name} verifies as StrongBox when its root is given`, async () => {
      const chain = readChain(name);
      const result = await verifyAndroidKeyAttestation({ chain, challenge: CHALLENGE, now: AT, roots: [chain[3] ?? ''] });
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.facts.attestationSecurityLevel, 'StrongBox');
      assert.equal(result.facts.keymasterSecurityLevel, 'StrongBox');
    });
  }
});

describe('shipped Google hardware attestation roots', () => {
  it('holds the five published roots, the TEE samples root byte for byte among them', () => {
    const roots = loadGoogleRoots();
    assert.equal(roots.length, 5);
    assert.equal(readGoogleRootPems().length, 5);
    const teeRoot = new X509Certificate(readChain(TEE[0])[3] ?? '');
    assert.ok(roots.some((root) => root.raw.equals(teeRoot.raw)));
    const rsaRoots = roots.filter((root) => root.subject === 'serialNumber=f92009e853b6b045');
    assert.equal(rsaRoots.length, 4);
    // Every RSA root is the same key re-issued; each is self-signed.
    for (const root of rsaRoots) assert.ok(root.publicKey.equals(teeRoot.publicKey) && root.verify(root.publicKey));
    const ecRoot = roots.find((root) => root.subject.includes('CN=Key Attestation CA1'));
    assert.ok(ecRoot?.verify(ecRoot.publicKey));
    assert.equal(ecRoot?.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
  });

  it('does not include the StrongBox samples root', () => {
    const strongBoxRoot = new X509Certificate(readChain(STRONGBOX[0])[3] ?? '');
    assert.ok(!loadGoogleRoots().some((root) => root.publicKey.equals(strongBoxRoot.publicKey)));
  });
});
