import { createHash } from 'node:crypto';
import type { AttestationClientData } from '@portcullis/protocol';

// RFC 4648 §4 (padding optional) and §5 (no padding). Node's decoder skips characters it does not
// know, so the alphabet is checked before decoding.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// RFC 7638 SHA-256 thumbprint, base64url.
const JKT = /^[A-Za-z0-9_-]{43}$/;
// Apple: the App ID is the 10-character Team ID, a dot, and the bundle id.
const APPLE_APP_ID = /^[A-Z0-9]{10}\.[A-Za-z0-9][A-Za-z0-9.-]{0,243}$/;
const MAX_CLIENT_DATA_BYTES = 4096;
// Apple key identifiers are SHA-256 digests.
const KEY_ID_BYTES = 32;

/** The client data as sent, its SHA-256 (what the device attested), and what it says. */
export interface ClientData {
  hash: Buffer;
  claims: AttestationClientData;
}

export interface AppleEvidence {
  keyId: Buffer;
  attestation: Buffer;
  clientData: ClientData;
}

export interface AppleAssertionEvidence {
  keyId: Buffer;
  assertion: Buffer;
  clientData: ClientData;
}

export interface AndroidEvidence {
  /** Checked only to be a list of strings; the verifier reads the certificates. */
  chain: string[];
  clientData: ClientData;
}

const text = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

function parseJsonObject(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function decodeBase64(value: unknown): Buffer | undefined {
  return typeof value === 'string' && value.length > 0 && BASE64.test(value) ? Buffer.from(value, 'base64') : undefined;
}

/**
 * base64url of UTF-8 JSON: {nonce, jkt, app_id, device_id?}; other members are ignored. The hash
 * is over the decoded bytes exactly as sent, never over a re-serialization.
 */
function readClientData(encoded: unknown): ClientData | undefined {
  if (typeof encoded !== 'string' || encoded.length > (MAX_CLIENT_DATA_BYTES * 4) / 3 + 4 || !BASE64URL.test(encoded))
    return undefined;
  const bytes = Buffer.from(encoded, 'base64url');
  // Non-canonical trailing bits would let two strings stand for the same bytes.
  if (bytes.toString('base64url') !== encoded) return undefined;
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  const c = parseJsonObject(json);
  if (!c || !text(c.nonce, 128) || !text(c.app_id, 255) || typeof c.jkt !== 'string' || !JKT.test(c.jkt)) return undefined;
  if (c.device_id !== undefined && !text(c.device_id, 128)) return undefined;
  const claims: AttestationClientData = { nonce: c.nonce, jkt: c.jkt, app_id: c.app_id };
  if (c.device_id !== undefined) claims.device_id = c.device_id;
  return { hash: createHash('sha256').update(bytes).digest(), claims };
}

/** `apple-app-attest` evidence: JSON {key_id, attestation, client_data}; undefined when it does not parse. */
export function readAppleEvidence(evidence: string): AppleEvidence | undefined {
  const read = readAppleDocument(evidence, 'attestation');
  return read && { keyId: read.keyId, attestation: read.object, clientData: read.clientData };
}

/** `apple-app-assert` evidence: JSON {key_id, assertion, client_data}; undefined when it does not parse. */
export function readAppleAssertionEvidence(evidence: string): AppleAssertionEvidence | undefined {
  const read = readAppleDocument(evidence, 'assertion');
  return read && { keyId: read.keyId, assertion: read.object, clientData: read.clientData };
}

/** The key id, the base64 CBOR object named `member`, and client data naming an Apple App ID. */
function readAppleDocument(
  evidence: string,
  member: 'attestation' | 'assertion',
): { keyId: Buffer; object: Buffer; clientData: ClientData } | undefined {
  const doc = parseJsonObject(evidence);
  if (!doc) return undefined;
  const keyId = decodeBase64(doc.key_id);
  const object = decodeBase64(doc[member]);
  const clientData = readClientData(doc.client_data);
  if (!keyId || keyId.byteLength !== KEY_ID_BYTES || !object || !clientData) return undefined;
  if (!APPLE_APP_ID.test(clientData.claims.app_id)) return undefined;
  return { keyId, object, clientData };
}

/** `android-key` evidence: JSON {chain: [PEM, ...], client_data}; undefined when it does not parse. */
export function readAndroidEvidence(evidence: string): AndroidEvidence | undefined {
  const doc = parseJsonObject(evidence);
  if (!doc) return undefined;
  const chain = doc.chain;
  const clientData = readClientData(doc.client_data);
  if (!Array.isArray(chain) || !chain.every((pem) => typeof pem === 'string') || !clientData) return undefined;
  return { chain, clientData };
}
