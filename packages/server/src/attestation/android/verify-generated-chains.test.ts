import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  AttestationApplicationId,
  AttestationPackageInfo,
  AuthorizationList,
  id_ce_keyDescription,
  KeyDescription,
  RootOfTrust,
  SecurityLevel,
  VerifiedBootState,
} from '@peculiar/asn1-android';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as x509 from '@peculiar/x509';
import { verifyAndroidKeyAttestation } from './verify-android-key-attestation.ts';

// Android-style chains made here: test root → intermediate → leaf carrying a KeyDescription.
x509.cryptoProvider.set(webcrypto as unknown as webcrypto.Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const NOW = new Date('2025-01-15T00:00:00Z');
const DAY = 86_400_000;
const CHALLENGE = webcrypto.getRandomValues(new Uint8Array(32));
const PACKAGE = 'com.example.portcullis';
const SIGNING_CERT_DIGEST = createHash('sha256').update('the app signing certificate').digest();

type KeyPair = webcrypto.CryptoKeyPair;
const generateKeys = async () => (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as KeyPair;

// asn1-schema encodes the AsnPropTypes.OctetString fields of these classes from an ArrayBuffer.
const octets = (bytes: Uint8Array) => new Uint8Array(bytes).buffer as unknown as OctetString;

function encodeKeyDescription(securityLevel: SecurityLevel): ArrayBuffer {
  const applicationId = new AttestationApplicationId({
    packageInfos: [new AttestationPackageInfo({ packageName: octets(new TextEncoder().encode(PACKAGE)), version: 42 })],
    signatureDigests: [octets(SIGNING_CERT_DIGEST)],
  });
  const description = new KeyDescription({
    attestationVersion: 200,
    attestationSecurityLevel: securityLevel,
    keymasterVersion: 200,
    keymasterSecurityLevel: securityLevel,
    attestationChallenge: new OctetString(CHALLENGE),
    uniqueId: new OctetString(0),
    softwareEnforced: new AuthorizationList({
      creationDateTime: NOW.getTime(),
      attestationApplicationId: new OctetString(AsnConvert.serialize(applicationId)),
    }),
    teeEnforced: new AuthorizationList({
      rootOfTrust: new RootOfTrust({
        verifiedBootKey: new OctetString(new Uint8Array(32).fill(7)),
        deviceLocked: true,
        verifiedBootState: VerifiedBootState.verified,
        verifiedBootHash: new OctetString(new Uint8Array(32).fill(9)),
      }),
      osVersion: 150000,
      osPatchLevel: 202412,
    }),
  });
  return AsnConvert.serialize(description);
}

interface Issued {
  cert: x509.X509Certificate;
  keys: KeyPair;
}

async function makeRoot(name: string): Promise<Issued> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: new Date(NOW.getTime() - DAY),
    notAfter: new Date(NOW.getTime() + 365 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { cert, keys };
}

async function issue(subject: string, issuer: Issued, extensions: x509.Extension[], serialNumber: string): Promise<Issued> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: `CN=${subject}`,
    issuer: issuer.cert.subject,
    notBefore: new Date(NOW.getTime() - DAY),
    notAfter: new Date(NOW.getTime() + 30 * DAY),
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: ALG,
    extensions,
  });
  return { cert, keys };
}

async function makeChain(options: { securityLevel?: SecurityLevel; leafSigner?: Issued } = {}) {
  const root = await makeRoot('Portcullis Test Attestation Root');
  const intermediate = await issue(
    'Test Attestation Key',
    root,
    [new x509.BasicConstraintsExtension(true, undefined, true)],
    '00ff10',
  );
  const extension = new x509.Extension(
    id_ce_keyDescription,
    false,
    encodeKeyDescription(options.securityLevel ?? SecurityLevel.trustedEnvironment),
  );
  const leaf = await issue('Android Keystore Key', options.leafSigner ?? intermediate, [extension], '01');
  return { chain: [leaf, intermediate, root].map((issued) => issued.cert.toString('pem')), root: root.cert.toString('pem') };
}

describe('Android Key Attestation: generated chains', () => {
  it('accepts a hardware-backed chain to the given root and reports what it attests', async () => {
    const { chain, root } = await makeChain();
    const result = await verifyAndroidKeyAttestation({ chain, challenge: CHALLENGE, roots: [root], now: NOW });
    assert.ok(result.ok, JSON.stringify(result));
    const { publicKeyJwk, ...facts } = result.facts;
    assert.equal(publicKeyJwk.kty, 'EC');
    assert.equal(publicKeyJwk.crv, 'P-256');
    assert.equal(publicKeyJwk.d, undefined);
    assert.deepEqual(facts, {
      attestationVersion: 200,
      attestationSecurityLevel: 'TrustedEnvironment',
      keymasterSecurityLevel: 'TrustedEnvironment',
      packageNames: [PACKAGE],
      signatureDigests: [SIGNING_CERT_DIGEST.toString('hex')],
      verifiedBootState: 'Verified',
      deviceLocked: true,
      osVersion: 150000,
      osPatchLevel: 202412,
    });
  });

  it('StrongBox is accepted too', async () => {
    const { chain, root } = await makeChain({ securityLevel: SecurityLevel.strongBox });
    const result = await verifyAndroidKeyAttestation({ chain, challenge: CHALLENGE, roots: [root], now: NOW });
    assert.ok(result.ok && result.facts.attestationSecurityLevel === 'StrongBox');
  });

  it('Software security level is software_only', async () => {
    const { chain, root } = await makeChain({ securityLevel: SecurityLevel.software });
    const result = await verifyAndroidKeyAttestation({ chain, challenge: CHALLENGE, roots: [root], now: NOW });
    assert.deepEqual(result, { ok: false, reasons: ['software_only'] });
  });

  it('a leaf signed by an unrelated key is bad_certificate_chain', async () => {
    const stranger = await makeRoot('Someone Else');
    const { chain, root } = await makeChain({ leafSigner: stranger });
    const result = await verifyAndroidKeyAttestation({ chain, challenge: CHALLENGE, roots: [root], now: NOW });
    assert.deepEqual(result, { ok: false, reasons: ['bad_certificate_chain'] });
  });

  it('is untrusted_root against the shipped Google roots', async () => {
    const { chain } = await makeChain();
    const result = await verifyAndroidKeyAttestation({ chain, challenge: CHALLENGE, now: NOW });
    assert.deepEqual(result, { ok: false, reasons: ['untrusted_root'] });
  });

  it('outside the validity period is bad_certificate_chain; reasons accumulate', async () => {
    const { chain, root } = await makeChain({ securityLevel: SecurityLevel.software });
    const later = new Date(NOW.getTime() + 60 * DAY);
    const result = await verifyAndroidKeyAttestation({ chain, challenge: new Uint8Array(32), roots: [root], now: later });
    assert.deepEqual(result, { ok: false, reasons: ['bad_certificate_chain', 'nonce_mismatch', 'software_only'] });
  });

  it('a revoked intermediate serial is revoked_certificate', async () => {
    const { chain, root } = await makeChain();
    const result = await verifyAndroidKeyAttestation({
      chain,
      challenge: CHALLENGE,
      roots: [root],
      now: NOW,
      revokedSerials: new Set(['ff10']),
    });
    assert.deepEqual(result, { ok: false, reasons: ['revoked_certificate'] });
  });

  it('roots that are not certificates are a caller error', async () => {
    const { chain } = await makeChain();
    await assert.rejects(verifyAndroidKeyAttestation({ chain, challenge: CHALLENGE, roots: ['nope'], now: NOW }), TypeError);
  });
});
