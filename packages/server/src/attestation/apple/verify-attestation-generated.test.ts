import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHash, KeyObject, sign, webcrypto } from 'node:crypto';
import { describe, test } from 'node:test';
import * as x509 from '@peculiar/x509';
import { encode } from 'cborg';
import { type AppleAttestationInput, verifyAppleAssertion, verifyAppleAttestation } from './index.ts';

// Apple-style chains made here (root → intermediate → credential certificate with the nonce
// extension), so every accept and reject path runs without a device.
x509.cryptoProvider.set(webcrypto as unknown as webcrypto.Crypto);

const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const P384 = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' } as const;
const NOW = new Date('2026-01-01T00:00:00Z');
const DAY = 86_400_000;
const APP_ID = 'ABCDE12345.com.example.portcullis';
const AAGUID = {
  development: Buffer.from('appattestdevelop'),
  production: Buffer.concat([Buffer.from('appattest'), Buffer.alloc(7)]),
};

interface Ca {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

const sha256 = (...parts: Uint8Array[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();

async function generateKeys(algorithm: typeof P256 | typeof P384): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function makeRoot(name: string): Promise<Ca> {
  const keys = await generateKeys(P384);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    notBefore: new Date(NOW.getTime() - 365 * DAY),
    notAfter: new Date(NOW.getTime() + 365 * DAY),
    keys,
    signingAlgorithm: P384,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { cert, keys };
}

async function makeIntermediate(root: Ca, notAfter = new Date(NOW.getTime() + 30 * DAY)): Promise<Ca> {
  const keys = await generateKeys(P384);
  const cert = await x509.X509CertificateGenerator.create({
    subject: 'CN=Test App Attestation CA 1',
    issuer: root.cert.subject,
    notBefore: new Date(NOW.getTime() - 30 * DAY),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: root.keys.privateKey,
    signingAlgorithm: P384,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  return { cert, keys };
}

// Apple step 4's structure, built by hand so the tests do not share the verifier's schema:
// SEQUENCE { [1] EXPLICIT OCTET STRING (32 bytes) }.
function nonceExtensionValue(nonce: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0x30, 0x24, 0xa1, 0x22, 0x04, 0x20]), nonce]);
}

interface Options {
  intermediate: Ca;
  counter?: number;
  aaguid?: Uint8Array;
  appId?: string;
  flags?: number;
  credentialId?: Uint8Array;
  extensionValue?: (nonce: Uint8Array) => Uint8Array | null;
  x5c?: (leaf: Uint8Array, intermediate: Uint8Array) => Uint8Array[];
}

async function makeAttestation(options: Options) {
  const keys = await generateKeys(P256);
  const jwk = KeyObject.from(keys.publicKey).export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
  const keyId = sha256(point);
  const credentialId = options.credentialId ?? keyId;
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(options.counter ?? 0);
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(credentialId.byteLength);
  const coseKey = encode(
    new Map<number, unknown>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, point.subarray(1, 33)],
      [-3, point.subarray(33)],
    ]),
  );
  const authData = Buffer.concat([
    sha256(Buffer.from(options.appId ?? APP_ID)),
    Buffer.of(options.flags ?? 0x40),
    counter,
    options.aaguid ?? AAGUID.production,
    idLength,
    credentialId,
    coseKey,
  ]);
  const clientDataHash = sha256(Buffer.from('challenge-123'));
  const extensionValue = (options.extensionValue ?? nonceExtensionValue)(sha256(authData, clientDataHash));
  const leaf = await x509.X509CertificateGenerator.create({
    subject: `CN=${keyId.toString('hex')}, OU=AAA Certification`,
    issuer: options.intermediate.cert.subject,
    notBefore: new Date(NOW.getTime() - DAY),
    notAfter: new Date(NOW.getTime() + DAY),
    publicKey: keys.publicKey,
    signingKey: options.intermediate.keys.privateKey,
    signingAlgorithm: P384,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      ...(extensionValue ? [new x509.Extension('1.2.840.113635.100.8.2', false, extensionValue)] : []),
    ],
  });
  const leafDer = new Uint8Array(leaf.rawData);
  const intermediateDer = new Uint8Array(options.intermediate.cert.rawData);
  const x5c = options.x5c ? options.x5c(leafDer, intermediateDer) : [leafDer, intermediateDer];
  const attestation = encode({ fmt: 'apple-appattest', attStmt: { x5c, receipt: Buffer.from('receipt') }, authData });
  const input: AppleAttestationInput = {
    attestation,
    clientDataHash,
    keyId,
    appId: APP_ID,
    environment: 'production',
    roots: [trustedRoot.cert.toString('pem')],
    now: NOW,
  };
  return { input, privateKey: KeyObject.from(keys.privateKey), jwk };
}

const trustedRoot = await makeRoot('Test App Attestation Root CA');
const untrustedRoot = await makeRoot('Test App Attestation Root CA');
const intermediate = await makeIntermediate(trustedRoot);

describe('generated attestations', () => {
  test('accepted with the test root in roots; the credential key is returned as a JWK', async () => {
    const { input, jwk } = await makeAttestation({ intermediate });
    const result = await verifyAppleAttestation(input);
    assert.deepEqual(result, {
      ok: true,
      publicKeyJwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y },
      environment: 'production',
      receipt: new Uint8Array(Buffer.from('receipt')),
      signCount: 0,
    });
    const development = await makeAttestation({ intermediate, aaguid: AAGUID.development });
    const either = await verifyAppleAttestation({ ...development.input, environment: 'either' });
    assert.equal(either.ok && either.environment, 'development');
  });

  test('the default roots (Apple) do not trust a test chain', async () => {
    const { input } = await makeAttestation({ intermediate });
    assert.deepEqual(await verifyAppleAttestation({ ...input, roots: undefined }), {
      ok: false,
      reasons: ['bad_certificate_chain'],
    });
  });

  test('chain to an untrusted root with the same name: bad_certificate_chain', async () => {
    const { input } = await makeAttestation({ intermediate: await makeIntermediate(untrustedRoot) });
    assert.deepEqual(await verifyAppleAttestation(input), { ok: false, reasons: ['bad_certificate_chain'] });
  });

  test('intermediate expired, or x5c not exactly [leaf, intermediate]: bad_certificate_chain', async () => {
    const expired = await makeIntermediate(trustedRoot, new Date(NOW.getTime() - 1000));
    const shapes: Options[] = [
      { intermediate: expired },
      { intermediate, x5c: (leaf) => [leaf] },
      { intermediate, x5c: (leaf, ca) => [leaf, ca, new Uint8Array(trustedRoot.cert.rawData)] },
    ];
    for (const options of shapes) {
      const { input } = await makeAttestation(options);
      assert.deepEqual(await verifyAppleAttestation(input), { ok: false, reasons: ['bad_certificate_chain'] });
    }
  });

  test('counter not 0: counter_not_zero', async () => {
    const { input } = await makeAttestation({ intermediate, counter: 1 });
    assert.deepEqual(await verifyAppleAttestation(input), { ok: false, reasons: ['counter_not_zero'] });
  });

  test('unknown AAGUID: aaguid_mismatch, even for either', async () => {
    const { input } = await makeAttestation({ intermediate, aaguid: Buffer.from('appattestfuture!') });
    assert.deepEqual(await verifyAppleAttestation({ ...input, environment: 'either' }), {
      ok: false,
      reasons: ['aaguid_mismatch'],
    });
  });

  test('credentialId is not the key id: key_id_mismatch', async () => {
    const { input } = await makeAttestation({ intermediate, credentialId: sha256(Buffer.from('other')) });
    assert.deepEqual(await verifyAppleAttestation(input), { ok: false, reasons: ['key_id_mismatch'] });
  });

  test('every failed step is listed', async () => {
    const { input } = await makeAttestation({ intermediate, counter: 7, appId: 'ABCDE12345.com.example.other' });
    const result = await verifyAppleAttestation({
      ...input,
      roots: [untrustedRoot.cert.toString('pem')],
      environment: 'development',
    });
    assert.deepEqual(result, {
      ok: false,
      reasons: ['bad_certificate_chain', 'app_id_mismatch', 'counter_not_zero', 'aaguid_mismatch'],
    });
  });

  test('nonce extension absent, not DER, or with extra content; AT flag clear; x5c reversed: malformed', async () => {
    const malformed = [
      { intermediate, extensionValue: () => null },
      { intermediate, extensionValue: (nonce: Uint8Array) => Buffer.concat([nonceExtensionValue(nonce), Buffer.of(0)]) },
      { intermediate, extensionValue: (nonce: Uint8Array) => Buffer.concat([Buffer.from([0x30, 0x22, 0x04, 0x20]), nonce]) },
      { intermediate, extensionValue: () => Buffer.from([0x30, 0x03, 0xa1, 0x01, 0x04]) },
      { intermediate, flags: 0x00 },
      // x5c starts with the credential certificate (step 1); the CA has no nonce and a P-384 key.
      { intermediate, x5c: (leaf: Uint8Array, ca: Uint8Array) => [ca, leaf] },
    ];
    for (const options of malformed) {
      const { input } = await makeAttestation(options);
      assert.deepEqual(await verifyAppleAttestation(input), { ok: false, reasons: ['malformed'] });
    }
  });

  test('an accepted key then signs assertions with an increasing counter', async () => {
    const { input, privateKey } = await makeAttestation({ intermediate });
    const attested = await verifyAppleAttestation(input);
    assert.ok(attested.ok);
    const authenticatorData = Buffer.concat([sha256(Buffer.from(APP_ID)), Buffer.of(0), Buffer.of(0, 0, 0, 1)]);
    const clientDataHash = sha256(Buffer.from('{"challenge":"next"}'));
    const signature = sign('sha256', sha256(authenticatorData, clientDataHash), privateKey);
    const assertion = encode({ signature, authenticatorData });
    const result = await verifyAppleAssertion({
      assertion,
      clientDataHash,
      publicKeyJwk: attested.publicKeyJwk,
      appId: APP_ID,
      previousSignCount: attested.signCount,
    });
    assert.deepEqual(result, { ok: true, signCount: 1 });
  });
});
