import { X509Certificate } from 'node:crypto';

// Real chains hold 3–5 certificates (leaf, one or two intermediates, root) of under 2 KiB PEM
// each; anything far larger is not from a device and is refused before any ASN.1 is parsed.
export const MAX_CHAIN_LENGTH = 10;
export const MAX_PEM_LENGTH = 16 * 1024;

/** The evidence does not have the shape Android Key Attestation defines; reported as `malformed`. */
export class MalformedKeyAttestation extends Error {
  override name = 'MalformedKeyAttestation';
}

// RFC 7468 §2: one "CERTIFICATE" block, base64 body with optional line breaks, nothing around it.
// One character class then a literal, so the match is linear in the input.
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----$/;
const PEM_CERTIFICATE_IN_BUNDLE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g;
// RFC 4648 §4: Node's decoder skips characters it does not know, so the alphabet is checked first.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** One PEM certificate; throws `MalformedKeyAttestation` unless it is exactly one DER certificate. */
export function readCertificate(pem: unknown): X509Certificate {
  if (typeof pem !== 'string') throw new MalformedKeyAttestation('certificate is not a string');
  if (pem.length > MAX_PEM_LENGTH) throw new MalformedKeyAttestation(`certificate longer than ${MAX_PEM_LENGTH} characters`);
  const body = PEM_CERTIFICATE.exec(pem.trim())?.[1]?.replace(/\s+/g, '');
  if (!body || !BASE64.test(body)) throw new MalformedKeyAttestation('not a PEM CERTIFICATE block');
  const der = Buffer.from(body, 'base64');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch (error) {
    throw new MalformedKeyAttestation('not an X.509 certificate', { cause: error });
  }
  // X.690 §10: DER has one encoding; trailing bytes after the certificate are not part of it.
  if (!certificate.raw.equals(der)) throw new MalformedKeyAttestation('bytes after the certificate');
  return certificate;
}

/** The device's chain, leaf first and root last, within the bounds above. */
export function readCertificateChain(chain: unknown): X509Certificate[] {
  if (!Array.isArray(chain)) throw new MalformedKeyAttestation('chain is not a list');
  // Android "Verify hardware-backed key pairs": the chain ends in a root distinct from the leaf.
  if (chain.length < 2 || chain.length > MAX_CHAIN_LENGTH) {
    throw new MalformedKeyAttestation(`chain must hold 2 to ${MAX_CHAIN_LENGTH} certificates`);
  }
  return chain.map((pem: unknown) => readCertificate(pem));
}

/** Splits a PEM bundle (text between blocks is ignored) into one PEM string per certificate. */
export function splitPemBundle(text: string): string[] {
  return text.match(PEM_CERTIFICATE_IN_BUNDLE) ?? [];
}
