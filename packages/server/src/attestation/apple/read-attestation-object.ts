import { type JsonWebKey, X509Certificate } from 'node:crypto';
import { decodeCborMap, MalformedEvidence, readByteStrings, readBytes, readMap, readText } from './decode-cbor-map.ts';
import { type AttestedAuthenticatorData, parseAttestedAuthenticatorData } from './parse-authenticator-data.ts';
import { readNonceExtension } from './read-nonce-extension.ts';

// WebAuthn §6.5.4 attestation object: { fmt, attStmt, authData }; Apple's statement format
// `apple-appattest` carries attStmt = { x5c: [credCert, intermediate], receipt }.
const APPLE_FORMAT = 'apple-appattest';

export interface AttestationObject {
  /** The raw `authData` bytes, hashed into the nonce (step 2). */
  authData: Uint8Array;
  authenticatorData: AttestedAuthenticatorData;
  /** Credential certificate first, then the intermediate. */
  x5c: X509Certificate[];
  /** The value of extension 1.2.840.113635.100.8.2 in the credential certificate (step 4). */
  certificateNonce: Uint8Array;
  /** The credential certificate's EC P-256 public key. */
  publicKeyJwk: JsonWebKey;
  /** The same key as an uncompressed point (0x04 ‖ X ‖ Y), whose SHA-256 is the key id (step 5). */
  publicKeyPoint: Uint8Array;
  receipt: Uint8Array;
}

/** Decodes and parses everything the steps look at; throws `MalformedEvidence` on any shape error. */
export function readAttestationObject(bytes: unknown): AttestationObject {
  const object = decodeCborMap(bytes);
  if (readText(object, 'fmt') !== APPLE_FORMAT) throw new MalformedEvidence(`fmt is not ${APPLE_FORMAT}`);
  const statement = readMap(object, 'attStmt');
  const authData = readBytes(object, 'authData');
  const x5cDer = readByteStrings(statement, 'x5c');
  const [credentialDer, ...intermediatesDer] = x5cDer;
  if (!credentialDer) throw new MalformedEvidence('x5c is empty');
  const credential = readCertificate(credentialDer);
  const { jwk, point } = readP256PublicKey(credential);
  return {
    authData,
    authenticatorData: parseAttestedAuthenticatorData(authData),
    x5c: [credential, ...intermediatesDer.map(readCertificate)],
    certificateNonce: readNonceExtension(credentialDer),
    publicKeyJwk: jwk,
    publicKeyPoint: point,
    // A copy, so the result does not keep the whole attestation buffer alive.
    receipt: readBytes(statement, 'receipt').slice(),
  };
}

function readCertificate(der: Uint8Array): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw new MalformedEvidence('x5c entry is not a DER certificate', { cause: error });
  }
}

// App Attest keys are P-256 (Secure Enclave); the key id is SHA-256 of the 65-byte uncompressed
// point, the form SEC 1 §2.3.3 defines and the one the JWK coordinates spell out.
function readP256PublicKey(certificate: X509Certificate): { jwk: JsonWebKey; point: Uint8Array } {
  const jwk = certificate.publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new MalformedEvidence('credential certificate key is not EC P-256');
  }
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  if (x.byteLength !== 32 || y.byteLength !== 32) throw new MalformedEvidence('credential certificate key is not EC P-256');
  return { jwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, point: Buffer.concat([Buffer.of(0x04), x, y]) };
}
