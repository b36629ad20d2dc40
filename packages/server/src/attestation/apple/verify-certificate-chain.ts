import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

const SHIPPED_ROOT = new URL('../roots/apple-app-attestation-root-ca.crt', import.meta.url);

let appleRoot: X509Certificate | undefined;

/** The Apple App Attestation Root CA shipped with the server, read on first use. */
export function loadAppleRoot(): X509Certificate {
  appleRoot ??= new X509Certificate(readFileSync(SHIPPED_ROOT));
  return appleRoot;
}

/**
 * Parses caller-supplied trust anchors. These come from validated configuration, not from the
 * device, so a bad one is a programming error and throws rather than blaming the evidence.
 */
export function parseRoots(pems: readonly string[]): X509Certificate[] {
  return pems.map((pem, index) => {
    try {
      return new X509Certificate(pem);
    } catch (error) {
      throw new TypeError(`roots[${index}] is not a PEM certificate`, { cause: error });
    }
  });
}

// RFC 5280 §4.1.2.5: the validity period is inclusive of both notBefore and notAfter.
function isValidAt(certificate: X509Certificate, now: Date): boolean {
  return certificate.validFromDate.getTime() <= now.getTime() && now.getTime() <= certificate.validToDate.getTime();
}

function isIssuedBy(subject: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * Apple, "Validating Apps That Connect to Your Server", step 1: x5c holds the credential
 * certificate then the intermediate, and the chain verifies up to Apple's App Attest root.
 * Checked top-down, so the device-supplied intermediate's key is used only once a trusted root
 * has vouched for it. Every certificate, the root included, must be valid at `now`.
 */
export function verifyCertificateChain(x5c: readonly X509Certificate[], roots: readonly X509Certificate[], now: Date): boolean {
  if (x5c.length !== 2) return false;
  const [credential, intermediate] = x5c;
  if (!credential || !intermediate) return false;
  // The anchor is one of `roots` itself (the very DER the caller trusts), never a certificate
  // taken from the evidence.
  const root = roots.find((candidate) => isIssuedBy(intermediate, candidate));
  if (!root) return false;
  // RFC 5280 §4.2.1.9: only CA certificates may issue certificates.
  if (!root.ca || !intermediate.ca || credential.ca) return false;
  if (!isIssuedBy(credential, intermediate)) return false;
  return [root, intermediate, credential].every((certificate) => isValidAt(certificate, now));
}
