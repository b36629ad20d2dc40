// Hardware evidence as a device makes it, under TEST roots: Apple App Attest attestation objects
// (root → intermediate → credential certificate with the nonce extension) and Android Key
// Attestation chains (root → intermediate → leaf with a KeyDescription), built with
// @peculiar/x509 the way the verifiers' generated-chain unit tests build them. The server under
// test trusts these roots through the `attestationRoots` build option.
import 'reflect-metadata';
import { createHash, KeyObject, sign, webcrypto } from 'node:crypto';
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
import { encode } from 'cborg';
import { makeProof, type ProofKey } from '../oauth/dpop/dpop-fixtures.ts';
import type { OAuthServer } from '../oauth/start-oauth-server.ts';

x509.cryptoProvider.set(webcrypto as unknown as webcrypto.Crypto);

export { SecurityLevel, VerifiedBootState };

const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface TestCa {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
  pem: string;
}

export const sha256 = (...parts: Uint8Array[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

const validity = () => ({ notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 30 * DAY) });

/** A self-signed CA: a test root. */
export async function makeRoot(name: string): Promise<TestCa> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    ...validity(),
    keys,
    signingAlgorithm: P256,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { cert, keys, pem: cert.toString('pem') };
}

/** An intermediate CA under `root`. */
export async function makeIntermediate(root: TestCa, name: string): Promise<TestCa> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '00ff10',
    subject: `CN=${name}`,
    issuer: root.cert.subject,
    ...validity(),
    publicKey: keys.publicKey,
    signingKey: root.keys.privateKey,
    signingAlgorithm: P256,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  return { cert, keys, pem: cert.toString('pem') };
}

/** Client data as the app sends it (base64url of UTF-8 JSON) and the SHA-256 the device attests. */
export function encodeClientData(claims: Record<string, unknown>): { encoded: string; hash: Buffer } {
  const bytes = Buffer.from(JSON.stringify(claims), 'utf8');
  return { encoded: bytes.toString('base64url'), hash: sha256(bytes) };
}

// --- Apple App Attest ---------------------------------------------------------------------------

export const AAGUID = {
  development: Buffer.from('appattestdevelop'),
  production: Buffer.concat([Buffer.from('appattest'), Buffer.alloc(7)]),
};

// Apple step 4's structure: SEQUENCE { [1] EXPLICIT OCTET STRING (32 bytes) }.
const nonceExtensionValue = (nonce: Uint8Array) => Buffer.concat([Buffer.from([0x30, 0x24, 0xa1, 0x22, 0x04, 0x20]), nonce]);

/**
 * What `DCAppAttestService.attestKey` returns for a fresh Secure Enclave key: the key id (SHA-256 of
 * its uncompressed point) and the CBOR attestation object over `clientDataHash` for `appId`; and
 * the key's private half, which stays in the Secure Enclave and signs its assertions.
 */
export async function makeAppleAttestation(options: {
  intermediate: TestCa;
  appId: string;
  clientDataHash: Uint8Array;
  aaguid?: Uint8Array;
}): Promise<{ keyId: Buffer; attestation: Uint8Array; privateKey: KeyObject }> {
  const keys = await generateKeys();
  const jwk = KeyObject.from(keys.publicKey).export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
  const keyId = sha256(point);
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(keyId.byteLength);
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
    sha256(Buffer.from(options.appId)),
    Buffer.of(0x40),
    Buffer.alloc(4),
    options.aaguid ?? AAGUID.production,
    idLength,
    keyId,
    coseKey,
  ]);
  const leaf = await x509.X509CertificateGenerator.create({
    subject: `CN=${keyId.toString('hex')}, OU=AAA Certification`,
    issuer: options.intermediate.cert.subject,
    ...validity(),
    publicKey: keys.publicKey,
    signingKey: options.intermediate.keys.privateKey,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.Extension('1.2.840.113635.100.8.2', false, nonceExtensionValue(sha256(authData, options.clientDataHash))),
    ],
  });
  const x5c = [new Uint8Array(leaf.rawData), new Uint8Array(options.intermediate.cert.rawData)];
  const attestation = encode({ fmt: 'apple-appattest', attStmt: { x5c, receipt: Buffer.from('receipt') }, authData });
  return { keyId, attestation, privateKey: KeyObject.from(keys.privateKey) };
}

/**
 * What `DCAppAttestService.generateAssertion(keyId, clientDataHash)` returns: CBOR
 * {signature, authenticatorData}, authenticatorData = rpIdHash (SHA-256 of `appId`) | flags |
 * counter (4 bytes, big-endian), and signature = DER ECDSA P-256 with SHA-256 over
 * SHA-256(authenticatorData ‖ clientDataHash) by `key`.
 */
export function makeAppleAssertion(options: {
  key: KeyObject;
  appId: string;
  counter: number;
  clientDataHash: Uint8Array;
}): Uint8Array {
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(options.counter);
  const authenticatorData = Buffer.concat([sha256(Buffer.from(options.appId)), Buffer.of(0), counter]);
  const signature = sign('sha256', sha256(authenticatorData, options.clientDataHash), options.key);
  return encode({ signature, authenticatorData });
}

// --- Android Key Attestation --------------------------------------------------------------------

export interface AndroidLeafOptions {
  intermediate: TestCa;
  /** The app-instance key: the hardware key the leaf certifies. */
  key: ProofKey;
  challenge: Uint8Array;
  packageName: string;
  /** Hex SHA-256 of the app signing certificate. */
  signatureDigest: string;
  securityLevel?: SecurityLevel;
  bootState?: VerifiedBootState;
  patchLevel?: number;
}

// asn1-schema encodes the AsnPropTypes.OctetString fields of these classes from an ArrayBuffer.
const octets = (bytes: Uint8Array) => new Uint8Array(bytes).buffer as unknown as OctetString;

function encodeKeyDescription(o: AndroidLeafOptions): ArrayBuffer {
  const securityLevel = o.securityLevel ?? SecurityLevel.trustedEnvironment;
  const applicationId = new AttestationApplicationId({
    packageInfos: [new AttestationPackageInfo({ packageName: octets(new TextEncoder().encode(o.packageName)), version: 42 })],
    signatureDigests: [octets(Buffer.from(o.signatureDigest, 'hex'))],
  });
  return AsnConvert.serialize(
    new KeyDescription({
      attestationVersion: 200,
      attestationSecurityLevel: securityLevel,
      keymasterVersion: 200,
      keymasterSecurityLevel: securityLevel,
      attestationChallenge: new OctetString(o.challenge),
      uniqueId: new OctetString(0),
      softwareEnforced: new AuthorizationList({
        creationDateTime: Date.now(),
        attestationApplicationId: new OctetString(AsnConvert.serialize(applicationId)),
      }),
      teeEnforced: new AuthorizationList({
        rootOfTrust: new RootOfTrust({
          verifiedBootKey: new OctetString(new Uint8Array(32).fill(7)),
          deviceLocked: true,
          verifiedBootState: o.bootState ?? VerifiedBootState.verified,
          verifiedBootHash: new OctetString(new Uint8Array(32).fill(9)),
        }),
        osVersion: 150000,
        osPatchLevel: o.patchLevel ?? 202412,
      }),
    }),
  );
}

/** `KeyStore.getCertificateChain()` for a key generated with `setAttestationChallenge`: leaf first, root last. */
export async function makeAndroidChain(root: TestCa, options: AndroidLeafOptions): Promise<string[]> {
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: 'CN=Android Keystore Key',
    issuer: options.intermediate.cert.subject,
    ...validity(),
    publicKey: options.key.publicKey,
    signingKey: options.intermediate.keys.privateKey,
    signingAlgorithm: P256,
    extensions: [new x509.Extension(id_ce_keyDescription, false, encodeKeyDescription(options))],
  });
  return [leaf.toString('pem'), options.intermediate.pem, root.pem];
}

// --- Sending it ---------------------------------------------------------------------------------

/** POST /attest with a DPoP proof for `<issuer>/attest` made with `proofBy` (null: no DPoP header). */
export async function postHardwareEvidence(
  server: OAuthServer,
  format: 'apple-app-attest' | 'apple-app-assert' | 'android-key',
  evidence: Record<string, unknown> | string,
  proofBy: ProofKey | null,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (proofBy) headers.dpop = await makeProof(server, proofBy, { htu: `${server.issuer}/attest` });
  const res = await fetch(`${server.issuer}/attest`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ format, evidence: typeof evidence === 'string' ? evidence : JSON.stringify(evidence) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
