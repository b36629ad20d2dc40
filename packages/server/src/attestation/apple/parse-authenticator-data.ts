import { MalformedEvidence } from './decode-cbor-map.ts';

// WebAuthn §6.1 "Authenticator Data", the layout App Attest reuses:
//   rpIdHash (32) | flags (1) | signCount (4, big-endian) | attestedCredentialData (if AT set)
// WebAuthn §6.5.1 "Attested Credential Data":
//   aaguid (16) | credentialIdLength (2, big-endian) | credentialId (L) | credentialPublicKey (COSE)
const HEADER_LENGTH = 37;
const AAGUID_LENGTH = 16;
// WebAuthn §6.1: bit 6 (AT) says attested credential data follows the header.
const FLAG_ATTESTED_CREDENTIAL_DATA = 0x40;

export interface AuthenticatorData {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
}

export interface AttestedAuthenticatorData extends AuthenticatorData {
  aaguid: Uint8Array;
  credentialId: Uint8Array;
}

/** The 37-byte header, as in an assertion's `authenticatorData`. */
export function parseAuthenticatorData(bytes: Uint8Array): AuthenticatorData {
  if (bytes.byteLength < HEADER_LENGTH) throw new MalformedEvidence('authenticator data shorter than 37 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    rpIdHash: bytes.subarray(0, 32),
    flags: view.getUint8(32),
    signCount: view.getUint32(33, false),
  };
}

/** Header plus attested credential data, as in an attestation object's `authData`. */
export function parseAttestedAuthenticatorData(bytes: Uint8Array): AttestedAuthenticatorData {
  const header = parseAuthenticatorData(bytes);
  if ((header.flags & FLAG_ATTESTED_CREDENTIAL_DATA) === 0) {
    throw new MalformedEvidence('authenticator data has no attested credential data (AT flag clear)');
  }
  const aaguidEnd = HEADER_LENGTH + AAGUID_LENGTH;
  if (bytes.byteLength < aaguidEnd + 2) throw new MalformedEvidence('attested credential data truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const credentialIdLength = view.getUint16(aaguidEnd, false);
  const credentialIdStart = aaguidEnd + 2;
  if (bytes.byteLength < credentialIdStart + credentialIdLength) throw new MalformedEvidence('credential id truncated');
  // The COSE credentialPublicKey that follows is not read: Apple's steps bind the key through the
  // certificate (step 5) and the credential id (step 9), not through this copy.
  return {
    ...header,
    aaguid: bytes.subarray(HEADER_LENGTH, aaguidEnd),
    credentialId: bytes.subarray(credentialIdStart, credentialIdStart + credentialIdLength),
  };
}
